import ArgumentParser
import Foundation
import SpotterCore
import Synchronization

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure quality: retrieval on a BEIR-layout dataset; answers on a QA set; the answer pipeline's relevance threshold.",
        subcommands: [Retrieval.self, Answers.self, Relevance.self])

    enum ModeChoice: String, ExpressibleByArgument, CaseIterable {
        case bm25, dense, hybrid, all
        var modes: [SearchMode] {
            switch self {
            case .bm25: [.bm25]
            case .dense: [.dense]
            case .hybrid: [.hybrid]
            case .all: [.bm25, .dense, .hybrid]
            }
        }
    }

    struct Retrieval: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "nDCG@10, Recall@10/100, MRR@10 and P@10 per mode, with query latency.",
            discussion: """
                DIR holds corpus.jsonl ({_id, title, text} per line), queries.jsonl ({_id, text}) and \
                qrels/<split>.tsv (query-id, corpus-id, score). The corpus is ingested with Spotter's own reader, \
                chunker and embedder into a temporary store, or into --kb NAME of the configured store, where it is \
                kept and re-used (unchanged documents are not embedded again). Every judged query of the split is \
                then searched in each mode; a document ranks where its best chunk ranks.

                --tune scores a grid of fusions (RRF constants and weighted alphas) on the split instead; run it on \
                --split train, then report --split test with the fusion it picks.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: ArgumentHelp("BEIR-layout dataset folder.", valueName: "dir"))
        var dataset: String

        @Option(help: "Ranking(s) to evaluate: bm25, dense, hybrid or all.")
        var mode: ModeChoice = .all

        @Option(name: [.customShort("k"), .customLong("k")], help: "Extra nDCG cut-off reported as ndcg@k (the @10 and @100 figures are always reported).")
        var k: Int = 10

        @Option(help: "Qrels split to evaluate (qrels/<split>.tsv).")
        var split: String = "test"

        @Option(help: "Keep the corpus in this knowledge base of the configured store and re-use it (default: a temporary store).")
        var kb: String?

        @Option(help: "Weighted fusion with this dense weight (0–1) instead of RRF.")
        var alpha: Double?

        @Option(name: .customLong("rrf-k"), help: "RRF constant (default 60).")
        var rrfK: Double?

        @Flag(help: "Scan every vector instead of using the HNSW index.")
        var exact = false

        @Flag(help: ArgumentHelp(
            "One chunk per document, truncated by the model at 256 word pieces: the protocol behind published BEIR figures.",
            discussion: "Use its own --kb: a knowledge base already ingested with the product's chunking is not re-chunked."))
        var wholeDocuments = false

        @Flag(help: "Sweep fusion settings on the split and print them best first, instead of the per-mode report.")
        var tune = false

        @Flag(help: "Print the report as one JSON object.")
        var json = false

        @Option(help: ArgumentHelp("Also write an HTML page with the metrics plotted per mode.", valueName: "file.html"))
        var report: String?

        func validate() throws {
            guard (1...1000).contains(k) else { throw ValidationError("-k must be between 1 and 1000") }
            if let alpha, !(0...1).contains(alpha) { throw ValidationError("--alpha must be between 0 and 1") }
            if let rrfK, !(rrfK > 0 && rrfK.isFinite) { throw ValidationError("--rrf-k must be a positive number") }
            if alpha != nil, rrfK != nil { throw ValidationError("--alpha and --rrf-k choose different fusions; give one") }
            if let kb, !IngestService.isValidName(kb) { throw ValidationError("--kb must be 1–64 letters, digits, '-', '_' or '.'") }
        }

        func run() async throws {
            let dataset = try BEIRDataset(directory: URL(fileURLWithPath: dataset), split: split)
            var configuration = try common.configuration()
            var temporary: URL? = nil
            if kb == nil {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spotter-eval-\(UUID().uuidString)")
                configuration.dataDirectory = directory
                temporary = directory
            }
            defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
            let knowledgeBase = kb ?? "eval-\(dataset.name)\(wholeDocuments ? "-whole" : "")".filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }.prefix(64).description

            let spotter = try Spotter(configuration: configuration)
            let evaluator = RetrievalEvaluator(spotter: spotter)
            let display = EvalDisplay(showsProgress: isatty(STDERR_FILENO) != 0)
            if !dataset.queriesWithoutText.isEmpty {
                printError("note: \(dataset.queriesWithoutText.count) judged queries have no text in queries.jsonl and are left out")
            }

            let fusion: Fusion = alpha.map { .weighted(alpha: $0) } ?? rrfK.map { .reciprocalRank(k: $0) } ?? .standard
            if tune {
                let chunking = wholeDocuments ? RetrievalEvaluationOptions.wholeDocumentChunking : ChunkingOptions()
                let ingest = try await evaluator.ingestCorpus(of: dataset, into: knowledgeBase, chunking: chunking) { display.handle(.ingest($0)) }
                display.ingestFinished(ingest)
                let scores = try await evaluator.sweepFusion(dataset, knowledgeBase: knowledgeBase, candidates: Self.tuningGrid) {
                    display.handle($0)
                }
                display.clear()
                if json {
                    JSONLine.print(TuningResult(dataset: dataset.name, split: split, fusions: scores))
                } else {
                    print("fusion sweep on \(dataset.name) \(split) (\(dataset.queries.count) queries), best nDCG@10 first:")
                    for score in scores {
                        print("  " + score.fusion.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: " nDCG@10 %.4f  Recall@100 %.4f  MRR@10 %.4f",
                                     score.scores.ndcgAt10, score.scores.recallAt100, score.scores.mrrAt10))
                    }
                }
                return
            }

            let options = RetrievalEvaluationOptions(modes: mode.modes, k: k, fusion: fusion, exact: exact, wholeDocuments: wholeDocuments)
            let result = try await evaluator.evaluate(dataset, knowledgeBase: knowledgeBase, options: options) { display.handle($0) }
            display.clear()
            if let report {
                let page = RetrievalReportPage.html(result)
                do {
                    try Data(page.utf8).write(to: URL(fileURLWithPath: report), options: .atomic)
                } catch {
                    throw ValidationError("cannot write the report to \(report): \(error.localizedDescription)")
                }
            }
            if json {
                JSONLine.print(result)
                return
            }
            print("\(result.dataset) \(result.split): \(result.modes.first?.queries ?? 0) queries, \(result.documents) documents, "
                  + "\(result.chunks) chunks, \(result.model)\(result.exact ? ", exact scan" : "")"
                  + (result.wholeDocuments ? ", whole documents" : ""))
            print("mode                    nDCG@10  Recall@10  Recall@100  MRR@10   P@10    p50 ms  p95 ms")
            for entry in result.modes {
                let name = entry.mode.rawValue + (entry.fusion.map { " \($0)" } ?? "")
                print(name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "  %.4f   %.4f     %.4f      %.4f   %.4f  %6.1f  %6.1f",
                             entry.scores.ndcgAt10, entry.scores.recallAt10, entry.scores.recallAt100,
                             entry.scores.mrrAt10, entry.scores.precisionAt10,
                             entry.latencyP50Milliseconds, entry.latencyP95Milliseconds))
                if k != 10 { print(String(format: "   nDCG@%d %.4f", k, entry.scores.ndcgAtK)) }
            }
            if let report { print("report written to \(report)") }
        }

        /// RRF constants from sharp to flat, and dense weights for min–max weighted fusion.
        static let tuningGrid: [Fusion] =
            [1, 2, 5, 10, 20, 30, 40, 60, 80, 100, 150, 200].map { Fusion.reciprocalRank(k: $0) }
            + stride(from: 0.1, through: 0.9, by: 0.1).map { Fusion.weighted(alpha: ($0 * 10).rounded() / 10) }
    }
}

private struct TuningResult: Encodable {
    var dataset: String
    var split: String
    var fusions: [FusionScore]
}

/// A progress bar on standard error for the two long phases: ingest and querying.
final class EvalDisplay: Sendable {
    private struct State {
        var phase = ""
        var done = 0
        var total = 0
        var lastDraw = ContinuousClock.now - .seconds(1)
        var started = ContinuousClock.now
    }
    private let showsProgress: Bool
    private let state = Mutex(State())

    init(showsProgress: Bool) { self.showsProgress = showsProgress }

    func handle(_ event: RetrievalEvaluationEvent) {
        state.withLock { state in
            switch event {
            case .ingest(.started(let files)):
                state.phase = "ingest: files"
                state.total = files
                state.done = 0
            case .ingest(.embedded(_, let total)):
                state.phase = "ingest: \(total) chunks embedded, files"
            case .ingest(.fileRead):
                state.done += 1
            case .ingest(.problem(let problem)):
                if showsProgress { printError("\r\u{1B}[2Kskipped \(problem)") }
            case .ingest: break
            case .index(.building(_, let reason, let vectors)):
                state.phase = "dense index (\(reason)): vectors"
                state.total = vectors
                state.done = 0
            case .index(.progress(let done, _)):
                state.done = done
            case .index: break
            case .modeStarted(let mode, let queries):
                state.phase = "\(mode.rawValue): queries"
                state.total = queries
                state.done = 0
                state.started = ContinuousClock.now
            case .queryDone(_, let done, _):
                state.done = done
            case .modeFinished: break
            }
            guard showsProgress else { return }
            let now = ContinuousClock.now
            guard now - state.lastDraw > .milliseconds(100) || state.done == state.total else { return }
            state.lastDraw = now
            let bar = progressBar(state.total > 0 ? Double(state.done) / Double(state.total) : 0)
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(bar) \(state.phase) \(state.done)/\(state.total)".utf8))
        }
    }

    func ingestFinished(_ summary: IngestSummary) {
        clear()
        if !summary.skipped.isEmpty { printError("\(summary.skipped.count) corpus record(s) skipped") }
    }

    func clear() {
        if showsProgress { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

}

extension Eval {
    struct Relevance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Calibrate the 'not covered' threshold (SPOTTER_MIN_RELEVANCE) on labelled questions.",
            discussion: "Reads JSONL {\"question\", \"covered\"} (bench/relevance/questions.jsonl is a set for the demo knowledge base).")

        @OptionGroup var common: CommonOptions

        @Option(help: "Labelled questions (JSONL).")
        var questions: String = "bench/relevance/questions.jsonl"

        @Option(help: "Knowledge base (default: $SPOTTER_KB or 'default').")
        var kb: String?

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let configuration = try common.configuration()
            let labelled = try RelevanceCalibration.readQuestions(URL(fileURLWithPath: questions))
            let spotter = try Spotter(configuration: configuration)
            let report = try await RelevanceCalibration.run(
                labelled, search: spotter.search, knowledgeBase: kb ?? configuration.defaultKnowledgeBase,
                assistant: spotter.prompts.defaultAssistant, configuredThreshold: configuration.answering.minimumRelevance)
            if json { return JSONLine.print(report) }
            for item in report.questions.sorted(by: { $0.bestSimilarity > $1.bestSimilarity }) {
                print(String(format: "%.3f  %@  %@", item.bestSimilarity, item.covered ? "covered    " : "not covered", item.question))
            }
            print(String(format: "configured threshold %.3f: balanced accuracy %.3f", report.configuredThreshold, report.configuredBalancedAccuracy))
            print(String(format: "best threshold on this set %.3f: balanced accuracy %.3f", report.bestThreshold, report.bestBalancedAccuracy))
        }
    }

    struct Answers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every question of a QA set through the full pipeline and score the answers.",
            discussion: """
                FILE is JSONL {"question", "reference_answer"?, "relevant_document_ids"?, "answerable"?} \
                (bench/qa/fitness.jsonl is a set for the demo guides). Relevant ids match a document id or the end of a \
                source path (a file name). Reports context precision and recall (with relevant ids), faithfulness (the \
                share of answer sentences supported by a cited passage, judged by embedding similarity), answer \
                relevance, citation correctness, similarity to the reference answer, refusal rates, latency and cost. \
                The cache is bypassed, so every answer is produced afresh and recorded like any other.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "The QA set (JSONL).")
        var qa: String

        @Option(help: "Knowledge base (default: $SPOTTER_KB or 'default').")
        var kb: String?

        @Option(help: "Also write an HTML report with per-question rows and summary plots.")
        var report: String?

        @Option(help: "Evaluate this variant of the assistant (default: each question's sticky assignment).")
        var variant: String?

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let configuration = try common.configuration()
            let items = try QAItem.load(URL(fileURLWithPath: qa))
            let spotter = try Spotter(configuration: configuration, logger: common.logger(configuration))
            let showBar = !json && isatty(STDERR_FILENO) != 0
            let started = ContinuousClock.now
            let result: AnswerEvaluationReport
            do {
                result = try await AnswerEvaluator(spotter: spotter, judge: spotter.remoteModel).evaluate(items, knowledgeBase: kb, variant: variant) { done, total in
                    guard showBar else { return }
                    let seconds = (ContinuousClock.now - started).inSeconds
                    let eta = done > 0 ? Int(seconds / Double(done) * Double(total - done)) : 0
                    FileHandle.standardError.write(Data("\r\u{1B}[2K\(progressBar(Double(done) / Double(max(total, 1)))) \(done)/\(total) questions, ETA \(eta / 60):\(String(format: "%02d", eta % 60))".utf8))
                }
            } catch {
                await spotter.shutdown()
                throw error
            }
            await spotter.shutdown()
            if showBar { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
            if let report {
                do {
                    try Data(AnswerReportPage.html(result).utf8).write(to: URL(fileURLWithPath: report))
                } catch {
                    throw ValidationError("cannot write the report to \(report): \(error.localizedDescription)")
                }
            }
            if json { return JSONLine.print(result) }
            let s = result.summary
            func show(_ name: String, _ value: Double?) {
                print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + (value.map { String(format: "%.3f", $0) } ?? "n/a"))
            }
            print("\(s.questions) questions, kb \(result.knowledgeBase), model \(result.model)")
            show("context precision", s.contextPrecision)
            show("context recall", s.contextRecall)
            show("faithfulness", s.faithfulness)
            show("answer relevance", s.answerRelevance)
            show("citation correctness", s.citationCorrectness)
            show("reference similarity", s.referenceSimilarity)
            show("refusal rate", s.refusalRate)
            show("answered when answerable", s.answeredWhenAnswerable)
            show("refused when unanswerable", s.refusedWhenUnanswerable)
            print(String(format: "latency p50 %.0f ms, p95 %.0f ms; cost %@", s.latencyP50Milliseconds, s.latencyP95Milliseconds,
                         s.totalCostUSD.map { String(format: "$%.4f", $0) } ?? "not priced"))
            print("faithfulness judged by \(result.faithfulnessMethod)")
            if let report { print("report: \(report)") }
        }
    }
}
