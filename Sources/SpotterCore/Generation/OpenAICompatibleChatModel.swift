import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A ``ChatModel`` on any server that speaks OpenAI's streamed `/chat/completions`: OpenAI, Azure OpenAI, Ollama,
/// llama.cpp's server, vLLM.
///
/// Always streams (with `stream_options.include_usage`), so the first words reach the user while the rest is
/// generated; a non-streaming call is ``ChatModel/complete(_:)``. Usage the upstream does not report is estimated
/// with ``TokenEstimator``. Time limits are ``LanguageModelTimeouts``; cancelling the consuming task closes the
/// HTTP connection.
///
/// ```swift
/// let model = OpenAICompatibleChatModel(endpoint: LanguageModelEndpoint(
///     baseURL: URL(string: "http://127.0.0.1:11434/v1")!, model: "llama3.2"))
/// let answer = try await model.complete(ChatModelRequest(messages: [.user("Hello")]))
/// ```
public struct OpenAICompatibleChatModel: ChatModel {
    public let name: String
    public let endpoint: LanguageModelEndpoint
    public let timeouts: LanguageModelTimeouts
    private let httpClient: HTTPClient
    private let logger: Logger

    /// The largest error body read for its message.
    private static let maximumErrorBody = 64 * 1024

    /// - Parameters:
    ///   - name: what answers report as their producer; by default `host/model`.
    ///   - httpClient: one client shared by every model, owned (and shut down) by the caller. Its configuration
    ///     should come from ``LanguageModelConfiguration/httpClientConfiguration`` so connection failures surface
    ///     at once and the retry policy decides.
    public init(endpoint: LanguageModelEndpoint, name: String? = nil, timeouts: LanguageModelTimeouts = LanguageModelTimeouts(),
                httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "spotter.llm")) {
        self.endpoint = endpoint
        self.name = name ?? Self.defaultName(for: endpoint)
        self.timeouts = timeouts
        self.httpClient = httpClient
        self.logger = logger
    }

    /// `host/model`, such as `api.openai.com/gpt-4o-mini`.
    public static func defaultName(for endpoint: LanguageModelEndpoint) -> String {
        "\(endpoint.baseURL.host ?? "llm")/\(endpoint.model)"
    }

    public func stream(_ request: ChatModelRequest) -> AsyncThrowingStream<ChatModelEvent, any Error> {
        .producing { continuation in
            do {
                try await run(request, continuation)
            } catch {
                throw classify(error)
            }
        }
    }

    /// Runs the exchange beside a watchdog that ends it when the upstream stops sending.
    private func run(_ request: ChatModelRequest, _ continuation: AsyncThrowingStream<ChatModelEvent, any Error>.Continuation) async throws {
        let deadline = StreamDeadline(seconds: timeouts.connect + timeouts.firstByte)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await exchange(request, continuation, deadline) }
            group.addTask { try await deadline.watch(upstream: endpoint.displayURL) }
            try await group.next()
            group.cancelAll()
        }
    }

    private func exchange(_ request: ChatModelRequest, _ continuation: AsyncThrowingStream<ChatModelEvent, any Error>.Continuation,
                          _ deadline: StreamDeadline) async throws {
        let started = ContinuousClock.now
        // Another model than the endpoint's (a variant's) names the answer's producer, for the record and the price.
        if let model = request.model, model != endpoint.model {
            continuation.yield(.producer("\(endpoint.baseURL.host ?? "llm")/\(model)"))
        }
        let response = try await httpClient.execute(
            try httpRequest(for: request),
            deadline: .now() + .milliseconds(Int64((timeouts.connect + timeouts.firstByte + 1) * 1000)),
            logger: logger)
        deadline.extend(by: timeouts.firstByte)
        guard (200..<300).contains(response.status.code) else { throw await statusError(response) }

        var parser = ServerSentEventParser()
        var answer = StreamedAnswer()
        var finished = false
        for try await buffer in response.body {
            deadline.extend(by: timeouts.idle)
            // After `[DONE]` the rest of the body is read only to free the connection.
            guard !finished else { continue }
            for event in parser.feed(buffer.readableBytesView) {
                if try answer.consume(event, upstream: endpoint.displayURL, continuation) {
                    finished = true
                    break
                }
            }
            if finished { finish(answer, request, continuation, started) }
        }
        guard !finished else { return }
        // A server that closes after its finish reason without `[DONE]` still gave a whole answer.
        guard answer.finishReason != nil else { throw ChatModelError.incompleteStream(upstream: endpoint.displayURL) }
        finish(answer, request, continuation, started)
    }

    private func finish(_ answer: StreamedAnswer, _ request: ChatModelRequest,
                        _ continuation: AsyncThrowingStream<ChatModelEvent, any Error>.Continuation, _ started: ContinuousClock.Instant) {
        let usage = answer.usage ?? TokenEstimator.usage(prompt: request.messages, completion: answer.text)
        logger.debug("language model answered", metadata: [
            "upstream": "\(name)", "finish_reason": "\(answer.finishReason ?? .stop)",
            "prompt_tokens": "\(usage.promptTokens)", "completion_tokens": "\(usage.completionTokens)",
            "usage_estimated": "\(usage.estimated)", "seconds": "\((ContinuousClock.now - started).inSeconds)",
        ])
        continuation.yield(.finished(ChatFinish(reason: answer.finishReason ?? .stop, usage: usage)))
        continuation.finish()
    }

    private func httpRequest(for request: ChatModelRequest) throws -> HTTPClientRequest {
        let body = OpenAIChatWireFormat.Request(
            model: request.model ?? endpoint.model, messages: request.messages, stream: true,
            streamOptions: .init(includeUsage: true), temperature: request.temperature,
            maxTokens: request.maxTokens, user: request.user)
        var http = HTTPClientRequest(url: endpoint.chatCompletionsURL)
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        http.headers.add(name: "Accept", value: "text/event-stream")
        if let key = endpoint.apiKey {
            if endpoint.isAzure {
                http.headers.add(name: "api-key", value: key)
            } else {
                http.headers.add(name: "Authorization", value: "Bearer \(key)")
            }
        }
        http.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        return http
    }

    /// The error for a non-2xx response, with OpenAI's error message when the body carries one.
    private func statusError(_ response: HTTPClientResponse) async -> ChatModelError {
        let body = (try? await response.body.collect(upTo: Self.maximumErrorBody)).map { Data($0.readableBytesView) } ?? Data()
        let decoded = (try? JSONDecoder().decode(OpenAIChatWireFormat.ErrorBody.self, from: body))?.error?.message
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let message = decoded ?? (text.isEmpty ? response.status.reasonPhrase : String(text.prefix(300)))
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryAfterHeader.seconds($0) }
        return .status(upstream: endpoint.displayURL, code: Int(response.status.code), message: message, retryAfter: retryAfter)
    }

    /// Every failure as a ``ChatModelError``.
    private func classify(_ error: any Error) -> ChatModelError {
        let upstream = endpoint.displayURL
        switch error {
        case let error as ChatModelError: return error
        case is CancellationError: return .cancelled
        case let error as HTTPClientError:
            switch error {
            case .cancelled: return .cancelled
            case .connectTimeout: return .timeout(upstream: upstream, seconds: timeouts.connect)
            case .deadlineExceeded: return .timeout(upstream: upstream, seconds: timeouts.connect + timeouts.firstByte)
            case .readTimeout: return .timeout(upstream: upstream, seconds: timeouts.idle)
            default: return Task.isCancelled ? .cancelled : .connection(upstream: upstream, reason: "\(error)")
            }
        default:
            return Task.isCancelled ? .cancelled : .connection(upstream: upstream, reason: "\(error)")
        }
    }
}

