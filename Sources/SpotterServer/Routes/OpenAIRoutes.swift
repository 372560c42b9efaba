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

    func register(on router: SpotterRoutes) {
        router.get("/v1/models") { _, _ -> Response in
            JSONBody.response(ModelList(data: spotter.prompts.assistants.map {
                ModelList.Model(id: $0.name, created: created, description: $0.description)
            }))
        }

        router.post("/v1/chat/completions") { request, context -> Response in
            let body = try await JSONRequest.decode(ChatCompletionRequest.self, from: request, context: context, limit: spotter.configuration.maximumChatBody)
            let ticket = try admission.admit()
            var answerRequest = try makeAnswerRequest(body, requestID: context.id, reader: context.reader)
            answerRequest.caller = context.limitedCaller
            let model = answerRequest.assistant ?? spotter.prompts.defaultAssistant.name
            if body.stream != true {
                let answer: Answer
                do {
                    defer { withExtendedLifetime(ticket) {} }
                    answer = try await spotter.answers.respond(answerRequest)
                } catch let error as AnswerError {
                    throw APIError.from(error)
                }
                let completion = ChatCompletion(
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
                func chunk(_ delta: ChatCompletionChoice.Delta, finish: String? = nil, usage: CompletionUsage? = nil,
                           extra: SpotterAnswerInfo? = nil, noChoices: Bool = false) -> ChatCompletion {
                    ChatCompletion(id: id, object: "chat.completion.chunk", created: created, model: model,
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

    private func makeAnswerRequest(_ body: ChatCompletionRequest, requestID: String, reader: Reader) throws -> AnswerRequest {
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
                             user: body.user, requestID: requestID, reader: reader)
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

}
