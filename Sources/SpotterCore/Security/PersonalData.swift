import Crypto
import Foundation
import Logging

/// Everything Spotter keeps about one person in one tenant (GDPR access, article 15): their sessions with every
/// message, their answer records (traces included), their feedback, and the cached answers made from their questions.
@MemberwiseInit
@SnakeCaseCodingKeys
public struct PersonalDataExport: Sendable, Equatable, Codable {
    public var user: String
    public var tenant: String
    public var exportedAt: Date
    public var sessions: [ExportedSession]
    public var answers: [AnswerRecord]
    public var feedback: [Feedback]
    public var cachedAnswers: [ExportedCachedAnswer]
}

/// A session of the export, with its messages in order.
@MemberwiseInit
@SnakeCaseCodingKeys
public struct ExportedSession: Sendable, Equatable, Codable {
    public var id: String
    @WireKey("kb") public var knowledgeBase: String
    public var assistant: String
    public var createdAt: Date
    public var updatedAt: Date
    public var messages: [StoredMessage]
}

/// A semantic-cache entry made from one of the person's questions, as it may be served to others of the tenant.
@MemberwiseInit
@SnakeCaseCodingKeys
public struct ExportedCachedAnswer: Sendable, Equatable, Codable {
    public var id: String
    @WireKey("kb") public var knowledgeBase: String
    public var question: String
    public var answer: String
    public var createdAt: Date
}

/// What an erasure removed (GDPR erasure, article 17).
@MemberwiseInit
@SnakeCaseCodingKeys
public struct PersonalDataErasure: Sendable, Equatable, Codable {
    public var user: String
    public var tenant: String
    public var sessions: Int
    public var messages: Int
    public var answers: Int
    public var feedback: Int
    public var cachedAnswers: Int
    /// Reports of wrong cache hits that quoted the person's questions.
    public var falseHits: Int
    /// Whether the write-ahead log was emptied after the erasure, so that no copy of an erased page is left on
    /// disk; false when a reader held it (the next checkpoint finishes the job).
    public var logTruncated: Bool
}

/// The rows one person's data spans, found before export or erasure.
@MemberwiseInit
public struct PersonalDataRows: Sendable, Equatable {
    public var sessions: [SessionRecord]
    public var answerIDs: [String]
    public var feedback: [Feedback]
    public var cachedAnswers: [ExportedCachedAnswer]
}

/// Where a person's data is found and erased. A person is a user id within a tenant: a token's `sub`, or the `user`
/// an application passed for its end user.
public protocol PersonalDataStore: Sendable {
    /// The person's sessions, answer ids (newest last), feedback and the cache entries made from their answers.
    func personalDataRows(user: String, tenant: String) throws(StoreError) -> PersonalDataRows
    /// Deletes all of it in one transaction; the counts say what went (``PersonalDataErasure/logTruncated`` is false).
    func erasePersonalData(user: String, tenant: String) throws(StoreError) -> PersonalDataErasure
    /// Copies the write-ahead log into the database and empties it; false when a reader kept it from finishing.
    func truncateWriteAheadLog() throws(StoreError) -> Bool
}

public enum PersonalDataError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidUser(String)
    /// The server secret, which names the person in the audit log, cannot be read.
    case secret(AccessError)
    case store(StoreError)

    public var description: String {
        switch self {
        case .invalidUser(let reason): "user \(reason)"
        case .secret(let error): error.description
        case .store(let error): error.description
        }
    }
}

/// A person's data: export and erasure, each recorded in the audit log under a pseudonym of the person (an HMAC of
/// tenant and user under the server secret), so that the log itself keeps no identifier of someone erased.
///
/// ```swift
/// let personalData = try spotter.personalData()
/// let export = try await personalData.export(user: "alice", tenant: "default", actor: "cli")
/// let erased = try await personalData.erase(user: "alice", tenant: "default", actor: "cli")
/// ```
public struct PersonalDataService: Sendable {
    public static let maximumUserLength = FeedbackService.maximumUserLength

    let store: any PersonalDataStore & ConversationStore & AuditStore
    let pseudonymKey: ServerSecret
    /// Writes not yet in the store (the answer log writes behind), flushed first so that nothing arrives after.
    let settle: @Sendable () async -> Void
    /// Forgets cache entries in memory once they are gone from the store.
    let forgetCached: @Sendable ([String]) -> Void
    let logger: Logger

