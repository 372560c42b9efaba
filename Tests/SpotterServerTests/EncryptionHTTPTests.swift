import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// An encrypted store over real loopback HTTP: search and chat answer through the sealed text, and a chunk whose
/// ciphertext was changed on disk is a 500 `data_integrity` naming the record, while other queries keep answering.
extension ChatHTTPTests {
    @Test func anEncryptedStoreAnswersAndATamperedRecordIsA500NamingIt() async throws {
        let directory = try TestEnvironment.temporaryDirectory("encrypted-http")
        var configuration = TestEnvironment.configuration(dataDirectory: directory)
        configuration.encryptionKey = try DataKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
        let built = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
        _ = try await built.ingest.ingest(paths: [TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "default"))
        await built.shutdown()

        // Someone with the file changes one byte of the sealed text of the best hit for "protein per day".
        let probe = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
        let hit = try #require(try await probe.search.search(SearchRequest(query: "protein per day", knowledgeBase: "default", k: 1, mode: .bm25)).hits.first)
        await probe.shutdown()
        let tampered = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            (text,) = db.execute("SELECT text FROM chunks WHERE id = ?", (int(sys.argv[2]),)).fetchone()
            flipped = text[:-4] + ("A" if text[-4] != "A" else "B") + text[-3:]
            db.execute("UPDATE chunks SET text = ? WHERE id = ?", (flipped, int(sys.argv[2])))
            db.commit()
            """, directory.appendingPathComponent("spotter.sqlite").path, String(hit.chunkID)])
        #expect(tampered.status == 0, "\(tampered.stderr)")

        let spotter = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
        try await Loopback.withServer(spotter) { base in
            let broken = try await Loopback.get(base, "/v1/search?q=protein+per+day&mode=bm25&k=1")
            #expect(broken.status == 500 && broken.errorCode == "data_integrity", "\(broken.status) \(broken.text)")
            #expect(broken.errorMessage.contains("chunks.text[\(hit.documentID) #\(hit.ordinal)]"), "\(broken.errorMessage)")
            let other = try await Loopback.get(base, "/v1/search?q=rest+between+sets&mode=bm25&k=3")
            #expect(other.status == 200 && other.text.contains("Rest"), "\(other.status) \(other.text.prefix(300))")
        }
        await spotter.shutdown()
    }
}
