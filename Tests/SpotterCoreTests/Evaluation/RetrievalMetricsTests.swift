import Foundation
import SpotterCore
import Testing

/// Each expected value is worked out by hand in the comment beside it.
@Suite("Retrieval metrics")
struct RetrievalMetricsTests {
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

    @Test func ndcgOfOneRelevantDocumentAtRankTwo() {
        // DCG = 1 / log2(3); ideal DCG = 1 / log2(2) = 1.
        #expect(close(RetrievalMetrics.ndcg(["x", "a", "y"], relevance: ["a": 1], k: 10), 1 / log2(3.0)))
    }

    @Test func ndcgUsesLinearGainForGradedJudgements() {
        // DCG = 2/log2(3) + 1/log2(4); ideal = 2/log2(2) + 1/log2(3).
        let expected = (2 / log2(3.0) + 0.5) / (2 + 1 / log2(3.0))
        #expect(close(RetrievalMetrics.ndcg(["x", "a", "b"], relevance: ["a": 2, "b": 1], k: 10), expected))
        #expect(close(RetrievalMetrics.ndcg(["a", "b"], relevance: ["a": 2, "b": 1], k: 10), 1))
        // The wrong order of the two loses gain: (1 + 2/log2(3)) / (2 + 1/log2(3)).
        #expect(close(RetrievalMetrics.ndcg(["b", "a"], relevance: ["a": 2, "b": 1], k: 10), (1 + 2 / log2(3.0)) / (2 + 1 / log2(3.0))))
    }

    @Test func ndcgCutOffAndEdgeCases() {
        #expect(RetrievalMetrics.ndcg(["x", "y", "a"], relevance: ["a": 1], k: 2) == 0)
        #expect(RetrievalMetrics.ndcg(["a"], relevance: [:], k: 10) == 0)
        #expect(RetrievalMetrics.ndcg([], relevance: ["a": 1], k: 10) == 0)
        // A grade of 0 or below is "judged not relevant".
        #expect(RetrievalMetrics.ndcg(["n", "a"], relevance: ["a": 1, "n": -1], k: 10) == 1 / log2(3.0))
        // The ideal ordering is cut at k too: two relevant, k = 1, the first one found → 1.
        #expect(close(RetrievalMetrics.ndcg(["a", "b"], relevance: ["a": 1, "b": 1], k: 1), 1))
    }

    @Test func recallCountsRelevantDocumentsFound() {
        let judged = ["a": 1, "b": 1, "c": 1, "d": 1, "z": 0]
        #expect(RetrievalMetrics.recall(["a", "x", "b"], relevance: judged, k: 2) == 0.25)
        #expect(RetrievalMetrics.recall(["a", "x", "b"], relevance: judged, k: 3) == 0.5)
        #expect(RetrievalMetrics.recall(["z"], relevance: judged, k: 3) == 0)
        #expect(RetrievalMetrics.recall(["a"], relevance: [:], k: 3) == 0)
    }

    @Test func precisionDividesByKEvenForShortRankings() {
        #expect(RetrievalMetrics.precision(["a", "x"], relevance: ["a": 1], k: 10) == 0.1)
        #expect(RetrievalMetrics.precision(["a", "b", "x", "y"], relevance: ["a": 1, "b": 1], k: 4) == 0.5)
    }

    @Test func reciprocalRankOfFirstRelevantWithinK() {
        #expect(RetrievalMetrics.reciprocalRank(["x", "y", "a", "b"], relevance: ["a": 1, "b": 1], k: 10) == 1.0 / 3)
        #expect(RetrievalMetrics.reciprocalRank(["x", "y", "a"], relevance: ["a": 1], k: 2) == 0)
        #expect(RetrievalMetrics.reciprocalRank(["a"], relevance: ["a": 1], k: 10) == 1)
    }

    @Test func percentilesInterpolateBetweenRanks() {
        #expect(RetrievalMetrics.percentile([4, 1, 3, 2], 0.5) == 2.5)
        #expect(close(RetrievalMetrics.percentile([1, 2, 3, 4], 0.95)!, 3.85))  // 1 + 0.95 × 3 = position 2.85
        #expect(RetrievalMetrics.percentile([7], 0.95) == 7)
        #expect(RetrievalMetrics.percentile([], 0.5) == nil)
    }

    @Test func meansCountUnrankedQueriesAsZero() {
        let scores = RetrievalScores.mean(
            rankings: ["q1": ["a"], "extra": ["a"]], judgements: ["q1": ["a": 1], "q2": ["b": 1]], k: 5)
        #expect(scores.ndcgAt10 == 0.5)  // q1 = 1, q2 = 0; the unjudged "extra" does not count
        #expect(scores.recallAt100 == 0.5)
        #expect(scores.mrrAt10 == 0.5)
        #expect(scores.precisionAt10 == 0.05)
        #expect(scores.ndcgAtK == 0.5)
    }
}

@Suite("Fusion and MMR")
struct FusionAndMMRTests {
    @Test func mmrSkipsANearDuplicateInFavourOfSomethingNew() {
        // Relevance over the best: a 1, b 0.9, c 0.5. With λ = 0.5, after a: b = 0.45 − 0.5 × 1 = −0.05,
        // c = 0.25 − 0 = 0.25 → c before b.
        let vectors: [[Float]?] = [[1, 0], [1, 0], [0, 1]]
        #expect(MaximalMarginalRelevance.select(relevance: [1.0, 0.9, 0.5], vectors: vectors, lambda: 0.5, k: 3) == [0, 2, 1])
        #expect(MaximalMarginalRelevance.select(relevance: [1.0, 0.9, 0.5], vectors: vectors, lambda: 1, k: 3) == [0, 1, 2])
        #expect(MaximalMarginalRelevance.select(relevance: [1.0, 0.9, 0.5], vectors: vectors, lambda: 0.5, k: 2) == [0, 2])
        // With λ = 0.8 relevance wins: b = 0.72 − 0.2 = 0.52 against c = 0.4.
        #expect(MaximalMarginalRelevance.select(relevance: [1.0, 0.9, 0.5], vectors: vectors, lambda: 0.8, k: 3) == [0, 1, 2])
        // No vector: never penalised.
        #expect(MaximalMarginalRelevance.select(relevance: [1.0, 0.9, 0.5], vectors: [[1, 0], nil, [1, 0]], lambda: 0.5, k: 3) == [0, 1, 2])
        #expect(MaximalMarginalRelevance.select(relevance: [], vectors: [], lambda: 0.5, k: 3).isEmpty)
    }

    @Test func fusionNamesAndRankSensitivity() {
        #expect(Fusion.standard.name == "rrf(k=60)")
        #expect(Fusion.weighted(alpha: 0.3).name == "weighted(alpha=0.3)")
        // A small RRF constant lets one list's top hit win; a large one rewards agreement.
        let keyword: [(key: String, score: Double)] = [("a", 9), ("b", 8), ("c", 7)]
        let dense: [(key: String, score: Double)] = [("d", 0.9), ("b", 0.8), ("c", 0.7)]
        #expect(Fusion.reciprocalRank(k: 60).fuse(keyword: keyword, dense: dense).first?.key == "b")
        #expect(Fusion.weighted(alpha: 1).fuse(keyword: keyword, dense: dense).first?.key == "d")
        #expect(Fusion.weighted(alpha: 0).fuse(keyword: keyword, dense: dense).first?.key == "a")
    }
}
