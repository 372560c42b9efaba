
import Foundation
import SpotterCore

/// The peers' Python environment made by `scripts/peers/setup.sh`: found from the working directory or from the
/// binary's location (`.build/release/spotter` → project root).
package struct PeerEnvironment {
    package let root: URL
    package var python: URL { root.appendingPathComponent(".peers/venv/bin/python") }
    package var onnxModel: URL { root.appendingPathComponent(".peers/all-MiniLM-L6-v2.onnx") }
    package func script(_ name: String) -> URL { root.appendingPathComponent("scripts/peers/\(name)") }

    package static func locate() throws -> PeerEnvironment {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            binary.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent(),
        ]
        for root in candidates {
            let environment = PeerEnvironment(root: root)
            if FileManager.default.isExecutableFile(atPath: environment.python.path) { return environment }
        }
        throw BenchmarkSetupError("""
            the peers' environment is not installed: run `bash scripts/peers/setup.sh` in the project folder \
            (it makes .peers/ with hnswlib, onnxruntime and sentence-transformers), or pass --no-peer
            """)
    }

    /// Runs a peer script and decodes the one JSON object it prints; its stderr passes through.
    package func run<Output: Decodable>(_ script: String, _ arguments: [String], as type: Output.Type) throws -> Output {
        let process = Process()
        process.executableURL = python
        process.arguments = [self.script(script).path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_OFFLINE"] = "1"
        environment["TRANSFORMERS_OFFLINE"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchmarkSetupError("\(script) failed (exit \(process.terminationStatus)); see its messages above")
        }
        do {
            return try JSONDecoder().decode(Output.self, from: data)
        } catch {
            throw BenchmarkSetupError("\(script) printed something that is not its JSON result: \(error)")
        }
    }
}

package func writeRaw<T>(_ values: [T], to url: URL) throws {
    try values.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: url)
}

package func writeResult(_ value: some Encodable, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(CanonicalJSON.string(value, fallback: "{}").utf8).write(to: url, options: .atomic)
}

package func ratioString(_ value: Double) -> String { String(format: "%.2f", value) }

// MARK: - Index

