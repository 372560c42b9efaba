import Foundation

/// Ranking metrics as BEIR computes them (through trec_eval): graded relevance with linear gain, documents judged
/// with a grade ≤ 0 count as not relevant, and unjudged documents count as not relevant.
///
/// Every function takes the ranking (document ids, best first, no repeats) and the judgements of one query.
public enum RetrievalMetrics {
    /// Normalised discounted cumulative gain at `k`: Σ gain / log2(rank + 1) over the top `k`, divided by the same sum
    /// for the ideal ordering of the judged documents. 0 when the query has no relevant document.
    public static func ndcg(_ ranking: [String], relevance: [String: Int], k: Int) -> Double {
        let ideal = relevance.values.filter { $0 > 0 }.sorted(by: >).prefix(k)
        let idealGain = ideal.enumerated().reduce(0.0) { $0 + Double($1.element) / log2(Double($1.offset + 2)) }
        guard idealGain > 0 else { return 0 }
        let gain = ranking.prefix(k).enumerated().reduce(0.0) { sum, entry in
            let grade = max(relevance[entry.element] ?? 0, 0)
            return sum + Double(grade) / log2(Double(entry.offset + 2))
        }
        return gain / idealGain
    }

    /// The share of the relevant documents that appear in the top `k`. 0 when the query has no relevant document.
    public static func recall(_ ranking: [String], relevance: [String: Int], k: Int) -> Double {
        let relevant = relevance.filter { $0.value > 0 }.count
        guard relevant > 0 else { return 0 }
        return Double(ranking.prefix(k).filter { (relevance[$0] ?? 0) > 0 }.count) / Double(relevant)
    }

    /// The share of the top `k` positions that hold a relevant document (the denominator is `k` even when the
    /// ranking is shorter, as in trec_eval).
    public static func precision(_ ranking: [String], relevance: [String: Int], k: Int) -> Double {
        guard k > 0 else { return 0 }
        return Double(ranking.prefix(k).filter { (relevance[$0] ?? 0) > 0 }.count) / Double(k)
    }

    /// Reciprocal rank of the first relevant document within the top `k`; 0 if there is none.
    public static func reciprocalRank(_ ranking: [String], relevance: [String: Int], k: Int) -> Double {
        guard let index = ranking.prefix(k).firstIndex(where: { (relevance[$0] ?? 0) > 0 }) else { return 0 }
        return 1 / Double(index + 1)
    }

    /// The `fraction` quantile (0…1) of `values` by linear interpolation between closest ranks; nil when empty.
    public static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let position = min(max(fraction, 0), 1) * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let weight = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * weight
    }
}

/// Mean metrics over a set of queries.
@SnakeCaseCodingKeys
public struct RetrievalScores: Sendable, Codable, Equatable {
    @WireKey("ndcg@10") public var ndcgAt10: Double
    @WireKey("recall@10") public var recallAt10: Double
    @WireKey("recall@100") public var recallAt100: Double
    @WireKey("mrr@10") public var mrrAt10: Double
    @WireKey("p@10") public var precisionAt10: Double
    /// Also reported at the caller's `k` when it is not 10.
    @WireKey("ndcg@k") public var ndcgAtK: Double
    public var k: Int

    /// Means over queries; `rankings` and `judgements` are keyed by query id, and only judged queries count (a query
    /// with no ranking scores 0).
    public static func mean(rankings: [String: [String]], judgements: [String: [String: Int]], k: Int) -> RetrievalScores {
        let queries = judgements.keys.sorted()
        func average(_ metric: ([String], [String: Int]) -> Double) -> Double {
            guard !queries.isEmpty else { return 0 }
            return queries.reduce(0.0) { $0 + metric(rankings[$1] ?? [], judgements[$1]!) } / Double(queries.count)
        }
        return RetrievalScores(
            ndcgAt10: average { RetrievalMetrics.ndcg($0, relevance: $1, k: 10) },
            recallAt10: average { RetrievalMetrics.recall($0, relevance: $1, k: 10) },
            recallAt100: average { RetrievalMetrics.recall($0, relevance: $1, k: 100) },
            mrrAt10: average { RetrievalMetrics.reciprocalRank($0, relevance: $1, k: 10) },
            precisionAt10: average { RetrievalMetrics.precision($0, relevance: $1, k: 10) },
            ndcgAtK: average { RetrievalMetrics.ndcg($0, relevance: $1, k: k) },
            k: k)
    }
}
