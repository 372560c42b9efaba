import Foundation
import SpotterTestSupport
import Testing

/// `spotter bench cache` and `spotter cache` end to end, on a store holding the demo guides.
@Suite("cache commands")
struct CacheCommandTests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data, environment: ["SPOTTER_LOG_LEVEL": "error"])
    }

    @Test func benchCacheReportsBothCachesAndTheWorkloadAndLeavesNoEntriesBehind() throws {
        let data = try TestEnvironment.temporaryDirectory("bench-cache")
        #expect(try spotter(["ingest", TestEnvironment.demoGuides.path, "--kb", "default"], data: data).status == 0)
        try TestEnvironment.write([
            "pairs.jsonl": """
                {"id": "1", "a": "How much protein do people who exercise need per day?", "b": "How much protein should active people eat daily?", "label": "hit", "kind": "paraphrase", "category": "paraphrase"}
                {"id": "2", "a": "How much water should I drink in the morning?", "b": "How much water should I drink in the evening?", "label": "miss", "kind": "lookalike", "category": "timeframe"}
                {"id": "3", "a": "How do I make my workouts harder?", "b": "How do I make my workouts easier?", "label": "miss", "kind": "lookalike", "category": "comparative"}
                """,
            "workload.jsonl": """
                {"id": "w1", "topic": "protein", "questions": ["How much protein do people who exercise need per day?", "How much protein should active people eat daily?"]}
                {"id": "w2", "topic": "rest", "questions": ["How long should I rest between sets?"]}
                """,
        ], under: data)
        let plot = data.appendingPathComponent("sweep.svg")
        let result = try spotter(["bench", "cache", "--pairs", data.appendingPathComponent("pairs.jsonl").path,
                                  "--workload", data.appendingPathComponent("workload.jsonl").path, "--requests", "12",
                                  "--plot", plot.path, "--output", data.appendingPathComponent("cache.json").path, "--json"], data: data)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let pairs = try #require(report["pairs"] as? [String: Any])
        let spotter = try #require(pairs["spotter"] as? [String: Double])
        #expect(spotter["hit_rate"] == 1 && spotter["false_hit_rate"] == 0)
        #expect((pairs["naive_0_95"] as? [String: Double])?["hit_rate"] != nil)
        let workload = try #require(report["workload"] as? [String: Any])
        #expect(workload["requests"] as? Int == 12)
        // Two groups: at most two answers are written, every other request is a hit.
        #expect((workload["hits"] as? Int ?? 0) >= 9)
        #expect(workload["false_hits"] as? Int == 0)
        #expect(try String(contentsOf: plot, encoding: .utf8).contains("<svg"))
        // The benchmark's tenants are purged afterwards.
        let stats = try self.spotter(["cache", "stats", "--json"], data: data)
        #expect((try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])?["entries"] as? Int == 0)
    }

    @Test func purgeNeedsAScopeAndBadPairsFilesAreReportedByLine() throws {
        let data = try TestEnvironment.temporaryDirectory("cache-cli")
        let unscoped = try spotter(["cache", "purge"], data: data)
        #expect(unscoped.status != 0)
        #expect(unscoped.stderr.contains("name a scope"))
        let all = try spotter(["cache", "purge", "--all", "--json"], data: data)
        #expect(all.status == 0)
        #expect(all.stdout.contains("\"purged\":0"))
        try TestEnvironment.write(["bad.jsonl": "{\"id\": \"1\", \"a\": \"x\", \"b\": \"y\", \"label\": \"maybe\", \"kind\": \"k\", \"category\": \"c\"}\n"], under: data)
        let bad = try spotter(["bench", "cache", "--pairs", data.appendingPathComponent("bad.jsonl").path, "--workload", ""], data: data)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad.jsonl:1") && bad.stderr.contains("label"))
    }
}
