import Foundation
import SpotterCore
import Testing

/// What `@MemberwiseInit` and `@SnakeCaseCodingKeys` generate, seen from outside the module as the server and the
/// CLI see it: the keys on the wire, the nulls, the exceptions and the initialiser's defaults.
@Suite struct DeclarationMacroTests {
    @MemberwiseInit @SnakeCaseCodingKeys(writesNulls: true)
    struct Written: Codable, Equatable {
        var entryID: String
        var savedCostUSD: Double?
        var urlPath: String = "/"
        var p50: Int = 0
        @WireKey("kb") var knowledgeBase: String
        @NotCoded var scratch: [Int] = []
        var total: Int { p50 + 1 }
    }

    @SnakeCaseCodingKeys
    struct Omitting: Codable, Equatable {
        var answerID: String?
        var hitCount: Int
    }

    private static func object(_ value: some Encodable) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any])
    }

    @Test func keysAreSnakeCaseWithAcronymsWholeAndTheNamedExceptions() throws {
        let value = Written(entryID: "e1", urlPath: "/a", p50: 3, knowledgeBase: "docs", scratch: [1])
        let object = try Self.object(value)
        #expect(Set(object.keys) == ["entry_id", "saved_cost_usd", "url_path", "p50", "kb"])
        #expect(object["saved_cost_usd"] is NSNull, "writesNulls puts an absent optional down as null")
        #expect(object["kb"] as? String == "docs")
    }

    @Test func aNotCodedPropertyIsNeitherWrittenNorRead() throws {
        let value = Written(entryID: "e1", knowledgeBase: "docs", scratch: [1, 2])
        let decoded = try JSONDecoder().decode(Written.self, from: JSONEncoder().encode(value))
        #expect(decoded.scratch == [])
        #expect(decoded.entryID == "e1" && decoded.savedCostUSD == nil && decoded.urlPath == "/" && decoded.knowledgeBase == "docs")
    }

    @Test func theInitialiserTakesThePropertiesDefaults() {
        let value = Written(entryID: "e1", knowledgeBase: "docs")
        #expect(value == Written(entryID: "e1", savedCostUSD: nil, urlPath: "/", p50: 0, knowledgeBase: "docs", scratch: []))
    }

    @Test func withoutWritesNullsAnAbsentOptionalIsLeftOut() throws {
        let object = try Self.object(Omitting(answerID: nil, hitCount: 2))
        #expect(Set(object.keys) == ["hit_count"])
        let decoded = try JSONDecoder().decode(Omitting.self, from: Data(#"{"answer_id":"a1","hit_count":4}"#.utf8))
        #expect(decoded == Omitting(answerID: "a1", hitCount: 4))
    }
}
