/// When to try a failed model call again, and how long to wait first.
///
/// Exponential backoff with full jitter (a random wait between 0 and `min(maxDelay, baseDelay × 2^(retry-1))`)
/// spreads the retries of many clients instead of synchronising them. A `Retry-After` from the upstream replaces
/// the jittered wait, capped at ``maxRetryAfter`` so a user is never kept waiting for minutes.
public struct RetryPolicy: Sendable, Equatable {
    /// Calls in all, the first included; 1 means no retries.
    public var maxAttempts: Int
    /// Seconds; the ceiling of the first retry's wait.
    public var baseDelay: Double
    /// Seconds; the ceiling of any jittered wait.
    public var maxDelay: Double
    /// Seconds; the longest `Retry-After` honoured.
    public var maxRetryAfter: Double

    public init(maxAttempts: Int = 3, baseDelay: Double = 0.25, maxDelay: Double = 4, maxRetryAfter: Double = 10) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.maxRetryAfter = max(0, maxRetryAfter)
    }

    /// No retries at all.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The seconds to wait before attempt `attempt + 1` after `attempt` failed with `error`; nil when the call
    /// should not be retried (the error is not retryable, or the attempts are used up).
    public func delay(after attempt: Int, failedWith error: ChatModelError,
                      using generator: inout some RandomNumberGenerator) -> Double? {
        guard error.isRetryable, attempt < maxAttempts else { return nil }
        if case .status(_, _, _, let retryAfter?) = error { return min(retryAfter, maxRetryAfter) }
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(attempt - 1, 30)))
        return ceiling > 0 ? Double.random(in: 0...ceiling, using: &generator) : 0
    }

    /// ``delay(after:failedWith:using:)`` with the system's random numbers.
    public func delay(after attempt: Int, failedWith error: ChatModelError) -> Double? {
        var generator = SystemRandomNumberGenerator()
        return delay(after: attempt, failedWith: error, using: &generator)
    }
}
