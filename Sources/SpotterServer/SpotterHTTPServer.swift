import Hummingbird
import Logging
import NIOCore
import SpotterCore

/// The HTTP API over a ``Spotter`` engine.
///
/// ```swift
/// let server = SpotterHTTPServer(spotter: spotter, logger: logger)
/// try await server.run()   // until SIGINT or SIGTERM
/// ```
public struct SpotterHTTPServer: Sendable {
    public let spotter: Spotter
    public let logger: Logger

    public init(spotter: Spotter, logger: Logger) {
        self.spotter = spotter
        self.logger = logger
    }

    /// The router with every route, so tests and the server share one definition.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorMiddleware())
        HealthRoutes(spotter: spotter).register(on: router)
        SearchRoutes(spotter: spotter).register(on: router)
        return router
    }

    /// Builds the application listening on `host:port` (port 0 picks a free one; `onRunning` receives the real port).
    public func application(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "spotter"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Serves until the process receives SIGINT or SIGTERM, then shuts down gracefully.
    public func run(host: String, port: Int) async throws {
        let logger = self.logger
        let app = application(host: host, port: port) { actualPort in
            logger.notice("serving", metadata: ["address": "http://\(host):\(actualPort)"])
        }
        try await app.runService()
    }
}
