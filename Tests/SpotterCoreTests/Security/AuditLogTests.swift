import Foundation
import GRDB
import SpotterCore
import SpotterTestSupport
import Testing

/// The audit log on a real SQLite file: appends make one chain, SQL cannot change it, and a change made around the
/// triggers (another connection that drops them) is found and named.
@Suite("Audit log")
struct AuditLogTests {
    static func filledStore() throws -> (SQLiteStore, URL) {
        let directory = try TestEnvironment.temporaryDirectory("audit")
        let store = try SQLiteStore(directory: directory)
        let audit = AuditLog(store: store)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 1...5 {
            try audit.record(AuditEvent(actor: "key_\(index)", tenant: index.isMultiple(of: 2) ? "acme" : "default",
                                        action: .documentsIngested, target: "kb\(index)", detail: ["added": "\(index)"]),
                             at: start.addingTimeInterval(Double(index) * 1.2345))
        }
        return (store, directory)
    }

    /// A second connection with the append-only triggers dropped: what someone with the file could do.
    static func tamper(_ directory: URL, _ sql: String) throws {
        let raw = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
        try raw.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete")
            try db.execute(sql: sql)
        }
    }

    @Test func appendsChainAndVerifyAcrossPages() throws {
        let (store, _) = try Self.filledStore()
        let audit = AuditLog(store: store)
        let entries = try store.auditEntries(after: 0, tenant: nil, limit: 100)
        #expect(entries.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(entries.first?.previousHash == AuditLog.firstPreviousHash)
        #expect(zip(entries, entries.dropFirst()).allSatisfy { $1.previousHash == $0.hash })
        #expect(entries[2].detail == ["added": "3"] && entries[2].actor == "key_3")
        guard case .success(let result) = try audit.verify(pageSize: 2) else { Issue.record("a sound log must verify"); return }
        #expect(result.entries == 5 && result.lastHash == entries[4].hash)
        #expect(try store.auditEntries(after: 0, tenant: "acme", limit: 100).map(\.sequence) == [2, 4])
    }

    @Test func sqlCannotChangeOrDeleteAnEntry() throws {
        let (_, directory) = try Self.filledStore()
        let raw = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
        for sql in ["UPDATE audit_log SET actor = 'someone' WHERE sequence = 2", "DELETE FROM audit_log WHERE sequence = 2"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try raw.write { try $0.execute(sql: sql) } }
        }
    }

    @Test(arguments: [
        ("UPDATE audit_log SET target = 'kb-other' WHERE sequence = 3", AuditProblem.changed(3)),
        ("UPDATE audit_log SET detail = '{\"added\":\"30\"}' WHERE sequence = 3", AuditProblem.changed(3)),
        ("UPDATE audit_log SET at_ms = at_ms + 1 WHERE sequence = 3", AuditProblem.changed(3)),
        ("DELETE FROM audit_log WHERE sequence = 2", AuditProblem.gap(after: 1, found: 3)),
        ("DELETE FROM audit_log WHERE sequence = 1", AuditProblem.gap(after: 0, found: 2)),
    ])
    func aChangeAroundTheTriggersIsFoundAndNamed(sql: String, problem: AuditProblem) throws {
        let (store, directory) = try Self.filledStore()
        try Self.tamper(directory, sql)
        guard case .failure(let found) = try AuditLog(store: store).verify(pageSize: 2) else {
            Issue.record("\(sql) went unnoticed"); return
        }
        #expect(found == problem)
        #expect(found.description.contains("entry"))
    }

    @Test func anEntryRewrittenWithItsOwnHashBreaksTheNextLink() throws {
        let (store, directory) = try Self.filledStore()
        // Whoever edits entry 2 and recomputes its hash still cannot make entry 3 follow from it.
        var entry = try #require(try store.auditEntries(after: 1, tenant: nil, limit: 1).first)
        entry.target = "forged"
        let forged = AuditLog.hash(of: entry)
        try Self.tamper(directory, "UPDATE audit_log SET target = 'forged', hash = '\(forged)' WHERE sequence = 2")
        guard case .failure(let found) = try AuditLog(store: store).verify() else { Issue.record("the forgery went unnoticed"); return }
        #expect(found == .brokenLink(3))
    }
}
