import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `spotter feedback export` on a store where two answers were rated through the engine.
@Suite("feedback commands")
struct FeedbackCommandTests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data, environment: ["SPOTTER_LOG_LEVEL": "error"])
    }

    /// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks.
    static func csvRecords(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = "", quoted = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                record.append(field); field = ""
            } else if character == "\r\n" || character == "\n" {
                record.append(field); field = ""
                records.append(record); record = []
            } else {
                field.append(character)
            }
        }
        return records
    }

    @Test func exportWritesRatedAnswersWithTheirContext() async throws {
        let (engine, data) = try await TestEnvironment.spotterWithGuides()
        let protein = try await engine.answers.respond(AnswerRequest(message: "How much protein do people who exercise need per day?"))
        let rest = try await engine.answers.respond(AnswerRequest(message: "How long should I rest between sets?"))
        _ = try await engine.answers.respond(AnswerRequest(message: "How should I warm up before lifting weights?"))  // not rated
        let correction = "About 1.6 g per kg, \"split\" over meals,\nnot all at once."
        _ = try await engine.feedback.submit(answerID: protein.answerID, rating: .down, reason: "wrong", correction: correction)
        _ = try await engine.feedback.submit(answerID: rest.answerID, rating: .up, user: "u_7")
        await engine.shutdown()

        let jsonl = try spotter(["feedback", "export"], data: data)
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        let lines = jsonl.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        let first = try #require(lines.first ?? nil)
        #expect(first["answer_id"] as? String == protein.answerID)
        #expect(first["rating"] as? String == "down" && first["correction"] as? String == correction)
        #expect(first["question"] as? String == "How much protein do people who exercise need per day?")
        #expect(first["answer"] as? String == protein.answer)
        #expect((first["context"] as? [String])?.count == protein.citations.count)
        #expect((first["context"] as? [String])?.allSatisfy { !$0.isEmpty } == true)
        #expect((lines.last ?? nil)?["user"] as? String == "u_7")

        let csv = try spotter(["feedback", "export", "--format", "csv", "--rating", "down"], data: data)
        #expect(csv.status == 0, "\(csv.stderr)")
        let records = Self.csvRecords(csv.stdout)
        #expect(records.count == 2)
        #expect(records.first == FeedbackExport.csvColumns)
        let row = try #require(records.last)
        #expect(row.count == FeedbackExport.csvColumns.count)
        #expect(row[0] == protein.answerID && row[3] == "down" && row[6] == correction)

        // --since: a span back from now, a date; --output writes a file.
        #expect(try spotter(["feedback", "export", "--since", "1d"], data: data).stdout.split(separator: "\n").count == 2)
        #expect(try spotter(["feedback", "export", "--since", "2100-01-01"], data: data).stdout.isEmpty)
        let file = data.appendingPathComponent("feedback.jsonl")
        #expect(try spotter(["feedback", "export", "--output", file.path], data: data).status == 0)
        #expect(try String(contentsOf: file, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func badOptionsSayWhatIsAccepted() throws {
        let data = try TestEnvironment.temporaryDirectory("feedback-cli")
        let format = try spotter(["feedback", "export", "--format", "xml"], data: data)
        #expect(format.status != 0 && format.stderr.contains("--format must be jsonl or csv"))
        let since = try spotter(["feedback", "export", "--since", "yesterday"], data: data)
        #expect(since.status != 0 && since.stderr.contains("--since must be"))
        let rating = try spotter(["feedback", "export", "--rating", "meh"], data: data)
        #expect(rating.status != 0 && rating.stderr.contains("--rating must be up or down"))
    }

    @Test func answersPurgeDeletesOnlyOldRecords() async throws {
        let data = try TestEnvironment.temporaryDirectory("answers-cli")
        let store = try SQLiteStore(directory: data)
        let log = AnswerLog(store: store)
        for (id, age) in [("ans_old", 40.0 * 86_400), ("ans_new", 60.0)] {
            let at = Date().addingTimeInterval(-age)
            log.submit(.answer(AnswerRecord(
                id: id, sessionID: nil, knowledgeBase: "default", assistant: "spotter", promptVersion: "answer@1", question: "q",
                standaloneQuestion: "q", answer: "a", citations: [], model: "offline", grounded: true,
                usage: TokenUsage(promptTokens: 0, completionTokens: 0), costUSD: nil, latencyMilliseconds: 1,
                trace: AnswerTrace(id: "trc_\(id)"), createdAt: at)))
        }
        await log.settle()
        store.close()

        let purge = try spotter(["answers", "purge", "--older-than", "30d", "--json"], data: data)
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(purge.stdout.contains("\"deleted\":1"))
        let reopened = try SQLiteStore(directory: data)
        defer { reopened.close() }
        #expect(try reopened.answer(id: "ans_old") == nil)
        #expect(try reopened.answer(id: "ans_new") != nil)
        let bad = try spotter(["answers", "purge", "--older-than", "soon"], data: data)
        #expect(bad.status != 0 && bad.stderr.contains("--older-than must be an age"))
    }
}
