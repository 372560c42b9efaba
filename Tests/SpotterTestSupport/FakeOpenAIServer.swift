import Foundation
import Hummingbird
import Logging
import NIOCore
import SpotterCore

/// A real HTTP server on a loopback port that speaks OpenAI's API (`POST /v1/chat/completions`, streamed or not,
/// `GET /v1/models`, and Azure's `/openai/deployments/{name}/chat/completions`), driven by a script, so model
/// clients are tested over real sockets.
///
/// Each chat request takes the next behaviour from the queue, or the default (``FakeOpenAIBehaviour/hello``) when
/// the queue is empty. The server records every request and notices clients that disconnect mid-stream.
///
/// ```swift
/// try await FakeOpenAIServer.with { server in
///     await server.enqueue(.status(503), .answer("Hi"))
///     let model = OpenAICompatibleChatModel(endpoint: LanguageModelEndpoint(baseURL: server.baseURL, model: "m"))
///     …
///     #expect(await server.requestCount == 2)
/// }
/// ```
public actor FakeOpenAIServer {
    /// The loopback port the server listens on.
    public nonisolated let port: Int
    private let script: FakeOpenAIScript
    private var task: Task<Void, any Error>?

    /// The OpenAI-style base URL, `http://127.0.0.1:PORT/v1`.
    public nonisolated var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    /// An Azure OpenAI-style deployment URL, `http://127.0.0.1:PORT/openai/deployments/NAME`.
    public nonisolated func azureDeploymentURL(_ deployment: String = "fake-deployment") -> URL {
        URL(string: "http://127.0.0.1:\(port)/openai/deployments/\(deployment)")!
    }

    private init(port: Int, script: FakeOpenAIScript, task: Task<Void, any Error>) {
        self.port = port
        self.script = script
        self.task = task
    }

    /// Starts a server on a free loopback port; call ``stop()`` when done (or use ``with(_:)``).
    public static func start() async throws -> FakeOpenAIServer {
        let script = FakeOpenAIScript()
        var logger = Logger(label: "FakeOpenAIServer")
        logger.logLevel = .critical
        let ports = AsyncStream<Int>.makeStream()
        let app = Application(
            router: FakeOpenAIRoutes(script: script).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                ports.continuation.yield(channel.localAddress?.port ?? 0)
                ports.continuation.finish()
            },
            logger: logger)
        // Unstructured because the server outlives this call; stop() cancels it and waits for it to end.
        let task = Task {
            defer { ports.continuation.finish() }
            try await app.run()
        }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            try await task.value
            throw FakeOpenAIServerError.didNotStart
        }
        return FakeOpenAIServer(port: port, script: script, task: task)
    }

    /// Runs `body` with a started server and stops it afterwards, also when `body` throws.
    public static func with<Value: Sendable>(_ body: (FakeOpenAIServer) async throws -> Value) async throws -> Value {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Ends hanging streams, closes the listener and every connection, and waits until the server has stopped.
    public func stop() async {
        script.stop()
        guard let task else { return }
        self.task = nil
        task.cancel()
        _ = try? await task.value
    }

    /// Queues behaviours for the next chat requests, in order.
    public func enqueue(_ behaviours: FakeOpenAIBehaviour...) { script.enqueue(behaviours) }

    /// The behaviour of chat requests once the queue is empty.
    public func setDefault(_ behaviour: FakeOpenAIBehaviour) { script.setDefault(behaviour) }

    /// Every request received, in order.
    public var requests: [FakeOpenAIRequest] { script.requests }

    /// How many requests arrived (every route).
    public var requestCount: Int { script.requests.count }

    /// Clients that closed the connection while their response was still streaming.
    public var disconnects: [FakeOpenAIDisconnect] { script.disconnects }

    /// Waits up to `timeout` seconds for a client to disconnect mid-stream; the first such disconnect, or nil.
    public func waitForDisconnect(timeout: Double = 5) async -> FakeOpenAIDisconnect? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let first = script.disconnects.first { return first }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return script.disconnects.first
    }
}

public enum FakeOpenAIServerError: Error, CustomStringConvertible {
    case didNotStart

    public var description: String { "the fake OpenAI server did not start listening on a loopback port" }
}
