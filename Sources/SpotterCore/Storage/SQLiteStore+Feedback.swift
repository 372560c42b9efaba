import Foundation
import GRDB

extension SQLiteStore: FeedbackStore {
    public func saveFeedback(_ feedback: Feedback) throws(StoreError) -> (stored: Feedback, previous: Rating?) {
        try write("store feedback") { db in
            let existing = try Row.fetchOne(db, sql: "SELECT rating, created_at FROM feedback WHERE answer_id = ? AND user = ?",
                                            arguments: [feedback.answerID, feedback.user])
            var stored = feedback
            if let existing { stored.createdAt = Date(timeIntervalSince1970: existing["created_at"]) }
            try db.execute(sql: """
                INSERT INTO feedback (answer_id, user, rating, reason, comment, correction, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (answer_id, user) DO UPDATE SET rating = excluded.rating, reason = excluded.reason,
                    comment = excluded.comment, correction = excluded.correction, updated_at = excluded.updated_at
                """, arguments: [stored.answerID, stored.user, stored.rating.rawValue, stored.reason,
                                 sealer.sealIfPresent(stored.comment, FieldSealer.feedback("comment", stored.answerID, stored.user)),
                                 sealer.sealIfPresent(stored.correction, FieldSealer.feedback("correction", stored.answerID, stored.user)),
                                 stored.createdAt.timeIntervalSince1970, stored.updatedAt.timeIntervalSince1970])
            return (stored, existing.flatMap { Rating(rawValue: $0["rating"]) })
        }
    }

