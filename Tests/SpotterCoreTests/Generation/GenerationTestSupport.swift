import AsyncHTTPClient
import Foundation
import Logging
import SpotterCore
import SpotterTestSupport
import Synchronization

/// Runs `body` with an HTTP client configured as production configures it, and shuts the client down afterwards.
func withHTTPClient<Value: Sendable>(connectTimeout: Double = 2, _ body: (HTTPClient) async throws -> Value) async throws -> Value {
    var configuration = LanguageModelConfiguration(primary: LanguageModelEndpoint(baseURL: URL(string: "http://127.0.0.1")!, model: "m"))
    configuration.timeouts.connect = connectTimeout
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration.httpClientConfiguration)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// A model on the fake server with short test timeouts.
func fakeModel(_ server: FakeOpenAIServer, _ client: HTTPClient, name: String? = nil, apiKey: String? = "sk-test-123",
               timeouts: LanguageModelTimeouts = LanguageModelTimeouts(connect: 2, firstByte: 5, idle: 5),
               logger: Logger = Logger(label: "test")) -> OpenAICompatibleChatModel {
    OpenAICompatibleChatModel(endpoint: LanguageModelEndpoint(baseURL: server.baseURL, apiKey: apiKey, model: "fake-model"),
                              name: name, timeouts: timeouts, httpClient: client, logger: logger)
}

let sampleRequest = ChatModelRequest(messages: [.system("Answer from the sources."), .user("What is a kettlebell?")])

/// Everything a stream sent, and how it ended.
struct StreamRecording: Sendable {
    var events: [ChatModelEvent] = []
    var error: ChatModelError?

    var text: String { events.compactMap { if case .delta(let piece) = $0 { piece } else { nil } }.joined() }
    var producers: [String] { events.compactMap { if case .producer(let name) = $0 { name } else { nil } } }
    var finish: ChatFinish? { events.compactMap { if case .finished(let finish) = $0 { finish } else { nil } }.last }
}

func record(_ model: any ChatModel, _ request: ChatModelRequest = sampleRequest) async -> StreamRecording {
    var recording = StreamRecording()
    do {
        for try await event in model.stream(request) { recording.events.append(event) }
    } catch let error as ChatModelError {
        recording.error = error
    } catch {
        recording.error = .connection(upstream: "test", reason: "not a ChatModelError: \(error)")
    }
    return recording
}

/// A port nothing listens on: a fake server's, after it stopped.
func closedPort() async throws -> Int {
    let server = try await FakeOpenAIServer.start()
    await server.stop()
    return server.port
}

/// An answer made here, standing in for the offline answerer at the end of a chain.
struct CannedChatModel: ChatModel {
    var name = "offline"
    var text = "From the sources."

    func stream(_ request: ChatModelRequest) -> AsyncThrowingStream<ChatModelEvent, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(.delta(text))
            continuation.yield(.finished(ChatFinish(reason: .stop)))
            continuation.finish()
        }
    }
}

/// Collects log messages, so tests can see retries and breaker transitions.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var messages: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    func count(_ message: String) -> Int { messages.filter { $0 == message }.count }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.lines.withLock { $0.append(event.message.description) }
        }
    }
}
