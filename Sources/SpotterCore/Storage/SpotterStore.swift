import Foundation

/// Everything the engine keeps, as one backend provides it: the knowledge bases (``Store``), conversations and
/// answer records, feedback, the semantic cache, the embedding models' roles, the variants' outcomes and the API
/// keys.
///
/// The engine and its shells hold an `any SpotterStore`; only ``Spotter/openStore(_:)`` names the backend
/// (``SQLiteStore`` today), so a PostgreSQL one can be added beside it without touching the services. The
/// conformance suite in `Tests/SpotterCoreTests/Storage/StoreConformanceTests.swift` states what a backend must do.
///
/// ```swift
/// let store = try Spotter.openStore(configuration)
/// defer { store.close() }
/// let bases = try store.knowledgeBases()
/// ```
public protocol SpotterStore: Store, ConversationStore, FeedbackStore, CacheStore, EmbeddingModelStore, VariantStore,
    APIKeyStore, TenantStore, AuditStore, PersonalDataStore {
    /// Whether the store's text is sealed (``DataCipher``), and under which data key.
    var encryption: EncryptionState { get throws(StoreError) }
    /// Documents and chunks per knowledge base (for the metrics).
    func contentCounts() throws(StoreError) -> [(knowledgeBase: KnowledgeBase, documents: Int, chunks: Int)]
    /// The backend's own consistency checks; the problems found, empty when the store is sound.
    func integrityProblems() throws(StoreError) -> [String]
    /// Deletes answer records older than `date` (with the feedback on them), `batch` at a time; how many went.
    func deleteAnswers(before date: Date, batch: Int) throws(StoreError) -> Int
    /// Questions answered "not covered" since `date`, newest first, at most `limit`; one tenant's, or every one's
    /// when `tenant` is nil.
    func unansweredQuestions(since date: Date, tenant: String?, knowledgeBase: String?, limit: Int) throws(StoreError) -> [UnansweredQuestion]
    /// Rated answers with their questions and passages, for export and evaluation.
    func feedbackExamples(since date: Date?, rating: Rating?) throws(StoreError) -> [FeedbackExample]
    /// Stores evaluation scores against the answers they judge.
    func recordAnswerScores(_ scores: [(answerID: String, faithfulness: Double)], method: String, at date: Date) throws(StoreError)
    /// Writes what is pending and releases the store; later calls fail with a store error.
    func close()
}

extension SpotterStore {
    public func deleteAnswers(before date: Date) throws(StoreError) -> Int { try deleteAnswers(before: date, batch: 5_000) }

    public func unansweredQuestions(since date: Date, tenant: String? = nil, knowledgeBase: String? = nil) throws(StoreError) -> [UnansweredQuestion] {
        try unansweredQuestions(since: date, tenant: tenant, knowledgeBase: knowledgeBase, limit: 5_000)
    }

    public func feedbackExamples(since date: Date?) throws(StoreError) -> [FeedbackExample] {
        try feedbackExamples(since: date, rating: nil)
    }

    public func recordAnswerScores(_ scores: [(answerID: String, faithfulness: Double)], method: String) throws(StoreError) {
        try recordAnswerScores(scores, method: method, at: Date())
    }
}

/// Which embedding model serves, which waits as the standby of a blue-green migration, and the vectors a reindex
/// adds beside the serving ones.
public protocol EmbeddingModelStore: Sendable {
    /// The model in `role`, or nil.
    func embeddingModel(_ role: EmbeddingModelRole) throws(StoreError) -> EmbeddingModelRecord?
    func setEmbeddingModel(_ model: EmbeddingModelRecord, as role: EmbeddingModelRole) throws(StoreError)
    /// Makes the standby active (the active one becomes previous) in one transaction; the new active model, or nil
    /// without a standby.
    func promoteStandbyModel(current: EmbeddingModelRecord) throws(StoreError) -> EmbeddingModelRecord?
    /// Swaps the previous model back in; the new active model, or nil without a previous one.
    func rollbackEmbeddingModel() throws(StoreError) -> EmbeddingModelRecord?
    /// Chunks with no vector from this model yet, by id, at most `limit`.
    func chunksWithoutEmbedding(in knowledgeBase: KnowledgeBase, modelID: String, modelVersion: String,
                                limit: Int) throws(StoreError) -> [(id: Int64, text: String)]
    /// Chunks of the knowledge base, and how many have a vector from this model.
    func embeddingCoverage(in knowledgeBase: KnowledgeBase, modelID: String, modelVersion: String) throws(StoreError) -> (embedded: Int, chunks: Int)
    /// Adds vectors from a model beside the chunks' others (a chunk deleted meanwhile is skipped).
    func addEmbeddings(_ vectors: [(chunkID: Int64, vector: [Float])], modelID: String, modelVersion: String) throws(StoreError)
}

/// What the variant router remembers: canaries rolled back, and each variant's outcomes.
public protocol VariantStore: Sendable {
    func variantRollbacks() throws(StoreError) -> [VariantRollback]
    func saveVariantRollback(_ rollback: VariantRollback) throws(StoreError)
    /// Forgets a rollback; false when there was none.
    func clearVariantRollback(assistant: String, variant: String) throws(StoreError) -> Bool
    /// Per assistant and variant, the answers and ratings since `date`.
    func variantTallies(since date: Date) throws(StoreError) -> [VariantTally]
}

extension SQLiteStore: SpotterStore {}
