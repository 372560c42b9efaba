import Foundation

/// How a server decides who is calling: whether credentials are asked for, the keys they are checked against, and
/// who may read the metrics. Made once at start (``make(configuration:store:host:)``).
public struct AccessControl: Sendable {
    public var mode: AuthenticationMode
    public var metricsAccess: MetricsAccess
    /// The keys presented credentials are checked against; nil when authentication is off.
    public var keys: APIKeyService?
    /// Checks an identity provider's bearer tokens; nil when no `SPOTTER_JWT_*` key is configured.
    public var tokens: JWTVerifier?

    /// Every caller is ``Principal/open``: what a server on a loopback address does by default.
    public static let off = AccessControl(mode: .off, metricsAccess: .open, keys: nil)

    public init(mode: AuthenticationMode, metricsAccess: MetricsAccess, keys: APIKeyService?, tokens: JWTVerifier? = nil) {
        self.mode = mode
        self.metricsAccess = metricsAccess
        self.keys = keys
        self.tokens = tokens
    }

    /// The access the configuration asks for on a server listening on `host`: `SPOTTER_AUTH`, else required
    /// unless `host` is a loopback address. With authentication required the server secret is loaded (or made).
    public static func make(configuration: SpotterConfiguration, store: any APIKeyStore, host: String) throws(AccessError) -> AccessControl {
        let mode = configuration.authentication ?? AuthenticationMode.defaultMode(host: host)
        guard mode == .required else { return .off }
        let tokens = configuration.jwt.isEnabled ? try JWTVerifier(settings: configuration.jwt) : nil
        return AccessControl(mode: .required, metricsAccess: configuration.metricsAccess,
                             keys: APIKeyService(store: store, secret: try ServerSecret.load(configuration)), tokens: tokens)
    }

    /// What a request's credential established.
    public enum Outcome: Sendable, Equatable {
        case caller(Principal)
        /// No credential, or one that proves nothing; `reason` says why a token was refused (for the log, never
        /// for a key, so no answer tells a key that exists from one that does not).
        case refused(reason: String?)
    }

    /// The caller a request's credential stands for: an API key (`spk_…`) is looked up, anything else is read as
    /// a JWT when tokens are configured. Missing, malformed, unknown and revoked keys all give the same refusal.
    public func authenticate(credential: String?) async throws(StoreError) -> Outcome {
        guard mode == .required, let keys else { return .caller(.open) }
        guard let credential, !credential.isEmpty else { return .refused(reason: nil) }
        if let tokens, !credential.hasPrefix(APIKeyService.keyPrefix) {
            do {
                return .caller(try await tokens.principal(token: credential))
            } catch {
                return .refused(reason: error.description)
            }
        }
        return try keys.authenticate(credential).map(Outcome.caller) ?? .refused(reason: nil)
    }

    /// One line for the start-up log saying how callers are checked.
    public func startupMessage(host: String) -> String {
        switch mode {
        case .off where AuthenticationMode.isLoopback(host):
            "authentication is off: listening on the loopback address \(host) only, every request is answered without a key (SPOTTER_AUTH=required asks for one)"
        case .off:
            "authentication is OFF on \(host), which other machines may reach: anyone who reaches the port can read, ingest and purge (set SPOTTER_AUTH=required)"
        case .required where tokens != nil:
            "authentication is required: send an API key or an identity provider's JWT as 'Authorization: Bearer …' (or a key as 'X-API-Key: KEY')"
        case .required:
            "authentication is required: send an API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY' (`spotter keys create` makes one)"
        }
    }
}
