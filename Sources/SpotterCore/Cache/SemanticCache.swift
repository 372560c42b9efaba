import Foundation
import Logging
import Metrics
import Synchronization

/// Serves an earlier answer to a question that means the same, so that the language model is called only on a miss.
///
/// A lookup runs in three steps:
/// 1. **Nearest neighbours** of the standalone question's embedding among the entries of the request's
///    ``CacheScope`` (an exact scan of that scope's vectors, kept in memory and loaded from the store on first use),
///    down to ``Settings/similarityThreshold``.
/// 2. **Verification** of each candidate, best first: the ``LookalikeCheck`` (numbers, negation, comparatives,
///    population, time frame, entities), the cited chunks' hashes (the answer must still match the knowledge
///    base), and — when configured — a yes/no judgement by the language model.
/// 3. The first candidate that passes is the hit; its counters are updated.
///
/// The store is the source of truth: entries deleted elsewhere (invalidation at ingest, a purge from the CLI, TTL)
/// are dropped from memory when a lookup meets them.
public final class SemanticCache: Sendable {
    public struct Settings: Sendable, Equatable {
        /// `SPOTTER_CACHE`: whether answers are cached at all.
        public var enabled = true
        /// `SPOTTER_CACHE_THRESHOLD`: the cosine similarity a cached question needs to be considered; the
        /// look-alike check decides after that.
        public var similarityThreshold = 0.70
        /// How many neighbours above the threshold are verified before giving up.
        public var candidates = 4
        /// `SPOTTER_CACHE_TTL`: entries older than this are not served.
        public var timeToLive: TimeInterval = 7 * 86_400
        /// `SPOTTER_CACHE_MAX_ENTRIES`: beyond this, the least recently used entries are evicted.
        public var maximumEntries = 10_000
        /// Runs the ``LookalikeCheck`` after the neighbour match (turning it off gives the naive cache).
        public var verifyLookalikes = true
        /// `SPOTTER_CACHE_LLM_VERIFY`: also asks the language model whether the two questions need the same answer.
        public var judgeWithModel = false

        public init() {}
    }

    /// The result of a lookup.
    public enum Lookup: Sendable {
        case hit(CacheEntry, CacheMatch)
        /// No entry may be served; the reason is for the trace ("nearest 0.71 < 0.80").
        case miss(reason: String)
    }

    /// What negative feedback did to the cache.
    @SnakeCaseCodingKeys
    public struct FeedbackOutcome: Sendable, Equatable, Codable {
        public var evictedEntries: [String]
        /// True when the answer was a cache hit, now recorded as a false hit.
        public var falseHitRecorded: Bool
    }

    public let store: any CacheStore
    public let embedder: any Embedder
    public let settings: Settings
    /// The model that judges candidate matches when ``Settings/judgeWithModel`` is on.
    public let judge: (any ChatModel)?
    let check: LookalikeCheck
    let logger: Logger
    let metrics: any MetricsFactory
    private let counters: LookupCounters

    /// By scope, not by its key: the key is a hash, and every lookup would make it again.
    private let scopes = Mutex<[CacheScope: ScopeIndex]>([:])
    private let wordVectors = Mutex<[String: [Float]]>([:])
    /// Embeddings of recently asked questions by their normalised text: popular questions repeat word for word,
    /// and the embedding is most of a hit's cost (about 8 ms of the 9 on a 2-core machine).
    private let questionVectors = Mutex<[String: [Float]]>([:])
    /// Entries read from the store and checked against the chunks they cite, current for as long as the store's
    /// ``CacheStore/cacheVersion()`` stands still: a repeated hit then reads one integer, not the entry and its chunks.
    private let verifiedEntries = Mutex(VerifiedEntries())
    /// Hits counted in memory and written together, at most once per ``hitWriteInterval``, instead of one write
    /// transaction per hit. Counts not yet written are lost if the process dies; they only steer eviction and stats.
    private let pendingHits = Mutex(PendingHits())
    static let hitWriteInterval: Duration = .seconds(1)

