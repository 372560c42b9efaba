import Foundation

/// Calibrates the "not covered" threshold: how similar the best passage must be for the knowledge base to be
/// taken as covering a question (``AnswerPipeline/Settings/minimumRelevance``).
///
/// Each labelled question is searched as the pipeline searches it; the threshold that best separates covered from
/// not-covered questions (highest balanced accuracy, midway between the neighbouring scores) is reported beside the
/// accuracy of the configured one.
public struct RelevanceCalibration: Sendable {
    public struct LabelledQuestion: Sendable, Codable {
        public var question: String
        public var covered: Bool
    }

    @SnakeCaseCodingKeys
    public struct Scored: Sendable, Codable {
        public var question: String
        public var covered: Bool
        public var bestSimilarity: Double
    }

    @SnakeCaseCodingKeys
    public struct Report: Sendable, Codable {
        public var questions: [Scored]
        public var configuredThreshold: Double
        public var configuredBalancedAccuracy: Double
        public var bestThreshold: Double
        public var bestBalancedAccuracy: Double
    }

    /// Reads JSONL lines `{"question": "...", "covered": true|false}`.
    public static func readQuestions(_ url: URL) throws(EvaluationError) -> [LabelledQuestion] {
        try JSONLines.read(url, expected: "{\"question\": string, \"covered\": bool}")
    }

    /// Searches each question exactly as the pipeline's retrieve stage does for `assistant`, and scores it by the
    /// best dense similarity among the passages found (the figure the pipeline compares with the threshold).
    public static func run(_ questions: [LabelledQuestion], search: SearchService, knowledgeBase: String,
                           assistant: PromptRegistry.Assistant, configuredThreshold: Double) async throws(SearchError) -> Report {
        var scored: [Scored] = []
        for question in questions {
            let response = try await search.search(SearchRequest(query: question.question, knowledgeBase: knowledgeBase,
                                                                 k: assistant.passages, mode: .hybrid, mmrLambda: assistant.mmr))
            scored.append(Scored(question: question.question, covered: question.covered,
                                 bestSimilarity: response.hits.compactMap(\.scores.denseSimilarity).max() ?? 0))
        }
        let sorted = scored.map(\.bestSimilarity).sorted()
        let candidates = zip(sorted, sorted.dropFirst()).map { ($0 + $1) / 2 }
        var best = (threshold: configuredThreshold, accuracy: balancedAccuracy(scored, threshold: configuredThreshold))
        for threshold in candidates {
            let accuracy = balancedAccuracy(scored, threshold: threshold)
            if accuracy > best.accuracy { best = (threshold, accuracy) }
        }
        return Report(questions: scored, configuredThreshold: configuredThreshold,
                      configuredBalancedAccuracy: balancedAccuracy(scored, threshold: configuredThreshold),
                      bestThreshold: best.threshold, bestBalancedAccuracy: best.accuracy)
    }

    /// The mean of the share of covered questions at or above the threshold and of not-covered ones below it.
    public static func balancedAccuracy(_ scored: [Scored], threshold: Double) -> Double {
        let covered = scored.filter(\.covered), uncovered = scored.filter { !$0.covered }
        func share(_ items: [Scored], _ predicate: (Scored) -> Bool) -> Double {
            items.isEmpty ? 1 : Double(items.filter(predicate).count) / Double(items.count)
        }
        return (share(covered) { $0.bestSimilarity >= threshold } + share(uncovered) { $0.bestSimilarity < threshold }) / 2
    }
}
