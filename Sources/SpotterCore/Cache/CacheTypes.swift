import Crypto
import Foundation

/// The boundary a cached answer never crosses: an entry is visible only to requests of exactly the same scope.
public struct CacheScope: Sendable, Hashable, Codable {
    public var tenant: String
    public var knowledgeBase: String
    public var assistant: String
    /// The prompt `id@version` the answer was written with.
    public var promptVersion: String
    /// What the caller may read (``aclSignature(visibleRestricted:)``): callers who may read different documents
    /// never share answers.
    public var aclSignature: String
    /// The embedding model version: vectors of two models are not comparable.
    public var embeddingModel: String
    /// The request's metadata filters, canonically written (empty when none).
    public var filters: String

    public init(tenant: String, knowledgeBase: String, assistant: String, promptVersion: String, aclSignature: String,
                embeddingModel: String, filters: String = "") {
        self.tenant = tenant
        self.knowledgeBase = knowledgeBase
        self.assistant = assistant
        self.promptVersion = promptVersion
        self.aclSignature = aclSignature
        self.embeddingModel = embeddingModel
        self.filters = filters
    }

    /// One string naming the scope, stored with each entry and used to find a scope's entries.
    public var key: String {
        let joined = [tenant, knowledgeBase, assistant, promptVersion, aclSignature, embeddingModel, filters].joined(separator: "\u{1F}")
        return SHA256.hash(data: Data(joined.utf8)).prefix(12).hexadecimal
    }

    static func filterSignature(_ filters: [MetadataFilter]) -> String {
        filters.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&")
    }
}

/// A stored answer, ready to serve again.
@SnakeCaseCodingKeys
public struct CacheEntry: Sendable, Equatable, Codable {
    public var id: String
    public var scope: CacheScope
    /// The standalone question the answer was written for.
    public var question: String
    public var answer: String
    public var citations: [Citation]
    /// SHA-256 of each cited chunk's text when the answer was written; a hit checks they still match.
    public var citedChunkHashes: [Int64: String]
    public var model: String
    public var grounded: Bool
    /// The tokens and cost the answer took; a hit saves them again.
    public var usage: TokenUsage
    public var costUSD: Double?
    /// The knowledge base's generation (see ``Store/generation(of:)``) when the answer was written.
    @WireKey("kb_generation") public var knowledgeBaseGeneration: Int64
    /// The answer record that produced the entry.
    public var sourceAnswerID: String
    public var createdAt: Date
    public var lastHitAt: Date?
    public var hitCount: Int
    /// Made once the entry is verified, for every hit on it (see ``ReplyEncoding``).
    @NotCoded package var replyEncoding: ReplyEncoding?

    public init(id: String, scope: CacheScope, question: String, answer: String, citations: [Citation],
                citedChunkHashes: [Int64: String], model: String, grounded: Bool, usage: TokenUsage, costUSD: Double?,
                knowledgeBaseGeneration: Int64, sourceAnswerID: String, createdAt: Date, lastHitAt: Date?, hitCount: Int) {
        self.id = id
        self.scope = scope
        self.question = question
        self.answer = answer
        self.citations = citations
        self.citedChunkHashes = citedChunkHashes
        self.model = model
        self.grounded = grounded
        self.usage = usage
        self.costUSD = costUSD
        self.knowledgeBaseGeneration = knowledgeBaseGeneration
        self.sourceAnswerID = sourceAnswerID
        self.createdAt = createdAt
        self.lastHitAt = lastHitAt
        self.hitCount = hitCount
    }
}

/// What the cache stage found, kept in the answer's trace.
@MemberwiseInit @SnakeCaseCodingKeys(writesNulls: true)
public struct CacheMatch: Sendable, Equatable, Codable {
    public var entryID: String
    /// The cached question whose answer was served.
    public var matchedQuestion: String
    /// Cosine similarity of the two standalone questions.
    public var similarity: Double
    /// The tokens and cost the original answer took, saved by this hit.
    public var savedTokens: Int
    public var savedCostUSD: Double?
}