    public init(store: any CacheStore, embedder: any Embedder, settings: Settings = Settings(), judge: (any ChatModel)? = nil,
                check: LookalikeCheck = LookalikeCheck(), logger: Logger = Logger(label: "spotter.cache"),
                metrics: any MetricsFactory = MetricsSystem.factory) {
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.judge = judge
        self.check = check
        self.logger = logger
        self.metrics = metrics
        counters = LookupCounters(factory: metrics)
    }

    // MARK: Lookup

    /// Looks for an answer that may be served for `question` (a standalone question whose embedding is `vector`).
    public func lookup(_ question: String, vector: [Float], scope: CacheScope, now: Date = Date()) async -> Lookup {
        let neighbours: [(id: String, similarity: Double)]
        do {
            neighbours = try nearest(vector, scope: scope, k: settings.candidates + 4)
        } catch {
            logger.error("cache lookup failed", metadata: ["error": "\(error)"])
            return count(.miss(reason: "cache unavailable: \(error)"))
        }
        guard let best = neighbours.first else { return count(.miss(reason: "no cached questions in scope")) }
        guard best.similarity >= settings.similarityThreshold else {
            return count(.miss(reason: "nearest \(Self.format(best.similarity)) < \(Self.format(settings.similarityThreshold))"))
        }
        // One read of the store's cache version decides whether entries verified earlier may be used as they are.
        let version = try? store.cacheVersion()
        let normalisedQuestion = QuestionAnalysis.normalised(question)
        var analysed: QuestionAnalysis?
        var rejections: [String] = []
        var verified = 0
        for candidate in neighbours where candidate.similarity >= settings.similarityThreshold && verified < settings.candidates {
            let known = version.flatMap { version in verifiedEntries.withLock { $0.version == version ? $0.entries[candidate.id] : nil } }
            guard var entry = known ?? (try? store.cacheEntry(id: candidate.id)) else {
                // Deleted in the store (invalidated, purged, evicted by another process): forget it here too.
                forget([candidate.id])
                continue
            }
            verified += 1
            if entry.createdAt.addingTimeInterval(settings.timeToLive) < now {
                _ = try? store.deleteCacheEntries(ids: [entry.id])
                forget([entry.id])
                expired.increment()
                rejections.append("expired")
                continue
            }
            // The same words need the same answer; anything else goes through the look-alike check.
            if QuestionAnalysis.normalised(entry.question) != normalisedQuestion {
                if analysed == nil { analysed = QuestionAnalysis(question, lexicon: check.lexicon) }
                let verdict = await verify(question, analysed: analysed, against: entry.question)
                guard verdict.passed else {
                    rejections.append("'\(PromptBuilder.clip(entry.question, words: 12))' \(Self.format(candidate.similarity)): \(verdict.summary)")
                    continue
                }
            }
            if known == nil {
                guard citationsStillMatch(entry) else {
                    // Belt and braces: ingest deletes such entries, so this only catches a store changed behind our back.
                    _ = try? store.deleteCacheEntries(ids: [entry.id])
                    forget([entry.id])
                    rejections.append("citations changed")
                    continue
                }
                entry.replyEncoding = ReplyEncoding(answer: entry.answer, citations: entry.citations)
                if let version { remember(entry, version: version) }
            }
            if settings.judgeWithModel, let judge, await !Self.judgeSameAnswer(question, entry.question, model: judge, logger: logger) {
                rejections.append("'\(PromptBuilder.clip(entry.question, words: 12))': the model judged it different")
                continue
            }
            countHit(on: entry.id, at: now)
            let match = CacheMatch(entryID: entry.id, matchedQuestion: entry.question, similarity: candidate.similarity,
                                   savedTokens: entry.usage.totalTokens, savedCostUSD: entry.costUSD)
            return count(.hit(entry, match))
        }
        let reason = rejections.isEmpty ? "nearest \(Self.format(best.similarity)) gone" : "rejected " + rejections.joined(separator: "; ")
        return count(.miss(reason: reason))
    }

    /// The look-alike check between a question and a cached one, with word vectors from the embedder.
    public func verify(_ question: String, analysed: QuestionAnalysis? = nil, against cached: String) async -> LookalikeCheck.Verdict {
        guard settings.verifyLookalikes else { return LookalikeCheck.Verdict(differences: []) }
        let a = analysed ?? QuestionAnalysis(question, lexicon: check.lexicon)
        let b = QuestionAnalysis(cached, lexicon: check.lexicon)
        let vectors = await vectors(for: check.wordsNeedingVectors(a, b))
        return check.compare(a, b) { vectors[$0] }
    }

