import Foundation

/// A language model that answers a conversation, token by token.
///
/// Backends: ``OpenAICompatibleChatModel`` (any server speaking OpenAI's `/chat/completions`), the offline
/// ``ExtractiveAnswerer``, and the wrappers that make them dependable (``ResilientChatModel`` adds retries and a
/// circuit breaker, ``FallbackChatModel`` tries a chain in order).
///
/// ```swift
/// for try await event in model.stream(request) {
///     if case .delta(let text) = event { print(text, terminator: "") }
/// }
/// ```
///
/// Cancelling the task that iterates the stream cancels the upstream request.
public protocol ChatModel: Sendable {
    /// The name that answers report as their producer, such as `openai:gpt-4o-mini` or `offline`.
    var name: String { get }
    /// Streams the answer: ``ChatModelEvent/delta(_:)`` pieces, then exactly one ``ChatModelEvent/finished(_:)``.
    /// Fails with a ``ChatModelError``.
    func stream(_ request: ChatModelRequest) -> AsyncThrowingStream<ChatModelEvent, any Error>
}

extension ChatModel {
    /// The whole answer at once: the stream, collected.
    public func complete(_ request: ChatModelRequest) async throws(ChatModelError) -> ChatCompletion {
        var text = ""
        var producer = name
        do {
            for try await event in stream(request) {
                switch event {
                case .delta(let piece): text += piece
                case .producer(let model): producer = model
                case .finished(let finish):
                    return ChatCompletion(text: text, model: producer, finishReason: finish.reason, usage: finish.usage)
                }
            }
        } catch let error as ChatModelError {
            throw error
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .connection(upstream: name, reason: String(describing: error))
        }
        throw .incompleteStream(upstream: name)
    }
}

/// Who wrote a message of a conversation.
public enum ChatRole: String, Sendable, Codable, Equatable {
    case system, user, assistant
}

/// One message of a conversation, as OpenAI's API carries it.
@MemberwiseInit
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: ChatRole
    public var content: String

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// A passage the answer may draw on, numbered as the prompt numbers it (`[1]`…`[n]`).
@MemberwiseInit
public struct GroundingPassage: Sendable, Equatable {
    public var number: Int
    public var title: String
    public var text: String
}

/// What a model is asked: the messages (the whole prompt for a remote model) and, for models that compose from the
/// sources themselves (the offline answerer), the question and passages in structured form.
public struct ChatModelRequest: Sendable, Equatable {
    public var messages: [ChatMessage]
    /// The standalone question and the numbered passages the prompt was built from, when there are any.
    public var question: String?
    public var passages: [GroundingPassage]
    public var temperature: Double?
    public var maxTokens: Int?
    /// An opaque end-user id passed upstream for abuse monitoring (OpenAI's `user`).
    public var user: String?
    /// The upstream model to ask instead of the endpoint's own (an assistant variant's `model`); models that are
    /// not remote ignore it.
    public var model: String?

    public init(messages: [ChatMessage], question: String? = nil, passages: [GroundingPassage] = [],
                temperature: Double? = nil, maxTokens: Int? = nil, user: String? = nil, model: String? = nil) {
        self.model = model
        self.messages = messages
        self.question = question
        self.passages = passages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.user = user
    }
}

/// One step of a streamed answer.
public enum ChatModelEvent: Sendable, Equatable {
    /// The next piece of text.
    case delta(String)
    /// The model that is producing this answer, sent by wrappers (a fallback chain) before its first delta.
    case producer(String)
    /// The end of the answer; nothing follows.
    case finished(ChatFinish)
}

/// How an answer ended.
@MemberwiseInit
public struct ChatFinish: Sendable, Equatable {
    public var reason: FinishReason
    /// Token counts as the upstream reported them; nil when it did not.
    public var usage: TokenUsage?
}

/// Why the model stopped, in OpenAI's terms.
public enum FinishReason: String, Sendable, Codable, Equatable {
    case stop
    case length
    case contentFilter = "content_filter"
}

/// Tokens in and out of one call.
@MemberwiseInit
public struct TokenUsage: Sendable, Codable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// True when the counts were estimated here rather than reported by the upstream.
    public var estimated: Bool = false

    public var totalTokens: Int { promptTokens + completionTokens }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case estimated
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try container.decode(Int.self, forKey: .promptTokens)
        completionTokens = try container.decode(Int.self, forKey: .completionTokens)
        estimated = try container.decodeIfPresent(Bool.self, forKey: .estimated) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
        try container.encode(estimated, forKey: .estimated)
    }
}

/// A whole answer from ``ChatModel/complete(_:)``.
public struct ChatCompletion: Sendable, Equatable {
    public var text: String
    /// The model that produced it (after any fallback).
    public var model: String
    public var finishReason: FinishReason
    public var usage: TokenUsage?
}

/// Why a model call failed, with what to do about it.
public enum ChatModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Could not connect, or the connection broke.
    case connection(upstream: String, reason: String)
    /// No response, or no next byte of the stream, within the time limit.
    case timeout(upstream: String, seconds: Double)
    /// The upstream answered with an error status; `retryAfter` from its `Retry-After` header.
    case status(upstream: String, code: Int, message: String, retryAfter: Double?)
    /// The upstream's response could not be understood.
    case malformedResponse(upstream: String, reason: String)
    /// The stream ended without its final `[DONE]` or finish reason.
    case incompleteStream(upstream: String)
    /// The circuit breaker is open after repeated failures; calls resume after a probe succeeds.
    case circuitOpen(upstream: String, retryInSeconds: Double)
    /// Every model of a fallback chain failed; the last error of each, in order.
    case allFailed([ChatModelError])
    case cancelled

    /// Whether trying the same upstream again may help (and the request was not yet answered in part).
    public var isRetryable: Bool {
        switch self {
        case .connection, .timeout: return true
        case .status(_, let code, _, _): return code == 429 || code == 408 || (500...599).contains(code)
        case .malformedResponse, .incompleteStream, .circuitOpen, .allFailed, .cancelled: return false
        }
    }

    public var description: String {
        switch self {
        case .connection(let upstream, let reason):
            return "could not reach the language model at \(upstream): \(reason). Check SPOTTER_LLM_BASE_URL and that the server is up."
        case .timeout(let upstream, let seconds):
            return "the language model at \(upstream) did not answer within \(seconds) s"
        case .status(let upstream, let code, let message, _):
            let hint = code == 401 || code == 403 ? " Check SPOTTER_LLM_API_KEY." : code == 404 ? " Check SPOTTER_LLM_MODEL and SPOTTER_LLM_BASE_URL." : ""
            return "the language model at \(upstream) answered HTTP \(code): \(message).\(hint)"
        case .malformedResponse(let upstream, let reason):
            return "the language model at \(upstream) sent a response that is not OpenAI's format: \(reason)"
        case .incompleteStream(let upstream):
            return "the language model at \(upstream) ended its stream before finishing the answer"
        case .circuitOpen(let upstream, let seconds):
            return "calls to \(upstream) are paused after repeated failures; the next try is in \(Int(seconds.rounded(.up))) s"
        case .allFailed(let errors):
            return "every language model failed: " + errors.map(\.description).joined(separator: "; ")
        case .cancelled:
            return "the answer was cancelled"
        }
    }
}

extension TokenUsage: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("completion_tokens", completionTokens)
            json.member("estimated", estimated)
            json.member("prompt_tokens", promptTokens)
            json.member("total_tokens", totalTokens)
        }
    }
}
