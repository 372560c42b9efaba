import Foundation
import SpotterCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A repeatable embedding throughput measurement, for `spotter bench` and comparisons with other runtimes.
public struct EmbeddingBenchmark: Sendable {
    public struct Result: Sendable, CustomStringConvertible {
        public let sentences: Int
        public let batchSize: Int
        /// Word pieces embedded, `[CLS]`/`[SEP]` included, after truncation.
        public let totalTokens: Int
        /// Wall-clock seconds of the embedding calls (tokenisation included, warm-up excluded).
        public let elapsedSeconds: Double
        public var sentencesPerSecond: Double { Double(sentences) / max(elapsedSeconds, 1e-9) }
        public var tokensPerSecond: Double { Double(totalTokens) / max(elapsedSeconds, 1e-9) }
        /// Peak resident set size of the process so far, in bytes (`getrusage` `ru_maxrss`).
        public let peakRSSBytes: Int

        public var description: String {
            String(
                format: "%d sentences (%d tokens) in batches of %d: %.3f s, %.1f sentences/s, %.0f tokens/s, peak RSS %.1f MiB",
                sentences, totalTokens, batchSize, elapsedSeconds, sentencesPerSecond, tokensPerSecond,
                Double(peakRSSBytes) / 1_048_576)
        }
    }

    /// Embeds `texts` (default: ``builtInSentences``) in batches of `batchSize`, after one warm-up batch.
    public static func run(
        embedder: any Embedder, texts: [String] = builtInSentences, batchSize: Int = 32, warmUp: Bool = true
    ) async throws -> Result {
        let batchSize = max(1, batchSize)
        if warmUp, !texts.isEmpty {
            _ = try await embedder.embed(Array(texts.prefix(batchSize)))
        }
        var tokens = 0
        for t in texts { tokens += min(embedder.tokenCount(t) + 2, embedder.maxSequenceLength) }
        let clock = ContinuousClock()
        let start = clock.now
        var i = 0
        while i < texts.count {
            let batch = Array(texts[i..<min(texts.count, i + batchSize)])
            let vectors = try await embedder.embed(batch)
            precondition(vectors.count == batch.count)
            i += batchSize
        }
        let elapsed = clock.now - start
        let seconds = elapsed.inSeconds
        return Result(sentences: texts.count, batchSize: batchSize, totalTokens: tokens, elapsedSeconds: seconds,
                      peakRSSBytes: peakResidentSetSize())
    }

    /// Peak resident set size of this process in bytes (Linux reports `ru_maxrss` in KiB, macOS in bytes).
    public static func peakResidentSetSize() -> Int {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        #endif
        #if os(Linux)
        return Int(usage.ru_maxrss) * 1024
        #else
        return Int(usage.ru_maxrss)
        #endif
    }

    /// The short questions among ``builtInSentences`` (about 12–20 word pieces each).
    public static var builtInQuestions: [String] { builtInSentences.enumerated().filter { $0.offset % 4 < 2 }.map(\.element) }

    /// `count` deterministic passages of close to `tokens` word pieces (`[CLS]`/`[SEP]` excluded), built from the
    /// passages of ``builtInSentences``: the long-text case of a benchmark, where the model's window is full.
    public static func passages(count: Int, tokens: Int = 254, tokenCount: (String) -> Int) -> [String] {
        let sources = builtInSentences.enumerated().filter { $0.offset % 4 == 3 }.map(\.element)
        var out: [String] = []
        var cursor = 0
        for _ in 0..<count {
            var words: [Substring] = []
            // Add whole source passages until the budget is passed, then drop words until it fits again.
            while tokenCount(words.joined(separator: " ")) < tokens {
                words += sources[cursor % sources.count].split(separator: " ")
                cursor += 1
            }
            while words.count > 1, tokenCount(words.joined(separator: " ")) > tokens { words.removeLast() }
            out.append(words.joined(separator: " "))
        }
        return out
    }

    /// 400 fixed, varied fitness sentences: short questions, statements, and longer passages (~8 to ~200 tokens),
    /// generated deterministically so the benchmark is repeatable.
    public static let builtInSentences: [String] = {
        let exercises = [
            "squats", "deadlifts", "bench press", "pull-ups", "overhead press", "lunges", "hip thrusts", "rows",
            "push-ups", "kettlebell swings", "Romanian deadlifts", "dips", "planks", "box jumps", "farmer's carries",
            "calf raises", "face pulls", "goblet squats", "chin-ups", "step-ups",
        ]
        let goals = [
            "hypertrophy", "maximal strength", "fat loss", "endurance", "mobility", "power", "general health",
            "rehabilitation after a knee injury", "better posture", "athletic performance",
        ]
        let people = [
            "a beginner", "an older adult", "a busy parent", "a marathon runner", "a powerlifter",
            "someone with lower back pain", "a teenager", "a pregnant woman", "an office worker", "a rock climber",
        ]
        let questions = [
            "How many sets of {ex} should {who} do for {goal}?",
            "Is {ex} a good choice for {who} aiming at {goal}?",
            "What is the best rep range for {ex} when {who} trains for {goal}?",
            "How often per week can {ex} be trained by {who} focused on {goal}?",
        ]
        let facts = [
            "Progressive overload means gradually increasing weight, repetitions or volume over time.",
            "Rest intervals of two to three minutes between sets favour strength, shorter rests are common for hypertrophy.",
            "Adequate protein intake, roughly 1.6 grams per kilogram of body weight per day, supports muscle growth.",
            "Sleep of seven to nine hours per night improves recovery and performance.",
            "A proper warm-up raises muscle temperature and reduces the risk of injury.",
            "Training each major muscle group at least twice per week is recommended by most guidelines.",
            "Technique should be mastered with light loads before the weight is increased.",
            "Deload weeks with reduced volume help manage fatigue in long training blocks.",
        ]
        var out: [String] = []
        out.reserveCapacity(400)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        for i in 0..<400 {
            let ex = exercises[next(exercises.count)]
            let goal = goals[next(goals.count)]
            let who = people[next(people.count)]
            switch i % 4 {
            case 0, 1:  // short question
                let q = questions[next(questions.count)]
                out.append(q.replacingOccurrences(of: "{ex}", with: ex).replacingOccurrences(of: "{who}", with: who)
                    .replacingOccurrences(of: "{goal}", with: goal))
            case 2:  // medium statement
                out.append("For \(goal), \(who) can combine \(ex) with \(exercises[next(exercises.count)]). "
                    + facts[next(facts.count)])
            default:  // long passage of 3 to 12 sentences
                var parts = ["Programme notes for \(who) training for \(goal) with \(ex)."]
                for _ in 0..<(3 + next(10)) { parts.append(facts[next(facts.count)]) }
                out.append(parts.joined(separator: " "))
            }
        }
        return out
    }()
}
