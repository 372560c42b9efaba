import Foundation
import Synchronization

/// Hybrid search over one knowledge base: BM25 through the store's FTS5 index, dense through a vector index of the
/// stored embeddings, fused by reciprocal rank (or weighted scores).
///
/// Metadata filters apply before ranking: they select the documents both rankings may return, so a filter never
/// empties a top-k that had matching documents further down.
public final class SearchService: Sendable {
    /// The largest `k` a caller may ask for.
    public static let maximumK = 100
    /// The longest query accepted, in characters.
    public static let maximumQueryLength = 4_000

    let store: any Store
    let embedder: any Embedder
    /// The dense indexes of every knowledge base, kept in step with the store.
    public let indexes: VectorIndexCatalog
    /// Each knowledge base's documents and their permissions, as of a generation: what trimming reads per search.
    private let permissions = Mutex<[Int64: KnowledgeBasePermissions]>([:])

    public init(store: any Store, embedder: any Embedder, indexes: VectorIndexCatalog) {
        self.store = store
        self.embedder = embedder
        self.indexes = indexes
    }

    public func search(_ request: SearchRequest) async throws(SearchError) -> SearchResponse {
        let started = ContinuousClock.now
        guard (1...Self.maximumK).contains(request.k) else { throw .invalidK(request.k, maximum: Self.maximumK) }
        if let lambda = request.mmrLambda, !(0...1).contains(lambda) { throw .invalidMMR(lambda) }
        let fusion = try request.resolvedFusion()
        // Each ranking looks deeper than k so that fusion (and MMR) have candidates to choose from.
        let depth = max(request.k * 5, 50)
        let ranking = try await rank(request.query, in: request.knowledgeBase, mode: request.mode, fusion: fusion,
                                     depth: depth, filters: request.filters, exact: request.exact, reader: request.reader)

        var top = Array(ranking.chunks.prefix(request.k))
        if let lambda = request.mmrLambda, let queryVector = ranking.queryVector {
            top = try diversify(ranking.chunks, query: queryVector, lambda: lambda, k: request.k)
        }
        let details = try wrap { () throws(StoreError) in try store.chunks(ids: top.map(\.chunkID)) }
        let detailByID = Dictionary(details.map { ($0.chunkID, $0) }, uniquingKeysWith: { first, _ in first })
        let hits = top.enumerated().compactMap { position, entry -> SearchHit? in
            guard let detail = detailByID[entry.chunkID] else { return nil }
            return SearchHit(
                rank: position + 1, documentID: detail.documentID, chunkID: detail.chunkID, ordinal: detail.ordinal,
                title: detail.title, source: detail.sourceName, headingPath: detail.headingPath,
                snippet: Snippet.make(from: detail.text, terms: ranking.terms),
                text: detail.text, metadata: detail.metadata,
                scores: ScoreBreakdown(bm25Rank: entry.bm25Rank, bm25Score: entry.bm25Score,
                                       denseRank: entry.denseRank, denseSimilarity: entry.denseSimilarity,
                                       fused: entry.score))
        }
        let took = ContinuousClock.now - started
        return SearchResponse(query: request.query, knowledgeBase: ranking.knowledgeBase, mode: request.mode, k: request.k,
                              fusion: request.mode == .hybrid ? fusion.name : nil, filters: request.filters,
                              mmrLambda: request.mmrLambda, exact: request.exact, hits: hits,
                              tookMilliseconds: took.inSeconds * 1000)
    }

