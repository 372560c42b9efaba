import Foundation
import SpotterTestSupport
import Testing

/// `spotter encrypt` and `spotter keys rotate-data-key` end to end: a plaintext store with documents and a
/// conversation is encrypted in place, killed with SIGKILL in the middle and finished by running the command again,
/// then rotated to a new key the same way; afterwards everything reads back through the new key, the store refuses
/// to open without it or with the old one alone, and no file holds the unique words in plain text.
@Suite("encrypt command")
struct EncryptCommandTests {
    static let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    static let newKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()

    func spotter(_ arguments: [String], data: URL, key: String? = nil, previous: String? = nil) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data, environment: Self.environment(key: key, previous: previous))
    }

    static func environment(key: String?, previous: String? = nil) -> [String: String] {
        var environment = ["SPOTTER_LOG_LEVEL": "error", "SPOTTER_SECRET": String(repeating: "c", count: 40)]
        environment["SPOTTER_ENCRYPTION_KEY"] = key
        environment["SPOTTER_ENCRYPTION_PREVIOUS_KEY"] = previous
        return environment
    }

    /// Starts `arguments` and kills it with SIGKILL half-way. Its progress goes, a JSON line per row, into a pipe
    /// nobody reads: once the pipe is full the command blocks between two transactions, wherever the machine's load
    /// has it, so the kill always lands in the middle (never after the end, however slow the test is to react).
    func killHalfWay(_ arguments: [String], data: URL, key: String, previous: String? = nil, once started: () throws -> Bool) async throws {
        let process = Process()
        process.executableURL = TestEnvironment.spotterBinary
        process.arguments = arguments + ["--batch", "1", "--json", "--data-dir", data.path, "--model-dir", TestEnvironment.modelDirectory.path]
        process.environment = ProcessInfo.processInfo.environment.merging(Self.environment(key: key, previous: previous)) { $1 }
        let unread = Pipe()
        process.standardOutput = unread
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Started for real: the store says so. Then a moment for the pipe to fill.
        let deadline = ContinuousClock.now + .seconds(60)
        while try !started(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect(process.isRunning, "the command ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        withExtendedLifetime(unread) {}
    }

    static func keyID(_ data: URL) throws -> String {
        try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sqlite3, sys
            print(sqlite3.connect(sys.argv[1]).execute("SELECT key_id FROM data_encryption").fetchone()[0])
            """, data.appendingPathComponent("spotter.sqlite").path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func state(of data: URL) throws -> String {
        try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sqlite3, sys
            print(sqlite3.connect(sys.argv[1]).execute("SELECT state FROM data_encryption").fetchone()[0])
            """, data.appendingPathComponent("spotter.sqlite").path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aPlaintextStoreIsEncryptedThenRotatedInPlaceSurvivingAKillHalfWayEachTime() async throws {
        let data = try TestEnvironment.temporaryDirectory("encrypt-cli")
        let sources = try TestEnvironment.temporaryDirectory("encrypt-notes")
        let marker = "zq" + String((0..<10).map { _ in "bcdfghjklmnpqrstvwxz".randomElement()! })
        // Many small records, so that sealing them one per transaction takes long enough to be interrupted.
        let notes = (0..<2500).map { n in
            let text = n == 1234 ? "The \(marker) drill" : "Training note \(n)"
            return #"{"id": "n\#(n)", "title": "Note \#(n)", "text": "\#(text) for rest days."}"#
        }
        try TestEnvironment.write(["notes.jsonl": notes.joined(separator: "\n") + "\n"], under: sources)
        let ingested = try spotter(["ingest", sources.appendingPathComponent("notes.jsonl").path, "--format", "jsonl", "--id-field", "id",
                                    "--title-field", "title", "--text-field", "text"], data: data)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        #expect(try spotter(["chat", "What is the \(marker) drill?", "--user", "erin"], data: data).status == 0)

        try await killHalfWay(["encrypt"], data: data, key: Self.key) { try Self.state(of: data) == "encrypting" }
        #expect(try Self.state(of: data) == "encrypting", "the kill must land before the end")

        let second = try spotter(["encrypt"], data: data, key: Self.key)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("is encrypted under data key"), "\(second.stdout)")
        #expect(try Self.state(of: data) == "encrypted")

        // Everything reads back through the key: keyword search over the tokens, the conversation, the documents.
        let found = try spotter(["search", "\(marker) drill", "--mode", "bm25", "--json"], data: data, key: Self.key)
        #expect(found.status == 0 && found.stdout.contains("Note 1234"), "\(found.stdout.prefix(300))\(found.stderr)")
        let export = try spotter(["users", "export", "erin"], data: data, key: Self.key)
        #expect(export.stdout.contains("What is the \(marker) drill?"), "\(export.stderr)")
        let refused = try spotter(["search", "rest days"], data: data)
        #expect(refused.status != 0 && refused.stderr.contains("SPOTTER_ENCRYPTION_KEY"), "\(refused.stderr)")

        // A rotation to a new key, killed half-way too, then finished: the old key alone no longer opens the store.
        let oldKeyID = try Self.keyID(data)
        try await killHalfWay(["keys", "rotate-data-key"], data: data, key: Self.newKey, previous: Self.key) { try Self.keyID(data) != oldKeyID }
        #expect(try Self.keyID(data) != oldKeyID, "the store names the new key from the start")
        let midway = try spotter(["users", "export", "erin"], data: data, key: Self.newKey, previous: Self.key)
        #expect(midway.stdout.contains("What is the \(marker) drill?"), "both keys read a half-rotated store: \(midway.stderr)")
        let rotated = try spotter(["keys", "rotate-data-key"], data: data, key: Self.newKey, previous: Self.key)
        #expect(rotated.status == 0 && rotated.stdout.contains("may be dropped"), "\(rotated.stdout)\(rotated.stderr)")
        let newOnly = try spotter(["search", "\(marker) drill", "--mode", "bm25", "--json"], data: data, key: Self.newKey)
        #expect(newOnly.status == 0 && newOnly.stdout.contains("Note 1234"), "\(newOnly.stderr)")
        let oldOnly = try spotter(["search", "rest days"], data: data, key: Self.key)
        let newKeyID = try Self.keyID(data)
        #expect(oldOnly.status != 0 && oldOnly.stderr.contains(newKeyID), "\(oldOnly.stderr)")
        let audit = try spotter(["audit", "ls", "--json"], data: data, key: Self.newKey)
        #expect(audit.stdout.contains("store.encrypted") && audit.stdout.contains("data_key.rotated"), "\(audit.stdout)")

        for case let url as URL in FileManager.default.enumerator(at: data, includingPropertiesForKeys: nil) ?? .init() {
            guard let bytes = try? Data(contentsOf: url) else { continue }
            #expect(bytes.range(of: Data(marker.utf8)) == nil, "\(url.lastPathComponent) holds the marker in plain text")
        }
    }
}
