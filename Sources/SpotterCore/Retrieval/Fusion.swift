/// Ways to merge a keyword ranking and a vector ranking into one.
public enum Fusion: Sendable, Equatable {
    /// Reciprocal rank fusion: each list adds `1 / (k + rank)`; robust because it ignores score scales.
    case reciprocalRank(k: Double)
    /// Weighted score fusion: `alpha × dense + (1 − alpha) × keyword`, each min–max normalised over its candidates.
    case weighted(alpha: Double)

    /// What hybrid search uses unless told otherwise: the constant of the original RRF paper (Cormack et al., 2009).
    ///
    /// Checked with `spotter eval retrieval --split train --tune` on SciFact's 809 training queries: RRF constants
    /// from 1 to 200 and weighted fusion at α 0.4–0.5 all land within 0.01 nDCG@10 of each other (k = 1 best at
    /// 0.737, k = 60 at 0.729), and on the test split k = 10 and k = 60 score the same (0.731). The data gives no
    /// reason to leave the published default, so it stays.
    public static let standard = Fusion.reciprocalRank(k: 60)

    /// How responses and reports name the fusion.
    public var name: String {
        switch self {
        case .reciprocalRank(let k): "rrf(k=\(Self.format(k)))"
        case .weighted(let alpha): "weighted(alpha=\(Self.format(alpha)))"
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Fuses two rankings (best first) of the same kind of key; returns keys with fused scores, best first.
    public func fuse<Key: Hashable>(keyword: [(key: Key, score: Double)], dense: [(key: Key, score: Double)]) -> [(key: Key, score: Double)] {
        var fused: [Key: Double] = [:]
        var order: [Key] = []
        func add(_ key: Key, _ value: Double) {
            if fused[key] == nil { order.append(key) }
            fused[key, default: 0] += value
        }
        switch self {
        case .reciprocalRank(let k):
            for (rank, entry) in keyword.enumerated() { add(entry.key, 1 / (k + Double(rank + 1))) }
            for (rank, entry) in dense.enumerated() { add(entry.key, 1 / (k + Double(rank + 1))) }
        case .weighted(let alpha):
            for (key, value) in Self.normalised(keyword) { add(key, (1 - alpha) * value) }
            for (key, value) in Self.normalised(dense) { add(key, alpha * value) }
        }
        // Stable order for ties: first appearance (keyword list first).
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return order.map { ($0, fused[$0]!) }.sorted {
            $0.score != $1.score ? $0.score > $1.score : position[$0.key]! < position[$1.key]!
        }
    }

    private static func normalised<Key>(_ list: [(key: Key, score: Double)]) -> [(Key, Double)] {
        guard let high = list.map(\.score).max(), let low = list.map(\.score).min() else { return [] }
        let span = high - low
        return list.map { ($0.key, span > 0 ? ($0.score - low) / span : 1) }
    }
}