    public func feedback(answerID: String) throws(StoreError) -> [Feedback] {
        try read("read feedback") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM feedback WHERE answer_id = ? ORDER BY created_at, user", arguments: [answerID])
                .map { row in try Self.feedback(row, sealer) }
        }
    }

    static func feedback(_ row: Row, _ sealer: FieldSealer) throws -> Feedback {
        let answerID: String = row["answer_id"], user: String = row["user"]
        return Feedback(answerID: answerID, user: user, rating: Rating(rawValue: row["rating"]) ?? .down, reason: row["reason"],
                 comment: try sealer.openIfPresent(row["comment"], FieldSealer.feedback("comment", answerID, user)),
                 correction: try sealer.openIfPresent(row["correction"], FieldSealer.feedback("correction", answerID, user)),
                 createdAt: Date(timeIntervalSince1970: row["created_at"]),
                 updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}

extension SQLiteStore {
    /// Rated answers whose feedback was given or changed since `date` (every one when nil), oldest first; with
    /// `rating`, only those.
    public func feedbackExamples(since date: Date?, rating: Rating?) throws(StoreError) -> [FeedbackExample] {
        try read("export feedback") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT f.answer_id, f.user, f.rating, f.reason, f.comment, f.correction, f.updated_at,
                       a.question, a.standalone_question, \(Reply.columns),
                       a.model, a.prompt_version, a.kb, a.trace, a.created_at
                FROM feedback f JOIN answers a ON a.id = f.answer_id \(Reply.join)
                WHERE f.updated_at >= ? AND (? IS NULL OR f.rating = ?)
                ORDER BY f.updated_at, f.answer_id, f.user
                """, arguments: [date?.timeIntervalSince1970 ?? 0, rating?.rawValue, rating?.rawValue])
            return try rows.map { row in
                let answerID: String = row["answer_id"]
                let reply = try Reply.read(row, answerID: answerID, sealer)
                let citations: [Citation] = Self.decodeJSON(reply.citations) ?? []
                let chunks = try Row.fetchAll(db, sql: "SELECT id, document_id, ordinal, text FROM chunks WHERE id IN (SELECT value FROM json_each(?))",
                                              arguments: [Self.encodeJSON(citations.map(\.chunkID))])
                let texts = Dictionary(try chunks.map { chunk in
                    (chunk["id"] as Int64, try sealer.open(chunk["text"], FieldSealer.chunk("text", chunk["document_id"], chunk["ordinal"])))
                }, uniquingKeysWith: { first, _ in first })
                let trace: AnswerTrace? = Self.decodeJSON(try sealer.open(row["trace"], FieldSealer.answer("trace", answerID)))
                let feedback = try Self.feedback(row, sealer)
                return FeedbackExample(
                    answerID: answerID, user: feedback.user, rating: feedback.rating,
                    reason: feedback.reason, comment: feedback.comment, correction: feedback.correction,
                    question: try sealer.open(row["question"], FieldSealer.answer("question", answerID)),
                    standaloneQuestion: try sealer.open(row["standalone_question"], FieldSealer.answer("standalone_question", answerID)),
                    answer: reply.text,
                    context: citations.map { texts[$0.chunkID] ?? $0.snippet }, model: row["model"],
                    promptVersion: row["prompt_version"], knowledgeBase: row["kb"], cached: trace?.cache != nil,
                    answeredAt: Date(timeIntervalSince1970: row["created_at"]),
                    ratedAt: Date(timeIntervalSince1970: row["updated_at"]))
            }
        }
    }
}

extension SQLiteStore {
    public func variantRollbacks() throws(StoreError) -> [VariantRollback] {
        try read("list rolled-back variants") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM variant_rollbacks ORDER BY at").map { row in
                VariantRollback(assistant: row["assistant"], variant: row["variant"], reason: row["reason"],
                                at: Date(timeIntervalSince1970: row["at"]))
            }
        }
    }

    public func saveVariantRollback(_ rollback: VariantRollback) throws(StoreError) {
        try write("remember a rolled-back variant") { db in
            try db.execute(sql: """
                INSERT INTO variant_rollbacks (assistant, variant, reason, at) VALUES (?, ?, ?, ?)
                ON CONFLICT (assistant, variant) DO UPDATE SET reason = excluded.reason, at = excluded.at
                """, arguments: [rollback.assistant, rollback.variant, rollback.reason, rollback.at.timeIntervalSince1970])
        }
    }

    /// Forgets a rollback, so that the variant gets traffic again; false when it was not rolled back.
    public func clearVariantRollback(assistant: String, variant: String) throws(StoreError) -> Bool {
        try write("restore a variant") { db in
            try db.execute(sql: "DELETE FROM variant_rollbacks WHERE assistant = ? AND variant = ?", arguments: [assistant, variant])
            return db.changesCount > 0
        }
    }

    /// Per assistant and variant since `date`: answers, refusals, latencies, cost and feedback.
    public func variantTallies(since date: Date) throws(StoreError) -> [VariantTally] {
        try read("tally variants") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT a.assistant, a.variant, COUNT(*) AS answers,
                       SUM(CASE WHEN a.grounded = 0 AND a.model = 'none' THEN 1 ELSE 0 END) AS not_covered,
                       COUNT(a.cost_usd) AS priced,
                       COALESCE(SUM(f.ups), 0) AS ups, COALESCE(SUM(f.downs), 0) AS downs
                FROM answers a
                LEFT JOIN (SELECT answer_id, SUM(rating = 'up') AS ups, SUM(rating = 'down') AS downs FROM feedback GROUP BY answer_id) f
                    ON f.answer_id = a.id
                WHERE a.created_at >= ?
                GROUP BY a.assistant, a.variant ORDER BY a.assistant, a.variant
                """, arguments: [date.timeIntervalSince1970])
            var tallies: [VariantTally] = []
            for row in rows {
                let assistant: String = row["assistant"], variant: String = row["variant"]
                let arguments: StatementArguments = [assistant, variant, date.timeIntervalSince1970]
                let answers = try Row.fetchAll(db, sql: "SELECT latency_ms, cost_usd FROM answers WHERE assistant = ? AND variant = ? AND created_at >= ? ORDER BY latency_ms",
                                               arguments: arguments)
                let faithfulness = try Double.fetchAll(db, sql: """
                    SELECT s.faithfulness FROM answer_scores s JOIN answers a ON a.id = s.answer_id
                    WHERE a.assistant = ? AND a.variant = ? AND a.created_at >= ?
                    """, arguments: arguments)
                let priced: Int = row["priced"]
                tallies.append(VariantTally(assistant: assistant, variant: variant, answers: row["answers"], notCovered: row["not_covered"],
                                            latencies: answers.map { $0["latency_ms"] },
                                            // An unpriced answer (a cache hit, a refusal) cost nothing upstream.
                                            costs: priced > 0 ? answers.map { $0["cost_usd"] ?? 0 } : nil,
                                            ups: row["ups"], downs: row["downs"], faithfulness: faithfulness))
            }
            return tallies
        }
    }
}

/// What one variant of an assistant did over a period (`spotter variants report`).
public struct VariantTally: Sendable, Equatable {
    public var assistant: String
    public var variant: String
    public var answers: Int
    public var notCovered: Int
    /// Every answer's latency, ascending.
    public var latencies: [Double]
    /// Every answer's cost (0 when unpriced), in the latencies' order; nil when no answer was priced.
    public var costs: [Double]?
    public var ups: Int
    public var downs: Int
    /// The faithfulness of each answer an evaluation scored (`spotter eval answers`).
    public var faithfulness: [Double]
}

extension SQLiteStore {
    /// Keeps the faithfulness an evaluation gave each answer (replacing an earlier score of the same answer).
    /// Answers whose records are not stored (yet) are skipped; the caller settles the answer log first.
    public func recordAnswerScores(_ scores: [(answerID: String, faithfulness: Double)], method: String, at date: Date) throws(StoreError) {
        try write("record answer scores") { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO answer_scores (answer_id, faithfulness, method, scored_at)
                SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM answers WHERE id = ?)
                ON CONFLICT (answer_id) DO UPDATE SET faithfulness = excluded.faithfulness, method = excluded.method, scored_at = excluded.scored_at
                """)
            for score in scores {
                try insert.execute(arguments: [score.answerID, score.faithfulness, method, date.timeIntervalSince1970, score.answerID])
            }
        }
    }
}
