import Foundation
import Synchronization

/// Conversations as clients see them: the one home of the expiry rule, used by the pipeline's conversation stage
/// and by `GET`/`DELETE /v1/sessions/{id}`.
///
/// Every read first waits for the session's turns still queued in the ``AnswerLog``, so a client that asks right
/// after an answer sees it.
public struct Sessions: Sendable {
    let store: any ConversationStore
    let log: AnswerLog
    /// A session unused for this long is forgotten.
    public let idleTime: TimeInterval
    let sweep = SessionSweep()

    init(store: any ConversationStore, log: AnswerLog, idleTime: TimeInterval) {
        self.store = store
        self.log = log
        self.idleTime = idleTime
    }

    /// What the store holds for a session id.
    public enum Lookup: Sendable, Equatable {
        case missing
        /// Another tenant's or another user's: shown to the caller as missing, but never continued or reused.
        case someoneElses
        /// Idle past ``idleTime``: treated as gone, deleted by the next answer that names it or by the sweep.
        case expired(SessionRecord)
        case live(SessionRecord)
    }

    public func lookup(id: String, reader: Reader, now: Date = Date()) async throws(StoreError) -> Lookup {
        await log.settle(session: id)
        guard let session = try store.session(id: id) else { return .missing }
        guard reader.owns(tenant: session.tenant, userID: session.userID) else { return .someoneElses }
        return session.expiry(idleTime: idleTime) < now ? .expired(session) : .live(session)
    }

    /// A live session of the reader's and its messages, oldest first; nil when it never existed, was deleted,
    /// expired or is someone else's.
    public func transcript(id: String, reader: Reader, now: Date = Date()) async throws(StoreError) -> SessionTranscript? {
        guard case .live(let session) = try await lookup(id: id, reader: reader, now: now) else { return nil }
        return SessionTranscript(session: session, messages: try store.messages(inSession: id),
                                 expiresAt: session.expiry(idleTime: idleTime))
    }

    /// Deletes a session of the reader's and its messages; false when there was none (or it is someone else's).
    public func delete(id: String, reader: Reader) async throws(StoreError) -> Bool {
        // A turn still queued would open the session again after the delete.
        await log.settle(session: id)
        guard let session = try store.session(id: id), reader.owns(tenant: session.tenant, userID: session.userID) else { return false }
        return try store.deleteSession(id: id)
    }
}

/// A session with its messages, as `GET /v1/sessions/{id}` shows it.
public struct SessionTranscript: Sendable, Equatable {
    public var session: SessionRecord
    public var messages: [StoredMessage]
    public var expiresAt: Date
}

/// When idle sessions were last swept: a sweep is a write, and stateless clients open a session per question.
final class SessionSweep: Sendable {
    static let interval: TimeInterval = 60
    private let last = Mutex<Date?>(nil)

    /// True at most once per ``interval`` (the caller then sweeps).
    func isDue(_ now: Date) -> Bool {
        last.withLock { last in
            if let previous = last, now.timeIntervalSince(previous) < Self.interval, now >= previous { return false }
            last = now
            return true
        }
    }
}
