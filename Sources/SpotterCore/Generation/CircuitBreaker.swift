import Logging
import Metrics
import Synchronization

/// Stops calling an upstream that keeps failing, so answers fall back at once instead of waiting for timeouts,
/// and the upstream gets room to recover.
///
/// Closed (calls pass) → open after ``failureThreshold`` consecutive failures (calls fail fast with
/// ``ChatModelError/circuitOpen(upstream:retryInSeconds:)``) → half-open after ``coolDown`` seconds (one probe
/// call at a time passes) → closed when the probe succeeds, open again when it fails. One breaker per upstream,
/// shared by every request. Each transition is logged once and exported as the gauge
/// `spotter_llm_breaker_state{upstream}` (0 closed, 1 half-open, 2 open).
public final class CircuitBreaker: Sendable {
    public enum State: Int, Sendable, Equatable {
        case closed = 0
        case halfOpen = 1
        case open = 2
    }

    /// What a call's outcome says about the upstream's health.
    public enum Outcome: Sendable, Equatable {
        case success
        case failure
        /// Says nothing about the upstream (cancelled by the consumer, or a request error such as 400 or 401).
        case neutral

        /// Outages count (connection, timeouts, 429, 5xx, garbled streams); the caller's own mistakes do not.
        public init(_ error: ChatModelError) {
            switch error {
            case .connection, .timeout, .malformedResponse, .incompleteStream: self = .failure
            case .status: self = error.isRetryable ? .failure : .neutral
            case .circuitOpen, .allFailed, .cancelled: self = .neutral
            }
        }
    }

    private struct Machine {
        var state = State.closed
        var consecutiveFailures = 0
        var openedAt = ContinuousClock.now
        var probeInFlight = false
    }

    public let upstream: String
    public let failureThreshold: Int
    /// Seconds open before a probe is let through.
    public let coolDown: Double
    private let machine = Mutex(Machine())
    private let logger: Logger
    private let gauge: Gauge

    /// - Parameter metrics: where the state gauge goes; the process's `MetricsSystem` unless a test passes its own.
    public init(upstream: String, failureThreshold: Int = 5, coolDown: Double = 30, logger: Logger = Logger(label: "spotter.llm"),
                metrics: any MetricsFactory = MetricsSystem.factory) {
        self.upstream = upstream
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = max(0, coolDown)
        self.logger = logger
        gauge = Gauge(label: "spotter_llm_breaker_state", dimensions: [("upstream", upstream)], factory: metrics)
        gauge.record(State.closed.rawValue)
    }

    /// The state as of the last call or outcome (an open breaker past its cool-down turns half-open on the next
    /// ``permitCall()``).
    public var state: State { machine.withLock { $0.state } }

    /// Lets a call through, or throws ``ChatModelError/circuitOpen(upstream:retryInSeconds:)``. A call let through
    /// must report its ``record(_:)``.
    public func permitCall() throws(ChatModelError) {
        let (transition, refusal): (State?, Double?) = machine.withLock { machine in
            switch machine.state {
            case .closed:
                return (nil, nil)
            case .open:
                let remaining = coolDown - (ContinuousClock.now - machine.openedAt).inSeconds
                guard remaining <= 0 else { return (nil, remaining) }
                machine.state = .halfOpen
                machine.probeInFlight = true
                return (.halfOpen, nil)
            case .halfOpen:
                guard !machine.probeInFlight else { return (nil, max(0.1, coolDown / 10)) }
                machine.probeInFlight = true
                return (nil, nil)
            }
        }
        if let transition { report(transition, failures: nil) }
        if let refusal { throw .circuitOpen(upstream: upstream, retryInSeconds: refusal) }
    }

    /// Counts a call's outcome.
    public func record(_ outcome: Outcome) {
        let (transition, failures): (State?, Int) = machine.withLock { machine in
            switch outcome {
            case .neutral:
                if machine.state == .halfOpen { machine.probeInFlight = false }
                return (nil, machine.consecutiveFailures)
            case .success:
                machine.consecutiveFailures = 0
                machine.probeInFlight = false
                guard machine.state != .closed else { return (nil, 0) }
                machine.state = .closed
                return (.closed, 0)
            case .failure:
                machine.consecutiveFailures += 1
                machine.probeInFlight = false
                let shouldOpen = machine.state == .halfOpen
                    || (machine.state == .closed && machine.consecutiveFailures >= failureThreshold)
                guard shouldOpen else { return (nil, machine.consecutiveFailures) }
                machine.state = .open
                machine.openedAt = .now
                return (.open, machine.consecutiveFailures)
            }
        }
        if let transition { report(transition, failures: failures) }
    }

    private func report(_ state: State, failures: Int?) {
        gauge.record(state.rawValue)
        var metadata: Logger.Metadata = ["upstream": "\(upstream)", "state": "\(state)"]
        if let failures { metadata["consecutive_failures"] = "\(failures)" }
        switch state {
        case .open: logger.warning("circuit breaker opened", metadata: metadata.merging(["cool_down_seconds": "\(coolDown)"]) { $1 })
        case .halfOpen: logger.notice("circuit breaker half-open: probing", metadata: metadata)
        case .closed: logger.notice("circuit breaker closed", metadata: metadata)
        }
    }
}
