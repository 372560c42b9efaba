import Foundation

/// The passages retrieved for a question, numbered as the prompt numbers them.
struct RetrievedPassages {
    struct Passage {
        var grounding: GroundingPassage
        var hit: SearchHit
    }

    var passages: [Passage]
    /// Every hit, relevant or not: the nearest topics to offer when nothing is relevant.
    var nearest: [SearchHit]
    var bestSimilarity: Double
    var grounded: Bool

    init(hits: [SearchHit], nearest: [SearchHit], bestSimilarity: Double, grounded: Bool) {
        passages = hits.enumerated().map { offset, hit in
            let heading = hit.headingPath.last.flatMap { $0 == hit.title ? nil : $0 }
            let title = heading.map { "\(hit.title) › \($0)" } ?? hit.title
            return Passage(grounding: GroundingPassage(number: offset + 1, title: title, text: hit.text), hit: hit)
        }
        self.nearest = nearest
        self.bestSimilarity = bestSimilarity
        self.grounded = grounded
    }

    var outcome: String {
        "\(passages.count) passages, best similarity \(String(format: "%.2f", bestSimilarity))" + (grounded ? "" : ", not covered")
    }

    /// Refused when no passage is relevant enough: the answer then says the knowledge base does not cover it.
    func groundingDecision(minimumRelevance: Double) -> GuardDecision {
        let best = "best similarity \(String(format: "%.2f", bestSimilarity))"
        return grounded
            ? GuardDecision(.grounding, .passed, detail: best)
            : GuardDecision(.grounding, .refused, detail: "\(best), below \(String(format: "%.2f", minimumRelevance)) or no passage kept")
    }

    /// The citations for the cited passage numbers; every passage given when the answer cited none.
    func citations(for cited: Set<Int>) -> [Citation] {
        guard grounded else { return [] }
        let chosen = cited.isEmpty ? passages : passages.filter { cited.contains($0.grounding.number) }
        return chosen.map { passage in
            Citation(n: passage.grounding.number, documentID: passage.hit.documentID, chunkID: passage.hit.chunkID,
                     title: passage.hit.title, source: passage.hit.source, snippet: passage.hit.snippet,
                     score: passage.hit.scores.denseSimilarity ?? passage.hit.scores.fused)
        }
    }

    func notCoveredAnswer() -> String {
        var titles: [String] = []
        for hit in nearest where !titles.contains(hit.title) && titles.count < 3 { titles.append(hit.title) }
        let offer = titles.isEmpty
            ? "The knowledge base has no documents to draw on yet."
            : "The closest topics it does cover are: " + titles.joined(separator: "; ") + ". Ask about one of those, or rephrase your question."
        return "I couldn't find anything in the knowledge base that answers this, so I won't guess. " + offer
    }
}
