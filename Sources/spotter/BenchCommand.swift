import ArgumentParser
import Foundation
import SpotterCore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (run them from a release build).",
        subcommands: [Embed.self])

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

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            var configuration = try common.configuration()
            if let threads { configuration.embedThreads = threads }
            let embedder = try MiniLMEmbedder(modelDirectory: configuration.modelDirectory, threads: configuration.embedThreads)
            let result = try await EmbeddingBenchmark.run(embedder: embedder, batchSize: batch)
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
}

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

    enum CodingKeys: String, CodingKey {
        case model, threads, sentences, tokens, seconds
        case modelVersion = "model_version"
        case batchSize = "batch_size"
        case sentencesPerSecond = "sentences_per_second"
        case tokensPerSecond = "tokens_per_second"
        case peakRSSBytes = "peak_rss_bytes"
    }
}
