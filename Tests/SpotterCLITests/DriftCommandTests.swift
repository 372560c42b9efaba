import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `spotter refresh` and `spotter drift gaps|status` on real stores.
@Suite("drift and refresh commands")
struct DriftCommandTests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data, environment: ["SPOTTER_LOG_LEVEL": "error"])
    }

    @Test func refreshReadsAChangedFileAgainAndReportsWhatItDid() throws {
        let data = try TestEnvironment.temporaryDirectory("cli-refresh")
        let folder = try TestEnvironment.temporaryDirectory("cli-refresh-sources")
        try TestEnvironment.write(["a.md": "# Rowing\n\nRow with the legs first.", "b.md": "# Cycling\n\nSpin at 90 rpm."], under: folder)
        #expect(try spotter(["ingest", folder.path, "--kb", "gym"], data: data).status == 0)
        try TestEnvironment.write(["a.md": "# Rowing\n\nDrive with the legs, then swing the back, then pull the arms."], under: folder)

        let result = try spotter(["refresh", "--json"], data: data)
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let kb = try #require((summary["kbs"] as? [[String: Any]])?.first)
        #expect(kb["kb"] as? String == "gym")
        #expect(kb["updated"] as? Int == 1 && kb["unchanged"] as? Int == 1 && kb["deleted"] as? Int == 0)

        let text = try spotter(["refresh", "--kb", "gym"], data: data)
        #expect(text.status == 0)
        #expect(text.stdout.contains("gym: 1 sources; 0 added, 0 updated, 2 unchanged, 0 deleted"), "\(text.stdout)")
        let unknown = try spotter(["refresh", "--kb", "nope"], data: data)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no knowledge base named 'nope'"), "\(unknown.stderr)")
    }

    @Test func gapsGroupTheUnansweredQuestionsOfTheStore() async throws {
        let (engine, data) = try await TestEnvironment.spotterWithGuides()
        for question in ["How do I tune a guitar?", "How should I tune my guitar strings?", "What is the capital of Peru?",
                         "How do I tune a guitar?"] {
            let answer = try await engine.answers.respond(AnswerRequest(message: question))
            #expect(!answer.grounded, "\(question)")
        }
        _ = try await engine.answers.respond(AnswerRequest(message: "How long should I rest between sets?"))  // covered
        await engine.shutdown()

        let result = try spotter(["drift", "gaps", "--since", "1h", "--json"], data: data)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["questions"] as? Int == 4)
        #expect(report["distinct_questions"] as? Int == 3)
        let gaps = try #require(report["gaps"] as? [[String: Any]])
        // The guitar questions (three asked) form the largest group, ahead of the capital of Peru.
        #expect(gaps.first?["count"] as? Int == 3)
        #expect((gaps.first?["representative"] as? String)?.contains("guitar") == true)

        let text = try spotter(["drift", "gaps", "--since", "1h"], data: data)
        #expect(text.stdout.contains("4 unanswered questions (3 distinct)"), "\(text.stdout)")
        let bad = try spotter(["drift", "gaps", "--since", "last week"], data: data)
        #expect(bad.status != 0 && bad.stderr.contains("--since"))
    }

    @Test func statusSaysSoWhenNoServerListens() throws {
        let data = try TestEnvironment.temporaryDirectory("cli-drift-status")
        let result = try spotter(["drift", "status", "--url", "http://127.0.0.1:9"], data: data)
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot reach a Spotter server at http://127.0.0.1:9"), "\(result.stderr)")
    }
}
