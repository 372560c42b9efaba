import Foundation

/// A question to the assistant, from `POST /v1/chat`, the OpenAI-compatible endpoint or `spotter chat`.
public struct AnswerRequest: Sendable {
    public var message: String
    /// The conversation to continue (created when unknown); nil starts a new one.
    public var sessionID: String?
    /// Earlier turns supplied by the client (OpenAI-style requests carry the whole conversation); when set, no
    /// session is stored and `sessionID` is ignored.
    public var history: [ChatMessage]?
    public var knowledgeBase: String?
    public var filters: [MetadataFilter]
    /// The assistant configuration (see ``AssistantCatalog``); nil is the default one.
    public var assistant: String?
    public var temperature: Double?
    public var maxTokens: Int?
    /// The caller's end-user id, passed upstream.
    public var user: String?
    /// The id of the HTTP request or CLI call, for logs.
    public var requestID: String?
    /// Who asks: the knowledge base, the session and the cache are this tenant's, the session is this user's, and
    /// retrieval trims the documents the reader may not read.
    public var reader: Reader
    /// Keeps the request's cached answers apart from the rest of its tenant's (the cache benchmark's pairs each use
    /// one, and purge it afterwards): the cache scope's tenant becomes `tenant/partition`.
    package var cachePartition: String? = nil
    /// False skips the semantic cache both ways: no cached answer is served and the new one is not stored.
    /// The assistant's variant to use, instead of the sticky assignment (for testing a variant).
    public var variant: String?
    public var useCache: Bool
    /// The rate-limit buckets the answer's tokens are charged to, and the key recorded with it; nil charges none.
    public var caller: RateLimitedCaller? = nil

    public init(message: String, sessionID: String? = nil, history: [ChatMessage]? = nil, knowledgeBase: String? = nil,
                filters: [MetadataFilter] = [], assistant: String? = nil, temperature: Double? = nil,
                maxTokens: Int? = nil, user: String? = nil, requestID: String? = nil,
                reader: Reader = .operating(Principal.defaultTenant), useCache: Bool = true, variant: String? = nil) {
        self.variant = variant
        self.reader = reader
        self.useCache = useCache
        self.message = message
        self.sessionID = sessionID
        self.history = history
        self.knowledgeBase = knowledgeBase
        self.filters = filters
        self.assistant = assistant
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.user = user
        self.requestID = requestID
    }
}

/// A source of an answer: the passage numbered `n` in the prompt and in the answer's `[n]` markers.
@MemberwiseInit
public struct Citation: Sendable, Equatable, Codable {
    public var n: Int
    public var documentID: String
    public var chunkID: Int64
    public var title: String
    public var source: String
    public var snippet: String
    public var score: Double

    enum CodingKeys: String, CodingKey {
        case n, title, source, snippet, score
        case documentID = "document_id"
        case chunkID = "chunk_id"
    }
}

/// The moment an answer starts: the ids a client needs before the first token.
public struct AnswerStart: Sendable, Equatable {
    public var answerID: String
    /// nil for stateless requests (client-supplied history).
    public var sessionID: String?
    public var traceID: String
}

/// A finished answer, as `POST /v1/chat` returns it and the `done` event carries it.
public struct Answer: Sendable, Equatable, Codable {
    public var answerID: String
    public var sessionID: String?
    public var answer: String
    public var citations: [Citation]
    public var usage: TokenUsage
    public var costUSD: Double?
    /// The model that wrote the answer (`offline` for the extractive answerer).
    public var model: String
    public var cached: Bool
    /// False when the knowledge base had nothing relevant enough and the answer says so.
    public var grounded: Bool
    public var traceID: String
    /// For a cached answer: the question it was written for, the similarity, and the tokens and cost saved.
    public var cache: CacheMatch?
    /// The stages and their timings; left out of the chat response, kept in the answer record.
    public var trace: AnswerTrace
    /// The reply's encodings when it came from the cache: the response writes its citations from them.
    package var replyEncoding: ReplyEncoding?

    enum CodingKeys: String, CodingKey {
        case answer, citations, usage, model, cached, grounded, cache
        case answerID = "answer_id"
        case sessionID = "session_id"
        case costUSD = "cost_usd"
        case traceID = "trace_id"
    }

