import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// Blue-green embedding migration with two model versions: the same weights under a second version label.
@Suite("Blue-green embedding migration")
struct BlueGreenMigrationTests {
    static let question = "How long should I rest between sets?"

    @Test func aStandbyIndexIsBuiltBesideTheActiveOnePromotedAndRolledBack() async throws {
        let (first, data) = try await TestEnvironment.spotterWithGuides { $0.cache.enabled = true }
        let original = try TestEnvironment.embedder()
        let kb = try #require(try first.store.knowledgeBase(named: "default", create: false))
        #expect(try await first.answers.respond(AnswerRequest(message: Self.question)).cached == false)
        #expect(try await first.answers.respond(AnswerRequest(message: Self.question)).cached == true)
        let before = try await first.search.search(SearchRequest(query: Self.question, knowledgeBase: "default", k: 3, mode: .dense))

        // Reindex while the first engine serves: every chunk gets a second vector, and a second graph file appears.
        let relabelled = LabelledEmbedder(original, version: "relabel-2")
        let summary = try await ReindexService(store: first.store, configuration: first.configuration)
            .reindex(with: relabelled, directory: TestEnvironment.modelDirectory)
        let chunks = try first.store.embeddingCoverage(in: kb, modelID: original.modelID, modelVersion: original.modelVersion).chunks
        #expect(summary.knowledgeBases.map(\.embedded) == [chunks])
        #expect(try first.store.embeddingCoverage(in: kb, modelID: relabelled.modelID, modelVersion: "relabel-2") == (chunks, chunks))
        #expect(FileManager.default.fileExists(atPath: first.configuration.indexDirectory.appendingPathComponent("kb-\(kb.id)-relabel-2.hnsw").path))
        #expect(try await first.answers.respond(AnswerRequest(message: Self.question)).cached == true)  // still serving as before
        // Re-ingesting unchanged documents keeps both vectors (nothing is re-embedded).
        let again = try await first.ingest.ingest(paths: [TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "default"))
        #expect(again.chunksEmbedded == 0)
        #expect(try first.store.embeddingCoverage(in: kb, modelID: relabelled.modelID, modelVersion: "relabel-2").embedded == chunks)
        // A second run has nothing left to embed.
        let resumed = try await ReindexService(store: first.store, configuration: first.configuration)
            .reindex(with: relabelled, directory: TestEnvironment.modelDirectory)
        #expect(resumed.knowledgeBases.map(\.embedded) == [0])

        let promoted = try first.store.promoteStandbyModel(current: EmbeddingModelRecord(
            directory: TestEnvironment.modelDirectory.path, modelID: original.modelID, modelVersion: original.modelVersion))
        #expect(promoted?.modelVersion == "relabel-2")
        #expect(try first.store.embeddingModel(.previous)?.modelVersion == original.modelVersion)
        #expect(try first.store.embeddingModel(.standby) == nil)
        await first.shutdown()

        // A process started now serves with the promoted version, and does not serve the old version's cached answers.
        #expect(try Spotter.activeEmbedder(configuration: first.configuration).modelVersion == "relabel-2")
        let second = try Spotter(configuration: first.configuration, embedder: relabelled)
        let after = try await second.search.search(SearchRequest(query: Self.question, knowledgeBase: "default", k: 3, mode: .dense))
        #expect(after.hits.map(\.chunkID) == before.hits.map(\.chunkID))
        #expect(try await second.answers.respond(AnswerRequest(message: Self.question)).cached == false)
        #expect(try second.store.rollbackEmbeddingModel()?.modelVersion == original.modelVersion)
        await second.shutdown()

        // Rolled back: the original version serves again, with its cached answers.
        #expect(try Spotter.activeEmbedder(configuration: first.configuration).modelVersion == original.modelVersion)
        let third = try Spotter(configuration: first.configuration, embedder: original)
        #expect(try await third.answers.respond(AnswerRequest(message: Self.question)).cached == true)
        await third.shutdown()
        _ = data
    }
}
