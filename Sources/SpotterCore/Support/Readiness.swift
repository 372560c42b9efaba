import Synchronization

/// Whether the server is ready to answer API requests, settable while it runs (start-up, a model or index
/// reload, a drain before shutdown).
///
/// While not ready, every `/v1/*` request gets 503 `not_ready` with `Retry-After`, `/readyz` says why, and
/// `/healthz` still answers 200 (the process is alive).
///
/// ```swift
/// let readiness = ReadinessState(ready: false, reason: "loading indexes")
/// let server = SpotterHTTPServer(spotter: spotter, logger: logger, readiness: readiness)
/// // IndexLoader(engine: engine, readiness: readiness) loads, then calls readiness.setReady()
/// ```
public final class ReadinessState: Sendable {
    /// Seconds a client is told to wait (`Retry-After`) while the server is not ready.
    public static let retryAfterSeconds = 5

    private let state: Mutex<String?>

    /// `reason` says why the server is not ready, for `/readyz` and the 503 message.
    public init(ready: Bool = true, reason: String = "the server is starting") {
        state = Mutex(ready ? nil : reason)
    }

    public var isReady: Bool { state.withLock { $0 == nil } }

    /// Why the server is not ready; nil when it is.
    public var notReadyReason: String? { state.withLock { $0 } }

    public func setReady() {
        state.withLock { $0 = nil }
    }

    public func setNotReady(reason: String) {
        state.withLock { $0 = reason }
    }
}
