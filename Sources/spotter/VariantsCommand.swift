import ArgumentParser
import Foundation
import SpotterCore

struct VariantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "variants",
        abstract: "A/B and canary variants of the assistants: how each did, and putting a rolled-back one back.",
        subcommands: [Report.self, Restore.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answers, refusals, latency, cost, feedback and faithfulness per assistant variant, with 95% intervals.",
            discussion: """
                Read from the answer log. Latency quantiles have distribution-free intervals (order statistics), mean \
                cost and faithfulness normal-approximation ones, and the negative-feedback rate a Wilson interval; each \
                variant is compared with its assistant's first (control) variant by a one-sided two-proportion test (p \
                is the chance of a rate this much higher if the two were the same). Faithfulness is shown for the \
                answers `spotter eval answers` scored (run it with --variant for each variant).
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "Answers since then: a date (2026-11-01) or a span back from now (30d, 12h).")
        var since = "30d"

        @Flag(help: "Print the report as JSON.")
        var json = false

        func validate() throws {
            guard SpotterConfiguration.pointInTime(since, now: Date()) != nil else {
                throw ValidationError("--since must be a date (2026-11-01) or a span such as 30d or 12h, not '\(since)'")
            }
        }

        @SnakeCaseCodingKeys
        struct Line: Encodable {
            var assistant: String
            var variant: String
            var answers: Int
            var notCoveredRate: Double
            @WireKey("latency_p50_ms") var latencyP50Milliseconds: Double
            @WireKey("latency_p50_ci_ms") var latencyP50Interval: [Double]
            @WireKey("latency_p95_ms") var latencyP95Milliseconds: Double
            @WireKey("latency_p95_ci_ms") var latencyP95Interval: [Double]
            var meanCostUSD: Double?
            @WireKey("mean_cost_ci_usd") var meanCostInterval: [Double]?
            var ratings: Int
            var negativeRate: Double?
            var negativeRateLow: Double?
            var negativeRateHigh: Double?
            /// One-sided p-value of this variant's negative rate being above the control's; nil for the control.
            var worseThanControlP: Double?
            /// Answers scored by `spotter eval answers`, and their mean faithfulness with its interval.
            var evaluated: Int
            var faithfulness: Double?
            @WireKey("faithfulness_ci") var faithfulnessInterval: [Double]?
            var rolledBack: String?
        }

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            defer { store.close() }
            let registry = try configuration.promptsDirectory.map { try PromptRegistry.load(folder: $0) } ?? PromptRegistry.builtIn()
            let tallies = try store.variantTallies(since: SpotterConfiguration.pointInTime(since, now: Date())!)
            let rollbacks = try store.variantRollbacks()
            var lines: [Line] = []
            for tally in tallies {
                let control = registry.assistant(named: tally.assistant)?.variants.first?.name ?? "control"
                let reference = tallies.first { $0.assistant == tally.assistant && $0.variant == control }
                let ratings = tally.ups + tally.downs
                let interval = Proportions.wilson(tally.downs, of: ratings)
                var p: Double? = nil
                if tally.variant != control, let reference, ratings > 0, reference.ups + reference.downs > 0 {
                    p = Proportions.oneSidedGreaterPValue(successes: tally.downs, of: ratings, against: reference.downs, of: reference.ups + reference.downs)
                }
                let p50 = Proportions.quantileInterval(tally.latencies, 0.5), p95 = Proportions.quantileInterval(tally.latencies, 0.95)
                let cost = tally.costs.flatMap { Proportions.meanInterval($0) }
                let faithfulness = Proportions.meanInterval(tally.faithfulness)
                lines.append(Line(assistant: tally.assistant, variant: tally.variant, answers: tally.answers,
                                  notCoveredRate: Double(tally.notCovered) / Double(max(tally.answers, 1)),
                                  latencyP50Milliseconds: RetrievalMetrics.percentile(tally.latencies, 0.5) ?? 0,
                                  latencyP50Interval: p50.map { [$0.low, $0.high] } ?? [],
                                  latencyP95Milliseconds: RetrievalMetrics.percentile(tally.latencies, 0.95) ?? 0,
                                  latencyP95Interval: p95.map { [$0.low, $0.high] } ?? [],
                                  meanCostUSD: cost?.mean, meanCostInterval: cost.map { [max(0, $0.low), $0.high] },
                                  ratings: ratings,
                                  negativeRate: ratings > 0 ? Double(tally.downs) / Double(ratings) : nil,
                                  negativeRateLow: ratings > 0 ? interval.low : nil, negativeRateHigh: ratings > 0 ? interval.high : nil,
                                  worseThanControlP: p, evaluated: tally.faithfulness.count, faithfulness: faithfulness?.mean,
                                  faithfulnessInterval: faithfulness.map { [max(0, $0.low), min(1, $0.high)] },
                                  rolledBack: rollbacks.first { $0.assistant == tally.assistant && $0.variant == tally.variant }?.reason))
            }
            if json { return JSONLine.print(lines) }
            guard !lines.isEmpty else { return print("no answers since \(since)") }
            // A block per variant: one line would not hold every interval.
            for line in lines {
                print("\(line.assistant)/\(line.variant): \(line.answers) answers, \(String(format: "%.2f", line.notCoveredRate)) not covered")
                print("  latency       p50 \(Self.milliseconds(line.latencyP50Milliseconds, line.latencyP50Interval)), p95 \(Self.milliseconds(line.latencyP95Milliseconds, line.latencyP95Interval))")
                print("  cost/answer   " + (line.meanCostUSD.map { String(format: "$%.5f ($%.5f–$%.5f)", $0, line.meanCostInterval?[0] ?? 0, line.meanCostInterval?[1] ?? 0) } ?? "not priced"))
                print("  thumbs-down   " + (line.negativeRate.map { String(format: "%.2f (%.2f–%.2f) of %d ratings", $0, line.negativeRateLow ?? 0, line.negativeRateHigh ?? 1, line.ratings) } ?? "no ratings")
                      + (line.worseThanControlP.map { String(format: "; worse than control: p = %.3f", $0) } ?? ""))
                print("  faithfulness  " + (line.faithfulness.map { String(format: "%.3f (%.3f–%.3f) over %d evaluated answers", $0, line.faithfulnessInterval?[0] ?? 0, line.faithfulnessInterval?[1] ?? 1, line.evaluated) }
                                           ?? "not evaluated (spotter eval answers --variant \(line.variant))"))
                if let reason = line.rolledBack { print("  rolled back:  \(reason)") }
            }
            print("(95% intervals: order statistics for latency quantiles, normal approximation for means, Wilson for thumbs-down)")
        }

        static func milliseconds(_ value: Double, _ interval: [Double]) -> String {
            // Cache hits take well under a millisecond; generation seconds.
            let digits = (interval.last ?? value) < 10 ? "%.2f" : "%.0f"
            guard interval.count == 2 else { return String(format: "\(digits) ms", value) }
            return String(format: "\(digits) ms (\(digits)–\(digits))", value, interval[0], interval[1])
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a rolled-back canary traffic again (after a restart of the server).",
            discussion: "A running server keeps its own decision until it restarts.")

        @OptionGroup var common: CommonOptions

        @Argument(help: "The assistant.")
        var assistant: String

        @Argument(help: "The variant.")
        var variant: String

        func run() async throws {
            let store = try Spotter.openStore(common.configuration())
            defer { store.close() }
            guard try store.clearVariantRollback(assistant: assistant, variant: variant) else {
                throw ValidationError("\(assistant)/\(variant) was not rolled back")
            }
            CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: Principal.defaultTenant, action: .variantRestored,
                                     target: "\(assistant)/\(variant)"), in: store)
            print("\(assistant)/\(variant) restored: it gets traffic again when the server next starts")
        }
    }
}
