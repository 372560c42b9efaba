import Foundation
import Logging

/// Progress of a reindex.
public enum ReindexEvent: Sendable {
    case knowledgeBase(name: String, chunks: Int, alreadyEmbedded: Int)
    case embedded(knowledgeBase: String, done: Int, total: Int)
    case index(knowledgeBase: String, IndexSyncEvent)
}

/// What a reindex built.
@SnakeCaseCodingKeys
public struct ReindexSummary: Sendable, Codable, Equatable {
    @SnakeCaseCodingKeys
    public struct KnowledgeBaseResult: Sendable, Codable, Equatable {
        @WireKey("kb") public var knowledgeBase: String
        public var chunks: Int
        public var embedded: Int
        public var index: String
    }

    public var model: EmbeddingModelRecord
    @WireKey("kbs") public var knowledgeBases: [KnowledgeBaseResult]
    public var seconds: Double
}

/// Blue-green embedding migration, first half: every chunk of every knowledge base is embedded again with another
/// model (or the same weights under another version label) beside the vectors that serve, and a complete dense
/// index is built for it, while the active model goes on serving. The model is then recorded as the standby;
/// `promote` makes it active in one transaction, `rollback` swaps back. Chunks that already have a vector from the
/// new model are skipped, so a reindex that stopped goes on where it was.
@MemberwiseInit
public struct ReindexService: Sendable {
    public static let batchSize = 64

    let store: any SpotterStore
    let configuration: SpotterConfiguration

    public func reindex(with embedder: any Embedder, directory: URL,
                        progress: @escaping @Sendable (ReindexEvent) -> Void = { _ in }) async throws -> ReindexSummary {
        let started = ContinuousClock.now
        let indexes = VectorIndexCatalog(store: store, embedder: embedder, directory: configuration.indexDirectory,
                                         parameters: configuration.hnsw, threads: configuration.embedThreads)
        var results: [ReindexSummary.KnowledgeBaseResult] = []
        for knowledgeBase in try store.knowledgeBases() {
            let coverage = try store.embeddingCoverage(in: knowledgeBase, modelID: embedder.modelID, modelVersion: embedder.modelVersion)
            progress(.knowledgeBase(name: knowledgeBase.name, chunks: coverage.chunks, alreadyEmbedded: coverage.embedded))
            var done = coverage.embedded
            var embedded = 0
            while true {
                let batch = try store.chunksWithoutEmbedding(in: knowledgeBase, modelID: embedder.modelID,
                                                             modelVersion: embedder.modelVersion, limit: Self.batchSize)
                guard !batch.isEmpty else { break }
                let vectors = try await embedder.embed(batch.map(\.text))
                try store.addEmbeddings(zip(batch, vectors).map { ($0.id, $1) }, modelID: embedder.modelID, modelVersion: embedder.modelVersion)
                done += batch.count
                embedded += batch.count
                progress(.embedded(knowledgeBase: knowledgeBase.name, done: min(done, coverage.chunks), total: coverage.chunks))
            }
            let action = try indexes.synchronize(knowledgeBase) { progress(.index(knowledgeBase: knowledgeBase.name, $0)) }
            results.append(.init(knowledgeBase: knowledgeBase.name, chunks: coverage.chunks, embedded: embedded,
                                 index: RefreshService.describe(action)))
        }
        let model = EmbeddingModelRecord(directory: directory.standardizedFileURL.path, modelID: embedder.modelID, modelVersion: embedder.modelVersion)
        try store.setEmbeddingModel(model, as: .standby)
        return ReindexSummary(model: model, knowledgeBases: results, seconds: (ContinuousClock.now - started).inSeconds)
    }
}

/// Why the active embedding model cannot be loaded.
public struct ActiveModelError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension Spotter {
    /// The embedder that serves: the model promoted in the store (its folder, under its version label), else the
    /// configured one (`SPOTTER_MODEL_DIR`).
    public static func activeEmbedder(configuration: SpotterConfiguration) throws -> any Embedder {
        let store = try openStore(configuration)
        defer { store.close() }
        guard let active = try store.embeddingModel(.active) else {
            return try MiniLMEmbedder(modelDirectory: configuration.modelDirectory, threads: configuration.embedThreads)
        }
        let embedder: MiniLMEmbedder
        do {
            embedder = try MiniLMEmbedder(modelDirectory: URL(fileURLWithPath: active.directory), threads: configuration.embedThreads)
        } catch {
            throw ActiveModelError(description: "the promoted embedding model \(active.tag) cannot be loaded from \(active.directory) (\(error)); "
                                   + "put it back, or run `spotter index rollback`")
        }
        guard embedder.modelID == active.modelID else {
            throw ActiveModelError(description: "\(active.directory) now holds \(embedder.modelID), not the promoted \(active.modelID); put the promoted model back or run `spotter index rollback`")
        }
        return embedder.modelVersion == active.modelVersion ? embedder : LabelledEmbedder(embedder, version: active.modelVersion)
    }
}
