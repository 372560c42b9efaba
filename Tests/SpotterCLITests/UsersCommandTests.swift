import Foundation
import SpotterTestSupport
import Testing

/// `spotter users export|erase` end to end: what `spotter chat --user` recorded is exported, an erasure without
/// `--yes` only counts, with `--yes` it removes everything, and the audit log names the person by pseudonym only.
@Suite("users commands")
struct UsersCommandTests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data, environment: ["SPOTTER_LOG_LEVEL": "error", "SPOTTER_SECRET": String(repeating: "c", count: 40)])
    }

    @Test func aPersonsAnswersAreExportedAndErasedFromTheCLI() throws {
        let data = try TestEnvironment.temporaryDirectory("users-cli")
        #expect(try spotter(["ingest", TestEnvironment.demoGuides.path], data: data).status == 0)
        let marker = "zq" + String((0..<10).map { _ in "bcdfghjklmnpqrstvwxz".randomElement()! })
        let asked = try spotter(["chat", "How long should \(marker) rest between squat sets?", "--user", "dana", "--json"], data: data)
        #expect(asked.status == 0, "\(asked.stderr)")

        let exported = try spotter(["users", "export", "dana"], data: data)
        #expect(exported.status == 0, "\(exported.stderr)")
        let export = try #require(try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)) as? [String: Any])
        #expect((export["answers"] as? [Any])?.count == 1 && (export["sessions"] as? [Any])?.count == 1, "\(exported.stdout.prefix(400))")
        #expect(exported.stdout.contains(marker))

        let dryRun = try spotter(["users", "erase", "dana"], data: data)
        #expect(dryRun.status == 1 && dryRun.stderr.contains("would erase 1 sessions, 1 answer records"), "\(dryRun.stderr)")
        let erased = try spotter(["users", "erase", "dana", "--yes", "--json"], data: data)
        #expect(erased.status == 0, "\(erased.stderr)")
        let counts = try #require(try JSONSerialization.jsonObject(with: Data(erased.stdout.utf8)) as? [String: Any])
        #expect(counts["answers"] as? Int == 1 && counts["messages"] as? Int == 2 && counts["log_truncated"] as? Bool == true, "\(erased.stdout)")

        let after = try spotter(["users", "export", "dana"], data: data)
        #expect(!after.stdout.contains(marker) && after.stdout.contains(#""answers":[]"#), "\(after.stdout)")
        let audit = try spotter(["audit", "ls", "--json"], data: data)
        #expect(audit.stdout.contains("personal_data.erased") && !audit.stdout.contains("dana"), "\(audit.stdout)")
        let database = try Data(contentsOf: data.appendingPathComponent("spotter.sqlite"))
        #expect(database.range(of: Data(marker.utf8)) == nil, "the question is still in the database file")
        #expect(try spotter(["users", "export", String(repeating: "x", count: 129)], data: data).stderr.contains("1–128 characters"))
    }
}
