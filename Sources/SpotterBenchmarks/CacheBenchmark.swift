import Foundation
import SpotterCore

/// Measures the semantic cache through the real answering pipeline.
///
/// - **Pairs**: for each labelled pair, `a` is answered (filling the cache), then `b` is asked. Spotter's cache is
///   compared, in the same run, with the naive cache (cosine ≥ 0.95 between the questions, and the single
///   threshold that does best on the set), and both are swept over thresholds.
/// - **Workload**: a Zipf-distributed stream over groups of equivalent questions; reports the share of answers
///   served without generation and the share of hits that served another group's answer.
///
/// Each pair (and each workload run) uses a cache partition of its own, so nothing leaks between pairs or into the
/// store's real cache; the partitions are purged at the end.
public enum CacheBenchmark {
    /// A question in a cache partition of its own (``AnswerRequest/cachePartition``).
    static func request(_ message: String, partition: String) -> AnswerRequest {
        var request = AnswerRequest(message: message)
        request.cachePartition = partition
        return request
    }

    public struct Pair: Sendable, Codable {
        public var id: String
        public var a: String
        public var b: String
        public var label: String
        public var kind: String
        public var category: String

        public var shouldHit: Bool { label == "hit" }
    }

    @SnakeCaseCodingKeys
    public struct PairResult: Sendable, Codable {
        public var id: String
        public var category: String
        public var shouldHit: Bool
        public var similarity: Double
        /// What the look-alike check said about `b` against `a` (empty when it passed).
        public var differences: [String]
        /// Whether the pipeline served `b` from the cache.
        public var servedFromCache: Bool
        public var a: String
        public var b: String
    }

    /// Paraphrase hit rate and false-hit rate of one cache policy.
    @SnakeCaseCodingKeys
    public struct Rates: Sendable, Codable, Equatable {
        public var threshold: Double
        /// Share of `hit` pairs served from the cache.
        public var hitRate: Double
        /// Share of `miss` pairs (look-alikes and unrelated) that were served the other question's answer.
        public var falseHitRate: Double
        /// The same over look-alikes only.
        public var lookalikeFalseHitRate: Double
    }

    public struct SweepPoint: Sendable, Codable {
        public var threshold: Double
        public var spotter: Rates
        public var naive: Rates
    }

    @SnakeCaseCodingKeys
    public struct PairReport: Sendable, Codable {
        public var pairs: Int
        public var paraphrases: Int
        public var lookalikes: Int
        public var unrelated: Int
        /// Spotter as configured, measured through the pipeline.
        public var spotter: Rates
        /// Spotter's policy recomputed from the similarities and verdicts (equal to `spotter` unless the scan
        /// met a closer entry; reported as a consistency check).
        public var spotterPredicted: Rates
        @WireKey("naive_0_95") public var naive095: Rates
        /// The naive cache at the threshold with the best hit rate minus false-hit rate on this set.
        public var naiveBest: Rates
        /// Look-alikes caught per category, by Spotter and by the naive cache at 0.95.
        public var categories: [CategoryCount]
        public var sweep: [SweepPoint]
        public var results: [PairResult]
    }

    @SnakeCaseCodingKeys
    public struct CategoryCount: Sendable, Codable {
        public var category: String
        public var pairs: Int
        public var spotterFalseHits: Int
        @WireKey("naive_0_95_false_hits") public var naive095FalseHits: Int
    }

    // MARK: Pairs

    public static func readPairs(_ url: URL) throws(EvaluationError) -> [Pair] {
        try readJSONLines(url, expected: "{\"id\", \"a\", \"b\", \"label\": \"hit\"|\"miss\", \"kind\", \"category\"}") { (pair: Pair) in
            guard ["hit", "miss"].contains(pair.label) else { return "label must be \"hit\" or \"miss\", not \"\(pair.label)\"" }
            guard !pair.a.isEmpty, !pair.b.isEmpty else { return "a and b must not be empty" }
            return nil
        }
    }