@MemberwiseInit
package struct PeerIndexBenchmark {
    package let parameters: HNSWParameters
    package let efSearch: [Int]
    package let k: Int
    package let threads: Int
    package let peer: Bool
    package let rounds: Int
    package let output: String

    /// Per efSearch the faster run (with its recall), the shorter build and the smaller memory figure.
    package static func best(_ a: IndexBenchmark.Result, _ b: IndexBenchmark.Result) -> IndexBenchmark.Result {
        IndexBenchmark.Result(buildSeconds: min(a.buildSeconds, b.buildSeconds), indexMemoryBytes: min(a.indexMemoryBytes, b.indexMemoryBytes),
                              peakRSSBytes: max(a.peakRSSBytes, b.peakRSSBytes), runs: bestRuns(a.runs, b.runs))
    }

    package static func best(_ a: PeerResult, _ b: PeerResult) -> PeerResult {
        var result = a
        result.buildSeconds = min(a.buildSeconds, b.buildSeconds)
        result.indexMemoryBytes = min(a.indexMemoryBytes, b.indexMemoryBytes)
        result.peakRSSBytes = max(a.peakRSSBytes, b.peakRSSBytes)
        result.runs = bestRuns(a.runs, b.runs)
        return result
    }

    package static func bestRuns(_ a: [IndexBenchmark.Run], _ b: [IndexBenchmark.Run]) -> [IndexBenchmark.Run] {
        a.map { run in
            guard let other = b.first(where: { $0.efSearch == run.efSearch }), other.qps > run.qps else { return run }
            return other
        }
    }

    package struct PeerResult: Codable {
        var library: String
        var version: String
        var buildSeconds: Double
        var indexMemoryBytes: Int
        var peakRSSBytes: Int
        var runs: [IndexBenchmark.Run]

        package enum CodingKeys: String, CodingKey {
            case library, version, runs
            case buildSeconds = "build_seconds"
            case indexMemoryBytes = "index_memory_bytes"
            case peakRSSBytes = "peak_rss_bytes"
        }
    }

    package struct SetReport: Encodable {
        var dataset: String
        var vectors: Int
        var queries: Int
        var dimension: Int
        var m: Int
        var efConstruction: Int
        var threads: Int
        var k: Int
        var spotter: IndexBenchmark.Result
        var hnswlib: PeerResult?
        var qpsRatio: Double?
        var spotterRecall: Double?
        var hnswlibRecall: Double?
        var buildTimeRatio: Double?

        package enum CodingKeys: String, CodingKey {
            case dataset, vectors, queries, dimension, m, threads, k, spotter, hnswlib
            case efConstruction = "ef_construction"
            case qpsRatio = "ratio_qps_spotter_vs_hnswlib"
            case spotterRecall = "spotter_recall_at_ratio"
            case hnswlibRecall = "hnswlib_recall_at_ratio"
            case buildTimeRatio = "ratio_build_time_spotter_vs_hnswlib"
        }
    }

    /// The chunk vectors of a knowledge base, queried with the embedded queries of a BEIR folder.
    package static func knowledgeBaseSet(_ name: String, dataset: String, configuration: SpotterConfiguration) async throws -> IndexBenchmark.DataSet {
        let spotter = try Spotter(configuration: configuration)
        guard let knowledgeBase = try spotter.store.knowledgeBase(named: name, create: false) else {
            throw BenchmarkSetupError("""
                no knowledge base '\(name)' in \(configuration.dataDirectory.path); make it with \
                `spotter eval retrieval --dataset \(dataset) --kb \(name)`, or pass --kb '' for synthetic data only
                """)
        }
        let entries = try spotter.store.embeddings(in: knowledgeBase, modelID: spotter.embedder.modelID,
                                                   modelVersion: spotter.embedder.modelVersion)
        let queryTexts = try BEIRDataset.readQueries(URL(fileURLWithPath: dataset).appendingPathComponent("queries.jsonl"))
            .sorted { $0.key < $1.key }.map(\.value)
        note("embedding \(queryTexts.count) queries of \(dataset)…")
        var queries: [Float] = []
        var start = 0
        while start < queryTexts.count {
            let batch = Array(queryTexts[start..<min(start + 64, queryTexts.count)])
            for vector in try await spotter.embedder.embed(batch) { queries += vector }
            start += 64
        }
        return IndexBenchmark.DataSet(name: name, dimension: spotter.embedder.dimension,
                                      base: entries.flatMap(\.vector), queries: queries)
    }

    package func run(_ sets: [IndexBenchmark.DataSet]) throws {
        let environment = peer ? try PeerEnvironment.locate() : nil
        var reports: [SetReport] = []
        var summary: [String] = []
        for data in sets {
            note("\(data.name): \(data.baseCount) vectors, \(data.queryCount) queries; exact ground truth…")
            let truth = IndexBenchmark.groundTruth(data, k: k, threads: threads)
            // Rounds alternate Spotter and hnswlib, and each side keeps its best figures: on a shared machine the
            // throughput of both moves between minutes, and the best of several is the least disturbed.
            var mine: IndexBenchmark.Result? = nil
            var theirs: PeerResult? = nil
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spotter-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            if environment != nil {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try writeRaw(data.base, to: folder.appendingPathComponent("base.f32"))
                try writeRaw(data.queries, to: folder.appendingPathComponent("queries.f32"))
                try writeRaw(truth.flatMap { $0 + Array(repeating: Int32(-1), count: max(0, k - $0.count)) },
                             to: folder.appendingPathComponent("truth.i32"))
            }
            for round in 1...rounds {
                note("\(data.name), round \(round)/\(rounds): Spotter HNSW (M=\(parameters.m), efConstruction=\(parameters.efConstruction), \(threads) threads)…")
                let measured = IndexBenchmark.measure(data, truth: truth, parameters: parameters, efSearch: efSearch, k: k, threads: threads)
                mine = mine.map { Self.best($0, measured) } ?? measured
                if let environment {
                    note("\(data.name), round \(round)/\(rounds): hnswlib with the same data and settings…")
                    let peer = try environment.run("bench_hnswlib.py", [
                        "--base", folder.appendingPathComponent("base.f32").path,
                        "--queries", folder.appendingPathComponent("queries.f32").path,
                        "--truth", folder.appendingPathComponent("truth.i32").path,
                        "--dim", "\(data.dimension)", "--k", "\(k)", "--m", "\(parameters.m)",
                        "--ef-construction", "\(parameters.efConstruction)", "--threads", "\(threads)",
                        "--ef-search", efSearch.map(String.init).joined(separator: ","),
                    ], as: PeerResult.self)
                    theirs = theirs.map { Self.best($0, peer) } ?? peer
                }
            }
            let mineBest = mine!

            print("\n\(data.name): \(data.baseCount) vectors × \(data.dimension), \(data.queryCount) queries, k=\(k), M=\(parameters.m), efConstruction=\(parameters.efConstruction), \(threads) threads, best of \(rounds) round(s)")
            print("  efSearch   Spotter recall      QPS" + (theirs == nil ? "" : "   hnswlib recall      QPS"))
            for (index, run) in mineBest.runs.enumerated() {
                var line = String(format: "  %8d   %14.4f %8.0f", run.efSearch, run.recall, run.qps)
                if let peerRun = theirs?.runs.first(where: { $0.efSearch == efSearch[index] }) {
                    line += String(format: "   %14.4f %8.0f", peerRun.recall, peerRun.qps)
                }
                print(line)
            }
            print(String(format: "  build: Spotter %.2f s, %.0f MiB", mineBest.buildSeconds, Double(mineBest.indexMemoryBytes) / 1_048_576)
                  + (theirs.map { String(format: "; hnswlib %.2f s, %.0f MiB", $0.buildSeconds, Double($0.indexMemoryBytes) / 1_048_576) } ?? ""))

            var report = SetReport(dataset: data.name, vectors: data.baseCount, queries: data.queryCount, dimension: data.dimension,
                                   m: parameters.m, efConstruction: parameters.efConstruction, threads: threads, k: k,
                                   spotter: mineBest, hnswlib: theirs)
            if let theirs {
                let best = IndexBenchmark.fastest(mineBest.runs, atRecall: 0.95)
                let peerBest = IndexBenchmark.fastest(theirs.runs, atRecall: 0.95)
                if let best, let peerBest {
                    report.qpsRatio = best.qps / peerBest.qps
                    report.spotterRecall = best.recall
                    report.hnswlibRecall = peerBest.recall
                    summary.append("ratio hnsw_qps_vs_hnswlib=\(ratioString(best.qps / peerBest.qps)) recall=\(String(format: "%.3f", best.recall)) "
                                   + "hnswlib_recall=\(String(format: "%.3f", peerBest.recall)) ef=\(best.efSearch)/\(peerBest.efSearch) set=\(data.name)")
                } else {
                    summary.append("ratio hnsw_qps_vs_hnswlib=n/a (recall 0.95 not reached by \(best == nil ? "Spotter" : "hnswlib"); raise --ef-search) set=\(data.name)")
                }
                report.buildTimeRatio = mineBest.buildSeconds / theirs.buildSeconds
                summary.append("ratio hnsw_build_time_vs_hnswlib=\(ratioString(mineBest.buildSeconds / theirs.buildSeconds)) (lower is faster) set=\(data.name)")
            }
            reports.append(report)
        }
        try writeResult(reports, to: output)
        print("")
        for line in summary { print(line) }
        print("result written to \(output)")
    }
}

