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
            abstract: "Answers, refusals, latency, cost and feedback per assistant variant, with 95% intervals.",
            discussion: """
                Read from the answer log. The negative-feedback rate has a Wilson 95% interval, and each variant is \
                compared with its assistant's first (control) variant by a one-sided two-proportion test (p is the \
                chance of a rate this much higher if the two were the same).
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

        struct Line: Encodable {
            var assistant: String
            var variant: String
            var answers: Int
            var notCoveredRate: Double
            var latencyP50Milliseconds: Double
            var latencyP95Milliseconds: Double
            var meanCostUSD: Double?
            var ratings: Int
            var negativeRate: Double?
            var negativeRateLow: Double?
            var negativeRateHigh: Double?
            /// One-sided p-value of this variant's negative rate being above the control's; nil for the control.
            var worseThanControlP: Double?
            var rolledBack: String?

            enum CodingKeys: String, CodingKey {
                case assistant, variant, answers, ratings
                case notCoveredRate = "not_covered_rate"
                case latencyP50Milliseconds = "latency_p50_ms"
                case latencyP95Milliseconds = "latency_p95_ms"
                case meanCostUSD = "mean_cost_usd"
                case negativeRate = "negative_rate"
                case negativeRateLow = "negative_rate_low"
                case negativeRateHigh = "negative_rate_high"
                case worseThanControlP = "worse_than_control_p"
                case rolledBack = "rolled_back"
            }
        }

        func run() async throws {
            let configuration = try common.configuration()
            let store = try SQLiteStore(directory: configuration.dataDirectory)
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
                lines.append(Line(assistant: tally.assistant, variant: tally.variant, answers: tally.answers,
                                  notCoveredRate: Double(tally.notCovered) / Double(max(tally.answers, 1)),
                                  latencyP50Milliseconds: RetrievalMetrics.percentile(tally.latencies, 0.5) ?? 0,
                                  latencyP95Milliseconds: RetrievalMetrics.percentile(tally.latencies, 0.95) ?? 0,
                                  meanCostUSD: tally.costUSD.map { $0 / Double(max(tally.answers, 1)) }, ratings: ratings,
                                  negativeRate: ratings > 0 ? Double(tally.downs) / Double(ratings) : nil,
                                  negativeRateLow: ratings > 0 ? interval.low : nil, negativeRateHigh: ratings > 0 ? interval.high : nil,
                                  worseThanControlP: p,
                                  rolledBack: rollbacks.first { $0.assistant == tally.assistant && $0.variant == tally.variant }?.reason))
            }
            if json { return JSONLine.print(lines) }
            guard !lines.isEmpty else { return print("no answers since \(since)") }
            print("assistant/variant            answers  not covered  p50 ms  p95 ms  cost/answer  ratings  thumbs-down (95% CI)      vs control")
            for line in lines {
                let name = "\(line.assistant)/\(line.variant)"
                let negative = line.negativeRate.map { String(format: "%.2f (%.2f–%.2f)", $0, line.negativeRateLow ?? 0, line.negativeRateHigh ?? 1) } ?? "-"
                let cost = line.meanCostUSD.map { String(format: "$%.5f", $0) } ?? "-"
                let versus = line.worseThanControlP.map { String(format: "p=%.3f", $0) } ?? "-"
                print(name.padding(toLength: 28, withPad: " ", startingAt: 0)
                      + String(format: " %7d  %11.2f  %6.0f  %6.0f  ", line.answers, line.notCoveredRate, line.latencyP50Milliseconds, line.latencyP95Milliseconds)
                      + cost.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "  %7d  ", line.ratings)
                      + negative.padding(toLength: 24, withPad: " ", startingAt: 0) + "  " + versus)
                if let reason = line.rolledBack { print("  rolled back: \(reason)") }
            }
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
            let store = try SQLiteStore(directory: try common.configuration().dataDirectory)
            defer { store.close() }
            guard try store.clearVariantRollback(assistant: assistant, variant: variant) else {
                throw ValidationError("\(assistant)/\(variant) was not rolled back")
            }
            print("\(assistant)/\(variant) restored: it gets traffic again when the server next starts")
        }
    }
}
