import ArgumentParser
import Foundation
import SpotterCore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "API keys: who may call the HTTP API, for which tenant and with which scopes.",
        discussion: """
            A key is shown once, when it is made; the store keeps only its HMAC-SHA256 under the server secret \
            (SPOTTER_SECRET, or the file `secret` in the data directory). A running server sees a key made or \
            revoked here from its next request.
            """,
        subcommands: [Create.self, List.self, Revoke.self, RotateDataKey.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a key and print it once.")

        @OptionGroup var common: CommonOptions

        @Option(help: "Tenant whose data the key reaches.")
        var tenant: String = Principal.defaultTenant

        @Option(help: "Comma-separated scopes: chat (chat, completions, sessions, feedback, answers, search), ingest (documents), admin (/admin/*).")
        var scopes: String

        @Option(help: "A name to tell the key by in `spotter keys ls`.")
        var name: String?

        @Option(help: "Requests per minute this key may make.")
        var rpm: Int?

        @Option(help: "Model tokens per minute this key may spend.")
        var tpm: Int?

        @Option(help: ArgumentHelp("Comma-separated groups the key's caller belongs to, for documents ingested with --allow group:NAME.",
                                   valueName: "names"))
        var groups: String?

        @Flag(help: #"Print one JSON line: {"id", "key", "tenant", "scopes"}."#)
        var json = false

        private var groupList: [String] {
            groups?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        }

        func validate() throws {
            let parsed: Set<Scope>
            switch Scope.parseList(scopes) {
            case .success(let scopes): parsed = scopes
            case .failure(let error): throw ValidationError(error.description)
            }
            if let problem = APIKeyService.problem(tenant: tenant, scopes: parsed, name: name, requestsPerMinute: rpm,
                                                   tokensPerMinute: tpm, groups: groupList) {
                throw ValidationError(problem.description)
            }
        }

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            defer { store.close() }
            let keys = APIKeyService(store: store, secret: try ServerSecret.load(configuration))
            let created = try keys.create(tenant: tenant, scopes: (try? Scope.parseList(scopes).get()) ?? [], name: name,
                                          requestsPerMinute: rpm, tokensPerMinute: tpm, groups: groupList)
            CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: created.tenant, action: .keyCreated, target: created.id,
                                     detail: ["scopes": created.scopes.map(\.rawValue).joined(separator: ","), "name": name ?? ""]), in: store)
            if json { return JSONLine.print(created) }
            print(created.key)
            printError("key \(created.id) for tenant '\(created.tenant)' with scopes \(created.scopes.map(\.rawValue).joined(separator: ",")); it is not shown again")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the keys (never the keys themselves), revoked ones too.")

        @OptionGroup var common: CommonOptions

        @Option(help: "Only this tenant's keys.")
        var tenant: String?

        @Flag(help: "Print one JSON line per key.")
        var json = false

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            defer { store.close() }
            let records = try APIKeyService(store: store, secret: try ServerSecret.load(configuration)).list(tenant: tenant)
            if json { return records.forEach { JSONLine.print($0) } }
            guard !records.isEmpty else { return printError("no API keys yet; `spotter keys create --scopes chat` makes one") }
            let format = Date.ISO8601FormatStyle()
            print(["id", "tenant", "scopes", "name", "created", "last used", "state"].joined(separator: "\t"))
            for record in records {
                print([record.id, record.tenant, record.scopes.map(\.rawValue).joined(separator: ","), record.name ?? "-",
                       record.createdAt.formatted(format), record.lastUsedAt.map { $0.formatted(format) } ?? "never",
                       record.revokedAt.map { "revoked \($0.formatted(format))" } ?? "active"].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; a running server refuses it from the next request.")

        @OptionGroup var common: CommonOptions

        @Argument(help: "The key's id (key_…), as `spotter keys ls` shows it.")
        var id: String

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            defer { store.close() }
            try APIKeyService(store: store, secret: try ServerSecret.load(configuration)).revoke(id: id)
            let tenant = try store.apiKeys(tenant: nil).first { $0.id == id }?.tenant ?? "*"
            CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: tenant, action: .keyRevoked, target: id), in: store)
            printError("key \(id) revoked")
        }
    }
}

extension KeysCommand {
    /// `spotter keys rotate-data-key`: reseals the store under a new data key while the old one is still read.
    struct RotateDataKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-data-key",
            abstract: "Reseal the store under SPOTTER_ENCRYPTION_KEY, reading what SPOTTER_ENCRYPTION_PREVIOUS_KEY sealed (resumable).",
            discussion: """
                Start the server with both keys (the new one as SPOTTER_ENCRYPTION_KEY, the old one as \
                SPOTTER_ENCRYPTION_PREVIOUS_KEY) and run this beside it: every value and keyword index is resealed \
                under the new key in batches, while the server keeps reading both. After an interruption (even \
                kill -9) run it again. When it is done, drop the previous key.
                """)

        @OptionGroup var common: CommonOptions
        @OptionGroup var sealing: SealingOptions

        func run() async throws {
            let configuration = try common.configuration()
            guard let key = configuration.encryptionKey, let previous = configuration.previousEncryptionKey else {
                throw ValidationError("set SPOTTER_ENCRYPTION_KEY to the new data key and SPOTTER_ENCRYPTION_PREVIOUS_KEY to the one the store is sealed under (or their _FILE forms)")
            }
            let before = try Spotter.sealStore(configuration, batch: sealing.batch, progress: sealing.display())
            try SealingOptions.audit(.dataKeyRotated, configuration, detail: ["from": before.keyID ?? previous.id, "to": key.id])
            print("the store in \(configuration.dataDirectory.path) is sealed under data key \(key.id) only; SPOTTER_ENCRYPTION_PREVIOUS_KEY (\(previous.id)) may be dropped")
        }
    }
}
