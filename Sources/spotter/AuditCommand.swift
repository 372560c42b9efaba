import ArgumentParser
import Foundation
import Logging
import SpotterCore

/// How the CLI records what it changes in the audit log.
enum CLIAudit {
    /// The CLI acts as the data directory's owner.
    static let actor = "cli"

    static func note(_ event: AuditEvent, in store: any AuditStore) {
        AuditLog(store: store).note(event, logger: Logger(label: "spotter.audit"))
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The hash-chained log of administrative and security events.",
        discussion: """
            Keys made and revoked, documents ingested and deleted, cache purges, refreshes, rebaselines, restored \
            variants and tenant settings are recorded with who did them. Each entry carries the hash of the one \
            before, so `spotter audit verify` finds an entry that was changed, inserted or removed.
            """,
        subcommands: [Verify.self, List.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the whole chain; exit 1 naming the first entry that fails.",
            discussion: "Prints the number of entries and the last hash: record it elsewhere to detect entries cut off the end.")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let store = try Spotter.openStore(try common.configuration())
            defer { store.close() }
            switch try AuditLog(store: store).verify() {
            case .success(let result):
                print("audit log verified: \(result.entries) entries, last hash \(result.lastHash)")
            case .failure(let problem):
                printError("audit log does not verify: \(problem)")
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "Print entries in order.")

        @OptionGroup var common: CommonOptions

        @Option(help: "Only this tenant's entries.")
        var tenant: String?

        @Option(help: "Entries after this sequence number.")
        var after: Int64 = 0

        @Option(help: "At most this many entries.")
        var limit: Int = 100

        @Flag(help: "Print one JSON line per entry.")
        var json = false

        func validate() throws {
            guard after >= 0 else { throw ValidationError("--after must be 0 or more") }
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1–100000") }
        }

        func run() async throws {
            let store = try Spotter.openStore(try common.configuration())
            defer { store.close() }
            let entries = try store.auditEntries(after: after, tenant: tenant, limit: limit)
            if json { return entries.forEach { JSONLine.print($0) } }
            guard !entries.isEmpty else { return printError("no audit entries") }
            let format = Date.ISO8601FormatStyle()
            for entry in entries {
                let detail = entry.detail.keys.sorted().map { "\($0)=\(entry.detail[$0] ?? "")" }.joined(separator: " ")
                print([String(entry.sequence), entry.at.formatted(format), entry.actor, entry.tenant, entry.action, entry.target, detail]
                    .joined(separator: "\t"))
            }
        }
    }
}
