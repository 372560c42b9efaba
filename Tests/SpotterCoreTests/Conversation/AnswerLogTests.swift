import Foundation
import GRDB
import SpotterCore
import SpotterTestSupport
import Synchronization
import Testing

/// The answers' bookkeeping written behind the answer: against a real SQLite file, with writes from many tasks at once.
@Suite("Answer log")
struct AnswerLogTests {
    func record(_ id: String, session: String?, at date: Date = Date()) -> AnswerRecord {
        AnswerRecord(id: id, sessionID: session, knowledgeBase: "default", assistant: "spotter", promptVersion: "answer@1",
                     question: "question \(id)", standaloneQuestion: "question \(id)", answer: "answer \(id)", citations: [],
                     model: "offline", grounded: true, usage: TokenUsage(promptTokens: 3, completionTokens: 5), costUSD: nil,
                     latencyMilliseconds: 1, trace: AnswerTrace(id: "trc_\(id)"), createdAt: date)
    }

    func turn(_ id: String, session: String, at date: Date = Date()) -> ConversationWrite {
        .turn(record(id, session: session, at: date),
              question: StoredMessage(role: .user, content: "question \(id)", createdAt: date),
              reply: StoredMessage(role: .assistant, content: "answer \(id)", answerID: id, createdAt: date))
    }

    @Test func everyWriteFromConcurrentTasksLandsInOrderPerSession() async throws {
        let store = try SQLiteStore(directory: try TestEnvironment.temporaryDirectory("answer-log"))
        defer { store.close() }
        let log = AnswerLog(store: store)
        // Eight sessions, each asked ten questions in a row, all sessions at once.
        await withTaskGroup(of: Void.self) { group in
            for session in 0..<8 {
                group.addTask {
                    for question in 0..<10 { log.submit(turn("ans_\(session)_\(question)", session: "ses_\(session)")) }
                }
            }
        }
        await log.settle()
        for session in 0..<8 {
            let messages = try store.messages(inSession: "ses_\(session)")
            #expect(messages.count == 20)
            #expect(messages.compactMap(\.answerID) == (0..<10).map { "ans_\(session)_\($0)" })
        }
        #expect(try store.answer(id: "ans_7_9")?.answer == "answer ans_7_9")
    }

    @Test func aSessionsQueuedTurnIsStoredBeforeItsHistoryIsRead() async throws {
        let store = try SQLiteStore(directory: try TestEnvironment.temporaryDirectory("answer-log-session"))
        defer { store.close() }
        let log = AnswerLog(store: store)
        log.submit(turn("ans_a", session: "ses_a"))
        await log.settle(session: "ses_a")
        #expect(try store.messages(inSession: "ses_a").count == 2)
        #expect(try store.session(id: "ses_a") != nil)
        // A session with nothing queued returns at once.
        await log.settle(session: "ses_unknown")
    }