    /// Cosine similarity of the nearest cached questions in the scope, best first.
    func nearest(_ vector: [Float], scope: CacheScope, k: Int) throws(StoreError) -> [(id: String, similarity: Double)] {
        let loaded = scopes.withLock { $0[scope] }
        let index: ScopeIndex
        if let loaded {
            index = loaded
        } else {
            let rows = try store.cacheVectors(scopeKey: scope.key)
            var built = ScopeIndex(dimension: vector.count)
            for row in rows { built.append(id: row.id, vector: row.vector) }
            index = scopes.withLock { scopes in
                // Another lookup may have loaded (and since extended) the scope meanwhile; keep that one.
                if let existing = scopes[scope] { return existing }
                scopes[scope] = built
                return built
            }
        }
        return index.nearest(to: vector, k: k)
    }

    private func remember(_ entry: CacheEntry, version: Int64) {
        verifiedEntries.withLock { state in
            if state.version != version { state = VerifiedEntries(version: version) }
            // Bounded like the other memos: cleared wholesale when full.
            if state.entries.count >= 4_096 { state.entries.removeAll(keepingCapacity: true) }
            state.entries[entry.id] = entry
        }
    }

    private func countHit(on id: String, at date: Date) {
        let due: [CacheHitTally]? = pendingHits.withLock { pending in
            var tally = pending.tallies[id] ?? CacheHitTally(entryID: id, hits: 0, lastHitAt: date)
            tally.hits += 1
            tally.lastHitAt = max(tally.lastHitAt, date)
            pending.tallies[id] = tally
            guard ContinuousClock.now - pending.lastWrite >= Self.hitWriteInterval else { return nil }
            return pending.takeAll()
        }
        if let due { write(due) }
    }

    /// Writes the hits counted in memory to the store (before statistics are read, before eviction, at shutdown).
    public func writeHitCounts() {
        write(pendingHits.withLock { $0.takeAll() })
    }

    private func write(_ tallies: [CacheHitTally]) {
        guard !tallies.isEmpty else { return }
        do {
            try store.recordCacheHits(tallies)
        } catch {
            // Counts steer eviction and statistics only; losing a second's worth is not worth failing an answer.
            logger.warning("could not write cache hit counts", metadata: ["error": "\(error)", "entries": "\(tallies.count)"])
        }
    }

    /// The store's statistics, with the hits counted in memory written first.
    /// One tenant's counts, or every tenant's when `tenant` is nil.
    public func statistics(tenant: String? = nil) throws(StoreError) -> CacheStatistics {
        writeHitCounts()
        return try store.cacheStatistics(tenant: tenant)
    }

    private func citationsStillMatch(_ entry: CacheEntry) -> Bool {
        let ids = entry.citations.map(\.chunkID)
        guard !ids.isEmpty else { return true }
        guard let current = try? store.chunkHashes(ids: ids) else { return false }
        return ids.allSatisfy { id in entry.citedChunkHashes[id] != nil && current[id] == entry.citedChunkHashes[id] }
    }

    private func vectors(for words: Set<String>) async -> [String: [Float]] {
        var known = wordVectors.withLock { cache in words.reduce(into: [String: [Float]]()) { $0[$1] = cache[$1] } }
        let missing = words.filter { known[$0] == nil }.sorted()
        guard !missing.isEmpty, let embedded = try? await embedder.embed(missing) else { return known }
        for (word, vector) in zip(missing, embedded) { known[word] = vector }
        wordVectors.withLock { cache in
            // Words repeat across questions; a bounded table is plenty (about 1.5 KB a word).
            if cache.count > 50_000 { cache.removeAll(keepingCapacity: true) }
            for (word, vector) in zip(missing, embedded) { cache[word] = vector }
        }
        return known
    }

