import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// A running server follows `spotter index promote` and `rollback` without a restart (blue-green embedding
/// migration), with two model versions: the same weights under a second version label.
@Suite("Embedding-model switch in a running server", .serialized)
struct ModelSwitchHTTPTests {
    static let question = "How long should I rest between sets?"

    static func ask(_ base: URL) async throws -> HTTPResult {
        try await Loopback.send("POST", base.appendingPathComponent("v1/chat"), body: Data(#"{"message": "\#(question)"}"#.utf8),
                                contentType: "application/json")
    }

    static func servingVersion(_ base: URL) async throws -> String? {
        try await Loopback.get(base, "/readyz").json["model_version"] as? String
    }

    @Test func promoteAndRollbackReachTheRunningServer() async throws {
        let (spotter, _) = try await TestEnvironment.spotterWithGuides { $0.cache.enabled = true }
        let original = spotter.embedder
        let engine = LiveEngine(spotter, logger: Loopback.quietLogger)
        try await Loopback.withApplication({ onRunning in
            try SpotterHTTPServer(engine: engine, logger: Loopback.quietLogger).application(host: "127.0.0.1", port: 0, onRunning: onRunning)
        }) { base in
            #expect(try await Self.ask(base).json["cached"] as? Bool == false)
            #expect(try await Self.ask(base).json["cached"] as? Bool == true)
            let before = try await Loopback.get(base, "/v1/search?q=rest%20between%20sets&mode=dense&k=3")
            #expect(try await Self.servingVersion(base) == original.modelVersion)
            #expect(await engine.switchToActiveModel() == .unchanged, "nothing promoted yet")

            // Build the standby index while the server serves, then promote it as `spotter index promote` does.
            let relabelled = LabelledEmbedder(original, version: "relabel-2")
            _ = try await ReindexService(store: spotter.store, configuration: spotter.configuration)
                .reindex(with: relabelled, directory: TestEnvironment.modelDirectory)
            _ = try spotter.store.promoteStandbyModel(current: EmbeddingModelRecord(
                directory: TestEnvironment.modelDirectory.path, modelID: original.modelID, modelVersion: original.modelVersion))
            #expect(try await Self.servingVersion(base) == original.modelVersion, "the switch waits for the check")

            #expect(await engine.switchToActiveModel() == .switched(to: "\(original.modelID)@relabel-2"))
            #expect(try await Self.servingVersion(base) == "relabel-2")
            // The old version's cached answers are not served under the new one; search finds the same passages.
            let fresh = try await Self.ask(base)
            #expect(fresh.status == 200 && fresh.json["cached"] as? Bool == false)
            let after = try await Loopback.get(base, "/v1/search?q=rest%20between%20sets&mode=dense&k=3")
            #expect(Self.chunkIDs(after) == Self.chunkIDs(before) && !Self.chunkIDs(before).isEmpty)
            #expect(await engine.switchToActiveModel() == .unchanged)

            // A promoted model that cannot be loaded leaves the server on its model, and is tried once.
            let broken = EmbeddingModelRecord(directory: "/nonexistent/model", modelID: original.modelID, modelVersion: "broken")
            try spotter.store.setEmbeddingModel(broken, as: .active)
            guard case .failed = await engine.switchToActiveModel() else { Issue.record("a broken model was switched to"); return }
            #expect(await engine.switchToActiveModel() == .failed("already failed to load \(broken.tag)"))
            #expect(try await Self.servingVersion(base) == "relabel-2")
            #expect(try await Self.ask(base).status == 200)
            try spotter.store.setEmbeddingModel(EmbeddingModelRecord(directory: TestEnvironment.modelDirectory.path,
                                                                     modelID: original.modelID, modelVersion: "relabel-2"), as: .active)

            // Rolled back: the server's own poll finds it, and the original version's cached answer is served again.
            _ = try #require(try spotter.store.rollbackEmbeddingModel())
            let follower = Task { await engine.followPromotions(every: .milliseconds(50)) }
            var version = try await Self.servingVersion(base)
            for _ in 0..<200 where version != original.modelVersion {
                try await Task.sleep(for: .milliseconds(50))
                version = try await Self.servingVersion(base)
            }
            follower.cancel()
            #expect(version == original.modelVersion)
            #expect(try await Self.ask(base).json["cached"] as? Bool == true)
        }
        await engine.shutdown()
    }

    static func chunkIDs(_ result: HTTPResult) -> [Int] {
        (result.json["hits"] as? [[String: Any]])?.compactMap { $0["chunk_id"] as? Int } ?? []
    }
}
