import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// A store backend under test: how to open a new, empty one. A second backend (PostgreSQL) is added to ``all`` and
/// every test below runs on it unchanged.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let open: @Sendable () throws -> any SpotterStore

    var testDescription: String { name }

    static let all: [StoreBackend] = [
        StoreBackend(name: "SQLite") { try SQLiteStore(directory: try TestEnvironment.temporaryDirectory()) },
    ]
}

/// What every ``SpotterStore`` must do, written against the protocols only.
@Suite("Store conformance")
struct StoreConformanceTests {
    private func chunk(_ ordinal: Int, _ text: String, vector: [Float] = [1, 0, 0]) -> NewChunk {
        NewChunk(ordinal: ordinal, text: text, contextualText: text, headingPath: ["Section"], tokenCount: 3,
                 startOffset: 0, endOffset: text.count, embedding: vector, modelID: "test-model", modelVersion: "v1")
    }

    private func record(_ id: String, session: String?, at date: Date = Date()) -> AnswerRecord {
        AnswerRecord(id: id, sessionID: session, knowledgeBase: "default", assistant: "spotter", promptVersion: "answer@1",
                     question: "question \(id)", standaloneQuestion: "question \(id)", answer: "answer \(id)", citations: [],
                     model: "offline", grounded: true, usage: TokenUsage(promptTokens: 3, completionTokens: 5), costUSD: nil,
                     latencyMilliseconds: 1, trace: AnswerTrace(id: "trc_\(id)"), createdAt: date)
    }

