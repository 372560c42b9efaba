import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// The persisted dense index against a real SQLite store: load, rebuild when the file is missing, stale or corrupt,
/// and in-place updates when documents change. Vectors are random (clustered) so that many can be stored quickly;
/// they are stored under the real model's id and version, as ingest would.
@Suite("Vector index catalog")
struct VectorIndexCatalogTests {
    struct Fixture {
        let store: SQLiteStore
        let embedder: MiniLMEmbedder
        let directory: URL
        let knowledgeBase: KnowledgeBase
        var indexDirectory: URL { directory.appendingPathComponent("indexes") }

        func catalog(m: Int = 16) throws -> VectorIndexCatalog {
            VectorIndexCatalog(store: store, embedder: embedder, directory: indexDirectory,
                               parameters: try HNSWParameters(m: m, efConstruction: 100, efSearch: 64), threads: 2)
        }

        /// Writes document `number` with `chunks` random unit vectors near one of 20 centres.
        func putDocument(_ number: Int, chunks: Int = 4, seed: UInt64 = 0) throws {
            var random = SplitMix64(seed: UInt64(number) &* 7919 &+ seed &+ 1)
            let centre = (0..<embedder.dimension).map { _ in random.gaussian() }
            let newChunks = (0..<chunks).map { ordinal in
                var vector = centre.map { $0 + 0.5 * random.gaussian() }
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                vector = vector.map { $0 / norm }
                return NewChunk(ordinal: ordinal, text: "doc \(number) part \(ordinal)", contextualText: "doc \(number) part \(ordinal)",
                                headingPath: [], tokenCount: 4, startOffset: 0, endOffset: 1, embedding: vector,
                                modelID: embedder.modelID, modelVersion: embedder.modelVersion)
            }
            _ = try store.replaceDocument(
                NewDocument(sourceURI: "/doc/\(number)", title: "Doc \(number)", contentSHA256: "\(number)-\(seed)", metadata: [:]),
                chunks: newChunks, in: knowledgeBase)
        }

        func vectors() throws -> [StoredEmbedding] {
            try store.embeddings(in: knowledgeBase, modelID: embedder.modelID, modelVersion: embedder.modelVersion)
        }
    }

