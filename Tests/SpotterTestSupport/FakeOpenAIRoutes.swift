import Foundation
import Hummingbird
import NIOCore
import SpotterCore

/// A request context that keeps the connection's channel, so the fake server can watch it close.
struct FakeOpenAIContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The fake server's routes and how each ``FakeOpenAIBehaviour`` turns into a response.
struct FakeOpenAIRoutes: Sendable {
    let script: FakeOpenAIScript

    func router() -> Router<FakeOpenAIContext> {
        let router = Router(context: FakeOpenAIContext.self)
        router.post("v1/chat/completions") { request, context in try await chat(request, context) }
        router.post("openai/deployments/:deployment/chat/completions") { request, context in try await chat(request, context) }
        router.get("v1/models") { request, context in
            _ = script.receive(try await record(request), takesBehaviour: false)
            return json(#"{"object":"list","data":[{"id":"fake-model","object":"model","owned_by":"fake"}]}"#)
        }
        return router
    }

    private func record(_ request: Request) async throws -> FakeOpenAIRequest {
        let buffer = try await request.body.collect(upTo: 4 << 20)
        let body = String(buffer: buffer)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        return FakeOpenAIRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query, headers: headers,
            body: body, chat: try? JSONDecoder().decode(FakeOpenAIRequest.ChatBody.self, from: Data(body.utf8)),
            receivedAt: .now)
    }

    private func chat(_ request: Request, _ context: FakeOpenAIContext) async throws -> Response {
        let recorded = try await record(request)
        let (index, behaviour) = script.receive(recorded, takesBehaviour: true)
        return try await respond(behaviour, index: index, chat: recorded.chat, channel: context.channel)
    }

    private func respond(_ behaviour: FakeOpenAIBehaviour, index: Int, chat: FakeOpenAIRequest.ChatBody?,
                         channel: any Channel) async throws -> Response {
        let model = chat?.model ?? "fake-model"
        let chunks = FakeOpenAIChunks(model: model)
        switch behaviour {
        case .delay(let seconds, let then):
            try await Task.sleep(for: .seconds(seconds))
            return try await respond(then, index: index, chat: chat, channel: channel)
        case .status(let code, let retryAfter, let body):
            var response = json(body ?? Self.errorJSON(code), status: HTTPResponse.Status(code: code))
            if let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        case .answer(let text, let usage):
            guard chat?.stream == true else { return json(chunks.completion(text, usage: usage)) }
            var events = [chunks.role()] + Self.words(text).map { chunks.content($0) } + [chunks.finish("stop")]
            if let usage, chat?.streamOptions?.includeUsage == true { events.append(chunks.usage(usage)) }
            return stream(events + ["[DONE]"], index: index, channel: channel)
        case .malformedJSON:
            return stream([chunks.role(), #"{"choices":[{"delta":{"content": broken"#, "[DONE]"], index: index, channel: channel)
        case .stopWithoutDone(let text):
            return stream([chunks.role()] + Self.words(text).map { chunks.content($0) }, index: index, channel: channel)
        case .hangAfter(let count):
            let words = (0..<count).map { "word\($0) " }
            return stream([chunks.role()] + words.map { chunks.content($0) }, index: index, channel: channel, hang: true)
        }
    }

    /// A `text/event-stream` of `data:` events; with `hang`, the response then stays open without another byte.
    private func stream(_ events: [String], index: Int, channel: any Channel, hang: Bool = false) -> Response {
        let script = script
        let body = ResponseBody { writer in
            await script.streamStarted(index, on: channel)
            for event in events {
                try await writer.write(ByteBuffer(string: "data: \(event)\n\n"))
                script.chunkSent(index)
            }
            if hang {
                while !script.shouldAbandon(index) { try await Task.sleep(for: .milliseconds(20)) }
                throw CancellationError()
            }
            try await writer.finish(nil)
            script.streamFinished(index)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    private func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// "Hello from fake" → ["Hello", " from", " fake"]: the way upstreams split text into tokens.
    static func words(_ text: String) -> [String] {
        var pieces: [String] = []
        for (offset, word) in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            pieces.append(offset == 0 ? String(word) : " " + word)
        }
        return pieces.filter { !$0.isEmpty }
    }

    static func errorJSON(_ code: Int) -> String {
        let type = code == 429 ? "rate_limit_exceeded" : code >= 500 ? "server_error" : "invalid_request_error"
        return FakeOpenAIChunks.encode(["error": ["message": "fake upstream error \(code)", "type": type, "code": NSNull()]])
    }
}
