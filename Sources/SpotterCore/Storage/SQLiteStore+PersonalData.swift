import Foundation
import GRDB

extension SQLiteStore: PersonalDataStore {
    /// The person's answers: recorded with their user id, or asked in one of their sessions (records written before
    /// sessions had users).
    private static let personsAnswers = """
        SELECT id FROM answers WHERE tenant = :tenant AND (user_id = :user
            OR session_id IN (SELECT id FROM sessions WHERE tenant = :tenant AND user_id = :user))
        """

    public func personalDataRows(user: String, tenant: String) throws(StoreError) -> PersonalDataRows {
        let arguments: StatementArguments = ["tenant": tenant, "user": user]
        return try read("find a person's data") { db in
            let sessions = try Row.fetchAll(db, sql: "SELECT * FROM sessions WHERE tenant = :tenant AND user_id = :user ORDER BY created_at, id",
                                            arguments: arguments).map { row in
                SessionRecord(id: row["id"], knowledgeBase: row["kb"], assistant: row["assistant"],
                              createdAt: Date(timeIntervalSince1970: row["created_at"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
                              tenant: row["tenant"], userID: row["user_id"])
            }
            let answerIDs = try String.fetchAll(db, sql: "SELECT id FROM answers WHERE id IN (\(Self.personsAnswers)) ORDER BY created_at, id",
                                                arguments: arguments)
            // Feedback the person gave, on any answer of the tenant, and feedback given on the person's answers.
            let feedback = try Row.fetchAll(db, sql: """
                SELECT * FROM feedback WHERE (user = :user AND answer_id IN (SELECT id FROM answers WHERE tenant = :tenant))
                    OR answer_id IN (\(Self.personsAnswers)) ORDER BY created_at, answer_id
                """, arguments: arguments).map(Self.feedback)
            let cached = try Row.fetchAll(db, sql: """
                SELECT id, kb, question, answer, created_at FROM cache_entries
                WHERE tenant = :tenant AND source_answer_id IN (\(Self.personsAnswers)) ORDER BY created_at, id
                """, arguments: arguments).map { row in
                ExportedCachedAnswer(id: row["id"], knowledgeBase: row["kb"], question: row["question"], answer: row["answer"],
                                     createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
            return PersonalDataRows(sessions: sessions, answerIDs: answerIDs, feedback: feedback, cachedAnswers: cached)
        }
    }

    public func erasePersonalData(user: String, tenant: String) throws(StoreError) -> PersonalDataErasure {
        let arguments: StatementArguments = ["tenant": tenant, "user": user]
        return try write("erase a person's data") { db in
            try db.execute(sql: """
                DROP TABLE IF EXISTS temp.erased_answers;
                CREATE TEMP TABLE erased_answers (id TEXT PRIMARY KEY, reply_hash TEXT, question TEXT);
                INSERT INTO erased_answers SELECT id, reply_hash, standalone_question FROM answers WHERE id IN (\(Self.personsAnswers));
                DROP TABLE IF EXISTS temp.erased_entries;
                CREATE TEMP TABLE erased_entries (id TEXT PRIMARY KEY, question TEXT);
                INSERT INTO erased_entries SELECT id, question FROM cache_entries
                    WHERE tenant = :tenant AND source_answer_id IN (SELECT id FROM erased_answers);
                """, arguments: arguments)
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
            let sessions = try count("SELECT COUNT(*) FROM sessions WHERE tenant = :tenant AND user_id = :user")
            let messages = try count("SELECT COUNT(*) FROM messages WHERE session_id IN (SELECT id FROM sessions WHERE tenant = :tenant AND user_id = :user)")
            let answers = try count("SELECT COUNT(*) FROM erased_answers")
            let feedback = try count("""
                SELECT COUNT(*) FROM feedback WHERE (user = :user AND answer_id IN (SELECT id FROM answers WHERE tenant = :tenant))
                    OR answer_id IN (SELECT id FROM erased_answers)
                """)
            let cachedAnswers = try count("SELECT COUNT(*) FROM erased_entries")
            // Reports of wrong hits name the asked question (the person's, on their answer) or the cached one (the
            // person's, when the entry was made from their answer).
            try db.execute(sql: """
                DELETE FROM cache_false_hits WHERE answer_id IN (SELECT id FROM erased_answers)
                    OR cached_question IN (SELECT question FROM erased_entries)
                    OR cached_question IN (SELECT question FROM erased_answers)
                """)
            let falseHits = db.changesCount
            // Others' answers served from one of the person's cache entries name the question it was made from.
            try db.execute(sql: """
                UPDATE answers SET trace = json_set(trace, '$.cache.matched_question', '(erased)')
                WHERE tenant = :tenant AND id NOT IN (SELECT id FROM erased_answers)
                    AND json_extract(trace, '$.cache.matched_question') IS NOT NULL
                    AND (json_extract(trace, '$.cache.entry_id') IN (SELECT id FROM erased_entries)
                         OR json_extract(trace, '$.cache.matched_question') IN (SELECT question FROM erased_answers))
                """, arguments: ["tenant": tenant])
            try db.execute(sql: """
                DELETE FROM cache_entries WHERE id IN (SELECT id FROM erased_entries);
                DELETE FROM feedback WHERE user = :user AND answer_id IN (SELECT id FROM answers WHERE tenant = :tenant);
                DELETE FROM sessions WHERE tenant = :tenant AND user_id = :user;
                DELETE FROM answers WHERE id IN (SELECT id FROM erased_answers);
                DELETE FROM replies WHERE hash IN (SELECT reply_hash FROM erased_answers WHERE reply_hash IS NOT NULL)
                    AND NOT EXISTS (SELECT 1 FROM answers WHERE reply_hash = replies.hash);
                DROP TABLE temp.erased_answers;
                DROP TABLE temp.erased_entries;
                """, arguments: arguments)
            return PersonalDataErasure(user: user, tenant: tenant, sessions: sessions, messages: messages, answers: answers,
                                       feedback: feedback, cachedAnswers: cachedAnswers, falseHits: falseHits, logTruncated: false)
        }
    }
}
