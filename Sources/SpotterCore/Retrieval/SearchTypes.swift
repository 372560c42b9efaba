import Foundation

/// Which rankings a search uses.
public enum SearchMode: String, Sendable, Codable, CaseIterable {
    case hybrid, bm25, dense
}

/// A search as the CLI and the HTTP API ask for it.
public struct SearchRequest: Sendable {
    public var query: String
    public var knowledgeBase: String
    public var k: Int
    public var mode: SearchMode
    /// Metadata filters: a document must match every key; a key given several values matches any of them.
    public var filters: [MetadataFilter]
    /// When set, weighted score fusion with this dense weight replaces reciprocal rank fusion.
    public var alpha: Double?
    /// When set, the hits are re-ordered by maximal marginal relevance with this weight on relevance (1 = plain
    /// ranking, lower = more diverse), so that near-duplicate chunks do not fill the top k.
    public var mmrLambda: Double?
    /// Scan every vector instead of asking the approximate index (slower; the reference result).
    public var exact: Bool
    /// Whose search it is: the knowledge base is this tenant's, and documents the reader may not read are trimmed.
    public var reader: Reader

    public init(query: String, knowledgeBase: String, k: Int = 10, mode: SearchMode = .hybrid,
                filters: [MetadataFilter] = [], alpha: Double? = nil, mmrLambda: Double? = nil, exact: Bool = false,
                reader: Reader = .operating(Principal.defaultTenant)) {
        self.reader = reader
        self.query = query
        self.knowledgeBase = knowledgeBase
        self.k = k
        self.mode = mode
        self.filters = filters
        self.alpha = alpha
        self.mmrLambda = mmrLambda
        self.exact = exact
    }

    func resolvedFusion() throws(SearchError) -> Fusion {
        guard let alpha else { return .standard }
        guard (0...1).contains(alpha) else { throw .invalidAlpha(alpha) }
        return .weighted(alpha: alpha)
    }
}

/// One candidate of a ranking: a chunk, its document and how each ranking placed it.
public struct RankedChunk: Sendable, Equatable {
    public var chunkID: Int64
    public var documentID: String
    /// The score the candidate is ordered by: fused score (hybrid), BM25 score or similarity.
    public var score: Double
    public var bm25Rank: Int?
    public var bm25Score: Double?
    public var denseRank: Int?
    public var denseSimilarity: Double?
}

/// The ranked candidates of one query.
public struct Ranking: Sendable {
    public var knowledgeBase: String
    public var chunks: [RankedChunk]
    /// The query's embedding, when the dense ranking ran.
    public var queryVector: [Float]?
    /// The query's keyword terms (for snippets), parsed once.
    public var terms: [String] = []

    /// Document ids in the order of their best chunk, each once.
    public var documentIDs: [String] {
        var seen = Set<String>()
        return chunks.compactMap { seen.insert($0.documentID).inserted ? $0.documentID : nil }
    }
}

/// `key=value`: the document's metadata `key` equals `value` (ignoring case), or contains it when it is a list.
@MemberwiseInit
public struct MetadataFilter: Sendable, Equatable, Codable {
    public var key: String
    public var value: String

    /// Parses `key=value`; the key must be non-empty.
    public init(parsing text: String) throws(SearchError) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw .invalidFilter(text)
        }
        key = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
        value = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        if key.isEmpty { throw .invalidFilter(text) }
    }

    /// Whether a document with this metadata passes every filter (same key: any value; different keys: all).
    static func accepts(_ metadata: [String: JSONValue], filters: [MetadataFilter]) -> Bool {
        Dictionary(grouping: filters, by: \.key).allSatisfy { key, group in
            guard let value = metadata[key] else { return false }
            return group.contains { value.matches($0.value) }
        }
    }
}

/// One hit with where it comes from and why it ranks where it does.
@SnakeCaseCodingKeys
public struct SearchHit: Sendable, Codable, Equatable {
    public var rank: Int
    public var documentID: String
    public var chunkID: Int64
    public var ordinal: Int
    public var title: String
    public var source: String
    public var headingPath: [String]
    public var snippet: String
    public var text: String
    public var metadata: [String: JSONValue]
    public var scores: ScoreBreakdown
}

/// The parts of a hit's score: each ranking's rank and raw score (absent when that ranking did not find it).
@SnakeCaseCodingKeys
public struct ScoreBreakdown: Sendable, Codable, Equatable {
    public var bm25Rank: Int?
    public var bm25Score: Double?
    public var denseRank: Int?
    public var denseSimilarity: Double?
    /// The score the hit was ordered by: fused score (hybrid), BM25 score or similarity.
    public var fused: Double
}

/// The answer to a search: what was asked, how, and the hits.
@SnakeCaseCodingKeys
public struct SearchResponse: Sendable, Codable, Equatable {
    public var query: String
    @WireKey("kb") public var knowledgeBase: String
    public var mode: SearchMode
    public var k: Int
    public var fusion: String?
    public var filters: [MetadataFilter]
    @WireKey("mmr") public var mmrLambda: Double?
    public var exact: Bool
    public var hits: [SearchHit]
    @WireKey("took_ms") public var tookMilliseconds: Double
}

/// Why a search could not run.
public enum SearchError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownKnowledgeBase(String, available: [String])
    case invalidK(Int, maximum: Int)
    case invalidFilter(String)
    case invalidAlpha(Double)
    case invalidMMR(Double)
    case queryTooLong(Int, maximum: Int)
    case embeddingFailed(String)
    case store(StoreError)
    /// The dense index could not be loaded or brought up to date.
    case index(VectorIndexCatalogError)

    public var description: String {
        switch self {
        case .unknownKnowledgeBase(let name, let available):
            let list = available.isEmpty ? "none yet; ingest documents with `spotter ingest PATH --kb \(name)`" : available.joined(separator: ", ")
            return "no knowledge base named '\(name)' (available: \(list))"
        case .invalidK(let k, let maximum):
            return "k must be between 1 and \(maximum), got \(k)"
        case .invalidFilter(let text):
            return "filter '\(text)' is not of the form key=value"
        case .invalidAlpha(let alpha):
            return "alpha must be between 0 and 1 (the weight of the dense score), got \(alpha)"
        case .invalidMMR(let lambda):
            return "mmr must be between 0 and 1 (the weight of relevance against diversity), got \(lambda)"
        case .queryTooLong(let length, let maximum):
            return "query is \(length) characters long; the limit is \(maximum)"
        case .embeddingFailed(let reason):
            return "could not embed the query: \(reason)"
        case .store(let error):
            return error.description
        case .index(let error):
            return error.description
        }
    }
}
