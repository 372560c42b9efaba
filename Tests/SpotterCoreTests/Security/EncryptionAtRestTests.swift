import Crypto
import Foundation
import GRDB
import SpotterCore
import SpotterTestSupport
import Testing

/// Encryption at rest end to end on a real store: after a document with a unique phrase is ingested, searched,
/// asked about (answer record, session, cache entry) and given feedback, no file of the data directory holds any of
/// the phrase's words in any letter case; keyword search still finds it through the HMAC tokens; and a changed or
/// moved ciphertext is an integrity error naming its record while the rest of the store keeps working.
@Suite("Encryption at rest", .serialized)
struct EncryptionAtRestTests {
    static func randomKey() throws -> DataKey { try DataKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) }) }

    /// Words no guide or stop-word list holds, each a run of consonants so that stemming leaves it whole.
    static func uniqueWords(_ count: Int) -> [String] {
        (0..<count).map { _ in "zq" + String((0..<9).map { _ in "bcdfghjklmnpqrstvwxz".randomElement()! }) }
    }

    /// Files under `directory` whose bytes hold `word` in any letter case.
    static func files(under directory: URL, containing word: String) throws -> [String] {
        let needle = Array(word.lowercased().utf8)
        var found: [String] = []
        for case let url as URL in FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) ?? .init() {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let bytes = try Data(contentsOf: url).map { (65...90).contains($0) ? $0 + 32 : $0 }
            if bytes.firstRange(of: needle) != nil { found.append(url.lastPathComponent) }
        }
        return found
    }

    /// The integrity failure `body` ran into; nil when it succeeded or failed otherwise.
    static func integrityFailure(_ body: () throws -> Void) -> DataIntegrityError? {
        do {
            try body()
        } catch let error as StoreError {
            if case .integrity(let failure) = error { return failure }
        } catch {}
        return nil
    }

    static func spotter(_ directory: URL, key: DataKey?) throws -> Spotter {
        var configuration = TestEnvironment.configuration(dataDirectory: directory)
        configuration.encryptionKey = key
        configuration.cache.enabled = true
        return try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
    }

    @Test func nothingOfAnIngestedAndDiscussedDocumentIsLeftInPlainTextOnDisk() async throws {
        let directory = try TestEnvironment.temporaryDirectory("encrypted")
        let sources = try TestEnvironment.temporaryDirectory("encrypted-sources")
        let words = Self.uniqueWords(6)
        let phrase = words[1...].joined(separator: " ")
        try TestEnvironment.write(["note.md": """
            # \(words[0].capitalized) Protocol

            ## Warm-up

            The \(phrase) routine is a warm-up: three rounds of light squats and lunges before heavy lifting.
            """], under: sources)
        let key = try Self.randomKey()
        let spotter = try Self.spotter(directory, key: key)
        _ = try await spotter.ingest.ingest(paths: [TestEnvironment.demoGuides.path, sources.path], options: IngestOptions(knowledgeBase: "default"))

        // Keyword search finds the document by a word of it, through the tokens alone.
        let found = try await spotter.search.search(SearchRequest(query: "What is \(words[2]) \(words[3])?", knowledgeBase: "default", k: 3, mode: .bm25))
        #expect(found.hits.first?.title == "\(words[0].capitalized) Protocol", "\(found.hits.map(\.title))")
        #expect(found.hits.first?.text.contains(phrase) == true, "hits are opened for the caller")

        // A conversation about it: an answer record, a session, a cache entry and feedback with a comment.
        let question = "What is the \(phrase) routine?"
        let answer = try await spotter.answers.respond(AnswerRequest(message: question, sessionID: "ses_encrypted"))
        #expect(answer.citations.contains { $0.title.contains(words[0].capitalized) }, "\(answer.citations.map(\.title))")
        let again = try await spotter.answers.respond(AnswerRequest(message: question))
        #expect(again.cached, "the second ask is served from the encrypted cache entry")
        await spotter.answers.log.settle()
        _ = try await spotter.feedback.submit(answerID: answer.answerID, rating: .down, comment: "Too short about \(words[4])")
        await spotter.answers.log.settle()
        let record = try #require(try spotter.store.answer(id: answer.answerID))
        #expect(record.question == question && record.answer == answer.answer, "records read back opened")
        #expect(try spotter.store.messages(inSession: "ses_encrypted").first?.content == question)
        #expect(try spotter.store.feedback(answerID: answer.answerID).first?.comment == "Too short about \(words[4])")
        #expect(try spotter.store.encryption == EncryptionState(mode: .encrypted, keyID: key.id))
        await spotter.shutdown()

        for word in words {
            #expect(try Self.files(under: directory, containing: word) == [], "'\(word)' is on disk in plain text")
        }
        // The store's text really is there, sealed: the check above is not vacuous.
        #expect(try Self.files(under: directory, containing: DataCipher.prefix + key.id) != [])
    }

    /// Even unencrypted, deleted and replaced text leaves no copy in the file: `secure_delete` zeroes freed space,
    /// the keyword index is compacted, and closing empties the write-ahead log.
    @Test func deletedAndReplacedTextLeavesNoCopyInAPlaintextStore() async throws {
        let directory = try TestEnvironment.temporaryDirectory("plain-deletion")
        let sources = try TestEnvironment.temporaryDirectory("plain-deletion-sources")
        let (gone, replaced, kept) = (Self.uniqueWords(1)[0], Self.uniqueWords(1)[0], Self.uniqueWords(1)[0])
        try TestEnvironment.write(["a.md": "# Drill\n\nThe \(gone) drill for rest days.\n", "b.md": "# Plan\n\nThe \(replaced) plan.\n"], under: sources)
        let spotter = try Self.spotter(directory, key: nil)
        _ = try await spotter.ingest.ingest(paths: [sources.path], options: IngestOptions(knowledgeBase: "default"))
        try TestEnvironment.write(["b.md": "# Plan\n\nThe \(kept) plan.\n"], under: sources)
        try FileManager.default.removeItem(at: sources.appendingPathComponent("a.md"))
        let summary = try await spotter.ingest.ingest(paths: [sources.path], options: IngestOptions(knowledgeBase: "default"))
        #expect(summary.updated == 1)
        let knowledgeBase = try #require(try spotter.store.knowledgeBase(named: "default", tenant: "default", create: false))
        let doomed = try #require(try spotter.store.documents(in: knowledgeBase).first { $0.title == "Drill" })
        #expect(try spotter.ingest.deleteDocument(id: doomed.id, tenant: "default"))
        await spotter.shutdown()
        #expect(try Self.files(under: directory, containing: gone) == [], "a deleted document's word")
        #expect(try Self.files(under: directory, containing: replaced) == [], "a replaced document's old word")
        #expect(try Self.files(under: directory, containing: kept) != [], "the current text is stored")
    }

    @Test func anEncryptedStoreNeedsItsKeyAndAPlaintextOneIsNotTakenOver() async throws {
        let directory = try TestEnvironment.temporaryDirectory("encrypted-keys")
        let key = try Self.randomKey()
        try Self.spotter(directory, key: key).store.close()
        #expect(throws: StoreError.self) { try Self.spotter(directory, key: nil) }
        do {
            _ = try Self.spotter(directory, key: try Self.randomKey())
            Issue.record("a wrong key was accepted")
        } catch let error as StoreError {
            #expect(error.description.contains(key.id), "\(error)")
        }
        let plain = try TestEnvironment.temporaryDirectory("plaintext")
        let spotter = try Self.spotter(plain, key: nil)
        _ = try await spotter.ingest.ingest(paths: [TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "default"))
        await spotter.shutdown()
        do {
            _ = try Self.spotter(plain, key: key)
            Issue.record("a plaintext store was opened as if encrypted")
        } catch let error as StoreError {
            #expect(error.description.contains("spotter encrypt"), "\(error)")
        }
    }

    @Test func aChangedOrMovedCiphertextIsAnIntegrityErrorNamingTheRecord() async throws {
        let directory = try TestEnvironment.temporaryDirectory("encrypted-tamper")
        let spotter = try Self.spotter(directory, key: try Self.randomKey())
        _ = try await spotter.ingest.ingest(paths: [TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "default"))
        let database = try DatabaseQueue(path: directory.appendingPathComponent("spotter.sqlite").path)
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, document_id, ordinal, text FROM chunks ORDER BY id LIMIT 3").map {
                (id: $0["id"] as Int64, document: $0["document_id"] as String, ordinal: $0["ordinal"] as Int, text: $0["text"] as String)
            }
        }
        let (first, second, third) = (rows[0], rows[1], rows[2])
        // One byte of the first chunk's ciphertext flipped; the second chunk's ciphertext copied into the third.
        var bytes = Array(first.text.utf8)
        let last = bytes.count - 3
        bytes[last] = bytes[last] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let flipped = String(decoding: bytes, as: UTF8.self)
        try await database.write { db in
            try db.execute(sql: "UPDATE chunks SET text = ? WHERE id = ?", arguments: [flipped, first.id])
            try db.execute(sql: "UPDATE chunks SET text = ? WHERE id = ?", arguments: [second.text, third.id])
        }
        try database.close()
        for (row, label) in [(first, "flipped byte"), (third, "moved ciphertext")] {
            let failure = Self.integrityFailure { _ = try spotter.store.chunks(ids: [row.id]) }
            #expect(failure?.record == "chunks.text[\(row.document) #\(row.ordinal)]", "\(label): \(String(describing: failure))")
            #expect(failure.map { StoreError.integrity($0).description.contains("integrity check failed for chunks.text") } == true)
        }
        // The rest keeps working: the untouched chunk reads, and a search still answers.
        #expect(try spotter.store.chunks(ids: [second.id]).count == 1)
        let found = try await spotter.search.search(SearchRequest(query: "protein per day", knowledgeBase: "default", k: 3, mode: .bm25))
        #expect(!found.hits.isEmpty)
        await spotter.shutdown()
    }
}