    @Test func aWaitingReaderDoesNotWaitForTheGathering() async throws {
        let store = try SQLiteStore(directory: try TestEnvironment.temporaryDirectory("answer-log-hurry"))
        defer { store.close() }
        // Writes would gather for an hour: only a reader's wait can start them.
        let log = AnswerLog(store: store, gathering: .seconds(3_600))
        log.submit(turn("ans_h1", session: "ses_h"))
        #expect(await Self.returnsWithinAMinute { await log.settle(session: "ses_h") })
        #expect(try store.messages(inSession: "ses_h").count == 2)
        // Again after that write, with two readers waiting at once: both writes are stored.
        log.submit(.answer(record("ans_h2", session: nil)))
        log.submit(turn("ans_h3", session: "ses_h"))
        #expect(await Self.returnsWithinAMinute {
            async let one: Void = log.settle()
            async let two: Void = log.settle(session: "ses_h")
            _ = await (one, two)
        })
        #expect(try store.answer(id: "ans_h2") != nil)
        #expect(try store.messages(inSession: "ses_h").count == 4)
    }

    /// Whether `wait` returns before a minute has passed. Unstructured on purpose: a reader left waiting cannot be
    /// cancelled, and a task group would wait for it, hanging the test instead of failing it.
    static func returnsWithinAMinute(_ wait: @escaping @Sendable () async -> Void) async -> Bool {
        let first = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            first.withLock { $0 = continuation }
            let finish: @Sendable (Bool) -> Void = { returned in
                first.withLock { pending in
                    pending?.resume(returning: returned)
                    pending = nil
                }
            }
            Task { await wait(); finish(true) }
            Task { try? await Task.sleep(for: .seconds(60)); finish(false) }
        }
    }

    @Test func aBadWriteLosesOnlyItself() async throws {
        let store = try SQLiteStore(directory: try TestEnvironment.temporaryDirectory("answer-log-bad"))
        defer { store.close() }
        let log = AnswerLog(store: store)
        log.submit(.answer(record("ans_first", session: nil)))
        await log.settle()
        // Queued back to back, these share a transaction; the duplicate id fails it, and the others are retried alone.
        log.submit(.answer(record("ans_before", session: nil)))
        log.submit(.answer(record("ans_first", session: nil)))
        log.submit(turn("ans_after", session: "ses_b"))
        await log.settle()
        #expect(try store.answer(id: "ans_before") != nil)
        #expect(try store.answer(id: "ans_after") != nil)
        #expect(try store.messages(inSession: "ses_b").count == 2)
        #expect(try store.answer(id: "ans_first")?.answer == "answer ans_first")
    }

    @Test func answersPastTheirRetentionAreDeletedInBatchesWithTheirFeedback() async throws {
        let store = try SQLiteStore(directory: try TestEnvironment.temporaryDirectory("answer-log-retention"))
        defer { store.close() }
        let log = AnswerLog(store: store)
        let now = Date()
        let old = now.addingTimeInterval(-100 * 86_400)
        for index in 0..<3 { log.submit(.answer(record("ans_old\(index)", session: nil, at: old.addingTimeInterval(Double(index))))) }
        log.submit(.answer(record("ans_new", session: nil, at: now)))
        await log.settle()
        _ = try store.saveFeedback(Feedback(answerID: "ans_old0", user: "", rating: .down, createdAt: now, updatedAt: now))

        // Through the log, one bounded batch: the oldest goes first.
        log.submit(.deleteAnswers(before: now.addingTimeInterval(-90 * 86_400), limit: 1))
        await log.settle()
        #expect(try store.answer(id: "ans_old0") == nil)
        #expect(try store.feedback(answerID: "ans_old0").isEmpty)
        #expect(try store.answer(id: "ans_old1") != nil)
        // By hand, in batches until none is left; the recent record stays.
        #expect(try store.deleteAnswers(before: now.addingTimeInterval(-90 * 86_400), batch: 1) == 2)
        #expect(try store.answer(id: "ans_old2") == nil)
        #expect(try store.answer(id: "ans_new") != nil)
    }

    @Test func aReplyIsStoredOnceInItsRecordAndKeptWhenTheRecordGoes() async throws {
        let directory = try TestEnvironment.temporaryDirectory("answer-log-reply")
        let store = try SQLiteStore(directory: directory)
        defer { store.close() }
        let log = AnswerLog(store: store)
        let old = Date().addingTimeInterval(-100 * 86_400)
        let citation = Citation(n: 1, documentID: "doc_1", chunkID: 7, title: "Protein", source: "protein.md", snippet: "1.2–2.0 g/kg", score: 0.8)
        var answer = record("ans_cited", session: "ses_c", at: old)
        answer.citations = [citation]
        log.submit(.turn(answer, question: StoredMessage(role: .user, content: "question ans_cited", createdAt: old),
                         reply: StoredMessage(role: .assistant, content: "answer ans_cited", answerID: "ans_cited",
                                              citations: [citation], createdAt: old)))
        await log.settle()

        // Read back whole, though the reply's text and citations were written only in the answer's record.
        var messages = try store.messages(inSession: "ses_c")
        #expect(messages.map(\.content) == ["question ans_cited", "answer ans_cited"])
        #expect(messages[1].citations == [citation])
        let raw = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
        let stored = try await raw.read { db in try String.fetchAll(db, sql: "SELECT content FROM messages WHERE session_id = 'ses_c' ORDER BY id") }
        #expect(stored == ["question ans_cited", ""])

        // Retention deletes the record; the session's history takes the reply's text and citations first.
        #expect(try store.deleteAnswers(before: Date().addingTimeInterval(-90 * 86_400)) == 1)
        #expect(try store.answer(id: "ans_cited") == nil)
        messages = try store.messages(inSession: "ses_c")
        #expect(messages.map(\.content) == ["question ans_cited", "answer ans_cited"])
        #expect(messages[1].citations == [citation])
    }

    @Test func recordsWithTheSameReplyShareOneCopyUntilTheLastGoes() async throws {
        // What every cache hit does: repeat its entry's reply, text and citations, in a record of its own.
        let directory = try TestEnvironment.temporaryDirectory("answer-log-shared")
        let store = try SQLiteStore(directory: directory)
        defer { store.close() }
        let log = AnswerLog(store: store)
        let citation = Citation(n: 1, documentID: "doc_1", chunkID: 7, title: "Rest", source: "rest.md", snippet: "2–3 minutes", score: 0.9)
        let older = Date().addingTimeInterval(-100 * 86_400), newer = Date().addingTimeInterval(-95 * 86_400)
        for (id, date) in [("ans_first", older), ("ans_hit", newer), ("ans_other", newer)] {
            var answer = record(id, session: nil, at: date)
            answer.answer = id == "ans_other" ? "Rest 1–2 minutes." : "Rest 2–3 minutes between heavy sets."
            answer.citations = [citation]
            log.submit(.answer(answer))
        }
        // The same text with other citations is another reply.
        var recited = record("ans_recited", session: nil, at: newer)
        recited.answer = "Rest 2–3 minutes between heavy sets."
        log.submit(.answer(recited))
        await log.settle()

        let raw = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
        func replies() async throws -> Int { try await raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM replies") ?? -1 } }
        #expect(try await replies() == 3)
        for id in ["ans_first", "ans_hit"] {
            let read = try #require(try store.answer(id: id))
            #expect(read.answer == "Rest 2–3 minutes between heavy sets." && read.citations == [citation])
        }
        #expect(try store.answer(id: "ans_recited")?.citations == [])
        #expect(try store.answer(id: "ans_other")?.answer == "Rest 1–2 minutes.")

        // Retention takes the older record; the reply stays for the hit that still names it.
        #expect(try store.deleteAnswers(before: older.addingTimeInterval(1)) == 1)
        #expect(try store.answer(id: "ans_first") == nil)
        #expect(try store.answer(id: "ans_hit")?.answer == "Rest 2–3 minutes between heavy sets.")
        #expect(try await replies() == 3)
        // A record from before the replies table keeps its text in its own columns and reads as before.
        try await raw.write { db in
            try db.execute(sql: """
                INSERT INTO answers (id, kb, assistant, prompt_version, question, standalone_question, answer, citations, model,
                                     grounded, prompt_tokens, completion_tokens, tokens_estimated, latency_ms, trace, created_at)
                VALUES ('ans_legacy', 'default', 'spotter', 'answer@1', 'q', 'q', 'Older text.', ?, 'offline', 1, 1, 1, 0, 1, '{}', ?)
                """, arguments: [String(decoding: try JSONEncoder().encode([citation]), as: UTF8.self), newer.timeIntervalSince1970])
        }
        let legacy = try #require(try store.answer(id: "ans_legacy"))
        #expect(legacy.answer == "Older text." && legacy.citations == [citation])

        // Then the rest: no reply is left without a record.
        #expect(try store.deleteAnswers(before: Date()) == 4)
        #expect(try await replies() == 0)
    }
    @Test func everyFieldOfARecordAndItsTurnReadsBackAsWritten() async throws {
        // The writer binds each value itself (DirectBinding): empty and non-ASCII text, nulls, booleans, whole and
        // fractional numbers, and the JSON columns must come back exactly.
        let directory = try TestEnvironment.temporaryDirectory("answer-log-fields")
        let store = try SQLiteStore(directory: directory)
        defer { store.close() }
        let date = Date(timeIntervalSince1970: 1_765_000_123.456)
        let citation = Citation(n: 2, documentID: "doc_ü", chunkID: 9, title: "Crème \"brûlée\"", source: "desserts/brûlée.md",
                                snippet: "sugar 🍮\nline two", score: 0.625)
        var trace = AnswerTrace(id: "trc_fields", stages: [
            StageRecord(stage: .validate, milliseconds: 0.002284, outcome: "assistant spotter, kb default"),
            StageRecord(stage: .cache, milliseconds: 11.176, outcome: "hit 0.974: wie lange pausieren?", failed: false),
            StageRecord(stage: .generate, milliseconds: 30_000.5, outcome: "model \"x\" timed out", failed: true),
        ])
        trace.cache = CacheMatch(entryID: "ce_1", matchedQuestion: "wie lange pausieren?", similarity: 0.974, savedTokens: 1_317, savedCostUSD: 0.0042)
        var first = AnswerRecord(
            id: "ans_fields", sessionID: "ses_fields", knowledgeBase: "kb-ü", assistant: "coach", promptVersion: "answer@3",
            question: "  Wie lange Pause zwischen Sätzen? 💪", standaloneQuestion: "", answer: "Zwei bis drei Minuten [2].",
            citations: [citation], model: "gpt-x", grounded: false,
            usage: TokenUsage(promptTokens: 1_234, completionTokens: 56, estimated: true), costUSD: 0.000123,
            latencyMilliseconds: 7.25, trace: trace, createdAt: date, tenant: "", retrieved: [
                RetrievedChunk(chunkID: 9, documentID: "doc_ü", score: 0.625), RetrievedChunk(chunkID: -1, documentID: "", score: -0.5),
            ], variant: "canary", guards: [GuardDecision(.input, .passed), GuardDecision(.citations, .modified, detail: "1 marker removed")])
        first.replyEncoding = ReplyEncoding(answer: first.answer, citations: first.citations)
        var second = first
        second.id = "ans_fields_2"
        second.sessionID = nil
        second.costUSD = nil
        second.grounded = true
        second.usage = TokenUsage(promptTokens: 0, completionTokens: 0)
        try store.apply([
            .turn(first, question: StoredMessage(role: .user, content: first.question, createdAt: date),
                  reply: StoredMessage(role: .assistant, content: first.answer, answerID: first.id, citations: first.citations, createdAt: date)),
            .answer(second),
        ])

        // A record read back carries no reply encoding (that travels only with a cache hit in memory).
        for var written in [first, second] {
            written.replyEncoding = nil
            #expect(try store.answer(id: written.id) == written)
        }
        // Stored compactly (stages as rows); a record stored before, with stages as objects, reads the same.
        let raw = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
        let storedTrace = try await raw.read { db in try String.fetchOne(db, sql: "SELECT trace FROM answers WHERE id = 'ans_fields'") }
        #expect(storedTrace?.contains(#""stages":[["validate",0.002284,"#) == true)
        let objectForm = CanonicalJSON.string(trace)
        #expect(objectForm.contains(#""stages":[{"failed":false"#))
        try await raw.write { db in
            try db.execute(sql: "UPDATE answers SET trace = ? WHERE id = 'ans_fields_2'", arguments: [objectForm])
        }
        #expect(try store.answer(id: "ans_fields_2")?.trace == trace)
        let messages = try store.messages(inSession: "ses_fields")
        #expect(messages.map(\.role) == [.user, .assistant])
        #expect(messages.map(\.content) == [first.question, first.answer])
        #expect(messages.map(\.citations) == [[], [citation]])
        #expect(messages.map(\.answerID) == [nil, "ans_fields"])
        #expect(messages.allSatisfy { $0.createdAt == date })
        let session = try #require(try store.session(id: "ses_fields"))
        #expect(session.knowledgeBase == "kb-ü" && session.assistant == "coach" && session.createdAt == date && session.updatedAt == date)
    }

    @Test func aReplyRetentionTakesMidBatchIsStoredAgainForTheNextRecordThatNamesIt() async throws {
        // One transaction remembers which replies it has seen stored, so that a popular cached reply is looked up
        // once a batch; retention in the same batch may take such a reply with its last record.
        let directory = try TestEnvironment.temporaryDirectory("answer-log-retention-batch")
        let store = try SQLiteStore(directory: directory)
        defer { store.close() }
        let old = Date().addingTimeInterval(-100 * 86_400)
        var expired = record("ans_expired", session: nil, at: old)
        expired.answer = "Rest 2–3 minutes between heavy sets."
        expired.replyEncoding = ReplyEncoding(answer: expired.answer, citations: expired.citations)
        var fresh = expired
        fresh.id = "ans_fresh"
        fresh.createdAt = Date()
        try store.apply([.answer(expired), .deleteAnswers(before: Date().addingTimeInterval(-90 * 86_400), limit: 10), .answer(fresh)])

        #expect(try store.answer(id: "ans_expired") == nil)
        let read = try #require(try store.answer(id: "ans_fresh"))
        #expect(read.answer == "Rest 2–3 minutes between heavy sets.")
        let raw = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
        let dangling = try await raw.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM answers a LEFT JOIN replies r ON r.hash = a.reply_hash WHERE r.hash IS NULL")
        }
        #expect(dangling == 0)
    }
}
