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
    /// While not ready, `/v1/*` answers 503 `not_ready` (see ``ReadinessState``).
    public let readiness: ReadinessState

    public init(spotter: Spotter, logger: Logger, readiness: ReadinessState = ReadinessState()) {
        self.spotter = spotter
        self.logger = logger
        self.readiness = readiness
    }

    /// The router with every route, so tests and the server share one definition.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: ReadinessMiddleware(readiness: readiness))
        HealthRoutes(spotter: spotter, readiness: readiness).register(on: router)
        SearchRoutes(spotter: spotter).register(on: router)
        DocumentRoutes(spotter: spotter, logger: logger).register(on: router)
        APIDocumentationRoutes().register(on: router)
        // Keep last: it wraps only the not-found responder and needs every route above.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes.map { ($0.method, $0.path.description) }))
        return router
    }

    /// Every route as `METHOD /path/{parameter}`, for checks that the API description covers them all.
    public var routeDescriptions: [String] {
        router().routes.map { "\($0.method) \($0.path)" }
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