// MARK: - Embedding

@MemberwiseInit
package struct PeerEmbedBenchmark {
    package let embedder: MiniLMEmbedder
    package let modelDirectory: URL
    package let batch: Int
    package let minimumSeconds: Double
    package let output: String

    package struct Throughput: Codable {
        var sentences: Int
        var seconds: Double
        var sentencesPerSecond: Double

        package enum CodingKeys: String, CodingKey {
            case sentences, seconds
            case sentencesPerSecond = "sentences_per_second"
        }
    }

    package struct PeerResult: Codable {
        var versions: [String: String]
        var results: [String: [String: Throughput]]
    }

    package struct Report: Encodable {
        var threads: Int
        var batch: Int
        var texts: [String: Int]
        var spotter: [String: Throughput]
        var peers: PeerResult
        var agreementMinimumCosine: Double?
        var ratios: [String: Double]

        package enum CodingKeys: String, CodingKey {
            case threads, batch, texts, spotter, peers, ratios
            case agreementMinimumCosine = "agreement_min_cosine_vs_onnxruntime"
        }
    }

    package func run() async throws {
        let environment = try PeerEnvironment.locate()
        guard FileManager.default.fileExists(atPath: environment.onnxModel.path) else {
            throw BenchmarkSetupError("missing \(environment.onnxModel.path): run `bash scripts/peers/setup.sh`, which exports it")
        }
        let sets: [(name: String, texts: [String])] = [
            ("short", EmbeddingBenchmark.builtInQuestions),
            ("passage", EmbeddingBenchmark.passages(count: 64, tokenCount: { embedder.tokenCount($0) })),
        ]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spotter-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let textsFile = folder.appendingPathComponent("texts.json")
        try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: sets.map { ($0.name, $0.texts) }))
            .write(to: textsFile)

        var mine: [String: Throughput] = [:]
        var myVectors: [[Float]] = []
        for set in sets {
            note("Spotter: \(set.texts.count) \(set.name) texts, batch \(batch), \(embedder.threads) threads…")
            myVectors += try await embedder.embed(set.texts)  // also the warm-up
            var sentences = 0
            var seconds = 0.0
            repeat {
                let result = try await EmbeddingBenchmark.run(embedder: embedder, texts: set.texts, batchSize: batch, warmUp: false)
                sentences += result.sentences
                seconds += result.elapsedSeconds
            } while seconds < minimumSeconds
            mine[set.name] = Throughput(sentences: sentences, seconds: seconds, sentencesPerSecond: Double(sentences) / seconds)
        }

        note("onnxruntime and sentence-transformers on the same texts…")
        let dump = folder.appendingPathComponent("onnxruntime.f32")
        let theirs = try environment.run("bench_embed.py", [
            "--texts", textsFile.path, "--model-dir", modelDirectory.path, "--onnx", environment.onnxModel.path,
            "--batch", "\(batch)", "--threads", "\(embedder.threads)", "--min-seconds", "\(minimumSeconds)",
            "--dump-embeddings", dump.path,
        ], as: PeerResult.self)

        // The peers' vectors for the same texts, in order: a check that the comparison is of the same model.
        var agreement: Double? = nil
        if let data = try? Data(contentsOf: dump), data.count == myVectors.count * embedder.dimension * 4 {
            let floats = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            agreement = myVectors.enumerated().map { row, vector in
                Double(zip(vector, floats[(row * embedder.dimension)..<((row + 1) * embedder.dimension)]).reduce(0) { $0 + $1.0 * $1.1 })
            }.min()
        }

        var ratios: [String: Double] = [:]
        print("\nall-MiniLM-L6-v2, batch \(batch), \(embedder.threads) threads (sentences/s)")
        print("  set        Spotter   onnxruntime   sentence-transformers")
        for set in sets {
            let spotterRate = mine[set.name]!.sentencesPerSecond
            let ort = theirs.results["onnxruntime"]?[set.name]?.sentencesPerSecond
            let torch = theirs.results["sentence_transformers"]?[set.name]?.sentencesPerSecond
            print("  " + set.name.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: " %9.1f   %11.1f   %21.1f", spotterRate, ort ?? .nan, torch ?? .nan))
            if let ort { ratios["embed_vs_onnxruntime_\(set.name)"] = spotterRate / ort }
            if let torch { ratios["embed_vs_sentence_transformers_\(set.name)"] = spotterRate / torch }
        }
        if let agreement { print(String(format: "  agreement with onnxruntime: minimum cosine %.6f", agreement)) }
        try writeResult(Report(threads: embedder.threads, batch: batch,
                               texts: Dictionary(uniqueKeysWithValues: sets.map { ($0.name, $0.texts.count) }),
                               spotter: mine, peers: theirs, agreementMinimumCosine: agreement, ratios: ratios), to: output)
        print("")
        for peer in ["onnxruntime", "sentence_transformers"] {
            for set in sets {
                if let ratio = ratios["embed_vs_\(peer)_\(set.name)"] {
                    print("ratio embed_vs_\(peer)=\(ratioString(ratio)) set=\(set.name)")
                }
            }
        }
        print("result written to \(output)")
    }
}

/// A peer or a data set a benchmark needs is missing or failed; the message says how to set it up.
package struct BenchmarkSetupError: Error, CustomStringConvertible {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}

/// Progress for the person running a benchmark, on standard error so that `--json` output stays clean.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
