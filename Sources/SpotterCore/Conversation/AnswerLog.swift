import Foundation
import Logging
import Synchronization

/// The answers' bookkeeping (answer records, conversation turns, the idle-session sweep), written behind the answer:
/// the user gets the answer as soon as it exists, and a background writer stores the records in the order they came,
/// many to a transaction when they arrive faster than one commit.
///
/// Reads that must see a write wait for it first: ``settle(session:)`` before a session's history is read, changed
/// or shown, ``settle()`` before an answer record is read or the process ends. A reader that waits starts the write at
/// once, so the gathering never delays it. Writes still pending when the process is killed are lost (at most the
/// gathering's worth); ``settle()`` at shutdown loses none.
public final class AnswerLog: Sendable {
    let store: any ConversationStore
    let logger: Logger
    private let state = Mutex(State())
    /// The writer's own thread: SQLite writes block, and on the cooperative pool (one thread a core) a blocked writer
    /// would leave the answers fewer threads to run on.
    private let writer = DispatchQueue(label: "spotter.answer-log", qos: .utility)
    /// How long answers gather before a transaction writes them. Each commit rewrites the last page of every table
    /// and index it touches, so fewer, larger transactions write fewer bytes a record: at 50 ms rather than 10,
    /// cache hits were served about 4% faster on 4 connections (docs/performance.md).
    let gathering: DispatchTimeInterval
    public static let defaultGathering: Duration = .milliseconds(50)

    struct State {
        var queue: [ConversationWrite] = []
        /// Writes submitted and written so far, counted from the start: a waiter waits for `written` to reach the
        /// number submitted when it asked.
        var submitted = 0
        var written = 0
        var writing = false
        /// A drain was started ahead of the gathering for a waiting reader, and has not taken its batch yet.
        var hurried = false
        /// The number of the last submitted write for each session with writes pending.
        var pendingSessions: [String: Int] = [:]
        var waiters: [(until: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    public init(store: any ConversationStore, logger: Logger = Logger(label: "spotter.answers"),
                gathering: Duration = AnswerLog.defaultGathering) {
        self.store = store
        self.logger = logger
        self.gathering = .microseconds(Int(gathering.inSeconds * 1_000_000))
    }

    /// Queues a write; a writer task is started when none is running.
    public func submit(_ write: ConversationWrite) {
        let startWriter = state.withLock { state in
            state.queue.append(write)
            state.submitted += 1
            if let session = write.sessionID { state.pendingSessions[session] = state.submitted }
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        // The writer outlives the request that started it; it ends as soon as the queue is empty. It waits a moment
        // first, so that answers arriving together share a transaction.
        if startWriter {
            writer.asyncAfter(deadline: .now() + gathering) { self.drain() }
        }
    }

    /// Returns when every write submitted before the call is stored.
    public func settle() async {
        await wait { state in state.submitted }
    }

    /// Returns when the writes pending for this session are stored (at once when there are none).
    public func settle(session id: String) async {
        await wait { state in state.pendingSessions[id] }
    }

    private func wait(until target: (inout State) -> Int?) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (resumeNow, hurry) = state.withLock { state in
                guard let until = target(&state), until > state.written else { return (true, false) }
                state.waiters.append((until, continuation))
                // Someone needs the writes now: the gathering is for throughput, not worth a reader's wait. A second
                // drain is harmless (the writer queue is serial, and a drain with nothing queued just returns).
                guard !state.hurried else { return (false, false) }
                state.hurried = true
                return (false, true)
            }
            if resumeNow { continuation.resume() }
            if hurry { writer.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            let batch: [ConversationWrite] = state.withLock { state in
                defer { state.queue.removeAll(keepingCapacity: true) }
                state.hurried = false
                if state.queue.isEmpty { state.writing = false }
                return state.queue
            }
            if batch.isEmpty { return }
            write(batch)
            let ready = state.withLock { state in
                state.written += batch.count
                let written = state.written
                state.pendingSessions = state.pendingSessions.filter { $0.value > written }
                let ready = state.waiters.filter { $0.until <= written }.map(\.continuation)
                state.waiters.removeAll { $0.until <= written }
                return ready
            }
            for continuation in ready { continuation.resume() }
        }
    }

    /// One transaction for the batch; when it fails, each write alone, so that one bad record loses only itself.
    private func write(_ batch: [ConversationWrite]) {
        do {
            try store.apply(batch)
        } catch {
            guard batch.count > 1 else {
                logger.error("could not record an answer", metadata: ["error": "\(error)", "answer_id": "\(batch[0].answerID ?? "-")"])
                return
            }
            for single in batch { write([single]) }
        }
    }
}

/// One piece of the answers' bookkeeping, as the ``AnswerLog`` queues it.
public enum ConversationWrite: Sendable {
    /// An answer that belongs to no stored session (a stateless OpenAI-style request).
    case answer(AnswerRecord)
    /// A question and its answer appended to the session (opening it on its first turn), and the answer recorded.
    case turn(AnswerRecord, question: StoredMessage, reply: StoredMessage)
    /// Every session idle since before the date is deleted.
    case deleteIdleSessions(before: Date)
    /// Up to `limit` answer records created before the date are deleted (oldest first), with the feedback on them.
    case deleteAnswers(before: Date, limit: Int)

    var sessionID: String? {
        if case .turn(let record, _, _) = self { return record.sessionID }
        return nil
    }

    var answerID: String? {
        switch self {
        case .answer(let record), .turn(let record, _, _): record.id
        case .deleteIdleSessions, .deleteAnswers: nil
        }
    }
}