/// What a stream has said so far.
private struct StreamedAnswer {
    var text = ""
    var finishReason: FinishReason?
    var usage: TokenUsage?

    /// Applies one event, yielding its text; returns true at `[DONE]`.
    mutating func consume(_ event: ServerSentEvent, upstream: String,
                          _ continuation: AsyncThrowingStream<ChatModelEvent, any Error>.Continuation) throws -> Bool {
        if event.data == "[DONE]" { return true }
        let chunk: OpenAIChatWireFormat.Chunk
        do {
            chunk = try JSONDecoder().decode(OpenAIChatWireFormat.Chunk.self, from: Data(event.data.utf8))
        } catch {
            throw ChatModelError.malformedResponse(upstream: upstream, reason: "a stream chunk is not the expected JSON: \(event.data.prefix(120))")
        }
        if let error = chunk.error {
            // Some servers report a failure inside a 200 stream; 502 says the gateway's upstream failed.
            throw ChatModelError.status(upstream: upstream, code: 502, message: error.message ?? "error in stream", retryAfter: nil)
        }
        if let choice = chunk.choices?.first {
            if let content = choice.delta?.content, !content.isEmpty {
                text += content
                continuation.yield(.delta(content))
            }
            if let reason = choice.finishReason { finishReason = FinishReason(wireValue: reason) }
        }
        if let reported = chunk.usage { usage = reported }
        return false
    }
}