    public init(store: any PersonalDataStore & ConversationStore & AuditStore, pseudonymKey: ServerSecret,
                settle: @escaping @Sendable () async -> Void = {}, forgetCached: @escaping @Sendable ([String]) -> Void = { _ in },
                logger: Logger = Logger(label: "spotter.personal-data")) {
        self.store = store
        self.pseudonymKey = pseudonymKey
        self.settle = settle
        self.forgetCached = forgetCached
        self.logger = logger
    }

    /// The service over `store`, naming people in the audit log under the configuration's server secret.
    public init(store: any PersonalDataStore & ConversationStore & AuditStore, configuration: SpotterConfiguration,
                settle: @escaping @Sendable () async -> Void = {}, forgetCached: @escaping @Sendable ([String]) -> Void = { _ in },
                logger: Logger = Logger(label: "spotter.personal-data")) throws(PersonalDataError) {
        let secret: ServerSecret
        do { secret = try ServerSecret.load(configuration) } catch { throw .secret(error) }
        self.init(store: store, pseudonymKey: secret, settle: settle, forgetCached: forgetCached, logger: logger)
    }

    /// A user id is 1–128 characters, as the `user` of a chat request and of feedback.
    public static func validate(user: String) throws(PersonalDataError) {
        guard !user.isEmpty, user.count <= maximumUserLength else {
            throw .invalidUser("must be 1–\(maximumUserLength) characters, not \(user.count)")
        }
    }

    /// How the audit log names the person: `user:` and 32 hex digits of HMAC-SHA256(secret, tenant NUL user).
    /// Whoever has the secret and the user id can recompute it; the log alone does not reveal the id.
    public func pseudonym(user: String, tenant: String) -> String {
        "user:" + pseudonymKey.hash(tenant + "\u{0}" + user).prefix(32)
    }

    public func export(user: String, tenant: String, actor: String, now: Date = Date()) async throws(PersonalDataError) -> PersonalDataExport {
        try Self.validate(user: user)
        await settle()
        do {
            let rows = try store.personalDataRows(user: user, tenant: tenant)
            var sessions: [ExportedSession] = []
            for session in rows.sessions {
                sessions.append(ExportedSession(id: session.id, knowledgeBase: session.knowledgeBase, assistant: session.assistant,
                                                createdAt: session.createdAt, updatedAt: session.updatedAt,
                                                messages: try store.messages(inSession: session.id)))
            }
            var answers: [AnswerRecord] = []
            for id in rows.answerIDs {
                if let record = try store.answer(id: id) { answers.append(record) }
            }
            note(.personalDataExported, user: user, tenant: tenant, actor: actor,
                 detail: ["sessions": String(sessions.count), "answers": String(answers.count), "feedback": String(rows.feedback.count)])
            return PersonalDataExport(user: user, tenant: tenant, exportedAt: now, sessions: sessions, answers: answers,
                                      feedback: rows.feedback, cachedAnswers: rows.cachedAnswers)
        } catch {
            throw .store(error)
        }
    }

    /// Deletes the person's sessions and messages, answer records (with their scores), feedback, the cache entries
    /// made from their questions and the false-hit reports quoting them, then empties the write-ahead log. With
    /// `secure_delete` on, the freed space is overwritten.
    public func erase(user: String, tenant: String, actor: String) async throws(PersonalDataError) -> PersonalDataErasure {
        try Self.validate(user: user)
        await settle()
        do {
            let cached = try store.personalDataRows(user: user, tenant: tenant).cachedAnswers.map(\.id)
            var erased = try store.erasePersonalData(user: user, tenant: tenant)
            forgetCached(cached)
            // The audit entry first, so that the log truncation below also covers its own transaction.
            note(.personalDataErased, user: user, tenant: tenant, actor: actor, detail: [
                "sessions": String(erased.sessions), "messages": String(erased.messages), "answers": String(erased.answers),
                "feedback": String(erased.feedback), "cached_answers": String(erased.cachedAnswers),
            ])
            erased.logTruncated = try store.truncateWriteAheadLog()
            if !erased.logTruncated {
                logger.warning("the write-ahead log could not be emptied after an erasure (a reader held it); the next checkpoint does")
            }
            return erased
        } catch {
            throw .store(error)
        }
    }

    private func note(_ action: AuditAction, user: String, tenant: String, actor: String, detail: [String: String]) {
        // The person acting on their own data is named by the pseudonym too, not by `sub:USER`.
        let recordedActor = actor == "sub:\(user)" ? "data-subject" : actor
        AuditLog(store: store).note(AuditEvent(actor: recordedActor, tenant: tenant, action: action,
                                               target: pseudonym(user: user, tenant: tenant), detail: detail), logger: logger)
    }
}
