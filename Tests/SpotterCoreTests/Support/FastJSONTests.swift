import Foundation
import SpotterCore
import Testing

/// The hand-written JSON paths of the hot types: the writer must give `JSONEncoder`'s canonical bytes exactly, and the
/// flat reader must read what `JSONDecoder` reads or step aside.
@Suite("Fast JSON")
struct FastJSONTests {
    /// `JSONEncoder` with Spotter's canonical settings, the reference the writer is held to.
    static func reference(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func written(_ value: some JSONWritable) throws -> String {
        String(decoding: try #require(JSONWriter.encode(value)), as: UTF8.self)
    }

    /// Text that needs every kind of escape, and some that needs none: quotes, backslashes, slashes, each control
    /// character, DEL, accents, a non-BMP emoji, a line separator.
    static let awkward = "a \"quoted\" \\ back/slash\u{8}\u{c}\n\r\t\u{0}\u{1}\u{1f}\u{7f} é › 💪 \u{2028} end"

    static let numbers: [Double] = [0, 1, -1, 0.5, 0.1 + 0.2, 1e-7, 3e-5, 1e16, 1e21, -0.0, 123_456.789, 0.55000001192092896, 2.5e-300]

    @Test func answersWriteTheBytesJSONEncoderWrites() throws {
        let trace = AnswerTrace(id: "trc_1", stages: [
            StageRecord(stage: .validate, milliseconds: 0.013, outcome: "assistant spotter, kb default"),
            StageRecord(stage: .cache, milliseconds: 1.5, outcome: Self.awkward, failed: true),
        ], cache: CacheMatch(entryID: "ce_1", matchedQuestion: Self.awkward, similarity: 0.9123, savedTokens: 42, savedCostUSD: nil))
        for (index, number) in Self.numbers.enumerated() {
            let citation = Citation(n: index, documentID: "doc/\(index)", chunkID: Int64(index) - 3, title: Self.awkward,
                                    source: "/data/guides/\(index).md", snippet: "… \(Self.awkward) …", score: number)
            var answer = Answer(answerID: "ans_\(index)", sessionID: index % 2 == 0 ? nil : "ses_\(index)", answer: Self.awkward,
                                citations: [citation, citation], usage: TokenUsage(promptTokens: index, completionTokens: 7, estimated: index % 2 == 0),
                                costUSD: index % 3 == 0 ? nil : number, model: "gpt-4o-mini", cached: index % 2 == 1,
                                grounded: index % 4 != 0, trace: index % 2 == 0 ? AnswerTrace(id: "trc_x") : trace)
            #expect(try Self.written(answer) == Self.reference(answer))
            answer.citations = []
            #expect(try Self.written(answer) == Self.reference(answer))
            #expect(try Self.written(answer.usage) == Self.reference(answer.usage))
        }
        #expect(try Self.written(trace) == Self.reference(trace))
        #expect(try Self.written(AnswerTrace(id: "trc_empty")) == Self.reference(AnswerTrace(id: "trc_empty")))
        // The form an answer record stores: stages as rows, read back as the trace it was.
        #expect(try Self.written(trace.stored) == Self.reference(trace.stored))
        #expect(try Self.written(trace.stored).contains(#"["cache",1.5,"#) && Self.written(trace.stored).hasSuffix(#"",true]]}"#))
        for form in [try Self.written(trace.stored), try Self.written(trace)] {
            #expect(try JSONDecoder().decode(AnswerTrace.self, from: Data(form.utf8)) == trace)
        }
    }

    /// A cached reply's encoding stands in for the answer's citations only while the answer carries exactly the
    /// reply it was made for.
    @Test func aCachedReplysEncodingIsWrittenOnlyForTheReplyItWasMadeFor() throws {
        let citation = Citation(n: 1, documentID: "doc_1", chunkID: 7, title: Self.awkward, source: "/guides/1.md",
                                snippet: "… \(Self.awkward) …", score: 0.5561712980270386)
        var answer = Answer(answerID: "ans_1", sessionID: "ses_1", answer: Self.awkward, citations: [citation, citation],
                            usage: TokenUsage(promptTokens: 0, completionTokens: 0), costUSD: nil, model: "offline",
                            cached: true, grounded: true, trace: AnswerTrace(id: "trc_1"))
        let encoding = try #require(ReplyEncoding(answer: answer.answer, citations: answer.citations))
        #expect(String(decoding: encoding.citationsJSON, as: UTF8.self) == (try Self.reference(answer.citations)))
        #expect(String(decoding: encoding.answerJSON, as: UTF8.self) == (try Self.reference(answer.answer)))
        answer.replyEncoding = encoding
        #expect(try Self.written(answer) == Self.reference(answer))
        // The text changed on the way: the answer's own text is written.
        answer.answer = "Rewritten."
        #expect(try Self.written(answer) == Self.reference(answer))
        answer.answer = Self.awkward
        // Changed on the way (a check that rewrites a snippet, say): the answer's own citations are written.
        answer.citations[1].snippet = "rewritten"
        #expect(try Self.written(answer) == Self.reference(answer))
        answer.citations = []
        #expect(try Self.written(answer) == Self.reference(answer))
        // The encoding is of the whole reply: another text with the same citations is another reply.
        let other = try #require(ReplyEncoding(answer: "Another answer.", citations: [citation, citation]))
        #expect(other.hash != encoding.hash)
        #expect(other.citationsJSON == encoding.citationsJSON)
        // No encoding for citations JSON cannot hold; the usual path then reports it.
        var bad = citation
        bad.score = .nan
        #expect(ReplyEncoding(answer: "a", citations: [bad]) == nil)
    }

    @Test func recordColumnsWriteTheBytesJSONEncoderWrites() throws {
        let guards = [GuardDecision(.input, .passed), GuardDecision(.grounding, .refused, detail: Self.awkward),
                      GuardDecision(.cacheVerification, .passed, detail: "similarity 0.912")]
        #expect(try Self.written(guards) == Self.reference(guards))
        let retrieved = Self.numbers.enumerated().map { RetrievedChunk(chunkID: Int64($0.offset), documentID: "doc_\($0.offset)", score: $0.element) }
        #expect(try Self.written(retrieved) == Self.reference(retrieved))
        let match = CacheMatch(entryID: "ce_2", matchedQuestion: "How long should I rest?", similarity: 1, savedTokens: 0, savedCostUSD: 0.000123)
        #expect(try Self.written(match) == Self.reference(match))
        // CanonicalJSON takes the writer's path for these types and gives the same text.
        #expect(CanonicalJSON.string(guards) == (try Self.reference(guards)))
    }

    @Test func aNumberJSONCannotHoldFailsAsJSONEncoderDoes() throws {
        let usage = RetrievedChunk(chunkID: 1, documentID: "doc", score: .nan)
        #expect(JSONWriter.encode(usage) == nil)
        #expect(throws: (any Error).self) { try CanonicalJSON.data(usage) }
        #expect(CanonicalJSON.string([usage], fallback: "unencodable") == "unencodable")
    }

    // MARK: The flat reader

    static func decoded(_ body: String) throws -> [String: FlatJSONObject.Value] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        return object.mapValues { value in
            if let text = value as? String { return .string(text) }
            return .bool(value as! Bool)
        }
    }

    @Test func theFlatReaderReadsWhatJSONSerializationReads() throws {
        let bodies = [
            #"{"message": "How much protein do I need?"}"#,
            #"  {"message":"x","session_id":"ses_1","stream":true,"cache":false}  "#,
            "{\n\t\"message\" : \"two\\nlines \\\"quoted\\\" back\\\\slash \\/ \\b\\f\\r\\t\",\r\n \"kb\": \"default\" }",
            #"{"message": "\u00e9\u203a \ud83d\udcaa \u0000 é 💪", "user": "\u0041"}"#,
            #"{"message": ""}"#,
            "{}",
        ]
        for body in bodies {
            let read = try #require(FlatJSONObject.parse(Array(body.utf8)), "\(body)")
            #expect(read == (try Self.decoded(body)), "\(body)")
        }
        #expect(FlatJSONObject.parse(Array(#"{"message": "\ud83d\udcaa"}"#.utf8))?["message"] == .string("💪"))
    }

    @Test func theFlatReaderStepsAsideForAnythingElse() {
        let declined = [
            "", "[]", "\"text\"", "{", #"{"message": 3}"#, #"{"message": null}"#, #"{"message": "a", "filters": {"x": "y"}}"#,
            #"{"message": ["a"]}"#, #"{"message": "a", "message": "b"}"#, #"{"mess\u0061ge": "a"}"#, #"{"message": "a",}"#,
            #"{"message": "a"} x"#, #"{"message" "a"}"#, #"{"message": "\x"}"#, #"{"message": "\ud83d"}"#, #"{"message": "\udcaa"}"#,
            #"{"message": "\u12G4"}"#, "{\"message\": \"raw\ttab\"}", #"{"message": tru}"#, #"{"message": "unterminated}"#,
            #"{message: "a"}"#,
        ]
        for body in declined {
            #expect(FlatJSONObject.parse(Array(body.utf8)) == nil, "\(body)")
        }
    }

    // MARK: Identifiers

    @Test func identifiersAreDistinctHexadecimalAcrossManyRefills() {
        // 3,000 ids in the same millisecond: the random pool (512 draws) is refilled several times.
        let now = Date()
        let ids = (0..<3_000).map { _ in Identifier.make("ans", now: now) }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(600) {
            #expect(id.hasPrefix("ans_") && id.count == 4 + 12 + 16)
            #expect(id.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
        }
        // The time part is shared; after it the bits are random, not a counter.
        #expect(Set(ids.map { $0.dropFirst(4).prefix(12) }).count == 1)
        #expect(Set(ids.map { $0.dropFirst(16).prefix(2) }).count > 200)
    }

    @Test func identifiersMadeLaterSortLater() {
        // So that new rows land at the end of a key index rather than on a random page of it.
        let start = Date(timeIntervalSince1970: 1_765_000_000)
        let times = (0..<500).map { start.addingTimeInterval(Double($0) * 0.0017) }
        let ids = times.map { Identifier.make("ses", now: $0) }
        #expect(ids == ids.sorted())
        #expect(Identifier.make("ses", now: start).dropFirst(4).prefix(12) == "019af232b200")  // 1,765,000,000,000 ms
        // Before 1970 the time part is zero rather than a crash.
        #expect(Identifier.make("x", now: Date(timeIntervalSince1970: -5)).dropFirst(2).prefix(12) == "000000000000")
    }
}