    public init(answerID: String, sessionID: String?, answer: String, citations: [Citation], usage: TokenUsage,
                costUSD: Double?, model: String, cached: Bool, grounded: Bool, trace: AnswerTrace) {
        self.answerID = answerID
        self.sessionID = sessionID
        self.answer = answer
        self.citations = citations
        self.usage = usage
        self.costUSD = costUSD
        self.model = model
        self.cached = cached
        self.grounded = grounded
        self.traceID = trace.id
        self.cache = trace.cache
        self.trace = trace
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        answerID = try container.decode(String.self, forKey: .answerID)
        sessionID = try container.decodeIfPresent(String.self, forKey: .sessionID)
        answer = try container.decode(String.self, forKey: .answer)
        citations = try container.decode([Citation].self, forKey: .citations)
        usage = try container.decode(TokenUsage.self, forKey: .usage)
        costUSD = try container.decodeIfPresent(Double.self, forKey: .costUSD)
        model = try container.decode(String.self, forKey: .model)
        cached = try container.decode(Bool.self, forKey: .cached)
        grounded = try container.decode(Bool.self, forKey: .grounded)
        traceID = try container.decode(String.self, forKey: .traceID)
        cache = try container.decodeIfPresent(CacheMatch.self, forKey: .cache)
        trace = AnswerTrace(id: traceID, cache: cache)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(answerID, forKey: .answerID)
        // Explicit nulls: clients see every field of the documented shape.
        try container.encode(sessionID, forKey: .sessionID)
        try container.encode(answer, forKey: .answer)
        try container.encode(citations, forKey: .citations)
        try container.encode(usage, forKey: .usage)
        try container.encode(costUSD, forKey: .costUSD)
        try container.encode(model, forKey: .model)
        try container.encode(cached, forKey: .cached)
        try container.encode(grounded, forKey: .grounded)
        try container.encode(traceID, forKey: .traceID)
        try container.encode(cache, forKey: .cache)
    }
}

/// One step of a streamed answer.
public enum AnswerEvent: Sendable, Equatable {
    case started(AnswerStart)
    /// The next piece of the answer's text.
    case token(String)
    /// The passages the answer cites, once the text is complete.
    case citations([Citation])
    case done(Answer)
}

/// Why a question could not be answered.
public enum AnswerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request itself is wrong (the field, what is wrong with it).
    case invalidRequest(field: String, reason: String)
    case messageTooLong(length: Int, maximum: Int)
    case unknownAssistant(String, available: [String])
    case search(SearchError)
    /// The model failed before writing anything, and no fallback could answer.
    case generation(ChatModelError)
    case store(StoreError)
    case cancelled
    /// The tenant's daily budget is spent and its answers are blocked until the next UTC day.
    case budgetExhausted(String)

    public var description: String {
        switch self {
        case .invalidRequest(let field, let reason): return "\(field): \(reason)"
        case .messageTooLong(let length, let maximum):
            return "message is \(length) characters long; the limit is \(maximum) (SPOTTER_MAX_MESSAGE_CHARS)"
        case .unknownAssistant(let name, let available):
            return "no assistant named '\(name)' (available: \(available.joined(separator: ", ")))"
        case .search(let error): return error.description
        case .generation(let error): return error.description
        case .store(let error): return error.description
        case .cancelled: return "the answer was cancelled"
        case .budgetExhausted(let reason): return reason + "; answers resume at 00:00 UTC (`spotter tenants set` raises the budget)"
        }
    }
}

/// What one check on the way in or out decided about an answer, kept in the answer's record so that an audit can see
/// which checks ran and what they did. The security guards (injection, PII) add their own checks here.
public struct GuardDecision: Sendable, Equatable, Codable {
    public enum Check: String, Sendable, Codable {
        /// The question itself: empty or too long is refused (the request fails and nothing is recorded).
        case input
        /// Whether the knowledge base covers the question; when not, the answer says so instead of guessing.
        case grounding
        /// Citation markers in the written answer: markers naming no passage are removed.
        case citations
        /// A cached answer: served only after the look-alike check and with its cited passages unchanged.
        case cacheVerification = "cache_verification"
    }

    public enum Action: String, Sendable, Codable {
        case passed, modified, refused
    }

    public var check: Check
    public var action: Action
    public var detail: String?

    public init(_ check: Check, _ action: Action, detail: String? = nil) {
        self.check = check
        self.action = action
        self.detail = detail
    }
}

// Canonical JSON written by hand: these go out with every answer and into every answer record (see JSONWritable).

extension Answer: JSONWritable {
    public func write(to json: inout JSONWriter) {
        // A cached reply's text and citations were written once, when its entry was verified (ReplyEncoding).
        let encoding = replyEncoding.flatMap { $0.encodes(answer: answer, citations: citations) ? $0 : nil }
        json.object { json in
            if let encoding {
                json.key("answer")
                json.fragment(encoding.answerJSON)
            } else {
                json.member("answer", answer)
            }
            json.member("answer_id", answerID)
            json.member("cache", cache)
            json.member("cached", cached)
            if let encoding {
                json.key("citations")
                json.fragment(encoding.citationsJSON)
            } else {
                json.member("citations", citations)
            }
            json.member("cost_usd", costUSD)
            json.member("grounded", grounded)
            json.member("model", model)
            json.member("session_id", sessionID)
            json.member("trace_id", traceID)
            json.member("usage", usage)
        }
    }
}

extension Citation: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("chunk_id", chunkID)
            json.member("document_id", documentID)
            json.member("n", n)
            json.member("score", score)
            json.member("snippet", snippet)
            json.member("source", source)
            json.member("title", title)
        }
    }
}

extension GuardDecision: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("action", action.rawValue)
            json.member("check", check.rawValue)
            json.memberIfPresent("detail", detail)
        }
    }
}
