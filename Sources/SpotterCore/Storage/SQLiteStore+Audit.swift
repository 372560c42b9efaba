import Foundation
import GRDB

extension SQLiteStore: AuditStore {
    public func appendAudit(_ event: AuditEvent, at date: Date) throws(StoreError) -> AuditEntry {
        // One write transaction: the last hash read here is still the last when the entry is inserted, whichever
        // process appends next.
        try write("append to the audit log") { db in
            let last = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1")
            let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
            var entry = AuditEntry(sequence: (last?["sequence"] as Int64? ?? 0) + 1,
                                   at: Date(timeIntervalSince1970: Double(milliseconds) / 1000), actor: event.actor,
                                   tenant: event.tenant, action: event.action.rawValue, target: event.target, detail: event.detail,
                                   previousHash: last?["hash"] ?? AuditLog.firstPreviousHash, hash: "")
            entry.hash = AuditLog.hash(of: entry)
            try db.execute(sql: """
                INSERT INTO audit_log (sequence, at_ms, actor, tenant, action, target, detail, previous_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.sequence, milliseconds, entry.actor, entry.tenant, entry.action, entry.target,
                                 Self.encodeJSON(entry.detail), entry.previousHash, entry.hash])
            return entry
        }
    }

    public func auditEntries(after sequence: Int64, tenant: String?, limit: Int) throws(StoreError) -> [AuditEntry] {
        try read("read the audit log") { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM audit_log WHERE sequence > ? AND (? IS NULL OR tenant = ?) ORDER BY sequence LIMIT ?
                """, arguments: [sequence, tenant, tenant, limit]).map { row in
                AuditEntry(sequence: row["sequence"], at: Date(timeIntervalSince1970: Double(row["at_ms"] as Int64) / 1000),
                           actor: row["actor"], tenant: row["tenant"], action: row["action"], target: row["target"],
                           detail: Self.decodeJSON(row["detail"]) ?? [:], previousHash: row["previous_hash"], hash: row["hash"])
            }
        }
    }
}
