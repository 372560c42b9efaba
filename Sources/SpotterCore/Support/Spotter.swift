import Foundation
import Logging

/// The engine built from one configuration: the store, the embedder and the services over them.
///
/// The CLI and the HTTP server both start from here, so that a command and its route call the same code.
public struct Spotter: Sendable {
    public let configuration: SpotterConfiguration
    public let store: SQLiteStore
    public let embedder: any Embedder
    public let search: SearchService
    public let ingest: IngestService
    /// The versioned prompts and assistant configurations.
    public let prompts: PromptRegistry
    /// Every question goes through this pipeline.
    public let answers: AnswerPipeline

    /// Opens the store and loads the model named by `configuration`.
    public init(configuration: SpotterConfiguration, logger: Logger = Logger(label: "spotter")) throws {
        let embedder = try MiniLMEmbedder(modelDirectory: configuration.modelDirectory, threads: configuration.embedThreads)
        try self.init(configuration: configuration, embedder: embedder, logger: logger)
    }

    /// Opens the store with an embedder that is already loaded (tests share one; loading reads 90 MB).
    public init(configuration: SpotterConfiguration, embedder: any Embedder, logger: Logger = Logger(label: "spotter")) throws {
        self.configuration = configuration
        self.embedder = embedder
        store = try SQLiteStore(directory: configuration.dataDirectory)
        var indexLogger = Logger(label: "spotter.index")
        indexLogger.logLevel = configuration.logLevel
        let indexes = VectorIndexCatalog(store: store, embedder: embedder, directory: configuration.indexDirectory,
                                         parameters: configuration.hnsw, threads: configuration.embedThreads, logger: indexLogger)
        search = SearchService(store: store, embedder: embedder, indexes: indexes)
        ingest = IngestService(store: store, embedder: embedder)
        prompts = try configuration.promptsDirectory.map { url throws(PromptRegistryError) in try PromptRegistry.load(folder: url) }
            ?? PromptRegistry.builtIn()
        let offline = ExtractiveAnswerer(embedder: embedder)
        answers = AnswerPipeline(search: search, conversations: store, registry: prompts, model: offline,
                                 condenser: QuestionCondenser(model: nil), defaultKnowledgeBase: configuration.defaultKnowledgeBase,
                                 settings: configuration.answering, logger: logger)
    }
}