    static func judgeSameAnswer(_ question: String, _ cached: String, model: any ChatModel, logger: Logger) async -> Bool {
        let request = ChatModelRequest(messages: [
            .system("You decide whether two questions to a fitness and nutrition assistant need exactly the same answer. Numbers, units, negation, the people concerned, time frames and named things all matter. Reply with yes or no only."),
            .user("Question A: \(cached)\nQuestion B: \(question)\nWould a correct, complete answer to A also be a correct, complete answer to B?"),
        ], temperature: 0, maxTokens: 3)
        do {
            let reply = try await model.complete(request).text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            return reply.hasPrefix("yes")
        } catch {
            // The rule check already passed; a judge that is down should not turn every lookup into a model call.
            logger.warning("cache judge unavailable; the look-alike check alone decided", metadata: ["error": "\(error)"])
            return true
        }
    }

    /// The standalone question's embedding, from the memo when the same text was asked recently.
    public func embedding(of question: String) async throws -> [Float] {
        let key = QuestionAnalysis.normalised(question)
        if let known = questionVectors.withLock({ $0[key] }) { return known }
        let vector = try await embedder.embed([question])[0]
        questionVectors.withLock { memo in
            // Bounded (about 1.5 KB a question); cleared wholesale when full, which is rare and cheap.
            if memo.count >= 20_000 { memo.removeAll(keepingCapacity: true) }
            memo[key] = vector
        }
        return vector
    }

    // MARK: Writing

    /// Stores a freshly written answer, then applies the TTL and the size bound.
    public func insert(_ entry: CacheEntry, vector: [Float], now: Date = Date()) throws(StoreError) {
        try store.insertCacheEntry(entry, vector: vector)
        // Eviction goes by last use: the counts in memory first.
        writeHitCounts()
        scopes.withLock { scopes in scopes[entry.scope]?.append(id: entry.id, vector: vector) }
        let expiredIDs = try store.expireCache(createdBefore: now.addingTimeInterval(-settings.timeToLive))
        let evictedIDs = try store.evictCache(keeping: settings.maximumEntries)
        forget(expiredIDs + evictedIDs)
        if !expiredIDs.isEmpty { expired.increment(by: Int64(expiredIDs.count)) }
        if !evictedIDs.isEmpty {
            evicted.increment(by: Int64(evictedIDs.count))
            logger.debug("evicted least recently used answers", metadata: ["count": "\(evictedIDs.count)"])
        }
    }

    /// Removes the entries the purge names and forgets them in memory; returns how many there were.
    @discardableResult
    public func purge(_ purge: CachePurge) throws(StoreError) -> Int {
        let ids = try purge.perform(in: store, logger: logger)
        forget(ids)
        return ids.count
    }

    /// Negative feedback on an answer: a cache hit is evicted and recorded as a false hit (for calibration); an
    /// answer that was cached as written is evicted too, since the user says it is wrong.
    public func negativeFeedback(on answer: AnswerRecord, now: Date = Date()) throws(StoreError) -> FeedbackOutcome {
        var ids = try store.cacheEntryIDs(sourceAnswerID: answer.id)
        var recorded = false
        if let match = answer.trace.cache {
            ids.append(match.entryID)
            try store.recordCacheFalseHit(CacheFalseHit(cachedQuestion: match.matchedQuestion, askedQuestion: answer.standaloneQuestion,
                                                        similarity: match.similarity, answerID: answer.id, recordedAt: now))
            recorded = true
            falseHits.increment()
        }
        try store.deleteCacheEntries(ids: ids)
        forget(ids)
        return FeedbackOutcome(evictedEntries: ids, falseHitRecorded: recorded)
    }

    /// Forgets entries another part deleted from the store (a person's erasure), with the embeddings of the
    /// questions kept in memory, so that nothing of them outlives the store's copy.
    public func forget(entryIDs ids: [String]) {
        forget(ids)
        questionVectors.withLock { $0.removeAll() }
    }

    private func forget(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        let gone = Set(ids)
        scopes.withLock { scopes in
            for key in scopes.keys { scopes[key]?.remove(gone) }
        }
    }

    // MARK: Bypass