    @Test(arguments: StoreBackend.all) func replacingADocumentSwapsAllItsChunksAndKeepsItsID(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let kb = try #require(try store.knowledgeBase(named: "kb", create: true))
        let document = NewDocument(sourceURI: "/docs/a.md", title: "A", contentSHA256: "hash1", metadata: ["level": .string("beginner")])
        let firstID = try store.replaceDocument(document, chunks: [chunk(0, "squat depth"), chunk(1, "bench press")], in: kb)
        #expect(try store.documents(in: kb).map(\.chunkCount) == [2])

        var changed = document
        changed.contentSHA256 = "hash2"
        let secondID = try store.replaceDocument(changed, chunks: [chunk(0, "deadlift hinge")], in: kb)
        #expect(firstID == secondID)
        let listed = try store.documents(in: kb)
        #expect(listed.count == 1)
        #expect(listed[0].chunkCount == 1)
        #expect(listed[0].contentSHA256 == "hash2")
        #expect(listed[0].metadata["level"] == .string("beginner"))
        // The keyword index follows: the old chunk's words are gone, the new ones are found.
        #expect(try store.keywordSearch("\"squat\"", in: kb, documentIDs: nil, limit: 10).isEmpty)
        #expect(try store.keywordSearch("\"deadlift\"", in: kb, documentIDs: nil, limit: 10).count == 1)
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test(arguments: StoreBackend.all) func deletingADocumentRemovesChunksEmbeddingsAndKeywordEntries(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let kb = try #require(try store.knowledgeBase(named: "kb", create: true))
        let id = try store.replaceDocument(NewDocument(sourceURI: "s", title: "T", contentSHA256: "h", metadata: [:]),
                                           chunks: [chunk(0, "kettlebell swing")], in: kb)
        let before = try store.generation(of: kb)
        #expect(try store.deleteDocument(id: id, tenant: "default"))
        #expect(try store.generation(of: kb) > before)
        #expect(try !store.deleteDocument(id: id, tenant: "default"))
        #expect(try store.documents(in: kb).isEmpty)
        #expect(try store.embeddings(in: kb, modelID: "test-model", modelVersion: "v1").isEmpty)
        #expect(try store.keywordSearch("\"kettlebell\"", in: kb, documentIDs: nil, limit: 10).isEmpty)
    }

    @Test(arguments: StoreBackend.all) func embeddingsRoundTripExactlyAndAreScopedByModelVersion(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let kb = try #require(try store.knowledgeBase(named: "kb", create: true))
        let vector: [Float] = [0.25, -1.5, .leastNonzeroMagnitude, 3.0e-8]
        try store.replaceDocument(NewDocument(sourceURI: "s", title: "T", contentSHA256: "h", metadata: [:]),
                                  chunks: [chunk(0, "text", vector: vector)], in: kb)
        #expect(try store.embeddings(in: kb, modelID: "test-model", modelVersion: "v1").map(\.vector) == [vector])
        #expect(try store.embeddings(in: kb, modelID: "test-model", modelVersion: "v2").isEmpty)
    }

    @Test(arguments: StoreBackend.all) func knowledgeBasesAreSeparate(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let first = try #require(try store.knowledgeBase(named: "one", create: true))
        let second = try #require(try store.knowledgeBase(named: "two", create: true))
        try store.replaceDocument(NewDocument(sourceURI: "s", title: "T", contentSHA256: "h", metadata: [:]),
                                  chunks: [chunk(0, "rowing machine")], in: first)
        #expect(try store.keywordSearch("\"rowing\"", in: second, documentIDs: nil, limit: 10).isEmpty)
        #expect(try store.knowledgeBase(named: "three", create: false) == nil)
        #expect(try store.knowledgeBases().map(\.name) == ["one", "two"])
    }

    @Test(arguments: StoreBackend.all) func aTurnIsStoredWholeAndTheSessionReadsBackInOrder(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let now = Date()
        for (index, id) in ["ans_1", "ans_2"].enumerated() {
            let at = now.addingTimeInterval(Double(index))
            try store.apply([.turn(record(id, session: "ses_a", at: at),
                                   question: StoredMessage(role: .user, content: "question \(id)", createdAt: at),
                                   reply: StoredMessage(role: .assistant, content: "answer \(id)", answerID: id, createdAt: at))])
        }
        #expect(try store.session(id: "ses_a")?.knowledgeBase == "default")
        #expect(try store.messages(inSession: "ses_a").map(\.content) == ["question ans_1", "answer ans_1", "question ans_2", "answer ans_2"])
        #expect(try store.answer(id: "ans_2")?.standaloneQuestion == "question ans_2")
        #expect(try store.deleteSession(id: "ses_a"))
        #expect(try store.session(id: "ses_a") == nil)
        #expect(try !store.deleteSession(id: "ses_a"))
        // The answer records outlive the session; retention removes them.
        #expect(try store.answer(id: "ans_1") != nil)
        #expect(try store.deleteAnswers(before: now.addingTimeInterval(60)) == 2)
        #expect(try store.answer(id: "ans_1") == nil)
    }

    @Test(arguments: StoreBackend.all) func aUsersNewFeedbackReplacesTheirOldAndReportsIt(_ backend: StoreBackend) throws {
        let store = try backend.open()
        try store.apply([.answer(record("ans_f", session: nil))])
        let first = try store.saveFeedback(Feedback(answerID: "ans_f", user: "u1", rating: .up, createdAt: Date(), updatedAt: Date()))
        #expect(first.previous == nil)
        let second = try store.saveFeedback(Feedback(answerID: "ans_f", user: "u1", rating: .down, comment: "wrong",
                                                     createdAt: Date(), updatedAt: Date()))
        #expect(second.previous == .up)
        _ = try store.saveFeedback(Feedback(answerID: "ans_f", user: "u2", rating: .up, createdAt: Date(), updatedAt: Date()))
        let stored = try store.feedback(answerID: "ans_f")
        #expect(stored.map(\.user) == ["u1", "u2"])
        #expect(stored.first?.rating == .down && stored.first?.comment == "wrong")
    }

    @Test(arguments: StoreBackend.all) func promotingTheStandbyAndRollingBackSwapTheRoles(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let blue = EmbeddingModelRecord(directory: "/models/blue", modelID: "m", modelVersion: "1")
        let green = EmbeddingModelRecord(directory: "/models/green", modelID: "m", modelVersion: "2")
        #expect(try store.embeddingModel(.active) == nil)
        #expect(try store.promoteStandbyModel(current: blue) == nil)
        try store.setEmbeddingModel(green, as: .standby)
        #expect(try store.promoteStandbyModel(current: blue)?.tag == "m@2")
        #expect(try store.embeddingModel(.active)?.tag == "m@2")
        #expect(try store.embeddingModel(.previous)?.tag == "m@1")
        #expect(try store.embeddingModel(.standby) == nil)
        #expect(try store.rollbackEmbeddingModel()?.tag == "m@1")
        #expect(try store.embeddingModel(.active)?.tag == "m@1")
    }

    @Test(arguments: StoreBackend.all) func aReindexFillsTheChunksWithoutAVectorFromTheNewModel(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let kb = try #require(try store.knowledgeBase(named: "kb", create: true))
        try store.replaceDocument(NewDocument(sourceURI: "s", title: "T", contentSHA256: "h", metadata: [:]),
                                  chunks: [chunk(0, "squat"), chunk(1, "lunge")], in: kb)
        let missing = try store.chunksWithoutEmbedding(in: kb, modelID: "next", modelVersion: "1", limit: 10)
        #expect(missing.map(\.text) == ["squat", "lunge"])
        try store.addEmbeddings([(missing[0].id, [0, 1, 0])], modelID: "next", modelVersion: "1")
        #expect(try store.embeddingCoverage(in: kb, modelID: "next", modelVersion: "1") == (embedded: 1, chunks: 2))
        #expect(try store.chunksWithoutEmbedding(in: kb, modelID: "next", modelVersion: "1", limit: 10).map(\.id) == [missing[1].id])
        #expect(try store.embeddings(in: kb, modelID: "test-model", modelVersion: "v1").count == 2)
    }

    @Test(arguments: StoreBackend.all) func aRolledBackVariantIsRememberedUntilCleared(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let rollback = VariantRollback(assistant: "coach", variant: "canary", reason: "more thumbs-down", at: Date(timeIntervalSince1970: 1_800_000_000))
        try store.saveVariantRollback(rollback)
        #expect(try store.variantRollbacks() == [rollback])
        #expect(try store.clearVariantRollback(assistant: "coach", variant: "canary"))
        #expect(try store.variantRollbacks().isEmpty)
        #expect(try !store.clearVariantRollback(assistant: "coach", variant: "canary"))
    }

    @Test(arguments: StoreBackend.all) func anAPIKeyIsFoundByItsHashUntilRevokedAndListedPerTenant(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let key = APIKeyRecord(id: "key_a", name: "app", tenant: "acme", scopes: [.chat, .admin], requestsPerMinute: 60,
                               tokensPerMinute: nil, createdAt: created)
        try store.insertAPIKey(key, hash: "hash-a")
        try store.insertAPIKey(APIKeyRecord(id: "key_b", tenant: "other", scopes: [.ingest], createdAt: created.addingTimeInterval(1)), hash: "hash-b")
        #expect(try store.activeAPIKey(hash: "hash-a") == key)
        #expect(try store.activeAPIKey(hash: "hash-x") == nil)
        #expect(try store.apiKeys(tenant: "acme").map(\.id) == ["key_a"])
        #expect(try store.apiKeys(tenant: nil).map(\.id) == ["key_a", "key_b"])
        // The same hash twice is refused: one stored hash stands for one key.
        #expect(throws: StoreError.self) { try store.insertAPIKey(APIKeyRecord(id: "key_c", tenant: "acme", scopes: [.chat], createdAt: created), hash: "hash-a") }
        try store.touchAPIKey(id: "key_a", at: created.addingTimeInterval(5))
        #expect(try store.activeAPIKey(hash: "hash-a")?.lastUsedAt == created.addingTimeInterval(5))
        #expect(try store.revokeAPIKey(id: "key_a", at: created.addingTimeInterval(9)))
        #expect(try store.revokeAPIKey(id: "key_a", at: created.addingTimeInterval(10)) == false)
        #expect(try store.activeAPIKey(hash: "hash-a") == nil)
        #expect(try store.apiKeys(tenant: "acme").first?.revokedAt == created.addingTimeInterval(9))
        store.close()
    }

    @Test(arguments: StoreBackend.all) func theStoreAnswersItsOwnHealthChecks(_ backend: StoreBackend) throws {
        let store = try backend.open()
        try store.ping()
        #expect(try store.integrityProblems().isEmpty)
        _ = try store.knowledgeBase(named: "kb", create: true)
        #expect(try store.contentCounts().map(\.knowledgeBase.name) == ["kb"])
    }
}
