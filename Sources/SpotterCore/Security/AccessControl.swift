import Foundation

/// How a server decides who is calling: whether credentials are asked for, the keys they are checked against, and
/// who may read the metrics. Made once at start (``make(configuration:store:host:)``).
public struct AccessControl: Sendable {
    public var mode: AuthenticationMode
    public var metricsAccess: MetricsAccess
    /// The keys presented credentials are checked against; nil when authentication is off.
    public var keys: APIKeyService?

    /// Every caller is ``Principal/open``: what a server on a loopback address does by default.
    public static let off = AccessControl(mode: .off, metricsAccess: .open, keys: nil)

    public init(mode: AuthenticationMode, metricsAccess: MetricsAccess, keys: APIKeyService?) {
        self.mode = mode
        self.metricsAccess = metricsAccess
        self.keys = keys
    }

    /// The access the configuration asks for on a server listening on `host`: `SPOTTER_AUTH`, else required
    /// unless `host` is a loopback address. With authentication required the server secret is loaded (or made).
    public static func make(configuration: SpotterConfiguration, store: any APIKeyStore, host: String) throws(AccessError) -> AccessControl {
        let mode = configuration.authentication ?? AuthenticationMode.defaultMode(host: host)
        guard mode == .required else { return .off }
        return AccessControl(mode: .required, metricsAccess: configuration.metricsAccess,
                             keys: APIKeyService(store: store, secret: try ServerSecret.load(configuration)))
    }

    /// The caller a request's credential stands for; nil when it proves nothing (missing, malformed, unknown or
    /// revoked: one answer for all).
    public func principal(credential: String?) throws(StoreError) -> Principal? {
        guard mode == .required, let keys else { return .open }
        guard let credential, !credential.isEmpty else { return nil }
        return try keys.authenticate(credential)
    }

    /// One line for the start-up log saying how callers are checked.
    public func startupMessage(host: String) -> String {
        switch mode {
        case .off where AuthenticationMode.isLoopback(host):
            "authentication is off: listening on the loopback address \(host) only, every request is answered without a key (SPOTTER_AUTH=required asks for one)"
        case .off:
            "authentication is OFF on \(host), which other machines may reach: anyone who reaches the port can read, ingest and purge (set SPOTTER_AUTH=required)"
        case .required:
            "authentication is required: send an API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY' (`spotter keys create` makes one)"
        }
    }
}
