import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `spotter eval answers` on bench/qa/fitness.jsonl over the demo guides, with floors that a broken pipeline
/// (retrieval that finds the wrong guides, answers not drawn from the passages, citations to passages never
/// retrieved, a relevance threshold that refuses everything or nothing) would fall through. They are not the
/// measured figures (see docs/performance.md), which sit well above them.
@Suite("eval answers")
struct EvalAnswersCommandTests {
    @Test func theQASetScoresAboveTheFloorsAndTheReportHasEveryQuestion() async throws {
        let (engine, data) = try await TestEnvironment.spotterWithGuides()
        await engine.shutdown()
        let qa = TestEnvironment.packageRoot.appendingPathComponent("bench/qa/fitness.jsonl")
        let page = data.appendingPathComponent("qa.html")
        let result = try ProcessRunner.run(TestEnvironment.spotterBinary, [
            "eval", "answers", "--qa", qa.path, "--json", "--report", page.path,
            "--data-dir", data.path, "--model-dir", TestEnvironment.modelDirectory.path,
        ], environment: ["SPOTTER_LOG_LEVEL": "error"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let summary = try #require(report["summary"] as? [String: Any])
        let questions = try QAItem.load(qa)
        #expect(summary["questions"] as? Int == questions.count)
        func value(_ key: String) -> Double { summary[key] as? Double ?? -1 }
        #expect(value("context_recall") >= 0.8, "\(summary)")
        #expect(value("context_precision") >= 0.3, "\(summary)")
        #expect(value("faithfulness") >= 0.6, "\(summary)")
        #expect(value("citation_correctness") >= 0.8, "\(summary)")
        #expect(value("answer_relevance") >= 0.4, "\(summary)")
        #expect(value("answered_when_answerable") >= 0.8, "\(summary)")
        #expect(value("refused_when_unanswerable") >= 0.5, "\(summary)")
        #expect((report["faithfulness_method"] as? String)?.hasPrefix("embedding") == true)

        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(rows.count == questions.count)
        for (row, item) in zip(rows, questions) {
            #expect(row["question"] as? String == item.question)
            #expect((row["answer_id"] as? String)?.hasPrefix("ans_") == true)
            // A refusal has nothing to judge for faithfulness; an answer always has.
            #expect((row["refused"] as? Bool == true) == (row["faithfulness"] == nil || row["faithfulness"] is NSNull), "\(row)")
        }
        // The scores stay with the answers: the variants report shows the same faithfulness for the control.
        let variants = try ProcessRunner.run(TestEnvironment.spotterBinary, [
            "variants", "report", "--json", "--data-dir", data.path, "--model-dir", TestEnvironment.modelDirectory.path,
        ], environment: ["SPOTTER_LOG_LEVEL": "error"])
        #expect(variants.status == 0, "\(variants.stderr)")
        let lines = try #require(try JSONSerialization.jsonObject(with: Data(variants.stdout.utf8)) as? [[String: Any]])
        let control = try #require(lines.first { $0["variant"] as? String == "control" })
        let scored = rows.compactMap { $0["faithfulness"] as? Double }
        #expect(control["evaluated"] as? Int == scored.count)
        #expect(abs((control["faithfulness"] as? Double ?? -1) - value("faithfulness")) < 1e-9)
        let interval = try #require(control["faithfulness_ci"] as? [Double])
        #expect(interval.count == 2 && interval[0] <= value("faithfulness") && value("faithfulness") <= interval[1])
        let p50 = try #require(control["latency_p50_ci_ms"] as? [Double])
        let median = try #require(control["latency_p50_ms"] as? Double)
        #expect(p50.count == 2 && p50[0] <= median && median <= p50[1] && p50[0] < p50[1])

        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.components(separatedBy: "<tr").count - 1 == questions.count + 1)  // a row per question, and the header
        #expect(html.contains("<svg") && html.contains("faithfulness"))
    }

    @Test func aBadQASetIsRefusedWithItsLine() throws {
        let folder = try TestEnvironment.temporaryDirectory("qa-bad")
        let file = folder.appendingPathComponent("qa.jsonl")
        try Data("{\"question\": \"How much protein?\"}\n{\"question\": \"\"}\n".utf8).write(to: file)
        let result = try ProcessRunner.run(TestEnvironment.spotterBinary, [
            "eval", "answers", "--qa", file.path, "--data-dir", folder.path, "--model-dir", TestEnvironment.modelDirectory.path,
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("qa.jsonl") && result.stderr.contains("2"), "\(result.stderr)")
    }
}
