import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// Every wire type writes exactly the members its schema in `openapi.json` names: none the document leaves out, none
/// it lists that the type never writes. Samples fill every optional, so an absent key means the type cannot write it.
/// (What the routes really answer is checked against the schemas in `OpenAPITests`.)
@Suite("Wire types against their schemas")
struct WireTypeSchemaTests {
    static var document: [String: Any] {
        let url = TestEnvironment.packageRoot.appendingPathComponent("Sources/SpotterServer/API/openapi.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any] ?? [:]
    }

    static func properties(_ schema: String) -> Set<String> {
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let object = schemas?[schema] as? [String: Any]
        return Set((object?["properties"] as? [String: Any] ?? [:]).keys)
    }

    static func keys(_ value: some Encodable) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: try CanonicalJSON.data(value)) as? [String: Any]
        return Set(try #require(object).keys)
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let citation = Citation(n: 1, documentID: "doc_1", chunkID: 7, title: "Rest", source: "guides/rest.md", snippet: "Rest 2 minutes.", score: 0.8)

    static let usageRow = UsageRow(tenant: "acme", group: "key_1", requests: 3, cacheHits: 1, promptTokens: 200, completionTokens: 40,
                                   costUSD: 0.001, savedTokens: 100, savedUSD: 0.0005)

    static let auditEntry = AuditEntry(sequence: 1, at: now, actor: "key_1", tenant: "acme", action: "cache.purged", target: "all",
                                       detail: ["purged": "2"], previousHash: AuditLog.firstPreviousHash, hash: AuditLog.firstPreviousHash)

    /// (schema, keys the Swift type writes or accepts).
    static func samples() throws -> [(schema: String, keys: Set<String>)] {
        let request = ChatRequest(message: "How long should I rest?", sessionID: "ses_1", kb: "default", filters: ["level": .one("beginner")],
                                  stream: true, assistant: "coach", cache: false, variant: "a", user: "u1")
        let message = StoredMessage(role: .assistant, content: "Two minutes.", answerID: "ans_1", citations: [citation], createdAt: now)
        return [
            ("ChatRequest", try keys(request)),
            ("ChatRequest", ChatRequest.allowedKeys),
            ("FeedbackRequest", FeedbackRequest.allowedKeys),
            ("ChatTokenEvent", try keys(ChatTokenEvent(text: "Two"))),
            ("ChatCitationsEvent", try keys(ChatCitationsEvent(citations: [citation]))),
            ("Citation", try keys(citation)),
            ("Error", try keys(ErrorEnvelope(error: .init(code: "invalid_field", message: "message: must not be empty")))),
            ("SessionMessage", try keys(message)),
            ("Session", try keys(SessionView(sessionID: "ses_1", kb: "default", assistant: "coach", createdAt: now, updatedAt: now,
                                             expiresAt: now, messages: [message]))),
            ("Readiness", try keys(Readiness(status: "ready", model: "all-MiniLM-L6-v2", modelVersion: "53aa5172", knowledgeBases: ["default"]))),
            ("DocumentList", try keys(DocumentList(knowledgeBase: "default", documents: []))),
            ("RefreshReply", try keys(RefreshReply(refresh: nil))),
            ("ModelList", try keys(ModelList(data: [.init(id: "coach", created: 0, description: "The coach")]))),
            ("UsageRow", try keys(Self.usageRow)),
            ("AuditEntry", try keys(Self.auditEntry)),
            ("AuditPage", try keys(AuditPage(entries: [Self.auditEntry], nextAfter: nil))),
            ("UsageReport", try keys(UsageReply(since: now, by: .key, usage: [Self.usageRow]))),
            ("PersonalDataExport", try keys(PersonalDataExportView(PersonalDataExport(user: "u1", tenant: "acme", exportedAt: now,
                                                                                      sessions: [], answers: [], feedback: [], cachedAnswers: [])))),
            ("ExportedSession", try keys(ExportedSession(id: "ses_1", knowledgeBase: "default", assistant: "coach", createdAt: now,
                                                         updatedAt: now, messages: [message]))),
            ("ExportedCachedAnswer", try keys(ExportedCachedAnswer(id: "ce_1", knowledgeBase: "default", question: "q", answer: "a", createdAt: now))),
            ("PersonalDataErasure", try keys(PersonalDataErasure(user: "u1", tenant: "acme", sessions: 1, messages: 2, answers: 1, feedback: 0,
                                                                 cachedAnswers: 1, falseHits: 0, logTruncated: true))),
            ("CacheMatch", try keys(CacheMatch(entryID: "ce_1", matchedQuestion: "q", similarity: 0.9, savedTokens: 10, savedCostUSD: nil))),
        ]
    }

    @Test func everyWireTypeWritesExactlyItsSchemasMembers() throws {
        #expect(!Self.document.isEmpty, "openapi.json was not read")
        for (schema, keys) in try Self.samples() {
            let documented = Self.properties(schema)
            #expect(!documented.isEmpty, "the document has no schema \(schema) with properties")
            #expect(keys.subtracting(documented).sorted() == [], "\(schema): written but not documented")
            #expect(documented.subtracting(keys).sorted() == [], "\(schema): documented but never written")
        }
    }

    /// The audit actions the document lists are the ones the code records.
    @Test func theAuditActionsAreDocumented() throws {
        let schemas = (Self.document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let action = ((schemas?["AuditEntry"] as? [String: Any])?["properties"] as? [String: Any])?["action"] as? [String: Any]
        #expect(Set(action?["enum"] as? [String] ?? []) == Set(AuditAction.allCases.map(\.rawValue)))
    }

    @Test func theModelListsEntriesMatchTheirSchema() throws {
        let schemas = (Self.document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let data = ((schemas?["ModelList"] as? [String: Any])?["properties"] as? [String: Any])?["data"] as? [String: Any]
        let entry = Set(((data?["items"] as? [String: Any])?["properties"] as? [String: Any] ?? [:]).keys)
        #expect(try Self.keys(ModelList.Model(id: "coach", created: 0, description: "The coach")) == entry)
    }
}