    public static func runPairs(_ pairs: [Pair], answers: AnswerPipeline, cache: SemanticCache,
                                progress: (Int, Int) -> Void = { _, _ in }) async throws(AnswerError) -> PairReport {
        let run = Identifier.make("bench")
        var results: [PairResult] = []
        for (offset, pair) in pairs.enumerated() {
            let partition = "\(run)-\(offset)"
            defer { _ = try? cache.purge(CachePurge(tenant: "\(Principal.defaultTenant)/\(partition)")) }
            _ = try await answers.respond(Self.request(pair.a, partition: partition))
            let second = try await answers.respond(Self.request(pair.b, partition: partition))
            let vectors = (try? await cache.embedder.embed([pair.a, pair.b])) ?? []
            let similarity = vectors.count == 2 ? Double(VectorMath.dot(vectors[0], vectors[1])) : 0
            let verdict = await cache.verify(pair.b, against: pair.a)
            results.append(PairResult(id: pair.id, category: pair.category, shouldHit: pair.shouldHit, similarity: similarity,
                                      differences: verdict.differences.map { "\($0.0.rawValue): \($0.1)" },
                                      servedFromCache: second.cached, a: pair.a, b: pair.b))
            progress(offset + 1, pairs.count)
        }
        return report(results, threshold: cache.settings.similarityThreshold)
    }

    /// The figures from per-pair results (separate from the run so that they can be recomputed and tested).
    public static func report(_ results: [PairResult], threshold: Double) -> PairReport {
        func rates(_ threshold: Double, _ served: (PairResult) -> Bool) -> Rates {
            let hits = results.filter(\.shouldHit)
            let misses = results.filter { !$0.shouldHit }
            let lookalikes = misses.filter { $0.category != "unrelated" }
            func share(_ items: [PairResult]) -> Double {
                items.isEmpty ? 0 : Double(items.filter(served).count) / Double(items.count)
            }
            return Rates(threshold: threshold, hitRate: share(hits), falseHitRate: share(misses), lookalikeFalseHitRate: share(lookalikes))
        }
        func naive(_ t: Double) -> Rates { rates(t) { $0.similarity >= t } }
        func spotter(_ t: Double) -> Rates { rates(t) { $0.similarity >= t && $0.differences.isEmpty } }

        let thresholds = stride(from: 0.50, through: 1.0001, by: 0.01).map { ($0 * 100).rounded() / 100 }
        let sweep = thresholds.map { SweepPoint(threshold: $0, spotter: spotter($0), naive: naive($0)) }
        // The naive cache's best single threshold: the most paraphrases served for the fewest wrong answers.
        let best = sweep.map(\.naive).max { ($0.hitRate - $0.falseHitRate) < ($1.hitRate - $1.falseHitRate) } ?? naive(0.95)
        let categories = Dictionary(grouping: results.filter { !$0.shouldHit }, by: \.category)
            .map { category, items in
                CategoryCount(category: category, pairs: items.count,
                              spotterFalseHits: items.filter(\.servedFromCache).count,
                              naive095FalseHits: items.filter { $0.similarity >= 0.95 }.count)
            }
            .sorted { $0.category < $1.category }
        return PairReport(
            pairs: results.count, paraphrases: results.filter(\.shouldHit).count,
            lookalikes: results.filter { !$0.shouldHit && $0.category != "unrelated" }.count,
            unrelated: results.filter { $0.category == "unrelated" }.count,
            spotter: rates(threshold) { $0.servedFromCache }, spotterPredicted: spotter(threshold), naive095: naive(0.95),
            naiveBest: best, categories: categories, sweep: sweep, results: results)
    }

    // MARK: Workload

    public struct QuestionGroup: Sendable, Codable {
        public var id: String
        public var topic: String
        public var questions: [String]
    }

