import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `POST /v1/feedback` and `GET /v1/answers/{id}` over real loopback HTTP, on the chat suite's engine (so that they
/// run in its order and its cached answers do not meet these).
extension ChatHTTPTests {
    static func feedback(_ base: URL, _ json: String) async throws -> HTTPResult {
        try await post(base, "/v1/feedback", json)
    }

    @Test func feedbackIsKeptOncePerAnswerAndUserAndShownWithTheAnswer() async throws {
        try await Self.withChatServer { base, _ in
            let chat = try await Self.post(base, "/v1/chat", #"{"message": "How long should I rest between sets?"}"#)
            let answerID = try #require(chat.json["answer_id"] as? String)

            let first = try await Self.feedback(base, #"{"answer_id": "\#(answerID)", "rating": "up"}"#)
            #expect(first.status == 200)
            #expect((first.json["feedback"] as? [String: Any])?["rating"] as? String == "up")
            #expect(first.json["previous_rating"] is NSNull)
            // The same user again: replaced, not added; the first creation time is kept.
            let again = try await Self.feedback(base, #"{"answer_id": "\#(answerID)", "rating": "down", "comment": "  too vague  "}"#)
            #expect(again.status == 200)
            #expect(again.json["previous_rating"] as? String == "up")
            let stored = try #require(again.json["feedback"] as? [String: Any])
            #expect(stored["comment"] as? String == "too vague")
            #expect(stored["created_at"] as? String == (first.json["feedback"] as? [String: Any])?["created_at"] as? String)
            // Another user adds their own.
            #expect(try await Self.feedback(base, #"{"answer_id": "\#(answerID)", "rating": "up", "user": "u_2"}"#).status == 200)

            let record = try await Loopback.get(base, "/v1/answers/\(answerID)")
            #expect(record.status == 200)
            #expect(record.json["id"] as? String == answerID)
            #expect(record.json["question"] as? String == "How long should I rest between sets?")
            #expect(record.json["answer"] as? String == chat.json["answer"] as? String)
            // The log keeps who asked and what retrieval returned: every cited chunk among the passages returned.
            #expect(record.json["tenant"] as? String == "default")
            let returned = try #require(record.json["retrieved"] as? [[String: Any]]).compactMap { $0["chunk_id"] as? Int }
            let cited = (chat.json["citations"] as? [[String: Any]] ?? []).compactMap { $0["chunk_id"] as? Int }
            #expect(!cited.isEmpty && Set(cited).isSubset(of: Set(returned)))
            let given = try #require(record.json["feedback"] as? [[String: Any]])
            #expect(given.map { $0["user"] as? String } == ["", "u_2"])
            #expect(given.map { $0["rating"] as? String } == ["down", "up"])
        }
    }

    @Test func aThumbsDownOnACachedAnswerEvictsItOnce() async throws {
        try await Self.withChatServer(configure: { $0.cache.enabled = true }) { base, spotter in
            let falseHitsBefore = try #require((try await Loopback.get(base, "/admin/cache")).json["false_hits"] as? Int)
            let question = #"{"message": "What should I eat after a long run?"}"#
            _ = try await Self.post(base, "/v1/chat", question)
            let hit = try await Self.post(base, "/v1/chat", question)
            #expect(hit.json["cached"] as? Bool == true)
            let answerID = try #require(hit.json["answer_id"] as? String)
            let entryID = try #require((hit.json["cache"] as? [String: Any])?["entry_id"] as? String)

            let down = try await Self.feedback(base, #"{"answer_id": "\#(answerID)", "rating": "down", "reason": "wrong"}"#)
            #expect(down.status == 200)
            let cache = try #require(down.json["cache"] as? [String: Any])
            #expect(cache["evicted_entries"] as? [String] == [entryID])
            #expect(cache["false_hit_recorded"] as? Bool == true)
            #expect(try spotter.store.cacheEntry(id: entryID) == nil)
            #expect(try await Self.post(base, "/v1/chat", question).json["cached"] as? Bool == false)

            // Sent again, the thumbs-down changes nothing more: one false hit, not two.
            let repeated = try await Self.feedback(base, #"{"answer_id": "\#(answerID)", "rating": "down", "reason": "wrong"}"#)
            #expect(repeated.status == 200)
            #expect(repeated.json["cache"] is NSNull)
            #expect((try await Loopback.get(base, "/admin/cache")).json["false_hits"] as? Int == falseHitsBefore + 1)
            _ = try spotter.cache.purge(CachePurge(all: true))
        }
    }

    @Test func badFeedbackIsRefusedAndStoresNothing() async throws {
        try await Self.withChatServer { base, _ in
            let chat = try await Self.post(base, "/v1/chat", #"{"message": "Is it fine to train the same muscle two days in a row?"}"#)
            let answerID = try #require(chat.json["answer_id"] as? String)
            let cases: [(String, Int, String)] = [
                (#"{"answer_id": "ans_0000000000000000", "rating": "up"}"#, 404, "unknown_answer"),
                (#"{"answer_id": "\#(answerID)", "rating": "meh"}"#, 422, "invalid_field"),
                (#"{"answer_id": "\#(answerID)", "rating": 1}"#, 422, "invalid_field"),
                (#"{"answer_id": "\#(answerID)"}"#, 422, "invalid_field"),
                (#"{"answer_id": "../etc/passwd", "rating": "up"}"#, 422, "invalid_field"),
                (#"{"answer_id": "\#(answerID)", "rating": "up", "comment": "\#(String(repeating: "x", count: 4_001))"}"#, 422, "invalid_field"),
                (#"{"answer_id": "\#(answerID)", "rating": "up", "stars": 5}"#, 400, "unknown_field"),
                (#"{"answer_id": "\#(answerID)", "rating": "up""#, 400, "malformed_json"),
            ]
            for (body, status, code) in cases {
                let result = try await Self.feedback(base, body)
                #expect(result.status == status, "\(body.prefix(80))")
                #expect(result.errorCode == code, "\(body.prefix(80))")
            }
            let record = try await Loopback.get(base, "/v1/answers/\(answerID)")
            #expect((record.json["feedback"] as? [Any])?.isEmpty == true)
            let unknown = try await Loopback.get(base, "/v1/answers/ans_0000000000000000")
            #expect(unknown.status == 404 && unknown.errorCode == "unknown_answer")
        }
    }
}
