import Crypto
import Foundation
import Logging
import Metrics
import Synchronization

/// `SPOTTER_CANARY_*`: when a canary variant is rolled back.
public struct CanarySettings: Sendable, Equatable {
    /// `SPOTTER_CANARY_MIN_SAMPLES`: answers (for the error rate) or ratings (for the feedback rate) each of the canary
    /// and the control needs before a comparison counts.
    public var minimumSamples = 30
    /// `SPOTTER_CANARY_P`: the one-sided two-proportion test's p-value below which the canary is worse.
    public var pValue = 0.01

    public init() {}
}

/// A variant that was rolled back: it gets no more traffic (a request may still ask for it by name).
@MemberwiseInit
public struct VariantRollback: Sendable, Codable, Equatable {
    public var assistant: String
    public var variant: String
    public var reason: String
    public var at: Date
}

/// Splits an assistant's answers between its variants and rolls canaries back.
///
/// Assignment is sticky: a hash of the assistant and the caller's key (the user when given, else the session) picks
/// a point in the variants' cumulative weights, so one user keeps one variant for as long as the weights stand. A
/// request may name its variant (for testing). For each canary, answers that failed and thumbs-down are counted
/// against the control (the assistant's first variant); once both have ``CanarySettings/minimumSamples``, a
/// one-sided two-proportion z-test at ``CanarySettings/pValue`` decides whether the canary is worse, and a worse
/// canary is rolled back: logged, counted, remembered in the store, and given no more traffic.
public final class VariantRouter: Sendable {
    public let settings: CanarySettings
    private let store: (any VariantStore)?
    private let logger: Logger
    private let state: Mutex<State>
    private let rollbacks: Counter
    private let answers: MetricHandles<[String], Counter>

    struct Tally: Sendable {
        var answers = 0
        var failures = 0
        var ratings = 0
        var downs = 0
    }

    struct State {
        var tallies: [String: [String: Tally]] = [:]
        var rolledBack: [String: VariantRollback] = [:]
    }

    public init(settings: CanarySettings = CanarySettings(), store: (any VariantStore)?, logger: Logger = Logger(label: "spotter.variants"),
                metrics: any MetricsFactory = MetricsSystem.factory) {
        self.settings = settings
        self.store = store
        self.logger = logger
        var known: [String: VariantRollback] = [:]
        for rollback in (try? store?.variantRollbacks()) ?? [] { known[Self.key(rollback.assistant, rollback.variant)] = rollback }
        state = Mutex(State(rolledBack: known))
        rollbacks = Counter(label: "spotter_variant_rollbacks_total", factory: metrics)
        answers = MetricHandles { key in
            Counter(label: "spotter_variant_answers_total", dimensions: [("assistant", key[0]), ("variant", key[1]), ("outcome", key[2])], factory: metrics)
        }
    }

    static func key(_ assistant: String, _ variant: String) -> String { assistant + "\u{0}" + variant }

    /// The variants rolled back so far.
    public var rolledBack: [VariantRollback] { state.withLock { Array($0.rolledBack.values) }.sorted { $0.at < $1.at } }

    /// The variant for a request: the one it names, else the sticky choice for `key` among those not rolled back.
    public func choose(for assistant: PromptRegistry.Assistant, key: String, requested: String?) throws(AnswerError) -> PromptRegistry.Variant {
        if let requested {
            guard let variant = assistant.variants.first(where: { $0.name == requested }) else {
                throw .invalidRequest(field: "variant", reason: "assistant '\(assistant.name)' has no variant '\(requested)' (variants: \(assistant.variants.map(\.name).joined(separator: ", ")))")
            }
            return variant
        }
        guard assistant.variants.count > 1 else { return assistant.variants[0] }
        let excluded = state.withLock { state in Set(assistant.variants.map(\.name).filter { state.rolledBack[Self.key(assistant.name, $0)] != nil }) }
        let live = assistant.variants.filter { !excluded.contains($0.name) && $0.weight > 0 }
        guard !live.isEmpty else { return assistant.variants[0] }
        let total = live.reduce(0) { $0 + $1.weight }
        var point = Self.unitHash(assistant.name + "\u{0}" + key) * total
        for variant in live {
            point -= variant.weight
            if point < 0 { return variant }
        }
        return live[live.count - 1]
    }

    /// A number in [0, 1) from `text`, the same in every process.
    static func unitHash(_ text: String) -> Double {
        let digest = SHA256.hash(data: Data(text.utf8))
        let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(value >> 11) / Double(UInt64(1) << 53)
    }

    /// Counts an answer (or a failure to answer) of a variant, then checks its canary.
    public func observeAnswer(assistant: PromptRegistry.Assistant, variant: String, failed: Bool) {
        answers[[assistant.name, variant, failed ? "failed" : "answered"]].increment()
        guard assistant.variants.count > 1 else { return }
        state.withLock { state in
            state.tallies[assistant.name, default: [:]][variant, default: Tally()].answers += 1
            if failed { state.tallies[assistant.name, default: [:]][variant, default: Tally()].failures += 1 }
        }
        check(assistant)
    }

