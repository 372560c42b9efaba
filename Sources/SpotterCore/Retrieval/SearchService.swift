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

    private let store: any Store
    private let embedder: any Embedder
    /// Vector indexes per knowledge base, rebuilt when the knowledge base's generation changes.
    private let indexes = Mutex<[Int64: (generation: Int64, index: ExactVectorIndex)]>([:])

    public init(store: any Store, embedder: any Embedder) {
        self.store = store
        self.embedder = embedder
    }

    public func search(_ request: SearchRequest) async throws(SearchError) -> SearchResponse {
        let started = ContinuousClock.now
        guard (1...Self.maximumK).contains(request.k) else { throw .invalidK(request.k, maximum: Self.maximumK) }
        guard request.query.count <= Self.maximumQueryLength else {
            throw .queryTooLong(request.query.count, maximum: Self.maximumQueryLength)
        }
        if let alpha = request.alpha, !(0...1).contains(alpha) { throw .invalidAlpha(alpha) }

        let knowledgeBase = try resolve(request.knowledgeBase)
        let allowed = try allowedDocuments(in: knowledgeBase, filters: request.filters)
        // Each ranking looks deeper than k so that fusion has candidates to agree on.
        let depth = max(request.k * 5, 50)

        let keywordQuery = KeywordQuery(request.query)
        var keyword: [KeywordMatch] = []
        if request.mode != .dense, allowed?.isEmpty != true, let expression = keywordQuery.expression {
            keyword = try wrap { () throws(StoreError) in
                try store.keywordSearch(expression, in: knowledgeBase, documentIDs: allowed, limit: depth)
            }
        }
        var dense: [VectorMatch] = []
        if request.mode != .bm25, allowed?.isEmpty != true,
           !request.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let vector: [Float]
            do {
                vector = try await embedder.embed([request.query])[0]
            } catch {
                throw .embeddingFailed(String(describing: error))
            }
            dense = try vectorIndex(for: knowledgeBase).nearest(to: vector, k: depth, allowedDocuments: allowed)
        }

        let fusion: Fusion = request.alpha.map { .weighted(alpha: $0) } ?? .standard
        let ranked: [(key: Int64, score: Double)]
        switch request.mode {
        case .bm25: ranked = keyword.map { ($0.chunkID, $0.score) }
        case .dense: ranked = dense.map { ($0.chunkID, Double($0.similarity)) }
        case .hybrid:
            ranked = fusion.fuse(keyword: keyword.map { ($0.chunkID, $0.score) },
                                 dense: dense.map { ($0.chunkID, Double($0.similarity)) })
        }

        let top = Array(ranked.prefix(request.k))
        let details = try wrap { () throws(StoreError) in try store.chunks(ids: top.map(\.key)) }
        let detailByID = Dictionary(details.map { ($0.chunkID, $0) }, uniquingKeysWith: { first, _ in first })
        let keywordRank = Dictionary(keyword.enumerated().map { ($1.chunkID, ($0 + 1, $1.score)) }, uniquingKeysWith: { a, _ in a })
        let denseRank = Dictionary(dense.enumerated().map { ($1.chunkID, ($0 + 1, Double($1.similarity))) }, uniquingKeysWith: { a, _ in a })

        let hits = top.enumerated().compactMap { position, entry -> SearchHit? in
            guard let detail = detailByID[entry.key] else { return nil }
            return SearchHit(
                rank: position + 1, documentID: detail.documentID, chunkID: detail.chunkID, ordinal: detail.ordinal,
                title: detail.title, source: detail.sourceURI, headingPath: detail.headingPath,
                snippet: Snippet.make(from: detail.text, terms: keywordQuery.terms),
                text: detail.text, metadata: detail.metadata,
                scores: ScoreBreakdown(bm25Rank: keywordRank[entry.key]?.0, bm25Score: keywordRank[entry.key]?.1,
                                       denseRank: denseRank[entry.key]?.0, denseSimilarity: denseRank[entry.key]?.1,
                                       fused: entry.score))
        }
        let fusionName: String? = switch (request.mode, fusion) {
        case (.hybrid, .reciprocalRank(let k)): "rrf(k=\(Int(k)))"
        case (.hybrid, .weighted(let alpha)): "weighted(alpha=\(alpha))"
        default: nil
        }
        let took = ContinuousClock.now - started
        return SearchResponse(query: request.query, knowledgeBase: knowledgeBase.name, mode: request.mode, k: request.k,
                              fusion: fusionName, filters: request.filters, hits: hits,
                              tookMilliseconds: took.inSeconds * 1000)
    }

    private func resolve(_ name: String) throws(SearchError) -> KnowledgeBase {
        if let knowledgeBase = try wrap({ () throws(StoreError) in try store.knowledgeBase(named: name, create: false) }) {
            return knowledgeBase
        }
        let available = (try? store.knowledgeBases().map(\.name)) ?? []
        throw .unknownKnowledgeBase(name, available: available)
    }

    /// The documents that pass the filters, or nil when there are no filters.
    private func allowedDocuments(in knowledgeBase: KnowledgeBase, filters: [MetadataFilter]) throws(SearchError) -> Set<String>? {
        guard !filters.isEmpty else { return nil }
        let documents = try wrap { () throws(StoreError) in try store.documents(in: knowledgeBase) }
        return Set(documents.filter { MetadataFilter.accepts($0.metadata, filters: filters) }.map(\.id))
    }

    private func vectorIndex(for knowledgeBase: KnowledgeBase) throws(SearchError) -> ExactVectorIndex {
        let generation = try wrap { () throws(StoreError) in try store.generation(of: knowledgeBase) }
        if let cached = indexes.withLock({ $0[knowledgeBase.id] }), cached.generation == generation {
            return cached.index
        }
        let entries = try wrap { () throws(StoreError) in
            try store.embeddings(in: knowledgeBase, modelID: embedder.modelID, modelVersion: embedder.modelVersion)
        }
        let index = ExactVectorIndex(dimension: embedder.dimension, entries: entries)
        indexes.withLock { $0[knowledgeBase.id] = (generation, index) }
        return index
    }

    private func wrap<T>(_ body: () throws(StoreError) -> T) throws(SearchError) -> T {
        do { return try body() } catch { throw .store(error.description) }
    }
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
