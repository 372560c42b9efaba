import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import SpotterCore

/// The HTTP API over a ``Spotter`` engine.
///
/// ```swift
/// let server = SpotterHTTPServer(spotter: spotter, logger: logger)
/// try await server.run()   // until SIGINT or SIGTERM
/// ```
public struct SpotterHTTPServer: Sendable {
    /// Server behaviour that is not a product setting.
    @MemberwiseInit
    public struct Options: Sendable {
        /// How often a streaming response sends a comment line, so that a client that went away is noticed while
        /// the model is silent.
        public var heartbeatInterval: Duration = .seconds(10)
    }

    /// The engine requests are answered with; it follows `spotter index promote` when ``run(host:port:gracePeriod:)``
    /// is given a poll interval.
    public let engine: LiveEngine
    public var spotter: Spotter { engine.current }
    public let logger: Logger
    public let options: Options
    /// While not ready, `/v1/*` answers 503 `not_ready` (see ``ReadinessState``).
    public let readiness: ReadinessState
    /// Who may call: API keys and scopes, or every caller open (``AccessControl/off``).
    public let access: AccessControl
    /// With credentials the server speaks HTTPS only and rereads them on SIGHUP; nil: plain HTTP.
    public let tls: TLSCredentials?

    public init(spotter: Spotter, logger: Logger, readiness: ReadinessState = ReadinessState(), access: AccessControl = .off,
                tls: TLSCredentials? = nil, options: Options = Options()) {
        self.init(engine: LiveEngine(spotter), logger: logger, readiness: readiness, access: access, tls: tls, options: options)
    }

    public init(engine: LiveEngine, logger: Logger, readiness: ReadinessState = ReadinessState(), access: AccessControl = .off,
                tls: TLSCredentials? = nil, options: Options = Options()) {
        self.engine = engine
        self.logger = logger
        self.readiness = readiness
        self.access = access
        self.tls = tls
        self.options = options
    }

    /// The router with every route, so tests and the server share one definition. Each route file registers on a
    /// group that carries the scope its routes need (the one table of who may call what).
    func router() -> Router<SpotterRequestContext> {
        let router = Router(context: SpotterRequestContext.self)
        // First, so that it sees every response as it leaves, errors included.
        router.add(middleware: HTTPMetricsMiddleware(factory: spotter.metrics.factory))
        // Outside the error middleware, so that error responses carry the headers too.
        router.add(middleware: SecurityHeadersMiddleware(overTLS: tls != nil))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: RequestTargetLimitMiddleware())
        // Before authentication: a browser's preflight carries no credentials.
        if !spotter.configuration.corsOrigins.isEmpty {
            router.add(middleware: CORSAllowListMiddleware(origins: spotter.configuration.corsOrigins))
        }
        router.add(middleware: APIKeyAuthenticator(access: access))
        router.add(middleware: ReadinessMiddleware(readiness: readiness))
        HealthRoutes(engine: engine, readiness: readiness).register(on: router.open())
        // Routes that need a scope count against the caller's rate limits.
        func guarded(_ scope: Scope) -> SpotterRoutes {
            router.requiring(scope).add(middleware: RateLimitMiddleware(engine: engine))
        }
        let metricsOpen = access.mode == .off || access.metricsAccess == .open
        MetricsRoutes(engine: engine).register(on: metricsOpen ? router.open() : router.requiring(.admin))
        SearchRoutes(engine: engine).register(on: guarded(.chat))
        let admission = AnswerAdmission(limit: spotter.configuration.maximumConcurrentAnswers)
        ChatRoutes(engine: engine, options: options, admission: admission).register(on: guarded(.chat))
        FeedbackRoutes(engine: engine).register(on: guarded(.chat))
        UserDataRoutes(engine: engine).register(on: router.requiring(anyOf: .admin, .chat).add(middleware: RateLimitMiddleware(engine: engine)))
        AdminRoutes(engine: engine).register(on: guarded(.admin))
        OpenAIRoutes(engine: engine, options: options, admission: admission).register(on: guarded(.chat))
        DocumentRoutes(engine: engine, logger: logger).register(on: guarded(.ingest))
        APIDocumentationRoutes().register(on: router.open())
        // Keep last: it wraps only the not-found responder and needs every route above.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes.map { ($0.method, $0.path.description) }))
        return router
    }

    /// HTTP/1.1 with the idle timeout and bounded headers: 16 KB a field, 32 KB in all, 100 fields (NIO's defaults
    /// are 80 KB and 1000).
    static func channelConfiguration(idleTimeout: Double) -> HTTP1Channel.Configuration {
        HTTP1Channel.Configuration(idleTimeout: .milliseconds(Int64(idleTimeout * 1000)),
                                   httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 32 * 1024,
                                                                   maxHeaderFieldCount: 100))
    }

    /// The Content-Security-Policy source that allows one inline script (what `/docs` uses for its own).
    public static func contentSecurityPolicyHash(of script: String) -> String { DocsPage.hash(of: script) }

    /// Every route as `METHOD /path/{parameter}`, for checks that the API description covers them all.
    public var routeDescriptions: [String] {
        router().routes.map { "\($0.method) \($0.path)" }
    }

    /// Builds the application listening on `host:port` (port 0 picks a free one; `onRunning` receives the real port).
    /// Under TLS (Hummingbird's TLS channel, swift-nio-ssl) a client that speaks plain HTTP fails the handshake and
    /// its connection is closed.
    public func application(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let http1 = HTTPServerBuilder.http1(configuration: Self.channelConfiguration(idleTimeout: spotter.configuration.idleTimeout))
        return Application(
            router: router(),
            server: try tls.map { try .tls(http1, tlsConfiguration: $0.serverConfiguration()) } ?? http1,
            configuration: .init(address: .hostname(host, port: port), serverName: "spotter"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Serves until the process receives SIGINT or SIGTERM, then shuts down gracefully: stop accepting
    /// connections, let in-flight requests (streams included) finish for up to `gracePeriod` seconds, cancel what is
    /// left, and close the store. `background` runs in the same service group (``IndexLoader`` at start-up); with a
    /// `modelPollInterval` a ``ModelFollower`` switches the engine when `spotter index promote` or `rollback`
    /// changed the store's active model.
    public func run(host: String, port: Int, gracePeriod: Double, modelPollInterval: Duration? = nil,
                    background: [any Service] = []) async throws {
        let logger = self.logger
        let scheme = tls == nil ? "http" : "https"
        let app = try application(host: host, port: port) { actualPort in
            logger.notice("serving", metadata: ["address": "\(scheme)://\(host):\(actualPort)"])
            logger.notice("\(access.startupMessage(host: host))")
        }
        // The server first: a group shuts its services down in reverse order, so background work stops before the
        // server drains. Background services that finish (the index loader) leave the group running.
        var services = [ServiceGroupConfiguration.ServiceConfiguration(service: app)]
        let followers: [any Service] = modelPollInterval.map { [ModelFollower(engine: engine, interval: $0)] } ?? []
        let reloaders: [any Service] = tls.map { [CertificateReloader(credentials: $0, logger: logger)] } ?? []
        services += (background + followers + reloaders).map { .init(service: $0, successTerminationBehavior: .ignore) }
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(gracePeriod * 1000))
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            await engine.shutdown()
            throw error
        }
        await engine.shutdown()
        logger.notice("stopped")
    }
}