    /// Counts a new or changed rating of an answer by a variant, then checks its canary.
    public func observeFeedback(assistant: PromptRegistry.Assistant, variant: String, rating: Rating) {
        guard assistant.variants.count > 1 else { return }
        state.withLock { state in
            state.tallies[assistant.name, default: [:]][variant, default: Tally()].ratings += 1
            if rating == .down { state.tallies[assistant.name, default: [:]][variant, default: Tally()].downs += 1 }
        }
        check(assistant)
    }

    private func check(_ assistant: PromptRegistry.Assistant) {
        let control = assistant.variants[0].name
        for canary in assistant.variants where canary.canary {
            let decision: VariantRollback? = state.withLock { state in
                guard state.rolledBack[Self.key(assistant.name, canary.name)] == nil,
                      let mine = state.tallies[assistant.name]?[canary.name], let theirs = state.tallies[assistant.name]?[control] else { return nil }
                var reason: String?
                if let p = worse(mine.failures, of: mine.answers, than: theirs.failures, of: theirs.answers) {
                    reason = "error rate \(mine.failures)/\(mine.answers) against the control's \(theirs.failures)/\(theirs.answers) (p = \(String(format: "%.4f", p)))"
                } else if let p = worse(mine.downs, of: mine.ratings, than: theirs.downs, of: theirs.ratings) {
                    reason = "negative feedback \(mine.downs)/\(mine.ratings) against the control's \(theirs.downs)/\(theirs.ratings) (p = \(String(format: "%.4f", p)))"
                }
                guard let reason else { return nil }
                let rollback = VariantRollback(assistant: assistant.name, variant: canary.name, reason: reason, at: Date())
                state.rolledBack[Self.key(assistant.name, canary.name)] = rollback
                return rollback
            }
            guard let decision else { continue }
            rollbacks.increment()
            logger.warning("canary rolled back", metadata: [
                "assistant": "\(decision.assistant)", "variant": "\(decision.variant)", "reason": "\(decision.reason)",
            ])
            do {
                try store?.saveVariantRollback(decision)
            } catch {
                logger.error("canary rollback not stored; it holds until restart", metadata: ["variant": "\(decision.variant)", "error": "\(error)"])
            }
        }
    }

    /// The p-value when `a/n` is significantly above `b/m` (one-sided), with enough samples on both sides; else nil.
    private func worse(_ a: Int, of n: Int, than b: Int, of m: Int) -> Double? {
        guard n >= settings.minimumSamples, m >= settings.minimumSamples else { return nil }
        let p = Proportions.oneSidedGreaterPValue(successes: a, of: n, against: b, of: m)
        return p < settings.pValue ? p : nil
    }
}

/// Tests and intervals on proportions.
public enum Proportions {
    /// One-sided two-proportion z-test (pooled): the p-value of `a/n` being above `b/m` by chance.
    public static func oneSidedGreaterPValue(successes a: Int, of n: Int, against b: Int, of m: Int) -> Double {
        guard n > 0, m > 0 else { return 1 }
        let p1 = Double(a) / Double(n), p2 = Double(b) / Double(m)
        let pooled = Double(a + b) / Double(n + m)
        let spread = (pooled * (1 - pooled) * (1 / Double(n) + 1 / Double(m))).squareRoot()
        guard spread > 0 else { return p1 > p2 ? 0 : 1 }
        let z = (p1 - p2) / spread
        return 0.5 * erfc(z / 2.0.squareRoot())
    }

    /// The Wilson score interval for `successes/n` at 95% (z = 1.96); (0, 1) when n is 0.
    public static func wilson(_ successes: Int, of n: Int, z: Double = 1.96) -> (low: Double, high: Double) {
        guard n > 0 else { return (0, 1) }
        let p = Double(successes) / Double(n), count = Double(n)
        let centre = (p + z * z / (2 * count)) / (1 + z * z / count)
        let half = z * (p * (1 - p) / count + z * z / (4 * count * count)).squareRoot() / (1 + z * z / count)
        return (max(0, centre - half), min(1, centre + half))
    }

    /// A 95% interval for the mean of `values` (normal approximation, fine for the tens to thousands of answers a
    /// report covers); nil for no values.
    public static func meanInterval(_ values: [Double], z: Double = 1.96) -> (mean: Double, low: Double, high: Double)? {
        guard !values.isEmpty else { return nil }
        let count = Double(values.count)
        let mean = values.reduce(0, +) / count
        guard values.count > 1 else { return (mean, mean, mean) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)
        let half = z * (variance / count).squareRoot()
        return (mean, mean - half, mean + half)
    }

    /// A distribution-free 95% interval for the `q` quantile of a sample sorted ascending: the order statistics whose
    /// ranks bound a binomial(n, q) count (normal approximation). Latencies are skewed, so no mean-based interval.
    public static func quantileInterval(_ sorted: [Double], _ q: Double, z: Double = 1.96) -> (low: Double, high: Double)? {
        guard !sorted.isEmpty, (0...1).contains(q) else { return nil }
        let n = Double(sorted.count)
        let spread = z * (n * q * (1 - q)).squareRoot()
        // 1-based ranks, clamped to the sample.
        let lower = min(max(Int((n * q - spread).rounded(.down)), 1), sorted.count)
        let upper = min(max(Int((n * q + spread).rounded(.up)) + 1, 1), sorted.count)
        return (sorted[lower - 1], sorted[upper - 1])
    }
}
