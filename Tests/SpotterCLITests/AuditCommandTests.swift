import Foundation
import SpotterTestSupport
import Testing

/// `spotter audit` end to end: the CLI's own changes are recorded, `verify` passes on a sound log and fails, naming
/// the entry, once a row is changed behind the triggers' back.
@Suite("audit commands")
struct AuditCommandTests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data, environment: ["SPOTTER_LOG_LEVEL": "error", "SPOTTER_SECRET": String(repeating: "c", count: 40)])
    }

    @Test func theCLIsChangesAreRecordedAndATamperedEntryIsNamed() throws {
        let data = try TestEnvironment.temporaryDirectory("audit-cli")
        let created = try spotter(["keys", "create", "--tenant", "acme", "--scopes", "chat", "--json"], data: data)
        #expect(created.status == 0, "\(created.stderr)")
        let keyID = try #require((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["id"] as? String)
        #expect(try spotter(["tenants", "set", "acme", "--daily-tokens", "5000"], data: data).status == 0)
        #expect(try spotter(["keys", "revoke", keyID], data: data).status == 0)
        let listed = try spotter(["audit", "ls", "--json"], data: data)
        let entries = listed.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(entries.map { $0["action"] as? String } == ["key.created", "tenant.changed", "key.revoked"])
        #expect(entries.allSatisfy { $0["actor"] as? String == "cli" && $0["tenant"] as? String == "acme" })
        #expect(entries.first?["target"] as? String == keyID)
        let verified = try spotter(["audit", "verify"], data: data)
        #expect(verified.status == 0 && verified.stdout.contains("3 entries"), "\(verified.stdout)\(verified.stderr)")

        // Someone with the file drops the triggers and edits the second entry.
        let database = data.appendingPathComponent("spotter.sqlite").path
        let tamper = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("DROP TRIGGER audit_log_no_update")
            db.execute("UPDATE audit_log SET detail = '{}' WHERE sequence = 2")
            db.commit()
            """, database])
        #expect(tamper.status == 0, "\(tamper.stderr)")
        let failed = try spotter(["audit", "verify"], data: data)
        #expect(failed.status == 1 && failed.stderr.contains("entry 2"), "\(failed.stderr)")
    }
}