    /// The ranked candidates of a query down to `depth` per ranking, without the chunk texts: the part of a search
    /// that evaluation measures. Chunks come best first; several may belong to one document.
    ///
    /// The knowledge base is the reader's tenant's, and the documents the reader may not read are trimmed before
    /// ranking, in both rankings (the graph walk skips them), so they never take a place, a score or a snippet.
    public func rank(_ query: String, in knowledgeBaseName: String, mode: SearchMode, fusion: Fusion = .standard,
                     depth: Int, filters: [MetadataFilter] = [], exact: Bool = false,
                     reader: Reader = .operating(Principal.defaultTenant)) async throws(SearchError) -> Ranking {
        guard query.count <= Self.maximumQueryLength else {
            throw .queryTooLong(query.count, maximum: Self.maximumQueryLength)
        }
        let knowledgeBase = try resolve(knowledgeBaseName, tenant: reader.tenant)
        let allowed = try allowedDocuments(in: knowledgeBase, filters: filters, reader: reader)

        // The query is embedded while the keyword search runs: the two are independent and each takes milliseconds.
        let wantsDense = mode != .bm25 && allowed?.isEmpty != true
            && !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        async let embedding: Result<[Float], SearchError>? = wantsDense ? embedQuery(query) : nil

        var keyword: [KeywordMatch] = []
        let keywordQuery = KeywordQuery(query)
        if mode != .dense, allowed?.isEmpty != true, let expression = keywordQuery.expression {
            keyword = try wrap { () throws(StoreError) in
                try store.keywordSearch(expression, in: knowledgeBase, documentIDs: allowed, limit: depth)
            }
        }
        var dense: [VectorMatch] = []
        var queryVector: [Float]? = nil
        if let embedded = await embedding {
            let vector = try embedded.get()
            queryVector = vector
            let index = try vectorIndex(for: knowledgeBase, exact: exact)
            dense = index.nearest(to: vector, k: depth, allowedDocuments: allowed)
        }

        let documentOf = Dictionary(keyword.map { ($0.chunkID, $0.documentID) } + dense.map { ($0.chunkID, $0.documentID) },
                                    uniquingKeysWith: { first, _ in first })
        let ranked: [(key: Int64, score: Double)] = switch mode {
        case .bm25: keyword.map { ($0.chunkID, $0.score) }
        case .dense: dense.map { ($0.chunkID, Double($0.similarity)) }
        case .hybrid:
            fusion.fuse(keyword: keyword.map { ($0.chunkID, $0.score) }, dense: dense.map { ($0.chunkID, Double($0.similarity)) })
        }
        let keywordRank = Dictionary(keyword.enumerated().map { ($1.chunkID, ($0 + 1, $1.score)) }, uniquingKeysWith: { a, _ in a })
        let denseRank = Dictionary(dense.enumerated().map { ($1.chunkID, ($0 + 1, Double($1.similarity))) }, uniquingKeysWith: { a, _ in a })
        let chunks = ranked.map { entry in
            RankedChunk(chunkID: entry.key, documentID: documentOf[entry.key] ?? "", score: entry.score,
                        bm25Rank: keywordRank[entry.key]?.0, bm25Score: keywordRank[entry.key]?.1,
                        denseRank: denseRank[entry.key]?.0, denseSimilarity: denseRank[entry.key]?.1)
        }
        return Ranking(knowledgeBase: knowledgeBase.name, chunks: chunks, queryVector: queryVector, terms: keywordQuery.terms)
    }

    private func embedQuery(_ query: String) async -> Result<[Float], SearchError> {
        do {
            return .success(try await embedder.embed([query])[0])
        } catch {
            return .failure(.embeddingFailed(String(describing: error)))
        }
    }

    /// Maximal marginal relevance over the candidates: relevance is the ranking's own score scaled to 0…1, redundancy
    /// the highest cosine similarity to a chunk already chosen.
    private func diversify(_ candidates: [RankedChunk], query: [Float], lambda: Double, k: Int) throws(SearchError) -> [RankedChunk] {
        guard candidates.count > 1 else { return candidates }
        let vectors = try wrap { () throws(StoreError) in
            try store.embeddings(chunkIDs: candidates.map(\.chunkID), modelID: embedder.modelID, modelVersion: embedder.modelVersion)
        }
        let vectorByChunk = Dictionary(vectors.map { ($0.chunkID, $0.vector) }, uniquingKeysWith: { first, _ in first })
        let order = MaximalMarginalRelevance.select(
            relevance: candidates.map(\.score), vectors: candidates.map { vectorByChunk[$0.chunkID] }, lambda: lambda, k: k)
        return order.map { candidates[$0] }
    }

    /// The tenant's knowledge base with this name, or nil when there is none (a store failure still throws).
    public func existingKnowledgeBase(named name: String, tenant: String = Principal.defaultTenant) throws(SearchError) -> KnowledgeBase? {
        do {
            return try resolve(name, tenant: tenant)
        } catch .unknownKnowledgeBase {
            return nil
        }
    }

