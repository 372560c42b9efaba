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

    /// Opens the store and loads the model named by `configuration`.
    public init(configuration: SpotterConfiguration) throws {
        let embedder = try MiniLMEmbedder(modelDirectory: configuration.modelDirectory, threads: configuration.embedThreads)
        try self.init(configuration: configuration, embedder: embedder)
    }

    /// Opens the store with an embedder that is already loaded (tests share one; loading reads 90 MB).
    public init(configuration: SpotterConfiguration, embedder: any Embedder) throws {
        self.configuration = configuration
        self.embedder = embedder
        store = try SQLiteStore(directory: configuration.dataDirectory)
        var logger = Logger(label: "spotter.index")
        logger.logLevel = configuration.logLevel
        let indexes = VectorIndexCatalog(store: store, embedder: embedder, directory: configuration.indexDirectory,
                                         parameters: configuration.hnsw, threads: configuration.embedThreads, logger: logger)
        search = SearchService(store: store, embedder: embedder, indexes: indexes)
        ingest = IngestService(store: store, embedder: embedder)
    }
}
