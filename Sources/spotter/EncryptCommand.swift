import ArgumentParser
import Foundation
import SpotterCore
import Synchronization

/// `spotter encrypt`: seals a plaintext store in place under the configured data key.
struct EncryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypt an existing plaintext store in place under SPOTTER_ENCRYPTION_KEY (resumable).",
        discussion: """
            Rebuilds each keyword index over HMAC tokens, seals every text column in batches, then rewrites the file \
            (VACUUM) so that no plaintext is left in free pages. Each batch is its own transaction: after an \
            interruption (even kill -9) run the command again and it goes on where it stopped. A server started \
            with the same key meanwhile reads both kinds of value.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sealing: SealingOptions

    func run() async throws {
        let configuration = try common.configuration()
        guard let key = configuration.encryptionKey else {
            throw ValidationError("set SPOTTER_ENCRYPTION_KEY (base64 of 32 bytes, `openssl rand -base64 32`) or SPOTTER_ENCRYPTION_KEY_FILE first; keep the key safe: without it the store cannot be read")
        }
        let before = try Spotter.sealStore(configuration, batch: sealing.batch, progress: sealing.display())
        if before.mode == .encrypted, before.keyID == key.id { return print("the store in \(configuration.dataDirectory.path) was already encrypted under data key \(key.id)") }
        try SealingOptions.audit(.storeEncrypted, configuration, detail: ["key_id": key.id, "resumed": String(before.mode == .encrypting)])
        print("the store in \(configuration.dataDirectory.path) is encrypted under data key \(key.id)")
    }
}

/// `--batch` and `--json` of the commands that seal a store, and their progress lines.
struct SealingOptions: ParsableArguments {
    @Option(help: "Rows sealed per transaction.")
    var batch = 500

    @Flag(help: "Print progress as JSON lines.")
    var json = false

    func validate() throws {
        guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be 1–100000") }
    }

    /// Progress on standard error: a line as each part starts and ends, and at most five a second within one.
    func display() -> @Sendable (EncryptionProgress) -> Void {
        let json = json
        let lastShown = Mutex<(part: String, at: ContinuousClock.Instant)>(("", .now - .seconds(1)))
        return { step in
            if json { return JSONLine.print(step) }
            let show = lastShown.withLock { last in
                guard last.part != step.part || step.done == step.total || ContinuousClock.now - last.at > .milliseconds(200) else { return false }
                last = (step.part, .now)
                return true
            }
            guard show, step.total > 0 else { return }
            printError("sealing \(step.part): \(step.done)/\(step.total) (\(step.done * 100 / step.total)%)")
        }
    }

    /// Records the finished command in the audit log (the store opened again, with the keys it now needs).
    static func audit(_ action: AuditAction, _ configuration: SpotterConfiguration, detail: [String: String]) throws {
        let store = try Spotter.openStore(configuration)
        defer { store.close() }
        CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: Principal.defaultTenant, action: action, target: "store", detail: detail), in: store)
    }
}