/// Which entries a purge removes: every field that is set must match.
@MemberwiseInit
public struct CachePurgeFilter: Sendable, Equatable {
    public var tenant: String?
    public var knowledgeBase: String?
    public var assistant: String?
    public var promptVersion: String?
}

/// A served cache hit that a user marked wrong: kept for calibrating the threshold and the look-alike check.
@SnakeCaseCodingKeys
public struct CacheFalseHit: Sendable, Equatable, Codable {
    public var cachedQuestion: String
    public var askedQuestion: String
    public var similarity: Double
    public var answerID: String
    public var recordedAt: Date
}

/// Counts for `spotter cache stats` and the admin route.
@SnakeCaseCodingKeys
public struct CacheStatistics: Sendable, Equatable, Codable {
    @SnakeCaseCodingKeys
    public struct ScopeCount: Sendable, Equatable, Codable {
        public var tenant: String
        @WireKey("kb") public var knowledgeBase: String
        public var assistant: String
        public var promptVersion: String
        public var entries: Int
        public var hits: Int
    }

    public var entries: Int
    public var hits: Int
    public var savedTokens: Int
    public var savedCostUSD: Double
    public var falseHits: Int
    public var scopes: [ScopeCount]
}

/// The cache's persistent state. Entries live beside the documents they cite, so that replacing or deleting a
/// document removes every entry citing it in the same transaction (see ``Store/replaceDocument(_:chunks:in:)``).
/// Hits on one entry not yet written to the store.
@MemberwiseInit
public struct CacheHitTally: Sendable, Equatable {
    public var entryID: String
    public var hits: Int
    public var lastHitAt: Date
}

public protocol CacheStore: Sendable {
    func insertCacheEntry(_ entry: CacheEntry, vector: [Float]) throws(StoreError)
    func cacheEntry(id: String) throws(StoreError) -> CacheEntry?
    /// Every entry id and vector of one scope, for the in-memory index.
    func cacheVectors(scopeKey: String) throws(StoreError) -> [(id: String, vector: [Float])]
    /// Adds counted hits to the entries (batched: the cache counts hits in memory and writes them now and then).
    func recordCacheHits(_ tallies: [CacheHitTally]) throws(StoreError)
    /// A number that changes whenever an entry is deleted or a chunk changes, in any process; while it stands still,
    /// entries verified earlier are still current.
    func cacheVersion() throws(StoreError) -> Int64
    /// Deletes the entries; returns how many existed.
    @discardableResult
    func deleteCacheEntries(ids: [String]) throws(StoreError) -> Int
    /// Deletes the entries matching the filter; returns their ids.
    func purgeCache(_ filter: CachePurgeFilter) throws(StoreError) -> [String]
    /// Deletes entries created before `date`; returns their ids.
    func expireCache(createdBefore date: Date) throws(StoreError) -> [String]
    /// Deletes the least recently used entries beyond `maximum`; returns their ids.
    func evictCache(keeping maximum: Int) throws(StoreError) -> [String]
    /// Entries that were written from, or served as, this answer.
    func cacheEntryIDs(sourceAnswerID: String) throws(StoreError) -> [String]
    func recordCacheFalseHit(_ falseHit: CacheFalseHit) throws(StoreError)
    func cacheFalseHits() throws(StoreError) -> [CacheFalseHit]
    /// Counts of one tenant's entries, or of every tenant's when `tenant` is nil.
    func cacheStatistics(tenant: String?) throws(StoreError) -> CacheStatistics
    /// SHA-256 of the current text of each chunk that still exists.
    func chunkHashes(ids: [Int64]) throws(StoreError) -> [Int64: String]
}

extension CacheMatch: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("entry_id", entryID)
            json.member("matched_question", matchedQuestion)
            json.member("saved_cost_usd", savedCostUSD)
            json.member("saved_tokens", savedTokens)
            json.member("similarity", similarity)
        }
    }
}
