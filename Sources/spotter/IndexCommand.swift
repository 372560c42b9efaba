import ArgumentParser
import Foundation
import SpotterCore
import Synchronization

struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Embed every chunk again with another model, beside the serving one, and build its index (blue-green).",
        discussion: """
            The active model goes on serving (a running server is not disturbed). When it is done the new model is the \
            standby: `spotter index promote` makes it active, `spotter index rollback` switches back. --version-label \
            stores the vectors under a label of your choice (the same weights under a new label re-runs the model). \
            A reindex that stopped goes on where it was. Documents ingested or changed after a reindex have vectors \
            from the active model only: reindex again before promoting.
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("The new model's folder (an all-MiniLM-L6-v2 layout: model.safetensors, vocab.txt, config.json).", valueName: "dir"))
    var model: String

    @Option(name: .customLong("version-label"), help: "Store the vectors under this version instead of the weights' digest.")
    var versionLabel: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        if let versionLabel {
            guard (1...64).contains(versionLabel.count), versionLabel.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw ValidationError("--version-label must be 1–64 letters, digits, '-', '_' or '.', not '\(versionLabel)'")
            }
        }
    }

    func run() async throws {
        let configuration = try common.configuration()
        let directory = URL(fileURLWithPath: model)
        let loaded = try MiniLMEmbedder(modelDirectory: directory, threads: configuration.embedThreads)
        let embedder: any Embedder = versionLabel.map { LabelledEmbedder(loaded, version: $0) } ?? loaded
        let store = try Spotter.openStore(configuration)
        defer { store.close() }
        if let active = try store.embeddingModel(.active), active.tag == "\(embedder.modelID)@\(embedder.modelVersion)" {
            throw ValidationError("\(active.tag) is already the active model; give --version-label to build a second index with the same weights")
        }
        let showBar = !json && isatty(STDERR_FILENO) != 0
        let lastDraw = Mutex(ContinuousClock.now - .seconds(1))
        let summary = try await ReindexService(store: store, configuration: configuration).reindex(with: embedder, directory: directory) { event in
            guard showBar else { return }
            switch event {
            case .knowledgeBase(let name, let chunks, let already):
                printError("\r\u{1B}[2K\(name): \(chunks) chunks, \(already) already embedded with \(embedder.modelID)@\(embedder.modelVersion)")
            case .embedded(let name, let done, let total):
                let draw = lastDraw.withLock { last -> Bool in
                    guard ContinuousClock.now - last > .milliseconds(100) || done == total else { return false }
                    last = ContinuousClock.now
                    return true
                }
                if draw { FileHandle.standardError.write(Data("\r\u{1B}[2K\(progressBar(Double(done) / Double(max(total, 1)))) \(name) \(done)/\(total) chunks".utf8)) }
            case .index(let name, .building(_, _, let vectors)):
                printError("\r\u{1B}[2K\(name): building the standby index over \(vectors) vectors")
            case .index: break
            }
        }
        if showBar { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        if json { return JSONLine.print(summary) }
        for kb in summary.knowledgeBases {
            print("\(kb.knowledgeBase): \(kb.embedded) of \(kb.chunks) chunks embedded now; index \(kb.index)")
        }
        print("standby model \(summary.model.tag) ready (\(String(format: "%.1f", summary.seconds)) s); `spotter index promote` makes it serve")
    }
}

struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "The embedding models behind the dense indexes: status, promote the standby, roll back.",
        discussion: "Promote and rollback switch the model in one transaction; a running server notices within SPOTTER_MODEL_POLL seconds (5 by default), builds its engine around the new model beside the serving one and switches in one step.",
        subcommands: [Status.self, Promote.self, Rollback.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The active, standby and previous models, and each knowledge base's coverage.")

        @OptionGroup var common: CommonOptions

        @Flag(help: "Print the status as JSON.")
        var json = false

        struct Line: Encodable {
            var role: String
            var model: EmbeddingModelRecord
            var coverage: [String: [Int]]
        }

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            defer { store.close() }
            var lines: [Line] = []
            for role in EmbeddingModelRole.allCases {
                guard let model = try store.embeddingModel(role) else { continue }
                var coverage: [String: [Int]] = [:]
                for kb in try store.knowledgeBases() {
                    let counts = try store.embeddingCoverage(in: kb, modelID: model.modelID, modelVersion: model.modelVersion)
                    coverage[kb.name] = [counts.embedded, counts.chunks]
                }
                lines.append(Line(role: role.rawValue, model: model, coverage: coverage))
            }
            if json { return JSONLine.print(lines) }
            if lines.first(where: { $0.role == "active" }) == nil {
                print("active: the configured model (\(configuration.modelDirectory.path)); nothing promoted yet")
            }
            for line in lines {
                let coverage = line.coverage.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value[0])/\($0.value[1])" }.joined(separator: ", ")
                print("\(line.role): \(line.model.tag) from \(line.model.directory); chunks embedded: \(coverage)")
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the standby model (built by `spotter reindex`) the active one.")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let configuration = try common.configuration()
            let current = try Spotter.activeEmbedder(configuration: configuration)
            let store = try Spotter.openStore(configuration)
            defer { store.close() }
            guard let standby = try store.embeddingModel(.standby) else {
                throw ValidationError("there is no standby model: build one with `spotter reindex --model DIR`")
            }
            for kb in try store.knowledgeBases() {
                let counts = try store.embeddingCoverage(in: kb, modelID: standby.modelID, modelVersion: standby.modelVersion)
                guard counts.embedded == counts.chunks else {
                    throw ValidationError("\(kb.name): \(counts.embedded) of \(counts.chunks) chunks have \(standby.tag) vectors (documents changed since the reindex); run `spotter reindex` again first")
                }
            }
            let activeDirectory = (try store.embeddingModel(.active))?.directory ?? configuration.modelDirectory.standardizedFileURL.path
            let promoted = try store.promoteStandbyModel(current: EmbeddingModelRecord(
                directory: activeDirectory, modelID: current.modelID, modelVersion: current.modelVersion))
            print("active model: \(promoted?.tag ?? standby.tag) (previous: \(current.modelID)@\(current.modelVersion)); running servers switch to it within SPOTTER_MODEL_POLL seconds (5 by default)")
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch back to the previous model.")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let store = try Spotter.openStore(common.configuration())
            defer { store.close() }
            guard let active = try store.rollbackEmbeddingModel() else {
                throw ValidationError("nothing to roll back to: no model was promoted")
            }
            print("active model: \(active.tag) again; running servers switch back within SPOTTER_MODEL_POLL seconds (5 by default)")
        }
    }
}
