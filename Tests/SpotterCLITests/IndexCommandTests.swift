import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `spotter reindex`, `spotter index status|promote|rollback` through the binary.
@Suite("reindex and index commands")
struct IndexCommandTests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.run(TestEnvironment.spotterBinary,
                              arguments + ["--data-dir", data.path, "--model-dir", TestEnvironment.modelDirectory.path],
                              environment: ["SPOTTER_LOG_LEVEL": "error"])
    }

    @Test func reindexPromoteAndRollBackThroughTheCLI() throws {
        let data = try TestEnvironment.temporaryDirectory("cli-reindex")
        #expect(try spotter(["ingest", TestEnvironment.demoGuides.path], data: data).status == 0)
        #expect(try spotter(["index", "promote"], data: data).stderr.contains("no standby model"))

        let reindex = try spotter(["reindex", "--model", TestEnvironment.modelDirectory.path, "--version-label", "v2", "--json"], data: data)
        #expect(reindex.status == 0, "\(reindex.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(reindex.stdout.utf8)) as? [String: Any])
        #expect((summary["model"] as? [String: Any])?["model_version"] as? String == "v2")
        let status = try spotter(["index", "status"], data: data)
        #expect(status.stdout.contains("standby: sentence-transformers/all-MiniLM-L6-v2@v2"), "\(status.stdout)")

        let promote = try spotter(["index", "promote"], data: data)
        #expect(promote.status == 0, "\(promote.stderr)")
        #expect(promote.stdout.contains("active model: sentence-transformers/all-MiniLM-L6-v2@v2"), "\(promote.stdout)")
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
    }
}
