import Foundation

/// Where sessions, their messages and the record of every answer are kept.
///
/// The store implements it beside the knowledge base (see ``SpotterStore``); a turn (the question, the answer and its record) is
/// written in one transaction, so that history never holds a question without its answer.
public protocol ConversationStore: Sendable {
    /// The session with this id, or nil.
    func session(id: String) throws(StoreError) -> SessionRecord?
    /// The session's messages, oldest first.
    func messages(inSession id: String) throws(StoreError) -> [StoredMessage]
    /// Applies the writes in order, in one transaction (all or none).
    func apply(_ writes: [ConversationWrite]) throws(StoreError)
    /// Deletes a session and its messages; false when there was none.
    @discardableResult
    func deleteSession(id: String) throws(StoreError) -> Bool
    /// One answer's record.
    func answer(id: String) throws(StoreError) -> AnswerRecord?
}

/// A conversation: its knowledge base and assistant, and when it was last used.
@MemberwiseInit
public struct SessionRecord: Sendable, Equatable, Codable {
    public var id: String
    public var knowledgeBase: String
    public var assistant: String
    public var createdAt: Date
    public var updatedAt: Date
    public var tenant: String = Principal.defaultTenant
    /// The user whose conversation it is (nil: the tenant's application, without a user).
    public var userID: String? = nil

    /// When the session expires if it stays idle for `idleTime` seconds.
    public func expiry(idleTime: TimeInterval) -> Date {
        updatedAt.addingTimeInterval(idleTime)
    }
}

/// One message of a session as stored: an assistant message carries its answer id and citations.
@MemberwiseInit @SnakeCaseCodingKeys
public struct StoredMessage: Sendable, Equatable, Codable {
    public var role: ChatRole
    public var content: String
    public var answerID: String?
    public var citations: [Citation] = []
    public var createdAt: Date
}

/// What is kept of every answer: the question, the answer, how it was made and what it cost.
@SnakeCaseCodingKeys
public struct AnswerRecord: Sendable, Equatable, Codable {
    public var id: String
    public var sessionID: String?
    @WireKey("kb") public var knowledgeBase: String
    public var assistant: String
    public var promptVersion: String
    public var question: String
    public var standaloneQuestion: String
    public var answer: String
    public var citations: [Citation]
    public var model: String
    public var grounded: Bool
    public var usage: TokenUsage
    public var costUSD: Double?
    @WireKey("latency_ms") public var latencyMilliseconds: Double
    public var trace: AnswerTrace
    public var createdAt: Date
    /// The tenant the caller belongs to.
    public var tenant: String
    /// The user who asked, when the caller was a person (a token's `sub`); only they see the record.
    public var userID: String?
    /// Every passage retrieval returned for the question, best first, with its score; empty for a cached answer.
    public var retrieved: [RetrievedChunk]
    /// The assistant's variant that wrote it (`control` when the assistant has none).
    public var variant: String
    /// What the input and output checks decided, in the order they ran.
    public var guards: [GuardDecision]
    /// The reply's encodings when it came from the cache, so that the record need not make them again.
    @NotCoded package var replyEncoding: ReplyEncoding?
    /// The API key that asked (for usage by key); nil for a token's or an open server's caller.
    @NotCoded package var keyID: String?
    /// For an answer served from the cache, the tokens and cost its answer took when first written (what the hit
    /// saved); nil for an answer written afresh.
    @NotCoded package var saved: Spending?

    public init(id: String, sessionID: String?, knowledgeBase: String, assistant: String, promptVersion: String,
                question: String, standaloneQuestion: String, answer: String, citations: [Citation], model: String,
                grounded: Bool, usage: TokenUsage, costUSD: Double?, latencyMilliseconds: Double, trace: AnswerTrace,
                createdAt: Date, tenant: String = "default", retrieved: [RetrievedChunk] = [], variant: String = "control",
                guards: [GuardDecision] = []) {
        self.tenant = tenant
        self.guards = guards
        self.variant = variant
        self.retrieved = retrieved
        self.id = id
        self.sessionID = sessionID
        self.knowledgeBase = knowledgeBase
        self.assistant = assistant
        self.promptVersion = promptVersion
        self.question = question
        self.standaloneQuestion = standaloneQuestion
        self.answer = answer
        self.citations = citations
        self.model = model
        self.grounded = grounded
        self.usage = usage
        self.costUSD = costUSD
        self.latencyMilliseconds = latencyMilliseconds
        self.trace = trace
        self.createdAt = createdAt
    }
}

/// One passage retrieval returned for a question: which chunk, and how well it matched.
@MemberwiseInit
public struct RetrievedChunk: Sendable, Equatable, Codable {
    public var chunkID: Int64
    public var documentID: String
    /// Cosine similarity to the question when the dense index found it, else the fused score.
    public var score: Double

    enum CodingKeys: String, CodingKey {
        case score
        case chunkID = "chunk_id"
        case documentID = "document_id"
    }
}

extension RetrievedChunk: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("chunk_id", chunkID)
            json.member("document_id", documentID)
            json.member("score", score)
        }
    }
}
