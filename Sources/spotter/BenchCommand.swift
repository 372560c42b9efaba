import ArgumentParser
import Foundation
import SpotterBenchmarks
import SpotterCore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (run them from a release build).",
        subcommands: [Embed.self, Index.self, Cache.self, HTTP.self, Similarity.self])

    struct Embed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embedding throughput (sentences/s) and peak memory on a fixed set of texts.")

        @OptionGroup var common: CommonOptions

        func validate() throws {
            guard (1...1024).contains(batch) else { throw ValidationError("--batch must be between 1 and 1024") }
            if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
        }

        @Option(help: "Texts per embed call.")
        var batch: Int = 32

        @Option(help: "Threads the encoder uses (default: every core).")
        var threads: Int?

        enum TextSet: String, ExpressibleByArgument, CaseIterable {
            case mixed, short, passage
        }

        @Option(help: "Texts: mixed (400 questions to passages), short (the 200 questions) or passage (64 full 256-piece windows).")
        var set: TextSet = .mixed

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Flag(help: "Side by side with onnxruntime and sentence-transformers (needs scripts/peers/setup.sh) on short questions and 256-token passages.")
        var peer = false

        @Option(help: ArgumentHelp("With --peer: where to write the JSON result.", valueName: "file"))
        var output: String = "bench/out/embed.json"

        @Option(name: .customLong("min-seconds"), help: "With --peer: time each set for at least this long per runtime.")
        var minimumSeconds: Double = 5

        func run() async throws {
            var configuration = try common.configuration()
            if let threads { configuration.embedThreads = threads }
            let embedder = try MiniLMEmbedder(modelDirectory: configuration.modelDirectory, threads: configuration.embedThreads)
            if peer {
                try await PeerEmbedBenchmark(embedder: embedder, modelDirectory: configuration.modelDirectory, batch: batch,
                                             minimumSeconds: minimumSeconds, output: output).run()
                return
            }
            let texts = switch set {
            case .mixed: EmbeddingBenchmark.builtInSentences
            case .short: EmbeddingBenchmark.builtInQuestions
            case .passage: EmbeddingBenchmark.passages(count: 64, tokenCount: { embedder.tokenCount($0) })
            }
            let result = try await EmbeddingBenchmark.run(embedder: embedder, texts: texts, batchSize: batch)
            if json {
                JSONLine.print(BenchEmbedLine(
                    model: embedder.modelID, modelVersion: embedder.modelVersion, threads: embedder.threads,
                    batchSize: result.batchSize, sentences: result.sentences, tokens: result.totalTokens,
                    seconds: result.elapsedSeconds, sentencesPerSecond: result.sentencesPerSecond,
                    tokensPerSecond: result.tokensPerSecond, peakRSSBytes: result.peakRSSBytes))
            } else {
                print("\(embedder.modelID) (\(embedder.modelVersion)), \(embedder.threads) thread(s)")
                print(result)
            }
        }
    }

    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "HNSW side by side with hnswlib: build time, memory, and queries/s at recall@10 ≥ 0.95.",
            discussion: """
                Data: the chunk vectors of a knowledge base (--kb, e.g. the SciFact corpus that `spotter eval \
                retrieval --kb scifact` keeps), queried with the embedded queries of --dataset; and/or synthetic \
                clustered unit vectors (--synthetic N). Both libraries get the same vectors, M, efConstruction and \
                threads; recall is measured against the exact scan. hnswlib comes from scripts/peers/setup.sh.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "Knowledge base whose chunk vectors to index (skip with --kb '').")
        var kb: String = "scifact"

        @Option(help: ArgumentHelp("BEIR folder whose queries.jsonl gives the queries for --kb.", valueName: "dir"))
        var dataset: String = "../shared/data/beir/scifact"

        @Option(help: "Also run on this many synthetic clustered 384-d vectors (0 = none).")
        var synthetic: Int = 100_000

        @Option(help: "Queries for the synthetic set.")
        var queries: Int = 1_000

        @Option(help: "Graph degree M (both libraries).")
        var m: Int = 16

        @Option(name: .customLong("ef-construction"), help: "Build beam (both libraries).")
        var efConstruction: Int = 200

        @Option(name: .customLong("ef-search"), parsing: .upToNextOption, help: "Search beams to measure.")
        var efSearch: [Int] = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256]

        @Option(help: "Threads for build and queries (both libraries).")
        var threads: Int = 2

        @Option(name: [.customShort("k"), .customLong("k")], help: "Neighbours per query.")
        var k: Int = 10

        @Flag(help: "Skip hnswlib (Spotter only).")
        var noPeer = false

        @Option(help: "Rounds, alternating the two libraries; each keeps its best figures.")
        var rounds: Int = 3

        @Option(help: ArgumentHelp("Where to write the JSON result.", valueName: "file"))
        var output: String = "bench/out/index.json"

        func validate() throws {
            guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
            guard (1...1000).contains(k) else { throw ValidationError("-k must be between 1 and 1000") }
            guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be between 1 and 20") }
            guard synthetic >= 0, queries > 0 else { throw ValidationError("--synthetic must be ≥ 0 and --queries > 0") }
            guard !efSearch.isEmpty, efSearch.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--ef-search needs positive values") }
        }

        func run() async throws {
            let configuration = try common.configuration()
            let parameters = try HNSWParameters(m: m, efConstruction: efConstruction)
            var sets: [IndexBenchmark.DataSet] = []
            if !kb.isEmpty {
                sets.append(try await PeerIndexBenchmark.knowledgeBaseSet(kb, dataset: dataset, configuration: configuration))
            }
            if synthetic > 0 {
                sets.append(IndexBenchmark.synthetic(count: synthetic, queries: queries))
            }
            guard !sets.isEmpty else { throw ValidationError("nothing to measure: give --kb or --synthetic") }
            try PeerIndexBenchmark(parameters: parameters, efSearch: efSearch, k: k, threads: threads, peer: !noPeer,
                                   rounds: rounds, output: output).run(sets)
        }
    }
}

@SnakeCaseCodingKeys
private struct BenchEmbedLine: Encodable {
    var model: String
    var modelVersion: String
    var threads: Int
    var batchSize: Int
    var sentences: Int
    var tokens: Int
    var seconds: Double
    var sentencesPerSecond: Double
    var tokensPerSecond: Double
    var peakRSSBytes: Int
}
