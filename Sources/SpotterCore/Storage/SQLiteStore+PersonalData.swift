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
        let sealer = sealer
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
                """, arguments: arguments).map { row in try Self.feedback(row, sealer) }
            let cached = try Row.fetchAll(db, sql: """
                SELECT id, kb, question, answer, created_at FROM cache_entries
                WHERE tenant = :tenant AND source_answer_id IN (\(Self.personsAnswers)) ORDER BY created_at, id
                """, arguments: arguments).map { row in
                let id: String = row["id"]
                return ExportedCachedAnswer(id: id, knowledgeBase: row["kb"],
                                            question: try sealer.open(row["question"], FieldSealer.cacheEntry("question", id)),
                                            answer: try sealer.open(row["answer"], FieldSealer.cacheEntry("answer", id)),
                                            createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
            return PersonalDataRows(sessions: sessions, answerIDs: answerIDs, feedback: feedback, cachedAnswers: cached)
        }
    }

    public func erasePersonalData(user: String, tenant: String) throws(StoreError) -> PersonalDataErasure {
        let arguments: StatementArguments = ["tenant": tenant, "user": user]
        let sealer = sealer
        return try write("erase a person's data") { db in
            try db.execute(sql: """
                DROP TABLE IF EXISTS temp.erased_answers;
                CREATE TEMP TABLE erased_answers (id TEXT PRIMARY KEY, reply_hash TEXT);
                INSERT INTO erased_answers SELECT id, reply_hash FROM answers WHERE id IN (\(Self.personsAnswers));
                DROP TABLE IF EXISTS temp.erased_entries;
                CREATE TEMP TABLE erased_entries (id TEXT PRIMARY KEY);
                INSERT INTO erased_entries SELECT id FROM cache_entries
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
            // The person's questions, opened: the text others' records may quote (compared here, as sealed values
            // differ however equal their text).
            var questions = Set<String>()
            for row in try Row.fetchAll(db, sql: "SELECT id, standalone_question FROM answers WHERE id IN (SELECT id FROM erased_answers)") {
                questions.insert(try sealer.open(row["standalone_question"], FieldSealer.answer("standalone_question", row["id"])))
            }
            let erasedEntries = Set(try String.fetchAll(db, sql: "SELECT id FROM erased_entries"))
            // Reports of wrong hits name the asked question (the person's, on their answer) or the cached one.
            var falseHits = 0
            for row in try Row.fetchAll(db, sql: "SELECT id, answer_id, cached_question FROM cache_false_hits") {
                let answerID: String = row["answer_id"]
                let erasedAnswer = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM erased_answers WHERE id = ?)", arguments: [answerID]) ?? false
                let quoted = try sealer.open(row["cached_question"], FieldSealer.falseHit("cached_question", answerID))
                guard erasedAnswer || questions.contains(quoted) else { continue }
                try db.execute(sql: "DELETE FROM cache_false_hits WHERE id = ?", arguments: [row["id"] as Int64])
                falseHits += 1
            }
            // Others' answers served from one of the person's cache entries name the question it was made from.
            for row in try Row.fetchAll(db, sql: """
                SELECT id, trace FROM answers WHERE tenant = :tenant AND cached = 1 AND id NOT IN (SELECT id FROM erased_answers)
                """, arguments: arguments) {
                let id: String = row["id"]
                let place = FieldSealer.answer("trace", id)
                guard let value: JSONValue = Self.decodeJSON(try sealer.open(row["trace"], place)), case .object(var trace) = value,
                      case .object(var cache)? = trace["cache"],
                      case .string(let entry)? = cache["entry_id"], case .string(let question)? = cache["matched_question"],
                      erasedEntries.contains(entry) || questions.contains(question) else { continue }
                cache["matched_question"] = .string("(erased)")
                trace["cache"] = .object(cache)
                try db.execute(sql: "UPDATE answers SET trace = ? WHERE id = ?",
                               arguments: [sealer.seal(CanonicalJSON.string(JSONValue.object(trace)), place), id])
            }
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
