import Foundation

/// A question the knowledge base could not answer.
@MemberwiseInit
public struct UnansweredQuestion: Sendable, Equatable {
    public var question: String
    public var knowledgeBase: String
    public var askedAt: Date
}

/// The unanswered questions grouped by topic, largest group first: what documents are missing.
@SnakeCaseCodingKeys
public struct KnowledgeGapReport: Sendable, Codable, Equatable {
    @SnakeCaseCodingKeys
    public struct Gap: Sendable, Codable, Equatable {
        /// Times a question of this group was asked.
        public var count: Int
        /// The question nearest the group's centre: the group's name.
        public var representative: String
        /// Distinct questions of the group, most asked first (at most ``KnowledgeGapReport/examplesPerGap``).
        public var examples: [String]
        @WireKey("kbs") public var knowledgeBases: [String]
    }

    public static let examplesPerGap = 5
    /// Clusters whose centres are at least this similar (cosine) are one gap.
    public static let mergeSimilarity = 0.75

    public var since: Date
    /// Unanswered questions considered (repeats counted).
    public var questions: Int
    public var distinctQuestions: Int
    public var gaps: [Gap]

    /// Groups `questions` by meaning: repeats (same normalised text) first, then spherical k-means over their
    /// embeddings with k = ⌈√distinct⌉ (at most `maximumGaps`), then groups whose centres are closer than
    /// ``mergeSimilarity`` are merged, so that one topic asked many ways is one gap.
    public static func build(_ questions: [UnansweredQuestion], since: Date, embedder: any Embedder,
                             maximumGaps: Int = 10) async throws -> KnowledgeGapReport {
        var distinct: [String: (text: String, count: Int, knowledgeBases: Set<String>)] = [:]
        var order: [String] = []
        for question in questions {
            let key = QuestionAnalysis.normalised(question.question)
            if distinct[key] == nil {
                distinct[key] = (question.question, 0, [])
                order.append(key)
            }
            distinct[key]!.count += 1
            distinct[key]!.knowledgeBases.insert(question.knowledgeBase)
        }
        let texts = order.map { distinct[$0]!.text }
        guard !texts.isEmpty else { return KnowledgeGapReport(since: since, questions: 0, distinctQuestions: 0, gaps: []) }
        var vectors: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: 64) {
            vectors += try await embedder.embed(Array(texts[start..<min(start + 64, texts.count)]))
        }
        let k = min(max(1, maximumGaps), max(1, Int(Double(texts.count).squareRoot().rounded(.up))))
        let unit = vectors.map(SphericalKMeans.normalised)
        let clusters = SphericalKMeans.cluster(unit, k: k)
        // Each cluster joins the first earlier one whose centre is close enough.
        var target = Array(clusters.centroids.indices)
        for cluster in clusters.centroids.indices {
            if let earlier = (0..<cluster).first(where: { target[$0] == $0
                && Double(SphericalKMeans.dot(clusters.centroids[$0], clusters.centroids[cluster])) >= mergeSimilarity }) {
                target[cluster] = earlier
            }
        }
        var gaps: [Gap] = []
        for cluster in clusters.centroids.indices where target[cluster] == cluster {
            let members = clusters.assignments.indices.filter { target[clusters.assignments[$0]] == cluster }
            guard !members.isEmpty else { continue }
            let centre = SphericalKMeans.normalised(members.reduce(into: [Float](repeating: 0, count: unit[0].count)) { sum, index in
                for d in sum.indices { sum[d] += unit[index][d] }
            })
            let representative = members.max { SphericalKMeans.dot(unit[$0], centre) < SphericalKMeans.dot(unit[$1], centre) }!
            let byCount = members.sorted { distinct[order[$0]]!.count > distinct[order[$1]]!.count || (distinct[order[$0]]!.count == distinct[order[$1]]!.count && $0 < $1) }
            gaps.append(Gap(count: members.reduce(0) { $0 + distinct[order[$1]]!.count },
                            representative: texts[representative],
                            examples: byCount.prefix(examplesPerGap).map { texts[$0] },
                            knowledgeBases: members.reduce(into: Set<String>()) { $0.formUnion(distinct[order[$1]]!.knowledgeBases) }.sorted()))
        }
        gaps.sort { $0.count > $1.count || ($0.count == $1.count && $0.representative < $1.representative) }
        return KnowledgeGapReport(since: since, questions: questions.count, distinctQuestions: texts.count, gaps: gaps)
    }
}
