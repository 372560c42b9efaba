import Foundation
import Hummingbird
import NIOCore
import SpotterCore

/// OpenAI's chat API over the answering pipeline, so that existing clients and SDKs work unchanged:
/// `POST /v1/chat/completions` (JSON or `stream: true`) and `GET /v1/models`. `model` names an assistant
/// configuration. The client sends the whole conversation each time, so nothing is kept in a session.
/// Citations appear as footnotes at the end of the text and, structured, in an extra `spotter` field.
struct OpenAIRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }
    let options: SpotterHTTPServer.Options
    let admission: AnswerAdmission
    /// Reported as every model's creation time: when this server started.
    let created = Int(Date().timeIntervalSince1970)

    /// The request fields Spotter uses; other OpenAI parameters (top_p, stop, seed, …) are accepted and ignored so
    /// that SDK defaults never fail.
    struct CompletionBody: Decodable, Sendable {
        struct Message: Decodable, Sendable {
            var role: String
            var content: MessageContent?
        }

        /// A string, or a list of parts of which the text parts are used.
        struct MessageContent: Decodable, Sendable {
            var text: String

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self.text = text
                    return
                }
                struct Part: Decodable { var type: String; var text: String? }
                let parts = try container.decode([Part].self)
                text = parts.compactMap { $0.type == "text" ? $0.text : nil }.joined(separator: "\n")
            }
        }

        struct StreamOptions: Decodable, Sendable { var includeUsage: Bool?
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        var model: String?
        var messages: [Message]
        var stream: Bool?
        var temperature: Double?
        var maxTokens: Int?
        var maxCompletionTokens: Int?
        var user: String?
        var n: Int?
        var streamOptions: StreamOptions?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature, user, n
            case maxTokens = "max_tokens"
            case maxCompletionTokens = "max_completion_tokens"
            case streamOptions = "stream_options"
        }
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/models") { _, _ -> Response in
            JSONBody.response(ModelList(data: spotter.prompts.assistants.map {
                ModelList.Model(id: $0.name, created: created, description: $0.description)
            }))
        }

        router.post("/v1/chat/completions") { request, context -> Response in
            let body = try await JSONRequest.decode(CompletionBody.self, from: request, context: context, limit: spotter.configuration.maximumChatBody)
            let ticket = try admission.admit()
            let answerRequest = try makeAnswerRequest(body, requestID: context.id)
            let model = answerRequest.assistant ?? spotter.prompts.defaultAssistant.name
            if body.stream != true {
                let answer: Answer
                do {
                    defer { withExtendedLifetime(ticket) {} }
                    answer = try await spotter.answers.respond(answerRequest)
                } catch let error as AnswerError {
                    throw APIError.from(error)
                }
                let completion = Completion(
                    id: "chatcmpl-\(answer.answerID)", object: "chat.completion", created: Int(Date().timeIntervalSince1970),
                    model: model,
                    choices: [.init(message: .init(content: answer.answer + Self.footnotes(answer.citations)), finishReason: "stop")],
                    usage: .init(answer.usage), spotter: .init(answer))
                return JSONBody.response(completion)
            }
            let includeUsage = body.streamOptions?.includeUsage ?? false
            let answer = try await StartedAnswer.start(spotter.answers.answer(answerRequest))
            return Self.chunkStream(heartbeat: options.heartbeatInterval) { send in
                // The slot stays taken until the stream ends.
                defer { withExtendedLifetime(ticket) {} }
                var id = "chatcmpl-pending"
                let created = Int(Date().timeIntervalSince1970)
                func chunk(_ delta: Choice.Delta, finish: String? = nil, usage: Usage? = nil,
                           extra: SpotterInfo? = nil, noChoices: Bool = false) -> Completion {
                    Completion(id: id, object: "chat.completion.chunk", created: created, model: model,
                               choices: noChoices ? [] : [.init(delta: delta, finishReason: finish)], usage: usage, spotter: extra)
                }
                do {
                    while let event = try await answer.next() {
                        switch event {
                        case .started(let start):
                            id = "chatcmpl-\(start.answerID)"
                            try await send(chunk(.init(role: "assistant", content: "")))
                        case .token(let text):
                            try await send(chunk(.init(content: text)))
                        case .citations(let citations):
                            let notes = Self.footnotes(citations)
                            if !notes.isEmpty { try await send(chunk(.init(content: notes))) }
                        case .done(let answer):
                            try await send(chunk(.init(), finish: "stop", extra: .init(answer)))
                            if includeUsage { try await send(chunk(.init(), usage: .init(answer.usage), noChoices: true)) }
                        }
                    }
                } catch let error as AnswerError {
                    let apiError = APIError.from(error)
                    try await send(ErrorEnvelope(error: .init(code: apiError.code, message: apiError.message)))
                }
            }
        }
    }

    private func makeAnswerRequest(_ body: CompletionBody, requestID: String) throws -> AnswerRequest {
        if let n = body.n, n != 1 {
            throw APIError(.badRequest, code: "unsupported_parameter", message: "n must be 1: Spotter writes one answer per request")
        }
        var history: [ChatMessage] = []
        for (index, message) in body.messages.enumerated() {
            guard let role = ChatRole(rawValue: message.role == "developer" ? "system" : message.role) else {
                throw APIError(.badRequest, code: "invalid_field",
                               message: "messages[\(index)].role must be system, developer, user or assistant; got '\(message.role)'")
            }
            history.append(ChatMessage(role: role, content: message.content?.text ?? ""))
        }
        guard let last = history.last, last.role == .user else {
            throw APIError(.badRequest, code: "invalid_field", message: "messages must end with a user message (the question)")
        }
        let model = body.model.flatMap { $0.isEmpty ? nil : $0 }
        return AnswerRequest(message: last.content, history: Array(history.dropLast()), assistant: model,
                             temperature: body.temperature, maxTokens: body.maxCompletionTokens ?? body.maxTokens,
                             user: body.user, requestID: requestID)
    }

    /// `[1] Title — source` lines under the answer.
    static func footnotes(_ citations: [Citation]) -> String {
        guard !citations.isEmpty else { return "" }
        return "\n\n" + citations.map { "[\($0.n)] \($0.title) — \($0.source)" }.joined(separator: "\n")
    }

    /// `data: {chunk}` lines, then `data: [DONE]`.
    static func chunkStream(heartbeat: Duration, produce: @escaping @Sendable (@Sendable (any Encodable & Sendable) async throws -> Void) async throws -> Void) -> Response {
        EventStream.response(heartbeat: heartbeat, format: .dataOnly(done: "[DONE]")) { send in
            try await produce { value in try await send("", value) }
        }
    }

    struct ModelList: Encodable {
        struct Model: Encodable {
            var id: String
            var object = "model"
            var created: Int
            var ownedBy = "spotter"
            var description: String

            enum CodingKeys: String, CodingKey {
                case id, object, created, description
                case ownedBy = "owned_by"
            }
        }
        var object = "list"
        var data: [Model]
    }

    /// A `chat.completion`, or one `chat.completion.chunk` of a stream: the same envelope, with the nulls OpenAI
    /// sends. A completion carries its usage and `spotter`; a chunk has `usage: null` except the last one when usage
    /// was asked for, and `spotter` on the finishing chunk only.
    struct Completion: Encodable {
        var id: String
        var object: String
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage?
        var spotter: SpotterInfo?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(object, forKey: .object)
            try container.encode(created, forKey: .created)
            try container.encode(model, forKey: .model)
            try container.encode(choices, forKey: .choices)
            try container.encodeNil(forKey: .systemFingerprint)
            try container.encode(usage, forKey: .usage)
            try container.encodeIfPresent(spotter, forKey: .spotter)
        }
        enum CodingKeys: String, CodingKey {
            case id, object, created, model, choices, usage, spotter
            case systemFingerprint = "system_fingerprint"
        }
    }

    /// One choice: the whole `message` of a completion, or the `delta` a chunk adds to it.
    struct Choice: Encodable {
        struct Message: Encodable {
            var role = "assistant"
            var content: String

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(role, forKey: .role)
                try container.encode(content, forKey: .content)
                try container.encodeNil(forKey: .refusal)
            }
            enum CodingKeys: String, CodingKey { case role, content, refusal }
        }
        struct Delta: Encodable {
            var role: String? = nil
            var content: String? = nil
        }

        var index = 0
        var message: Message? = nil
        var delta: Delta? = nil
        var finishReason: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encodeIfPresent(message, forKey: .message)
            try container.encodeIfPresent(delta, forKey: .delta)
            try container.encode(finishReason, forKey: .finishReason)
            try container.encodeNil(forKey: .logprobs)
        }
        enum CodingKeys: String, CodingKey {
            case index, message, delta, logprobs
            case finishReason = "finish_reason"
        }
    }

    struct Usage: Encodable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int

        init(_ usage: TokenUsage) {
            promptTokens = usage.promptTokens
            completionTokens = usage.completionTokens
            totalTokens = usage.totalTokens
        }
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case totalTokens = "total_tokens"
        }
    }

    /// Spotter's own fields, beside OpenAI's.
    struct SpotterInfo: Encodable {
        var answerID: String
        var citations: [Citation]
        var grounded: Bool
        var model: String
        var costUSD: Double?
        var traceID: String
        var tokensEstimated: Bool

        init(_ answer: Answer) {
            answerID = answer.answerID
            citations = answer.citations
            grounded = answer.grounded
            model = answer.model
            costUSD = answer.costUSD
            traceID = answer.traceID
            tokensEstimated = answer.usage.estimated
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(answerID, forKey: .answerID)
            try container.encode(citations, forKey: .citations)
            try container.encode(grounded, forKey: .grounded)
            try container.encode(model, forKey: .model)
            try container.encode(costUSD, forKey: .costUSD)
            try container.encode(traceID, forKey: .traceID)
            try container.encode(tokensEstimated, forKey: .tokensEstimated)
        }
        enum CodingKeys: String, CodingKey {
            case citations, grounded, model
            case answerID = "answer_id"
            case costUSD = "cost_usd"
            case traceID = "trace_id"
            case tokensEstimated = "tokens_estimated"
        }
    }
}
