import Crypto
import Foundation
import GRDB

extension SQLiteStore: CacheStore {
    public func insertCacheEntry(_ entry: CacheEntry, vector: [Float]) throws(StoreError) {
        let scope = entry.scope
        let sealer = sealer
        try write("store a cached answer") { db in
            try db.execute(sql: """
                INSERT INTO cache_entries (id, scope_key, tenant, kb, assistant, prompt_version, acl_signature, embedding_model,
                    filters, question, answer, citations, model, grounded, prompt_tokens, completion_tokens, tokens_estimated,
                    cost_usd, kb_generation, source_answer_id, vector, created_at, last_used_at, hit_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    entry.id, scope.key, scope.tenant, scope.knowledgeBase, scope.assistant, scope.promptVersion,
                    scope.aclSignature, scope.embeddingModel, scope.filters,
                    sealer.seal(entry.question, FieldSealer.cacheEntry("question", entry.id)),
                    sealer.seal(entry.answer, FieldSealer.cacheEntry("answer", entry.id)),
                    sealer.seal(Self.encodeJSON(entry.citations), FieldSealer.cacheEntry("citations", entry.id)), entry.model, entry.grounded, entry.usage.promptTokens,
                    entry.usage.completionTokens, entry.usage.estimated, entry.costUSD, entry.knowledgeBaseGeneration,
                    entry.sourceAnswerID, VectorCoding.encode(vector), entry.createdAt.timeIntervalSince1970,
                    (entry.lastHitAt ?? entry.createdAt).timeIntervalSince1970, entry.hitCount,
                ])
            for citation in entry.citations {
                guard let hash = entry.citedChunkHashes[citation.chunkID] else { continue }
                try db.execute(sql: """
                    INSERT OR IGNORE INTO cache_citations (entry_id, document_id, chunk_id, chunk_sha256) VALUES (?, ?, ?, ?)
                    """, arguments: [entry.id, citation.documentID, citation.chunkID, hash])
            }
        }
    }

    public func cacheEntry(id: String) throws(StoreError) -> CacheEntry? {
        try read("read a cached answer") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM cache_entries WHERE id = ?", arguments: [id]) else { return nil }
            let hashes = try Row.fetchAll(db, sql: "SELECT chunk_id, chunk_sha256 FROM cache_citations WHERE entry_id = ?", arguments: [id])
            return try Self.cacheEntry(row, sealer: sealer, hashes: Dictionary(hashes.map { ($0["chunk_id"] as Int64, $0["chunk_sha256"] as String) },
                                                          uniquingKeysWith: { first, _ in first }))
        }
    }

    private static func cacheEntry(_ row: Row, sealer: FieldSealer, hashes: [Int64: String]) throws -> CacheEntry {
        let hits: Int = row["hit_count"]
        let id: String = row["id"]
        return CacheEntry(
            id: row["id"],
            scope: CacheScope(tenant: row["tenant"], knowledgeBase: row["kb"], assistant: row["assistant"],
                              promptVersion: row["prompt_version"], aclSignature: row["acl_signature"],
                              embeddingModel: row["embedding_model"], filters: row["filters"]),
            question: try sealer.open(row["question"], FieldSealer.cacheEntry("question", id)),
            answer: try sealer.open(row["answer"], FieldSealer.cacheEntry("answer", id)),
            citations: decodeJSON(try sealer.open(row["citations"], FieldSealer.cacheEntry("citations", id))) ?? [],
            citedChunkHashes: hashes, model: row["model"], grounded: row["grounded"],
            usage: TokenUsage(promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                              estimated: row["tokens_estimated"]),
            costUSD: row["cost_usd"], knowledgeBaseGeneration: row["kb_generation"], sourceAnswerID: row["source_answer_id"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            lastHitAt: hits > 0 ? Date(timeIntervalSince1970: row["last_used_at"]) : nil, hitCount: hits)
    }

    public func cacheVectors(scopeKey: String) throws(StoreError) -> [(id: String, vector: [Float])] {
        try read("load cached questions") { db in
            try Row.fetchAll(db, sql: "SELECT id, vector FROM cache_entries WHERE scope_key = ? ORDER BY created_at", arguments: [scopeKey])
                .map { (id: $0["id"], vector: VectorCoding.decode($0["vector"])) }
        }
    }

    public func recordCacheHits(_ tallies: [CacheHitTally]) throws(StoreError) {
        guard !tallies.isEmpty else { return }
        try write("count cache hits") { db in
            let update = try db.cachedStatement(sql: """
                UPDATE cache_entries SET hit_count = hit_count + ?, last_used_at = max(last_used_at, ?) WHERE id = ?
                """)
            for tally in tallies {
                try update.execute(arguments: [tally.hits, tally.lastHitAt.timeIntervalSince1970, tally.entryID])
            }
        }
    }

    /// Every cache hit asks, so the answer comes from memory while nothing can have changed it: the version read
    /// last is reused while the cache signal (``cacheSignal``) has not moved since, and for at most
    /// ``cacheVersionRecheck``. Every ``SQLiteStore``, in any process, moves the signal right after committing a
    /// change to the version; the recheck bounds what the signal cannot see (a hand edit with another SQLite
    /// client, a process killed between its commit and the signal).
    public func cacheVersion() throws(StoreError) -> Int64 {
        guard let cacheSignal else { return try readCacheVersion() }
        // The signal is read before the version: a change committed in between moves it, and the next call reads again.
        let signal = cacheSignal.value
        let now = ContinuousClock.now
        if let last = lastCacheVersion.withLock({ $0 }), last.signal == signal, now - last.readAt < Self.cacheVersionRecheck {
            return last.version
        }
        let version = try readCacheVersion()
        lastCacheVersion.withLock { $0 = CacheVersionReading(signal: signal, version: version, readAt: now) }
        return version
    }

    /// How long a version read stays usable while the signal stands still.
    public static let cacheVersionRecheck: Duration = .seconds(1)
    /// The signal's file, beside the database (`spotter.sqlite-cachesignal`).
    static let cacheSignalSuffix = "-cachesignal"

    func readCacheVersion() throws(StoreError) -> Int64 {
        try readStatement("read the cache version") { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM cache_version WHERE id = 1")) ?? 0
        }
    }

    @discardableResult
    public func deleteCacheEntries(ids: [String]) throws(StoreError) -> Int {
        guard !ids.isEmpty else { return 0 }
        return try write("delete cached answers") { db in
            try db.execute(sql: "DELETE FROM cache_entries WHERE id IN (SELECT value FROM json_each(?))", arguments: [Self.encodeJSON(ids)])
            return db.changesCount
        }
    }

    public func purgeCache(_ filter: CachePurgeFilter) throws(StoreError) -> [String] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        for (column, value) in [("tenant", filter.tenant), ("kb", filter.knowledgeBase), ("assistant", filter.assistant),
                                ("prompt_version", filter.promptVersion)] {
            guard let value else { continue }
            conditions.append("\(column) = ?")
            arguments.append(value)
        }
        let condition = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
        return try deleteReturningIDs("purge cached answers", where: condition, arguments: StatementArguments(arguments))
    }

    public func expireCache(createdBefore date: Date) throws(StoreError) -> [String] {
        try deleteReturningIDs("expire cached answers", where: "created_at < ?", arguments: [date.timeIntervalSince1970])
    }

    public func evictCache(keeping maximum: Int) throws(StoreError) -> [String] {
        try deleteReturningIDs("evict cached answers", where: """
            id IN (SELECT id FROM cache_entries ORDER BY last_used_at DESC, created_at DESC LIMIT -1 OFFSET ?)
            """, arguments: [max(0, maximum)])
    }

    private func deleteReturningIDs(_ operation: String, where condition: String, arguments: StatementArguments) throws(StoreError) -> [String] {
        try write(operation) { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM cache_entries WHERE \(condition)", arguments: arguments)
            guard !ids.isEmpty else { return [] }
            try db.execute(sql: "DELETE FROM cache_entries WHERE id IN (SELECT value FROM json_each(?))", arguments: [Self.encodeJSON(ids)])
            return ids
        }
    }

    public func cacheEntryIDs(sourceAnswerID: String) throws(StoreError) -> [String] {
        try read("find cached answers") { db in
            try String.fetchAll(db, sql: "SELECT id FROM cache_entries WHERE source_answer_id = ?", arguments: [sourceAnswerID])
        }
    }

    public func recordCacheFalseHit(_ falseHit: CacheFalseHit) throws(StoreError) {
        try write("record a false cache hit") { db in
            try db.execute(sql: """
                INSERT INTO cache_false_hits (cached_question, asked_question, similarity, answer_id, recorded_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [sealer.seal(falseHit.cachedQuestion, FieldSealer.falseHit("cached_question", falseHit.answerID)),
                                 sealer.seal(falseHit.askedQuestion, FieldSealer.falseHit("asked_question", falseHit.answerID)),
                                 falseHit.similarity, falseHit.answerID,
                                 falseHit.recordedAt.timeIntervalSince1970])
        }
    }

    public func cacheFalseHits() throws(StoreError) -> [CacheFalseHit] {
        let sealer = sealer
        return try read("read false cache hits") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cache_false_hits ORDER BY id").map { row in
                let answerID: String = row["answer_id"]
                return CacheFalseHit(cachedQuestion: try sealer.open(row["cached_question"], FieldSealer.falseHit("cached_question", answerID)),
                                     askedQuestion: try sealer.open(row["asked_question"], FieldSealer.falseHit("asked_question", answerID)),
                                     similarity: row["similarity"], answerID: answerID, recordedAt: Date(timeIntervalSince1970: row["recorded_at"]))
            }
        }
    }

    public func cacheStatistics(tenant: String?) throws(StoreError) -> CacheStatistics {
        // One tenant's, or every one's: `?1 IS NULL` keeps a single statement for both.
        try read("count cached answers") { db in
            let scopes = try Row.fetchAll(db, sql: """
                SELECT tenant, kb, assistant, prompt_version, COUNT(*) AS entries, SUM(hit_count) AS hits
                FROM cache_entries WHERE ?1 IS NULL OR tenant = ?1
                GROUP BY tenant, kb, assistant, prompt_version ORDER BY tenant, kb, assistant, prompt_version
                """, arguments: [tenant]).map {
                    CacheStatistics.ScopeCount(tenant: $0["tenant"], knowledgeBase: $0["kb"], assistant: $0["assistant"],
                                               promptVersion: $0["prompt_version"], entries: $0["entries"], hits: $0["hits"] ?? 0)
                }
            let totals = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS entries, COALESCE(SUM(hit_count), 0) AS hits,
                       COALESCE(SUM(hit_count * (prompt_tokens + completion_tokens)), 0) AS tokens,
                       COALESCE(SUM(hit_count * COALESCE(cost_usd, 0)), 0) AS cost
                FROM cache_entries WHERE ?1 IS NULL OR tenant = ?1
                """, arguments: [tenant])
            let falseHits = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM cache_false_hits f
                WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM answers a WHERE a.id = f.answer_id AND a.tenant = ?1)
                """, arguments: [tenant]) ?? 0
            return CacheStatistics(entries: totals?["entries"] ?? 0, hits: totals?["hits"] ?? 0, savedTokens: totals?["tokens"] ?? 0,
                                   savedCostUSD: totals?["cost"] ?? 0, falseHits: falseHits, scopes: scopes)
        }
    }

    public func chunkHashes(ids: [Int64]) throws(StoreError) -> [Int64: String] {
        guard !ids.isEmpty else { return [:] }
        let sealer = sealer
        return try read("hash cited chunks") { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, document_id, ordinal, text FROM chunks WHERE id IN (SELECT value FROM json_each(?))",
                                        arguments: [Self.encodeJSON(ids)])
            // The hash of the text, not of its sealed form (sealed anew, equal text gives another value).
            return Dictionary(try rows.map { row in
                (row["id"] as Int64, sha256Hex(try sealer.open(row["text"], FieldSealer.chunk("text", row["document_id"], row["ordinal"]))))
            }, uniquingKeysWith: { first, _ in first })
        }
    }
}

struct CacheVersionReading: Sendable {
    var signal: UInt64
    var version: Int64
    var readAt: ContinuousClock.Instant
}

/// Watches the writer connection for changes to `cache_version` (its triggers fire on entry deletions and chunk
/// changes) and moves the cross-process signal once each such transaction has committed.
final class CacheVersionObserver: TransactionObserver {
    private let signal: CrossProcessCounter
    /// Touched only on the writer connection's queue, as GRDB calls observers there.
    private var changed = false

    init(signal: CrossProcessCounter) { self.signal = signal }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        eventKind.tableName == "cache_version"
    }

    func databaseDidChange(with event: DatabaseEvent) { changed = true }

    func databaseDidCommit(_ db: Database) {
        guard changed else { return }
        changed = false
        signal.increment()
    }

    func databaseDidRollback(_ db: Database) { changed = false }
}