    func fixture(documents: Int) throws -> Fixture {
        let directory = try TestEnvironment.temporaryDirectory("catalog")
        let store = try SQLiteStore(directory: directory)
        let fixture = Fixture(store: store, embedder: try TestEnvironment.embedder(), directory: directory,
                              knowledgeBase: try #require(try store.knowledgeBase(named: "kb", create: true)))
        for number in 0..<documents { try fixture.putDocument(number) }
        return fixture
    }

    /// recall@10 of the catalog's index against the exact scan, over some stored vectors as queries.
    func recall(_ catalog: VectorIndexCatalog, _ fixture: Fixture) throws -> Double {
        let approximate = try catalog.index(for: fixture.knowledgeBase, exact: false)
        let exact = try catalog.index(for: fixture.knowledgeBase, exact: true)
        let queries = try fixture.vectors().enumerated().filter { $0.offset % 25 == 0 }.map(\.element.vector)
        var found = 0
        for query in queries {
            let truth = Set(exact.nearest(to: query, k: 10, allowedDocuments: nil).map(\.chunkID))
            found += approximate.nearest(to: query, k: 10, allowedDocuments: nil).filter { truth.contains($0.chunkID) }.count
        }
        return Double(found) / Double(queries.count * 10)
    }

    @Test func buildsOnceThenLoadsTheFileAfterARestart() throws {
        let fixture = try fixture(documents: 300)
        let first = try fixture.catalog()
        let action = try first.synchronize(fixture.knowledgeBase)
        #expect(action == .rebuilt(reason: "no index file yet"), "\(action)")
        let file = try #require(first.fileURL(for: fixture.knowledgeBase))
        #expect(FileManager.default.fileExists(atPath: file.path))
        #expect(try first.synchronize(fixture.knowledgeBase) == .unchanged)
        #expect(try recall(first, fixture) >= 0.95)

        let restarted = try fixture.catalog()
        #expect(try restarted.synchronize(fixture.knowledgeBase) == .loaded)
        #expect(try restarted.index(for: fixture.knowledgeBase, exact: false).count == 1_200)
        #expect(try recall(restarted, fixture) >= 0.95)
        // No temporary file is left beside the index.
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.indexDirectory.path) == [file.lastPathComponent])
    }

    @Test func aChangedDocumentIsUpdatedInPlaceNotRebuilt() throws {
        let fixture = try fixture(documents: 200)
        let catalog = try fixture.catalog()
        try catalog.synchronize(fixture.knowledgeBase)
        let before = Set(try fixture.vectors().map(\.chunkID))

        try fixture.putDocument(7, chunks: 3, seed: 1)  // replaced: 4 old chunks out, 3 new in
        try fixture.putDocument(500, chunks: 2)          // new
        #expect(try catalog.synchronize(fixture.knowledgeBase) == .updated(inserted: 5, removed: 4, compacted: false))
        let after = try fixture.vectors()
        let index = try catalog.index(for: fixture.knowledgeBase, exact: false)
        #expect(index.count == after.count)
        // Removed chunks are never returned, whatever the query; new ones are found.
        let removed = before.subtracting(after.map(\.chunkID))
        for entry in after.suffix(5) {
            let hits = index.nearest(to: entry.vector, k: 10, allowedDocuments: nil)
            #expect(hits.first?.chunkID == entry.chunkID)
            #expect(hits.allSatisfy { !removed.contains($0.chunkID) })
        }
        // The saved file carries the update: a restart loads it as is.
        #expect(try fixture.catalog().synchronize(fixture.knowledgeBase) == .loaded)
    }

    @Test func changesMadeWhileNoCatalogRanAreAppliedOnLoad() throws {
        let fixture = try fixture(documents: 100)
        try fixture.catalog().synchronize(fixture.knowledgeBase)
        // Another process (say `spotter ingest` without a server running) deletes and adds documents.
        let doomed = try #require(try fixture.store.documents(in: fixture.knowledgeBase).first)
        #expect(try fixture.store.deleteDocument(id: doomed.id, tenant: Principal.defaultTenant))
        try fixture.putDocument(900, chunks: 1)
        let restarted = try fixture.catalog()
        #expect(try restarted.synchronize(fixture.knowledgeBase) == .updated(inserted: 1, removed: 4, compacted: false))
        let hits = try restarted.index(for: fixture.knowledgeBase, exact: false).nearest(to: try fixture.vectors().last!.vector, k: 400, allowedDocuments: nil)
        #expect(!hits.contains { $0.documentID == doomed.id })
    }

    @Test func manyDeletionsCompactTheGraph() throws {
        let fixture = try fixture(documents: 120)
        let catalog = try fixture.catalog()
        try catalog.synchronize(fixture.knowledgeBase)
        for document in try fixture.store.documents(in: fixture.knowledgeBase).prefix(40) {
            _ = try fixture.store.deleteDocument(id: document.id, tenant: Principal.defaultTenant)
        }
        #expect(try catalog.synchronize(fixture.knowledgeBase) == .updated(inserted: 0, removed: 160, compacted: true))
        #expect(try catalog.index(for: fixture.knowledgeBase, exact: false).count == 320)
        #expect(try recall(catalog, fixture) >= 0.95)
    }

    @Test func aCorruptFileIsRebuiltAndReplaced() throws {
        let fixture = try fixture(documents: 100)
        let first = try fixture.catalog()
        try first.synchronize(fixture.knowledgeBase)
        let file = try #require(first.fileURL(for: fixture.knowledgeBase))
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: file)

        let restarted = try fixture.catalog()
        let action = try restarted.synchronize(fixture.knowledgeBase)
        guard case .rebuilt(let reason) = action else {
            Issue.record("expected a rebuild, got \(action)")
            return
        }
        #expect(reason.contains("unusable"))
        #expect(try recall(restarted, fixture) >= 0.95)
        #expect(try fixture.catalog().synchronize(fixture.knowledgeBase) == .loaded)

        // A truncated file (a torn copy, say) is refused the same way.
        let whole = try Data(contentsOf: file)
        try whole.prefix(whole.count / 3).write(to: file)
        guard case .rebuilt = try fixture.catalog().synchronize(fixture.knowledgeBase) else {
            Issue.record("a truncated file was loaded")
            return
        }
    }

    @Test func aFileForOtherSettingsOrAnotherModelIsStale() throws {
        let fixture = try fixture(documents: 60)
        try fixture.catalog(m: 8).synchronize(fixture.knowledgeBase)
        let action = try fixture.catalog(m: 16).synchronize(fixture.knowledgeBase)
        guard case .rebuilt(let reason) = action else {
            Issue.record("expected a rebuild, got \(action)")
            return
        }
        #expect(reason.contains("M=8"))

        // The same graph filed under another model version.
        let file = try #require(try fixture.catalog().fileURL(for: fixture.knowledgeBase))
        let (index, info) = try HNSWIndex.read(from: file)
        try index.write(to: file, header: HNSWFileInfo(modelID: info.modelID, modelVersion: "0123456789ab",
                                                      chunkSetDigest: info.chunkSetDigest, generation: info.generation))
        guard case .rebuilt(let stale) = try fixture.catalog().synchronize(fixture.knowledgeBase) else {
            Issue.record("a file for another model version was loaded")
            return
        }
        #expect(stale.contains("0123456789ab"))
    }
}