    /// Whether a question refers to the conversation itself ("what did I say my max was?"), so that its answer
    /// cannot be shared even when the words are the same.
    public static func refersToConversation(_ question: String) -> Bool {
        let text = Array((" " + QuestionAnalysis.normalised(question) + " ").utf8)
        // Bytes, not Foundation's `contains`, which goes through NSString on Linux and showed in cache-hit profiles;
        // and only from each space, where every padded phrase starts, comparing the phrases that go on alike.
        return text.withUnsafeBufferPointer { text in
            for start in text.indices where text[start] == UInt8(ascii: " ") && start + 1 < text.count {
                let next = text[start + 1]
                for phrase in paddedConversationPhrases where phrase[1] == next && phrase.count <= text.count - start {
                    if memcmp(text.baseAddress! + start, phrase, phrase.count) == 0 { return true }
                }
            }
            return false
        }
    }

    private static let paddedConversationPhrases = conversationPhrases.map { Array(" \($0) ".utf8) }

    private static let conversationPhrases = [
        "i said", "i told", "i mentioned", "i asked", "did i say", "did i tell", "did i mention", "i just said",
        "you said", "you told", "you mentioned", "you suggested", "you recommended", "you gave", "you just",
        "we discussed", "we talked", "we agreed", "remember", "earlier", "last time", "previous answer",
        "your last answer", "my last message", "my previous", "as i said", "as you said", "above",
    ]

    // MARK: Metrics

    private var expired: Counter { Counter(label: "spotter_cache_evictions_total", dimensions: [("reason", "ttl")], factory: metrics) }
    private var evicted: Counter { Counter(label: "spotter_cache_evictions_total", dimensions: [("reason", "size")], factory: metrics) }
    private var falseHits: Counter { Counter(label: "spotter_cache_false_hits_total", factory: metrics) }

    private func count(_ lookup: Lookup) -> Lookup {
        switch lookup {
        case .hit(_, let match):
            counters.hits.increment()
            counters.savedTokens.increment(by: Int64(match.savedTokens))
        case .miss:
            counters.misses.increment()
        }
        return lookup
    }

    /// Made once: a lookup is often sub-millisecond, and making a handle takes a registry lock.
    private struct LookupCounters: Sendable {
        var hits: Counter
        var misses: Counter
        var savedTokens: Counter

        init(factory: any MetricsFactory) {
            hits = Counter(label: "spotter_cache_lookups_total", dimensions: [("result", "hit")], factory: factory)
            misses = Counter(label: "spotter_cache_lookups_total", dimensions: [("result", "miss")], factory: factory)
            savedTokens = Counter(label: "spotter_cache_saved_tokens_total", factory: factory)
        }
    }

    package static func format(_ value: Double) -> String { value.fixed(3) }
}

/// Entries known to be current at one cache version.
struct VerifiedEntries {
    var version: Int64 = -1
    var entries: [String: CacheEntry] = [:]
}

struct PendingHits {
    var tallies: [String: CacheHitTally] = [:]
    var lastWrite = ContinuousClock.now

    /// The tallies to write now, leaving none pending.
    mutating func takeAll() -> [CacheHitTally] {
        lastWrite = ContinuousClock.now
        defer { tallies.removeAll(keepingCapacity: true) }
        return Array(tallies.values)
    }
}

/// The vectors of one scope, scanned exactly: a scope holds thousands of entries at most, and a scan of 10,000
/// 384-dimension vectors takes about a millisecond.
struct ScopeIndex: Sendable {
    let dimension: Int
    private(set) var ids: [String] = []
    private var vectors: [Float] = []

    init(dimension: Int) { self.dimension = dimension }

    mutating func append(id: String, vector: [Float]) {
        guard vector.count == dimension, !ids.contains(id) else { return }
        ids.append(id)
        vectors.append(contentsOf: vector)
    }

    mutating func remove(_ gone: Set<String>) {
        guard ids.contains(where: gone.contains) else { return }
        var keptIDs: [String] = []
        var keptVectors: [Float] = []
        for (row, id) in ids.enumerated() where !gone.contains(id) {
            keptIDs.append(id)
            keptVectors.append(contentsOf: vectors[(row * dimension)..<((row + 1) * dimension)])
        }
        ids = keptIDs
        vectors = keptVectors
    }

    func nearest(to query: [Float], k: Int) -> [(id: String, similarity: Double)] {
        guard query.count == dimension, !ids.isEmpty, k > 0 else { return [] }
        return VectorMath.nearestRows(to: query, in: vectors, rows: ids.count, dimension: dimension, k: k)
            .map { (ids[$0.item], Double($0.score)) }
    }
}
