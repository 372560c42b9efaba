import Foundation
import Hummingbird
import NIOCore
import SpotterCore

/// `POST /v1/chat` (JSON, or Server-Sent Events with `stream: true` / `Accept: text/event-stream`), and the
/// sessions it keeps: `GET` / `DELETE /v1/sessions/{id}`.
struct ChatRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }
    let options: SpotterHTTPServer.Options
    let admission: AnswerAdmission

    func register(on router: SpotterRoutes) {
        router.post("/v1/chat") { request, context -> Response in
            // One engine for the whole request (taking it copies the engine's fields: once, not per use).
            let spotter = self.spotter
            let body = try await JSONRequest.decode(ChatRequest.self, from: request, context: context, limit: spotter.configuration.maximumChatBody)
            let ticket = try admission.admit()
            var answerRequest = AnswerRequest(
                message: body.message, sessionID: body.sessionID, knowledgeBase: body.kb, filters: body.metadataFilters,
                assistant: body.assistant, user: body.user, requestID: context.id, reader: context.reader,
                useCache: body.cache ?? true, variant: body.variant)
            answerRequest.caller = context.limitedCaller
            let wantsStream = body.stream ?? request.headers.value(.accept).map { $0.contains("text/event-stream") } ?? false
            if !wantsStream {
                do {
                    defer { withExtendedLifetime(ticket) {} }
                    return JSONBody.response(try await spotter.answers.respond(answerRequest))
                } catch let error as AnswerError {
                    throw APIError.from(error)
                }
            }
            let answer = try await StartedAnswer.start(spotter.answers.answer(answerRequest))
            return EventStream.response(heartbeat: options.heartbeatInterval) { send in
                // The slot stays taken until the stream ends.
                defer { withExtendedLifetime(ticket) {} }
                do {
                    while let event = try await answer.next() {
                        switch event {
                        case .started: break
                        case .token(let text): try await send("token", ChatTokenEvent(text: text))
                        case .citations(let citations): try await send("citations", ChatCitationsEvent(citations: citations))
                        case .done(let answer): try await send("done", answer)
                        }
                    }
                } catch let error as AnswerError {
                    let apiError = APIError.from(error)
                    try await send("error", ErrorEnvelope(error: .init(code: apiError.code, message: apiError.message)))
                }
            }
        }

        router.get("/v1/sessions/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let transcript = try await spotter.answers.sessions.transcript(id: id, reader: context.reader) else {
                throw APIError(.notFound, code: "unknown_session", message: "no session '\(id)' (it never existed, was deleted or expired)")
            }
            let session = transcript.session
            return JSONBody.response(SessionView(
                sessionID: session.id, kb: session.knowledgeBase, assistant: session.assistant,
                createdAt: session.createdAt, updatedAt: session.updatedAt, expiresAt: transcript.expiresAt,
                messages: transcript.messages))
        }

        router.delete("/v1/sessions/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard try await spotter.answers.sessions.delete(id: id, reader: context.reader) else {
                throw APIError(.notFound, code: "unknown_session", message: "no session '\(id)'")
            }
            return Response(status: .noContent)
        }
    }

}

/// An answer's events once the first (`started`) has arrived: a request the pipeline refuses fails here, with its
/// 4xx status, instead of as an `error` event inside a 200 stream.
///
/// The iterator passes from the handler to the response body writer, one task after the other, never both at once.
final class StartedAnswer: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<AnswerEvent, any Error>.AsyncIterator
    private var first: AnswerEvent?

    private init(_ iterator: AsyncThrowingStream<AnswerEvent, any Error>.AsyncIterator, first: AnswerEvent?) {
        self.iterator = iterator
        self.first = first
    }

    static func start(_ events: AsyncThrowingStream<AnswerEvent, any Error>) async throws -> StartedAnswer {
        var iterator = events.makeAsyncIterator()
        do {
            let first = try await iterator.next()
            return StartedAnswer(iterator, first: first)
        } catch let error as AnswerError {
            throw APIError.from(error)
        }
    }

    func next() async throws -> AnswerEvent? {
        if let first {
            self.first = nil
            return first
        }
        return try await iterator.next()
    }
}

/// A `text/event-stream` response whose events come from `produce`, with a comment line every `heartbeat` so that a
/// client that went away is noticed (the write fails) even while the model is silent; the producer is then cancelled.
enum EventStream {
    typealias Send = @Sendable (_ event: String, _ data: any Encodable & Sendable) async throws -> Void

    /// `named`: `event: NAME` + `data:` frames; `dataOnly`: OpenAI's bare `data:` frames closed by a final marker.
    enum Format: Sendable {
        case named
        case dataOnly(done: String)
    }

    static func response(heartbeat: Duration, format: Format = .named, produce: @escaping @Sendable (Send) async throws -> Void) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let (frames, output) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .unbounded)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { output.finish() }
                    try await produce { event, data in
                        let json = (try? CanonicalJSON.data(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                        switch format {
                        case .named: output.yield(ByteBuffer(string: "event: \(event)\ndata: \(json)\n\n"))
                        case .dataOnly: output.yield(ByteBuffer(string: "data: \(json)\n\n"))
                        }
                    }
                    if case .dataOnly(let done) = format, !Task.isCancelled {
                        output.yield(ByteBuffer(string: "data: \(done)\n\n"))
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeat)
                        output.yield(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
                do {
                    for await frame in frames { try await writer.write(frame) }
                    group.cancelAll()
                    try await writer.finish(nil)
                } catch {
                    // The client went away: stop the answer (and the model call behind it).
                    group.cancelAll()
                    throw error
                }
            }
        })
    }
}
