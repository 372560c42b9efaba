import Foundation
import Metrics

/// A user's verdict on an answer.
public enum Rating: String, Sendable, Codable, CaseIterable {
    case up, down
}

/// One user's feedback on one answer. A user has at most one per answer: sending it again replaces it.
@SnakeCaseCodingKeys
public struct Feedback: Sendable, Equatable, Codable {
    public var answerID: String
    /// Who gave it; empty for an anonymous caller (the security work fills it from the caller's identity).
    public var user: String
    public var rating: Rating
    /// A short label ("wrong", "outdated", "not relevant", …).
    public var reason: String?
    public var comment: String?
    /// What the answer should have said: material for evaluation and fine-tuning sets.
    public var correction: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(answerID: String, user: String, rating: Rating, reason: String? = nil, comment: String? = nil,
                correction: String? = nil, createdAt: Date, updatedAt: Date) {
        self.answerID = answerID
        self.user = user
        self.rating = rating
        self.reason = reason
        self.comment = comment
        self.correction = correction
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Where feedback is kept (the store keeps it beside the answer records; see ``SpotterStore``).
public protocol FeedbackStore: Sendable {
    /// Stores the feedback, replacing the user's earlier feedback on the answer (whose creation time is kept);
    /// returns what is stored and the rating it replaced.
    func saveFeedback(_ feedback: Feedback) throws(StoreError) -> (stored: Feedback, previous: Rating?)
    /// Every user's feedback on an answer, oldest first.
    func feedback(answerID: String) throws(StoreError) -> [Feedback]
}

/// Why feedback was refused.
public enum FeedbackError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownAnswer(String)
    case invalid(field: String, reason: String)
    case store(StoreError)

    public var description: String {
        switch self {
        case .unknownAnswer(let id): "no answer '\(id)' (the id comes from an answer's `answer_id`)"
        case .invalid(let field, let reason): "field '\(field)' \(reason)"
        case .store(let error): "the store failed: \(error)"
        }
    }
}

/// Takes feedback on answers: validates it, stores it once per answer and user, and lets the cache act on a
/// thumbs-down (the cached answer behind it is evicted and, when it was a hit, recorded as a false hit).
public struct FeedbackService: Sendable {
    public static let maximumReasonLength = 200
    public static let maximumCommentLength = 4_000
    public static let maximumCorrectionLength = 16_000
    public static let maximumUserLength = 128

    /// What one submission did.
    @SnakeCaseCodingKeys(writesNulls: true)
    public struct Receipt: Sendable, Equatable, Codable {
        public var feedback: Feedback
        /// The rating this submission replaced; nil for the user's first feedback on the answer.
        public var previousRating: Rating?
        /// What the cache did: nil unless the rating turned to `down`.
        public var cache: SemanticCache.FeedbackOutcome?
    }

    public let answers: AnswerPipeline
    public let store: any FeedbackStore
    public let cache: SemanticCache?
    let metrics: any MetricsFactory
    /// Told about each new or changed rating (the negative-feedback signal).
    let drift: DriftMonitor?

    public init(answers: AnswerPipeline, store: any FeedbackStore, cache: SemanticCache?, metrics: any MetricsFactory = MetricsSystem.factory,
                drift: DriftMonitor? = nil) {
        self.answers = answers
        self.drift = drift
        self.store = store
        self.cache = cache
        self.metrics = metrics
    }

    /// Every user's feedback on an answer, oldest first.
    public func feedback(answerID: String) throws(StoreError) -> [Feedback] {
        try store.feedback(answerID: answerID)
    }

    /// Records the verdict on one of the reader's answers (another tenant's or user's is an unknown answer). A
    /// reader who is a user gives feedback as that user, whatever `user` says.
    public func submit(answerID: String, rating: Rating, user: String? = nil, reason: String? = nil, comment: String? = nil,
                       correction: String? = nil, reader: Reader = .operating(Principal.defaultTenant),
                       now: Date = Date()) async throws(FeedbackError) -> Receipt {
        guard Identifier.isValid(answerID) else {
            throw .invalid(field: "answer_id", reason: "must be an answer id: 1–128 letters, digits, '-', '_', '.' or ':'")
        }
        let given = try Self.text(user, field: "user", maximum: Self.maximumUserLength)
        let user = reader.userID ?? given ?? ""
        let feedback = Feedback(
            answerID: answerID, user: user, rating: rating,
            reason: try Self.text(reason, field: "reason", maximum: Self.maximumReasonLength),
            comment: try Self.text(comment, field: "comment", maximum: Self.maximumCommentLength),
            correction: try Self.text(correction, field: "correction", maximum: Self.maximumCorrectionLength),
            createdAt: now, updatedAt: now)
        let found: AnswerRecord?
        do {
            found = try await answers.recordedAnswer(id: answerID, reader: reader)
        } catch {
            throw .store(error)
        }
        guard let record = found else { throw .unknownAnswer(answerID) }
        do {
            let (stored, previous) = try store.saveFeedback(feedback)
            var outcome: SemanticCache.FeedbackOutcome?
            // Only a change to `down` acts on the cache: a repeated thumbs-down must not count the false hit twice.
            if rating == .down, previous != .down, let cache {
                outcome = try cache.negativeFeedback(on: record, now: now)
            }
            if previous != rating {
                Counter(label: "spotter_feedback_total", dimensions: [("rating", rating.rawValue)], factory: metrics).increment()
                drift?.observeFeedback(rating)
                if let assistant = answers.registry.assistant(named: record.assistant) {
                    answers.variants.observeFeedback(assistant: assistant, variant: record.variant, rating: rating)
                }
            }
            return Receipt(feedback: stored, previousRating: previous, cache: outcome)
        } catch {
            throw .store(error)
        }
    }

    /// Trimmed text within its bound; nil when absent or blank.
    static func text(_ value: String?, field: String, maximum: Int) throws(FeedbackError) -> String? {
        guard let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        guard trimmed.count <= maximum else {
            throw .invalid(field: field, reason: "is \(trimmed.count) characters; at most \(maximum) are accepted")
        }
        return trimmed
    }
}