    @SnakeCaseCodingKeys
    public struct WorkloadReport: Sendable, Codable {
        public var requests: Int
        public var groups: Int
        public var distinctQuestionsAsked: Int
        public var zipfExponent: Double
        public var seed: UInt64
        /// Answers served from the cache: the language-model calls avoided.
        public var hits: Int
        public var callsAvoided: Double
        /// Hits that served the answer of another group's question.
        public var falseHits: Int
        public var falseHitShare: Double
        /// The best any cache could do: every request but the first of each group served from the cache.
        public var ceiling: Double
        public var examples: [String]
    }

    public static func readWorkload(_ url: URL) throws(EvaluationError) -> [QuestionGroup] {
        try readJSONLines(url, expected: "{\"id\", \"topic\", \"questions\": [string, …]}") { (group: QuestionGroup) in
            group.questions.isEmpty ? "questions must not be empty" : nil
        }
    }

    /// A repeatable request stream: group ranks follow Zipf's law with exponent `s` (the rank order shuffled by
    /// the seed), and each request uses one of its group's phrasings at random.
    public static func stream(_ groups: [QuestionGroup], requests: Int, exponent s: Double, seed: UInt64) -> [(group: Int, question: String)] {
        guard !groups.isEmpty else { return [] }
        var random = SplitMix64(seed: seed)
        var order = Array(groups.indices)
        order.shuffle(using: &random)
        let weights = (1...groups.count).map { 1 / pow(Double($0), s) }
        let total = weights.reduce(0, +)
        var cumulative: [Double] = []
        var sum = 0.0
        for weight in weights {
            sum += weight / total
            cumulative.append(sum)
        }
        return (0..<requests).map { _ in
            let draw = Double.random(in: 0..<1, using: &random)
            let rank = cumulative.firstIndex { draw < $0 } ?? (groups.count - 1)
            let group = order[rank]
            let question = groups[group].questions.randomElement(using: &random)!
            return (group, question)
        }
    }

    public static func runWorkload(_ groups: [QuestionGroup], requests: Int, exponent: Double, seed: UInt64,
                                   answers: AnswerPipeline, cache: SemanticCache,
                                   progress: (Int, Int) -> Void = { _, _ in }) async throws(AnswerError) -> WorkloadReport {
        let partition = Identifier.make("bench")
        defer { _ = try? cache.purge(CachePurge(tenant: "\(Principal.defaultTenant)/\(partition)")) }
        let requestsStream = stream(groups, requests: requests, exponent: exponent, seed: seed)
        var groupOfQuestion: [String: Int] = [:]
        for (index, group) in groups.enumerated() {
            for question in group.questions { groupOfQuestion[question] = index }
        }
        var hits = 0, falseHits = 0
        var examples: [String] = []
        var groupsSeen = Set<Int>()
        for (offset, request) in requestsStream.enumerated() {
            let answer = try await answers.respond(Self.request(request.question, partition: partition))
            groupsSeen.insert(request.group)
            if answer.cached, let match = answer.cache {
                hits += 1
                if groupOfQuestion[match.matchedQuestion] != request.group {
                    falseHits += 1
                    if examples.count < 20 { examples.append("\(request.question) ← \(match.matchedQuestion) (\(SemanticCache.format(match.similarity)))") }
                }
            }
            progress(offset + 1, requestsStream.count)
        }
        let count = max(1, requestsStream.count)
        return WorkloadReport(
            requests: requestsStream.count, groups: groups.count,
            distinctQuestionsAsked: Set(requestsStream.map(\.question)).count, zipfExponent: exponent, seed: seed,
            hits: hits, callsAvoided: Double(hits) / Double(count), falseHits: falseHits,
            falseHitShare: hits == 0 ? 0 : Double(falseHits) / Double(hits),
            ceiling: Double(requestsStream.count - groupsSeen.count) / Double(count), examples: examples)
    }

    // MARK: Plot