    /// The tenant's knowledge base with this name, or ``SearchError/unknownKnowledgeBase(_:available:)`` naming the
    /// tenant's others (never another tenant's).
    public func resolve(_ name: String, tenant: String = Principal.defaultTenant) throws(SearchError) -> KnowledgeBase {
        if let knowledgeBase = try wrap({ () throws(StoreError) in try store.knowledgeBase(named: name, tenant: tenant, create: false) }) {
            return knowledgeBase
        }
        let available = (try? store.knowledgeBases(tenant: tenant).map(\.name)) ?? []
        throw .unknownKnowledgeBase(name, available: available)
    }

    /// The cache's signature of what the reader may read in the knowledge base (``CacheScope/aclSignature(visibleRestricted:)``).
    public func aclSignature(in knowledgeBase: KnowledgeBase, reader: Reader) throws(SearchError) -> String {
        let permissions = try permissions(of: knowledgeBase)
        guard !reader.unrestricted else {
            return permissions.restricted.isEmpty ? "public" : "all"
        }
        return CacheScope.aclSignature(visibleRestricted: Set(permissions.restricted.filter { reader.mayRead($0.allowed) }.map(\.id)))
    }

    /// The documents both rankings may return: those that pass the filters and that the reader may read; nil when
    /// that is every document.
    private func allowedDocuments(in knowledgeBase: KnowledgeBase, filters: [MetadataFilter], reader: Reader) throws(SearchError) -> Set<String>? {
        let permissions = try permissions(of: knowledgeBase)
        let hidden = reader.unrestricted ? [] : Set(permissions.restricted.filter { !reader.mayRead($0.allowed) }.map(\.id))
        guard !filters.isEmpty else {
            return hidden.isEmpty ? nil : Set(permissions.documents.map(\.id)).subtracting(hidden)
        }
        return Set(permissions.documents.filter { !hidden.contains($0.id) && MetadataFilter.accepts($0.metadata, filters: filters) }.map(\.id))
    }

    /// The knowledge base's documents with their metadata and permissions, read again only when its generation moves.
    private func permissions(of knowledgeBase: KnowledgeBase) throws(SearchError) -> KnowledgeBasePermissions {
        let generation = try wrap { () throws(StoreError) in try store.generation(of: knowledgeBase) }
        if let cached = permissions.withLock({ $0[knowledgeBase.id] }), cached.generation == generation { return cached }
        let documents = try wrap { () throws(StoreError) in try store.documents(in: knowledgeBase) }
        let fresh = KnowledgeBasePermissions(
            generation: generation,
            documents: documents.map { (id: $0.id, metadata: $0.metadata) },
            restricted: documents.filter { !$0.allowedGroups.isEmpty }.map { (id: $0.id, allowed: $0.allowedGroups) })
        permissions.withLock { $0[knowledgeBase.id] = fresh }
        return fresh
    }

    private func vectorIndex(for knowledgeBase: KnowledgeBase, exact: Bool) throws(SearchError) -> any VectorIndex {
        do {
            return try indexes.index(for: knowledgeBase, exact: exact)
        } catch {
            throw .index(error)
        }
    }

    private func wrap<T>(_ body: () throws(StoreError) -> T) throws(SearchError) -> T {
        do { return try body() } catch { throw .store(error) }
    }
}

/// A knowledge base's documents as trimming and filters need them, at one generation.
struct KnowledgeBasePermissions: Sendable {
    var generation: Int64
    var documents: [(id: String, metadata: [String: JSONValue])]
    /// The documents with permission entries (the others are everyone's in the tenant).
    var restricted: [(id: String, allowed: [String])]
}

/// A short excerpt of a chunk around the first query term it contains.
enum Snippet {
    static let length = 240

    static func make(from text: String, terms: [String]) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard flat.count > length else { return flat }
        // Search case-insensitively in the text itself, so that positions stay valid whatever lower-casing does.
        let firstHit = terms.compactMap { flat.range(of: $0, options: [.caseInsensitive, .diacriticInsensitive])?.lowerBound }.min()
        var from = flat.startIndex
        if let firstHit {
            from = flat.index(firstHit, offsetBy: -60, limitedBy: flat.startIndex) ?? flat.startIndex
        }
        let to = flat.index(from, offsetBy: length, limitedBy: flat.endIndex) ?? flat.endIndex
        return (from > flat.startIndex ? "…" : "") + flat[from..<to] + (to < flat.endIndex ? "…" : "")
    }
}
