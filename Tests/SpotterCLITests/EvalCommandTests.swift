import Foundation
import SpotterTestSupport
import Testing

/// `spotter eval retrieval` end to end on a small BEIR-layout fixture (16 documents, 8 judged queries).
@Suite("eval retrieval")
struct EvalCommandTests {
    static let fixture = TestEnvironment.packageRoot.appendingPathComponent("Tests/Fixtures/beir-mini")

    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data)
    }

    @Test func reportsEveryMetricPerModeAndWritesThePlot() throws {
        let data = try TestEnvironment.temporaryDirectory("eval-data")
        let page = data.appendingPathComponent("report.html")
        let result = try spotter(["eval", "retrieval", "--dataset", Self.fixture.path, "--json", "--report", page.path, "--kb", "mini",
                                  "--k", "5"], data: data)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["documents"] as? Int == 16)
        #expect(report["split"] as? String == "test")
        let modes = try #require(report["modes"] as? [[String: Any]])
        #expect(modes.map { $0["mode"] as? String } == ["bm25", "dense", "hybrid"])
        for mode in modes {
            #expect(mode["queries"] as? Int == 8)  // q9 has no judgement and is not counted
            let scores = try #require(mode["scores"] as? [String: Double])
            #expect(scores["k"] == 5)
            for metric in ["ndcg@10", "recall@10", "recall@100", "mrr@10", "p@10", "ndcg@k"] {
                let value = try #require(scores[metric], "\(metric) missing")
                #expect((0...1).contains(value))
            }
            // Every query here has a clearly matching document among 16: a working pipeline finds nearly all of them.
            #expect(scores["recall@10"]! >= 0.9, "\(mode)")
            #expect(scores["ndcg@10"]! >= 0.75, "\(mode)")
            #expect((mode["latency_p95_ms"] as? Double ?? -1) >= (mode["latency_p50_ms"] as? Double ?? 0))
        }
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("<svg"))
        #expect(html.contains("nDCG@10"))

        // The named knowledge base is kept: a second run re-uses it without embedding anything again.
        let again = try spotter(["eval", "retrieval", "--dataset", Self.fixture.path, "--mode", "bm25", "--kb", "mini", "--json"], data: data)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("embedded"))
        let list = try spotter(["kb", "ls", "--kb", "mini"], data: data)
        #expect(list.stdout.contains("mini"))
        #expect(list.stdout.contains("16 document(s)"))
    }

    @Test func tuningSweepsFusionsOnTheChosenSplit() throws {
        let data = try TestEnvironment.temporaryDirectory("eval-data")
        let result = try spotter(["eval", "retrieval", "--dataset", Self.fixture.path, "--split", "train", "--tune", "--json"], data: data)
        #expect(result.status == 0, "\(result.stderr)")
        let sweep = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let fusions = try #require(sweep["fusions"] as? [[String: Any]])
        #expect(fusions.count == 21)
        let ndcg = fusions.compactMap { ($0["scores"] as? [String: Double])?["ndcg@10"] }
        #expect(ndcg == ndcg.sorted(by: >))
    }

    @Test func aFolderThatIsNotBEIRIsAClearError() throws {
        let data = try TestEnvironment.temporaryDirectory("eval-data")
        let empty = try TestEnvironment.temporaryDirectory("not-beir")
        let result = try spotter(["eval", "retrieval", "--dataset", empty.path], data: data)
        #expect(result.status != 0)
        #expect(result.stderr.contains("corpus.jsonl"))
        let bad = try spotter(["eval", "retrieval", "--dataset", Self.fixture.path, "--alpha", "2"], data: data)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--alpha"))
    }
}
