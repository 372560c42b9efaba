import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `spotter reindex`, `spotter index status|promote|rollback` through the binary.
@Suite("reindex and index commands")
struct IndexCommandTests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data, environment: ["SPOTTER_LOG_LEVEL": "error"])
    }

    @Test func reindexPromoteAndRollBackThroughTheCLI() async throws {
        let data = try TestEnvironment.temporaryDirectory("cli-reindex")
        #expect(try spotter(["ingest", TestEnvironment.demoGuides.path], data: data).status == 0)
        #expect(try spotter(["index", "promote"], data: data).stderr.contains("no standby model"))
        // A server runs throughout, checking for a promoted model every 0.2 s.
        let server = try RunningProcess(TestEnvironment.spotterBinary, [
            "serve", "--port", "0", "--data-dir", data.path, "--model-dir", TestEnvironment.modelDirectory.path,
        ], environment: ["SPOTTER_MODEL_POLL": "0.2"])
        let serving = await server.errorLine { $0.contains("serving") }
        let port = try #require(serving?.firstMatch(of: /127\.0\.0\.1:(\d+)/).map { String($0.1) }, "\(server.stderr)")
        _ = await server.errorLine { $0.hasSuffix("[spotter] ready") }

        let reindex = try spotter(["reindex", "--model", TestEnvironment.modelDirectory.path, "--version-label", "v2", "--json"], data: data)
        #expect(reindex.status == 0, "\(reindex.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(reindex.stdout.utf8)) as? [String: Any])
        #expect((summary["model"] as? [String: Any])?["model_version"] as? String == "v2")
        let status = try spotter(["index", "status"], data: data)
        #expect(status.stdout.contains("standby: sentence-transformers/all-MiniLM-L6-v2@v2"), "\(status.stdout)")

        let promote = try spotter(["index", "promote"], data: data)
        #expect(promote.status == 0, "\(promote.stderr)")
        #expect(promote.stdout.contains("active model: sentence-transformers/all-MiniLM-L6-v2@v2"), "\(promote.stdout)")
        // The running server switches by itself, and answers with the promoted version.
        let switched = await server.errorLine(timeout: 30) { $0.contains("switched the embedding model") && $0.contains("@v2") }
        #expect(switched != nil, "\(server.stderr)")
        let answer = try ProcessRunner.run(TestEnvironment.spotterBinary, ["chat", "--url", "http://127.0.0.1:\(port)", "How long should I rest between heavy sets?"])
        #expect(answer.status == 0 && answer.stdout.contains("Rep Ranges"), "\(answer.stdout) \(answer.stderr)")
        // Commands now load the promoted version and search its index.
        let search = try spotter(["search", "rest between heavy sets", "--mode", "dense", "-k", "1"], data: data)
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.contains("Rep Ranges"), "\(search.stdout)")
        let again = try spotter(["reindex", "--model", TestEnvironment.modelDirectory.path, "--version-label", "v2"], data: data)
        #expect(again.status != 0 && again.stderr.contains("already the active model"), "\(again.stderr)")

        let rollback = try spotter(["index", "rollback"], data: data)
        #expect(rollback.status == 0, "\(rollback.stderr)")
        let statusJSON = try spotter(["index", "status", "--json"], data: data)
        let roles = try #require(try JSONSerialization.jsonObject(with: Data(statusJSON.stdout.utf8)) as? [[String: Any]])
        let active = try #require(roles.first { $0["role"] as? String == "active" }?["model"] as? [String: Any])
        #expect(active["model_version"] as? String != "v2")
        #expect((roles.first { $0["role"] as? String == "previous" }?["model"] as? [String: Any])?["model_version"] as? String == "v2")
        // The server follows the rollback too, then stops cleanly.
        let back = await server.errorLine(timeout: 30) { $0.contains("switched the embedding model") && $0.contains("from=sentence-transformers/all-MiniLM-L6-v2@v2") }
        #expect(back != nil, "\(server.stderr)")
        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: 20) == 0, "\(server.stderr)")
    }
}
