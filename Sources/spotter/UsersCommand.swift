import ArgumentParser
import Foundation
import SpotterCore
import SpotterServer

/// `spotter users export|erase`: a person's data, as `GET` and `DELETE /v1/users/{user}/data` give it.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "A person's data: export it, or erase it (GDPR access and erasure).",
        discussion: """
            A person is a user id within a tenant: a token's user, or the `user` an application sent with its chat \
            requests. Their data is their sessions and messages, answer records, feedback and the cached answers \
            made from their questions. Both commands are recorded in the audit log under a pseudonym of the person.
            """,
        subcommands: [Export.self, Erase.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print (or write) everything kept about a person, as JSON.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var tenant: TenantOption

        @Argument(help: "The user id.")
        var user: String

        @Option(help: ArgumentHelp("Write the export to this file (mode 0600) instead of standard output.", valueName: "file"))
        var output: String?

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            defer { store.close() }
            let export = try await PersonalDataService(store: store, configuration: configuration)
                .export(user: user, tenant: tenant.tenant, actor: CLIAudit.actor)
            let json = CanonicalJSON.string(PersonalDataExportView(export), fallback: "{}")
            guard let output else { return print(json) }
            // Personal data: readable by the owner only, like the store.
            guard FileManager.default.createFile(atPath: output, contents: Data((json + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(output); check that its folder exists and is writable")
            }
            printError("exported \(export.sessions.count) sessions, \(export.answers.count) answer records, \(export.feedback.count) feedback and \(export.cachedAnswers.count) cached answers to \(output)")
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete everything kept about a person; without --yes, only say what would go.",
            discussion: "The freed space is overwritten (secure_delete) and the write-ahead log emptied, so no copy stays on disk.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var tenant: TenantOption

        @Argument(help: "The user id.")
        var user: String

        @Flag(help: "Erase; there is no undo.")
        var yes = false

        @Flag(help: "Print what was erased as one JSON line.")
        var json = false

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            defer { store.close() }
            let service = try PersonalDataService(store: store, configuration: configuration)
            guard yes else {
                try PersonalDataService.validate(user: user)
                let rows = try store.personalDataRows(user: user, tenant: tenant.tenant)
                printError("would erase \(rows.sessions.count) sessions, \(rows.answerIDs.count) answer records, \(rows.feedback.count) feedback and \(rows.cachedAnswers.count) cached answers of '\(user)' in tenant '\(tenant.tenant)'; rerun with --yes to erase")
                throw ExitCode(1)
            }
            let erased = try await service.erase(user: user, tenant: tenant.tenant, actor: CLIAudit.actor)
            if json { return JSONLine.print(erased) }
            print("erased \(erased.sessions) sessions (\(erased.messages) messages), \(erased.answers) answer records, \(erased.feedback) feedback, \(erased.cachedAnswers) cached answers and \(erased.falseHits) false-hit reports of '\(user)' in tenant '\(tenant.tenant)'")
            if !erased.logTruncated { printError("the write-ahead log was in use and could not be emptied; it is on the next checkpoint") }
        }
    }
}
