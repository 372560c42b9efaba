import Synchronization

/// A deadline that moves forward whenever bytes arrive, and a watchdog that throws ``ChatModelError/timeout`` once
/// it passes: how a stream gets a limit between reads rather than one on its whole length.
final class StreamDeadline: Sendable {
    private struct State {
        var deadline: ContinuousClock.Instant
        var limit: Double
    }

    private let state: Mutex<State>
    /// How late a timeout may be noticed.
    private static let granularity = Duration.milliseconds(50)

    init(seconds: Double) {
        state = Mutex(State(deadline: .now + .seconds(seconds), limit: seconds))
    }

    /// Allows `seconds` more from now.
    func extend(by seconds: Double) {
        state.withLock { $0 = State(deadline: .now + .seconds(seconds), limit: seconds) }
    }

    /// Returns only by throwing: the timeout once the deadline passes, or cancellation.
    func watch(upstream: String) async throws {
        while true {
            let current = state.withLock { $0 }
            if ContinuousClock.now >= current.deadline {
                throw ChatModelError.timeout(upstream: upstream, seconds: current.limit)
            }
            // Short naps rather than one sleep to the deadline: `extend` may also bring the deadline closer (the
            // idle limit is usually shorter than the first-byte limit).
            try await Task.sleep(until: min(current.deadline, .now + Self.granularity), clock: .continuous)
        }
    }
}