    /// An SVG of paraphrase hit rate against false-hit rate as the threshold moves, Spotter beside the naive cache.
    public static func plot(_ report: PairReport) -> String {
        let width = 640.0, height = 440.0, left = 60.0, right = 20.0, top = 40.0, bottom = 50.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ rate: Double) -> Double { left + rate * plotWidth }
        func y(_ rate: Double) -> Double { top + (1 - rate) * plotHeight }
        func path(_ points: [Rates]) -> String {
            points.enumerated().map { index, point in
                String(format: "%@%.1f,%.1f", index == 0 ? "M" : "L", x(point.falseHitRate), y(point.hitRate))
            }.joined(separator: " ")
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="14">Semantic cache: paraphrases served vs wrong answers served (\(report.pairs) pairs)</text>

            """
        for tick in stride(from: 0.0, through: 1.0001, by: 0.2) {
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x(tick), y(0), x(tick), y(1))
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x(0), y(tick), x(1), y(tick))
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f%%</text>\n", x(tick), y(0) + 16, tick * 100)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f%%</text>\n", x(0) - 6, y(tick) + 4, tick * 100)
        }
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">false-hit rate (look-alike and unrelated pairs served the other answer)</text>\n", left + plotWidth / 2, height - 12)
        svg += String(format: "<text transform=\"translate(16,%.1f) rotate(-90)\" text-anchor=\"middle\">paraphrase hit rate</text>\n", top + plotHeight / 2)
        svg += "<path d=\"\(path(report.sweep.map(\.naive)))\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>\n"
        svg += "<path d=\"\(path(report.sweep.map(\.spotter)))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
        func mark(_ rates: Rates, _ colour: String, _ label: String) {
            svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%@\"/>\n", x(rates.falseHitRate), y(rates.hitRate), colour)
            // Labels right of points in the left half, left of them in the right half, so that they stay inside.
            let right = rates.falseHitRate > 0.5
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"%@\" text-anchor=\"%@\">%@</text>\n",
                          x(rates.falseHitRate) + (right ? -8 : 8), y(rates.hitRate) + 4, colour, right ? "end" : "start", label)
        }
        mark(report.naive095, "#d62728", String(format: "naive, cosine ≥ 0.95 (%.0f%% hits, %.1f%% false)", report.naive095.hitRate * 100, report.naive095.falseHitRate * 100))
        mark(report.naiveBest, "#d62728", String(format: "naive, best threshold %.2f (%.0f%%, %.1f%%)", report.naiveBest.threshold, report.naiveBest.hitRate * 100, report.naiveBest.falseHitRate * 100))
        mark(report.spotter, "#1f77b4", String(format: "Spotter, threshold %.2f (%.0f%%, %.1f%%)", report.spotter.threshold, report.spotter.hitRate * 100, report.spotter.falseHitRate * 100))
        // The legend sits top left, where neither curve goes (no cache serves most paraphrases with no false hits).
        let legendX = x(0) + 10, legendY = y(1) + 8
        svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"190\" height=\"42\" fill=\"white\" stroke=\"#999\"/>\n", legendX, legendY)
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">Spotter (threshold + check)</text>\n",
                      legendX + 8, legendY + 14, legendX + 30, legendY + 14, legendX + 36, legendY + 18)
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">naive (threshold only)</text>\n",
                      legendX + 8, legendY + 32, legendX + 30, legendY + 32, legendX + 36, legendY + 36)
        svg += "</svg>\n"
        return svg
    }

    // MARK: Reading

    /// The labelled lines of a file, which must hold at least one.
    private static func readJSONLines<T: Decodable>(_ url: URL, expected: String, validate: (T) -> String?) throws(EvaluationError) -> [T] {
        let items = try JSONLines.read(url, expected: expected, validate: validate)
        guard !items.isEmpty else { throw .malformed(url.path, line: nil, reason: "no lines; expected \(expected)") }
        return items
    }
}
