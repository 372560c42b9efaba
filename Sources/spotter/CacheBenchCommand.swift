import ArgumentParser
import Foundation
import SpotterBenchmarks
import SpotterCore

extension Bench {
    struct Cache: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The semantic cache on labelled question pairs and on a repeat-heavy workload, beside the naive cache.",
            discussion: """
                Pairs: for each pair, 'a' is answered through the pipeline (filling the cache), then 'b' is asked; \
                reports the paraphrase hit rate and the false-hit rate of Spotter's cache and of the naive one \
                (cosine >= 0.95, and the best single threshold on the set), sweeps the threshold and writes a plot. \
                Workload: a Zipf-distributed stream over groups of equivalent questions; reports the share of \
                answers served without calling the model and the share of hits that served another group's answer. \
                Runs on the configured store and knowledge base, in tenants of its own that are purged afterwards.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: ArgumentHelp("Labelled pairs (JSONL: id, a, b, label hit|miss, kind, category); '' to skip.", valueName: "file"))
        var pairs: String = "bench/cache/pairs.jsonl"

        @Option(help: ArgumentHelp("Groups of equivalent questions (JSONL: id, topic, questions); '' to skip.", valueName: "file"))
        var workload: String = "bench/cache/workload.jsonl"

        @Option(help: "Requests in the workload stream.")
        var requests: Int = 3_000

        @Option(help: "Zipf exponent of the workload's group popularity.")
        var zipf: Double = 1.0

        @Option(help: "Seed of the workload stream.")
        var seed: UInt64 = 42

        @Option(help: "Similarity threshold of Spotter's cache (default: $SPOTTER_CACHE_THRESHOLD or 0.70).")
        var threshold: Double?

        @Option(help: ArgumentHelp("Where to write the threshold sweep plot (SVG).", valueName: "file"))
        var plot: String = "bench/out/cache-sweep.svg"

        @Option(help: ArgumentHelp("Where to write the full JSON result (per-pair rows included).", valueName: "file"))
        var output: String = "bench/out/cache.json"

        @Flag(help: "Print the summary as JSON.")
        var json = false

        func validate() throws {
            if let threshold, !(0...1).contains(threshold) { throw ValidationError("--threshold must be between 0 and 1") }
            guard requests > 0 else { throw ValidationError("--requests must be positive") }
            guard zipf > 0 else { throw ValidationError("--zipf must be positive") }
            guard !pairs.isEmpty || !workload.isEmpty else { throw ValidationError("nothing to run: give --pairs or --workload") }
        }

        func run() async throws {
            var configuration = try common.configuration()
            configuration.cache.enabled = true
            if let threshold { configuration.cache.similarityThreshold = threshold }
            let pairSet = try pairs.isEmpty ? nil : CacheBenchmark.readPairs(URL(fileURLWithPath: pairs))
            let groups = try workload.isEmpty ? nil : CacheBenchmark.readWorkload(URL(fileURLWithPath: workload))
            let spotter = try Spotter(configuration: configuration)
            defer { spotter.store.close() }
            let bar = BenchProgress(showsProgress: isatty(STDERR_FILENO) != 0)

            var summary = CacheBenchSummary()
            if let pairSet {
                let report = try await CacheBenchmark.runPairs(pairSet, answers: spotter.answers, cache: spotter.cache) {
                    bar.show("pairs", $0, $1)
                }
                bar.finish()
                try write(CacheBenchmark.plot(report), to: plot)
                summary.pairs = report
                if !json { printPairs(report) }
            }
            if let groups {
                let report = try await CacheBenchmark.runWorkload(groups, requests: requests, exponent: zipf, seed: seed,
                                                                  answers: spotter.answers, cache: spotter.cache) {
                    bar.show("workload", $0, $1)
                }
                bar.finish()
                summary.workload = report
                if !json { printWorkload(report) }
            }
            // The answers' records are written behind them: let them land before the store closes.
            await spotter.answers.log.settle()
            try write(CanonicalJSON.string(summary, fallback: "{}") + "\n", to: output)
            if json {
                var short = summary
                short.pairs?.results = []
                short.pairs?.sweep = []
                JSONLine.print(short)
            } else {
                print("plot: \(plot)  full result: \(output)")
            }
        }

        private func write(_ text: String, to path: String) throws {
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        private func printPairs(_ report: CacheBenchmark.PairReport) {
            func line(_ name: String, _ rates: CacheBenchmark.Rates) {
                print(String(format: "  %-34@ %5.1f%% of paraphrases served   %5.1f%% false hits (look-alikes %5.1f%%)",
                             name as NSString, rates.hitRate * 100, rates.falseHitRate * 100, rates.lookalikeFalseHitRate * 100))
            }
            print("pairs: \(report.pairs) (\(report.paraphrases) paraphrases, \(report.lookalikes) look-alikes, \(report.unrelated) unrelated)")
            line(String(format: "Spotter (threshold %.2f + check)", report.spotter.threshold), report.spotter)
            line("naive, cosine >= 0.95", report.naive095)
            line(String(format: "naive, best threshold %.2f", report.naiveBest.threshold), report.naiveBest)
            print("  look-alikes served, by category (Spotter / naive 0.95):")
            for category in report.categories {
                print("    \(category.category.padding(toLength: 12, withPad: " ", startingAt: 0)) \(category.spotterFalseHits) / \(category.naive095FalseHits) of \(category.pairs)")
            }
            if report.spotterPredicted != report.spotter {
                print(String(format: "  (recomputed from similarities and verdicts: %.1f%% / %.1f%%)",
                             report.spotterPredicted.hitRate * 100, report.spotterPredicted.falseHitRate * 100))
            }
        }

        private func printWorkload(_ report: CacheBenchmark.WorkloadReport) {
            print("workload: \(report.requests) requests over \(report.groups) groups (Zipf s=\(report.zipfExponent), seed \(report.seed)), \(report.distinctQuestionsAsked) distinct questions asked")
            print(String(format: "  %.1f%% of answers served from the cache (model calls avoided); the ceiling is %.1f%%", report.callsAvoided * 100, report.ceiling * 100))
            print(String(format: "  %d false hits: %.2f%% of %d hits", report.falseHits, report.falseHitShare * 100, report.hits))
            for example in report.examples.prefix(5) { print("    \(example)") }
        }
    }
}

struct CacheBenchSummary: Encodable {
    var pairs: CacheBenchmark.PairReport?
    var workload: CacheBenchmark.WorkloadReport?
}

/// A one-line progress bar on standard error for benchmarks (nothing when standard error is not a terminal).
final class BenchProgress: Sendable {
    let showsProgress: Bool

    init(showsProgress: Bool) { self.showsProgress = showsProgress }

    func show(_ label: String, _ done: Int, _ total: Int) {
        guard showsProgress else { return }
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        FileHandle.standardError.write(Data("\r\(label) \(progressBar(fraction)) \(done)/\(total)".utf8))
    }

    func finish() {
        guard showsProgress else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

extension Bench {
    /// Pairwise cosine similarity of words or phrases, for tuning the look-alike check (hidden: a developer's tool).
    struct Similarity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cosine similarity of texts, pairwise.", shouldDisplay: false)

        @OptionGroup var common: CommonOptions

        @Argument(help: "Texts, as pairs: a1 b1 a2 b2 …")
        var texts: [String]

        func run() async throws {
            let configuration = try common.configuration()
            let embedder = try MiniLMEmbedder(modelDirectory: configuration.modelDirectory, threads: configuration.embedThreads)
            let vectors = try await embedder.embed(texts)
            for index in stride(from: 0, to: texts.count - 1, by: 2) {
                let similarity = zip(vectors[index], vectors[index + 1]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                print(String(format: "%.3f  %@ | %@", similarity, texts[index], texts[index + 1]))
            }
        }
    }
}
