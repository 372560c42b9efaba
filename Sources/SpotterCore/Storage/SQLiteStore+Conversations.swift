import Foundation
import GRDB

extension SQLiteStore: ConversationStore {
    public func session(id: String) throws(StoreError) -> SessionRecord? {
        try read("read session") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sessions WHERE id = ?", arguments: [id]).map(Self.sessionRecord)
        }
    }

    public func messages(inSession id: String) throws(StoreError) -> [StoredMessage] {
        let sealer = sealer
        return try read("read session messages") { db in
            // A reply's text and citations are kept once, with its answer record (see recordTurn: in `replies`, or
            // in the record for older ones); replies stored before that, or whose record retention deleted, keep their own.
            try Row.fetchAll(db, sql: """
                SELECT m.id, m.role, m.answer_id, m.created_at, m.content, m.citations, a.id AS recorded, \(Reply.columns)
                FROM messages m LEFT JOIN answers a ON m.role = 'assistant' AND a.id = m.answer_id \(Reply.join)
                WHERE m.session_id = ? ORDER BY m.id
                """, arguments: [id]).map { row in
                let content: String, citations: String
                if let recorded = row["recorded"] as String? {
                    (content, citations) = try Reply.read(row, answerID: recorded, sealer)
                } else {
                    let id: Int64 = row["id"]
                    content = try sealer.open(row["content"], FieldSealer.message(id))
                    citations = try sealer.open(row["citations"], FieldSealer.message(id, "citations"))
                }
                return StoredMessage(role: ChatRole(rawValue: row["role"]) ?? .user, content: content, answerID: row["answer_id"],
                                     citations: Self.decodeJSON(citations) ?? [], createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
        }
    }

    public func apply(_ writes: [ConversationWrite]) throws(StoreError) {
        guard !writes.isEmpty else { return }
        try write("record answers") { db in
            // The replies this transaction has seen stored: a popular cached answer is repeated many times a batch.
            var storedReplies = Set<String>()
            for write in writes {
                switch write {
                case .answer(let answer):
                    try Self.insert(answer, storedReplies: &storedReplies, sealer, db)
                case .turn(let answer, let question, let reply):
                    try Self.recordTurn(answer, question: question, reply: reply, storedReplies: &storedReplies, sealer, db)
                case .deleteIdleSessions(let date):
                    try db.execute(sql: "DELETE FROM sessions WHERE updated_at < ?", arguments: [date.timeIntervalSince1970])
                case .deleteAnswers(let date, let limit):
                    try Self.deleteAnswers(before: date, limit: limit, sealer, db)
                    storedReplies.removeAll()  // it may have taken a reply with its last record
                }
            }
        }
    }

    /// Deletes answer records created before `date` (their feedback goes with them), oldest first, in batches of
    /// `batch` transactions so that readers and the answer writer are never held up for long; returns how many.
    public func deleteAnswers(before date: Date, batch: Int) throws(StoreError) -> Int {
        var deleted = 0
        while true {
            let count = try write("delete old answers") { db in try Self.deleteAnswers(before: date, limit: batch, sealer, db) }
            deleted += count
            if count < batch { return deleted }
        }
    }

    @discardableResult
    private static func deleteAnswers(before date: Date, limit: Int, _ sealer: FieldSealer, _ db: Database) throws -> Int {
        // Replies that are read from their answer's record (recordTurn) take its text first, so that a session that
        // outlives the record keeps its history.
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.doomed_answers;
            CREATE TEMP TABLE doomed_answers (id TEXT PRIMARY KEY, reply_hash TEXT);
            INSERT INTO doomed_answers SELECT id, reply_hash FROM answers WHERE created_at < ? ORDER BY created_at LIMIT ?;
            """, arguments: [date.timeIntervalSince1970, limit])
        try keepReplies(ofAnswersIn: "doomed_answers", sealer, db)
        try db.execute(sql: "DELETE FROM answers WHERE id IN (SELECT id FROM doomed_answers)")
        let deleted = db.changesCount
        // Replies no remaining record names go with their last record.
        try db.execute(sql: """
            DELETE FROM replies WHERE hash IN (SELECT reply_hash FROM doomed_answers WHERE reply_hash IS NOT NULL)
                AND NOT EXISTS (SELECT 1 FROM answers WHERE reply_hash = replies.hash)
            """)
        return deleted
    }

    /// The replies of the answers listed in the temporary table `table` are copied into their session messages
    /// (which read them from the record), sealed for the message, before the records go.
    static func keepReplies(ofAnswersIn table: String, _ sealer: FieldSealer, _ db: Database) throws {
        let kept = try Row.fetchAll(db, sql: """
            SELECT m.id AS message_id, m.content, a.id AS recorded, \(Reply.columns)
            FROM messages m JOIN answers a ON a.id = m.answer_id \(Reply.join)
            WHERE m.role = 'assistant' AND a.id IN (SELECT id FROM temp.\(table))\(sealer.isEncrypting ? "" : " AND m.content = ''")
            """)
        let update = try db.cachedStatement(sql: "UPDATE messages SET content = ?, citations = ? WHERE id = ?")
        for row in kept {
            let messageID: Int64 = row["message_id"]
            // In an encrypted store the empty content is sealed too: opened, it says whether the record holds the reply.
            guard try sealer.open(row["content"], FieldSealer.message(messageID)).isEmpty else { continue }
            let (text, citations) = try Reply.read(row, answerID: row["recorded"], sealer)
            try update.execute(arguments: [sealer.seal(text, FieldSealer.message(messageID)),
                                           sealer.seal(citations, FieldSealer.message(messageID, "citations")), messageID])
        }
    }

    private static func recordTurn(_ answer: AnswerRecord, question: StoredMessage, reply: StoredMessage,
                                   storedReplies: inout Set<String>, _ sealer: FieldSealer, _ db: Database) throws {
        guard let sessionID = answer.sessionID else { throw StoreError.database(operation: "record a turn", reason: "no session") }
        // The first turn opens the session; every turn moves its last use to the reply.
        var session = DirectBinding(try db.cachedStatement(sql: """
            INSERT INTO sessions (id, kb, assistant, created_at, updated_at, tenant, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at
            """))
        try session.bind(sessionID)
        try session.bind(answer.knowledgeBase)
        try session.bind(answer.assistant)
        try session.bind(question.createdAt.timeIntervalSince1970)
        try session.bind(reply.createdAt.timeIntervalSince1970)
        try session.bind(answer.tenant)
        try session.bind(answer.userID)
        try session.execute()
        // Both messages in one statement, the question first (history is read in id order). Sealed, each message's
        // id is chosen here (the writer is the only one), as its text is sealed for it.
        var nextID: Int64? = nil
        if sealer.isEncrypting {
            nextID = (try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0), COALESCE((SELECT MAX(id) FROM messages), 0))
                """)) ?? 0) + 1
        }
        var values = DirectBinding(try db.cachedStatement(sql: """
            INSERT INTO messages (id, session_id, role, content, answer_id, citations, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)
            """))
        for (offset, message) in [question, reply].enumerated() {
            let messageID = nextID.map { $0 + Int64(offset) }
            // A reply that is the recorded answer is read back from the answer's record (messages(inSession:)):
            // its text and citations, most of a turn's bytes, are written once instead of twice.
            let inRecord = message.role == .assistant && message.answerID == answer.id
                && message.content == answer.answer && message.citations == answer.citations
            try values.bind(messageID)
            try values.bind(sessionID)
            try values.bind(message.role.rawValue)
            try values.bind(sealer.seal(inRecord ? "" : message.content, FieldSealer.message(messageID ?? 0)))
            try values.bind(message.answerID)
            if let messageID {
                let citations = inRecord || message.citations.isEmpty ? "[]" : encodeJSON(message.citations)
                try values.bind(sealer.seal(citations, FieldSealer.message(messageID, "citations")))
            } else if inRecord || message.citations.isEmpty {
                try values.bind("[]")
            } else {
                try values.bindJSON(message.citations)
            }
            try values.bind(message.createdAt.timeIntervalSince1970)
        }
        try values.execute()
        try insert(answer, storedReplies: &storedReplies, sealer, db)
    }

    public func deleteSession(id: String) throws(StoreError) -> Bool {
        try write("delete session") { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func answer(id: String) throws(StoreError) -> AnswerRecord? {
        let sealer = sealer
        return try read("read answer") { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT a.*, \(Reply.columns)
                FROM answers a \(Reply.join) WHERE a.id = ?
                """, arguments: [id]) else { return nil }
            let reply = try Reply.read(row, answerID: id, sealer)
            var record = AnswerRecord(
                id: row["id"], sessionID: row["session_id"], knowledgeBase: row["kb"], assistant: row["assistant"],
                promptVersion: row["prompt_version"], question: try sealer.open(row["question"], FieldSealer.answer("question", id)),
                standaloneQuestion: try sealer.open(row["standalone_question"], FieldSealer.answer("standalone_question", id)),
                answer: reply.text,
                citations: Self.decodeJSON(reply.citations) ?? [], model: row["model"], grounded: row["grounded"],
                usage: TokenUsage(promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                                  estimated: row["tokens_estimated"]),
                costUSD: row["cost_usd"], latencyMilliseconds: row["latency_ms"],
                trace: Self.decodeJSON(try sealer.open(row["trace"], FieldSealer.answer("trace", id))) ?? AnswerTrace(id: row["id"]),
                createdAt: Date(timeIntervalSince1970: row["created_at"]),
                tenant: row["tenant"], retrieved: Self.decodeJSON(row["retrieved"]) ?? [], variant: row["variant"],
                guards: Self.decodeJSON(row["guards"]) ?? [])
            record.userID = row["user_id"]
            record.keyID = row["key_id"]
            if row["cached"] as Bool { record.saved = Spending(tokens: row["saved_tokens"], costUSD: row["saved_usd"]) }
            return record
        }
    }

    private static func insert(_ answer: AnswerRecord, storedReplies: inout Set<String>, _ sealer: FieldSealer, _ db: Database) throws {
        // The reply goes to `replies` once; the record names it by hash. A cache hit brings its reply's hash along
        // (ReplyEncoding), and its reply is nearly always stored already: then the 4 KB of text is not bound at all.
        let hash: String
        if let encoding = answer.replyEncoding, encoding.encodes(answer: answer.answer, citations: answer.citations) {
            hash = encoding.hash
            if !storedReplies.contains(hash) {
                let stored = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM replies WHERE hash = ?"), arguments: [hash]) ?? false
                if !stored {
                    try db.cachedStatement(sql: "INSERT INTO replies (hash, answer, citations) VALUES (?, ?, ?)")
                        .execute(arguments: [hash, sealer.seal(answer.answer, FieldSealer.reply("answer", hash)),
                                             sealer.seal(String(decoding: encoding.citationsJSON, as: UTF8.self), FieldSealer.reply("citations", hash))])
                }
                storedReplies.insert(hash)
            }
        } else {
            let citations = encodeJSON(answer.citations)
            hash = ReplyEncoding.hash(answer: answer.answer, citationsJSON: Array(citations.utf8))
            try db.cachedStatement(sql: "INSERT INTO replies (hash, answer, citations) VALUES (?, ?, ?) ON CONFLICT(hash) DO NOTHING")
                .execute(arguments: [hash, sealer.seal(answer.answer, FieldSealer.reply("answer", hash)),
                                     sealer.seal(citations, FieldSealer.reply("citations", hash))])
            storedReplies.insert(hash)
        }
        var values = DirectBinding(try db.cachedStatement(sql: """
            INSERT INTO answers (id, session_id, kb, assistant, prompt_version, question, standalone_question, answer,
                                 citations, model, grounded, prompt_tokens, completion_tokens, tokens_estimated,
                                 cost_usd, latency_ms, trace, created_at, tenant, retrieved, variant, guards, reply_hash,
                                 user_id, key_id, cached, saved_tokens, saved_usd)
            VALUES (?, ?, ?, ?, ?, ?, ?, '', '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """))
        try values.bind(answer.id)
        try values.bind(answer.sessionID)
        try values.bind(answer.knowledgeBase)
        try values.bind(answer.assistant)
        try values.bind(answer.promptVersion)
        try values.bind(sealer.seal(answer.question, FieldSealer.answer("question", answer.id)))
        try values.bind(sealer.seal(answer.standaloneQuestion, FieldSealer.answer("standalone_question", answer.id)))
        try values.bind(answer.model)
        try values.bind(answer.grounded)
        try values.bind(answer.usage.promptTokens)
        try values.bind(answer.usage.completionTokens)
        try values.bind(answer.usage.estimated)
        try values.bind(answer.costUSD)
        try values.bind(answer.latencyMilliseconds)
        if sealer.isEncrypting {
            try values.bind(sealer.seal(CanonicalJSON.string(answer.trace.stored), FieldSealer.answer("trace", answer.id)))
        } else {
            try values.bindJSON(answer.trace.stored)
        }
        try values.bind(answer.createdAt.timeIntervalSince1970)
        try values.bind(answer.tenant)
        try values.bindJSON(answer.retrieved)
        try values.bind(answer.variant)
        try values.bindJSON(answer.guards)
        try values.bind(hash)
        try values.bind(answer.userID)
        try values.bind(answer.keyID)
        try values.bind(answer.saved != nil)
        try values.bind(answer.saved?.tokens ?? 0)
        try values.bind(answer.saved?.costUSD ?? 0)
        try values.execute()
    }

    /// How a query on `answers a` reads its reply: from `replies` (joined as `r`), or from the record's own columns
    /// for records written before that table. Every reader of a record's text and citations goes through these.
    enum Reply {
        static let join = "LEFT JOIN replies r ON r.hash = a.reply_hash"
        /// The columns ``read(_:answerID:_:)`` takes the reply from: the shared reply's, else the record's own.
        static let columns = "r.hash AS r_hash, r.answer AS r_answer, r.citations AS r_citations, a.answer AS a_answer, a.citations AS a_citations"

        /// The reply's text and citations (JSON), opened for where they are stored.
        static func read(_ row: Row, answerID: String, _ sealer: FieldSealer) throws -> (text: String, citations: String) {
            if let hash = row["r_hash"] as String? {
                return (try sealer.open(row["r_answer"], FieldSealer.reply("answer", hash)),
                        try sealer.open(row["r_citations"], FieldSealer.reply("citations", hash)))
            }
            // Records from before shared replies keep theirs (sealed by `spotter encrypt`).
            return (try sealer.open(row["a_answer"] ?? "", FieldSealer.answer("answer", answerID)),
                    try sealer.open(row["a_citations"] ?? "[]", FieldSealer.answer("citations", answerID)))
        }
    }

    private static func sessionRecord(_ row: Row) -> SessionRecord {
        SessionRecord(id: row["id"], knowledgeBase: row["kb"], assistant: row["assistant"],
                      createdAt: Date(timeIntervalSince1970: row["created_at"]),
                      updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
                      tenant: row["tenant"], userID: row["user_id"])
    }
}

extension SQLiteStore {
    /// The standalone questions answered "not covered" (no passage relevant enough) since `date`, newest first, at
    /// most `limit`: the material of the knowledge-gap report.
    public func unansweredQuestions(since date: Date, tenant: String?, knowledgeBase: String?, limit: Int) throws(StoreError) -> [UnansweredQuestion] {
        let sealer = sealer
        return try read("list unanswered questions") { db in
            var sql = "SELECT id, standalone_question, kb, created_at FROM answers WHERE grounded = 0 AND model = 'none' AND created_at >= ?"
            var arguments: StatementArguments = [date.timeIntervalSince1970]
            if let tenant {
                sql += " AND tenant = ?"
                _ = arguments.append(contentsOf: [tenant])
            }
            if let knowledgeBase {
                sql += " AND kb = ?"
                _ = arguments.append(contentsOf: [knowledgeBase])
            }
            sql += " ORDER BY created_at DESC LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                UnansweredQuestion(question: try sealer.open(row["standalone_question"], FieldSealer.answer("standalone_question", row["id"])),
                                   knowledgeBase: row["kb"],
                                   askedAt: Date(timeIntervalSince1970: row["created_at"]))
            }
        }
    }
}
