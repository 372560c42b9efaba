import Hummingbird
import Synchronization

/// Caps the answers in progress at once, so that a burst queues at the client (429 with `Retry-After`) instead of
/// piling model calls and embedder work onto a server that cannot keep up.
final class AnswerAdmission: Sendable {
    let limit: Int
    private let inProgress = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// A ticket for one answer; the slot is freed when the last reference to it goes (after the response body).
    final class Ticket: Sendable {
        private let admission: AnswerAdmission

        fileprivate init(_ admission: AnswerAdmission) {
            self.admission = admission
        }

        deinit {
            admission.inProgress.withLock { $0 -= 1 }
        }
    }

    func admit() throws(APIError) -> Ticket {
        let admitted = inProgress.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            var headers = HTTPFields()
            headers[.retryAfter] = "1"
            throw APIError(.tooManyRequests, code: "rate_limited",
                           message: "\(limit) answers are in progress, the most this server takes at once (SPOTTER_MAX_CONCURRENT_ANSWERS); retry shortly",
                           headers: headers)
        }
        return Ticket(self)
    }
}
