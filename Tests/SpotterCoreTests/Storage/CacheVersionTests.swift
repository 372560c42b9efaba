import Foundation
import GRDB
import SpotterCore
import SpotterTestSupport
import Testing

/// The store's cache version, which every cache hit asks for: answered from memory while the cross-process signal
/// beside the database stands still, and read again as soon as any store on the same file commits a change to it.
@Suite("Cache version")
struct CacheVersionTests {
    /// Grounded, so that a change to the knowledge base does not drop them as it drops "not found" answers.
    private func entry(_ id: String) -> CacheEntry {
        CacheEntry(id: id, scope: CacheScope(tenant: "t", knowledgeBase: "kb", assistant: "a", promptVersion: "p@1",
                                             aclSignature: "public", embeddingModel: "m@1"),
                   question: "How long should I rest between sets? (\(id))", answer: "Two minutes.", citations: [],
                   citedChunkHashes: [:], model: "offline", grounded: true, usage: TokenUsage(promptTokens: 1, completionTokens: 1),
                   costUSD: nil, knowledgeBaseGeneration: 0, sourceAnswerID: "ans_x", createdAt: Date(), lastHitAt: nil, hitCount: 0)
    }

    private func chunk(_ text: String) -> NewChunk {
        NewChunk(ordinal: 0, text: text, contextualText: text, headingPath: [], tokenCount: 2, startOffset: 0,
                 endOffset: text.count, embedding: [1, 0, 0], modelID: "m", modelVersion: "1")
    }

    @Test func changesCommittedByAnotherStoreOnTheSameFileAreSeenAtOnce() throws {
        let directory = try TestEnvironment.temporaryDirectory("cache-version")
        let server = try SQLiteStore(directory: directory)
        // A second store on the same file stands in for another process (`spotter ingest`, `spotter cache purge`).
        let other = try SQLiteStore(directory: directory)
        defer { other.close() }
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(SQLiteStore.fileName + "-cachesignal").path))
        for id in ["ce_a", "ce_b"] { try server.insertCacheEntry(entry(id), vector: [1, 0, 0]) }
        let kb = try #require(try other.knowledgeBase(named: "kb", create: true))
        let document = try other.replaceDocument(NewDocument(sourceURI: "a.md", title: "A", contentSHA256: "h1", metadata: [:]),
                                                 chunks: [chunk("rest two minutes")], in: kb)

        let start = try server.cacheVersion()
        #expect(try server.cacheVersion() == start)
        // An entry deleted in the other store.
        #expect(try other.deleteCacheEntries(ids: ["ce_a"]) == 1)
        let afterDeletion = try server.cacheVersion()
        #expect(afterDeletion > start)
        // A chunk replaced by re-ingesting its document there.
        _ = try other.replaceDocument(NewDocument(sourceURI: "a.md", title: "A", contentSHA256: "h2", metadata: [:]),
                                      chunks: [chunk("rest three minutes")], in: kb)
        let afterReplace = try server.cacheVersion()
        #expect(afterReplace > afterDeletion)
        // A change in the store itself, and the other store sees it the same way.
        #expect(try server.deleteDocument(id: document, tenant: Principal.defaultTenant))
        #expect(try server.cacheVersion() > afterReplace)
        #expect(try other.cacheVersion() == server.cacheVersion())
        // Writes that do not touch the cache leave the version where it is.
        let settled = try server.cacheVersion()
        _ = try other.knowledgeBase(named: "another", create: true)
        #expect(try server.cacheVersion() == settled)
    }

    @Test func aHandEditWithAnotherSQLiteClientIsSeenWithinTheRecheckInterval() async throws {
        let directory = try TestEnvironment.temporaryDirectory("cache-version-hand")
        let server = try SQLiteStore(directory: directory)
        try server.insertCacheEntry(entry("ce_hand"), vector: [1, 0, 0])
        let start = try server.cacheVersion()
        let raw = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
        try await raw.write { db in try db.execute(sql: "DELETE FROM cache_entries WHERE id = 'ce_hand'") }
        try raw.close()
        try await Task.sleep(for: SQLiteStore.cacheVersionRecheck + .milliseconds(100))
        #expect(try server.cacheVersion() > start)
    }

    @Test func aStoreInAFolderItCannotWriteTheSignalToStillAnswers() throws {
        // The signal cannot be created beside a database opened read-only elsewhere; simulated with a signal path
        // that is a folder: the store then reads the version on every call, and changes are still seen.
        let directory = try TestEnvironment.temporaryDirectory("cache-version-nosignal")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(SQLiteStore.fileName + "-cachesignal"),
                                                withIntermediateDirectories: true)
        let server = try SQLiteStore(directory: directory)
        try server.insertCacheEntry(entry("ce_n"), vector: [1, 0, 0])
        let start = try server.cacheVersion()
        let raw = try DatabaseQueue(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
        try raw.write { db in try db.execute(sql: "DELETE FROM cache_entries WHERE id = 'ce_n'") }
        try raw.close()
        #expect(try server.cacheVersion() > start)
    }
}
