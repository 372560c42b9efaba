/// Maximal marginal relevance (Carbonell & Goldstein, 1998): picks, one at a time, the candidate with the best
/// `λ · relevance − (1 − λ) · max similarity to the picks so far`.
///
/// Relevance is the ranking's score divided by the best one (negative scores count as 0), so that λ means about the
/// same for BM25 scores, similarities and fused scores while keeping their proportions: a min–max scale would map
/// the weakest candidate to 0 and make an irrelevant but different passage look attractive. A candidate without a
/// vector is never penalised for redundancy.
public enum MaximalMarginalRelevance {
    /// Indices into the candidates, in pick order, at most `k`.
    public static func select(relevance: [Double], vectors: [[Float]?], lambda: Double, k: Int) -> [Int] {
        precondition(relevance.count == vectors.count, "one vector slot per candidate")
        guard k > 0, !relevance.isEmpty else { return [] }
        let high = relevance.max()!
        let scaled = relevance.map { high > 0 ? max($0, 0) / high : 1 }

        var chosen: [Int] = []
        // The highest similarity of each candidate to anything chosen so far, updated as picks are made.
        var redundancy = [Double](repeating: 0, count: relevance.count)
        var remaining = Array(relevance.indices)
        while chosen.count < k, !remaining.isEmpty {
            var bestPosition = 0
            var bestValue = -Double.infinity
            for (position, candidate) in remaining.enumerated() {
                let value = lambda * scaled[candidate] - (1 - lambda) * redundancy[candidate]
                if value > bestValue {  // strict: ties keep the ranking's order
                    bestValue = value
                    bestPosition = position
                }
            }
            let pick = remaining.remove(at: bestPosition)
            chosen.append(pick)
            guard let picked = vectors[pick] else { continue }
            for candidate in remaining {
                guard let vector = vectors[candidate], vector.count == picked.count, !vector.isEmpty else { continue }
                let dot = vector.withUnsafeBufferPointer { a in
                    picked.withUnsafeBufferPointer { b in VectorMath.dot(a.baseAddress!, b.baseAddress!, a.count) }
                }
                redundancy[candidate] = max(redundancy[candidate], Double(dot))
            }
        }
        return chosen
    }
}
