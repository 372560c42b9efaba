import Logging
import Metrics

/// Wraps a ``ChatModel`` with retries and a circuit breaker.
///
/// A retryable failure (``ChatModelError/isRetryable``) is retried per the ``RetryPolicy`` only while nothing has
/// reached the consumer: once a ``ChatModelEvent/delta(_:)`` went out, a retry would repeat or contradict words the
/// user already read, so the failure is rethrown as is. Calls the breaker refuses fail at once with
/// ``ChatModelError/circuitOpen(upstream:retryInSeconds:)`` (and a ``FallbackChatModel`` moves on).
/// Counts `spotter_llm_retries_total{upstream}` and `spotter_llm_errors_total{upstream,kind}`.
public struct ResilientChatModel: ChatModel {
    public let upstream: any ChatModel
    public let retry: RetryPolicy
    public let breaker: CircuitBreaker
    private let logger: Logger
    private let metrics: any MetricsFactory
    private let retries: Counter

    public var name: String { upstream.name }

    /// - Parameters:
    ///   - breaker: shared by every request to this upstream; by default a new one named after it.
    ///   - metrics: where the counters go; the process's `MetricsSystem` unless a test passes its own.
    public init(upstream: any ChatModel, retry: RetryPolicy = RetryPolicy(), breaker: CircuitBreaker? = nil,
                logger: Logger = Logger(label: "spotter.llm"), metrics: any MetricsFactory = MetricsSystem.factory) {
        self.upstream = upstream
        self.retry = retry
        self.breaker = breaker ?? CircuitBreaker(upstream: upstream.name, logger: logger, metrics: metrics)
        self.logger = logger
        self.metrics = metrics
        retries = Counter(label: "spotter_llm_retries_total", dimensions: [("upstream", upstream.name)], factory: metrics)
    }

    public func stream(_ request: ChatModelRequest) -> AsyncThrowingStream<ChatModelEvent, any Error> {
        .producing { continuation in try await run(request, continuation) }
    }

    private func run(_ request: ChatModelRequest, _ continuation: AsyncThrowingStream<ChatModelEvent, any Error>.Continuation) async throws {
        var attempt = 1
        while true {
            do {
                try breaker.permitCall()
            } catch {
                countError(error)
                throw error
            }
            var forwardedDelta = false
            do {
                for try await event in upstream.stream(request) {
                    if case .delta = event { forwardedDelta = true }
                    if case .finished = event {
                        breaker.record(.success)
                        continuation.yield(event)
                        continuation.finish()
                        return
                    }
                    continuation.yield(event)
                }
                // The contract promises `.finished`; a stream that ends without it did not finish its answer.
                throw ChatModelError.incompleteStream(upstream: upstream.name)
            } catch {
                let failure = ChatModelError(classifying: error, upstream: upstream.name)
                breaker.record(CircuitBreaker.Outcome(failure))
                if failure == .cancelled || Task.isCancelled { throw ChatModelError.cancelled }
                countError(failure)
                guard !forwardedDelta, let delay = retry.delay(after: attempt, failedWith: failure) else { throw failure }
                retries.increment()
                logger.notice("retrying language model call", metadata: [
                    "upstream": "\(upstream.name)", "attempt": "\(attempt + 1)", "delay_seconds": "\(delay)",
                    "error": "\(failure)",
                ])
                try await Task.sleep(for: .seconds(delay))
                attempt += 1
            }
        }
    }

    private func countError(_ error: ChatModelError) {
        Counter(label: "spotter_llm_errors_total", dimensions: [("upstream", upstream.name), ("kind", error.kind)], factory: metrics)
            .increment()
    }
}

extension ChatModelError {
    /// Any error from a model's stream as a ``ChatModelError``.
    init(classifying error: any Error, upstream: String) {
        switch error {
        case let error as ChatModelError: self = error
        case is CancellationError: self = .cancelled
        default: self = .connection(upstream: upstream, reason: "\(error)")
        }
    }

    /// A short label for metrics.
    var kind: String {
        switch self {
        case .connection: return "connection"
        case .timeout: return "timeout"
        case .status(_, let code, _, _): return "status_\(code)"
        case .malformedResponse: return "malformed_response"
        case .incompleteStream: return "incomplete_stream"
        case .circuitOpen: return "circuit_open"
        case .allFailed: return "all_failed"
        case .cancelled: return "cancelled"
        }
    }
}
