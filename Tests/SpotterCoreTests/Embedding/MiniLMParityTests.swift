import Foundation
import SpotterBenchmarks
import SpotterCore
import SpotterTestSupport
import Testing

private enum ParityPaths {
    static var referenceFile: URL {
        TestEnvironment.sharedDirectory.appendingPathComponent("reference/minilm_reference.json")
    }

    static var modelDirectory: URL { TestEnvironment.modelDirectory }
}

private struct ReferenceCase {
    let text: String
    let inputIDs: [Int32]
    let embedding: [Double]
}

private func loadReference() throws -> [ReferenceCase] {
    let url = ParityPaths.referenceFile
    guard let data = FileManager.default.contents(atPath: url.path) else {
        Issue.record("reference file \(url.path) is missing")
        return []
    }
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let cases = try #require(json["cases"] as? [[String: Any]])
    return try cases.map { c in
        ReferenceCase(
            text: try #require(c["text"] as? String),
            inputIDs: try #require(c["input_ids"] as? [NSNumber]).map { $0.int32Value },
            embedding: try #require(c["embedding"] as? [NSNumber]).map { $0.doubleValue })
    }
}

/// The shared embedder; a missing model folder is a failure with instructions, never a skip.
private func loadEmbedder() throws -> MiniLMEmbedder {
    try TestEnvironment.embedder()
}

private func cosine(_ a: [Float], _ b: [Double]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for i in 0..<min(a.count, b.count) {
        dot += Double(a[i]) * b[i]
        na += Double(a[i]) * Double(a[i])
        nb += b[i] * b[i]
    }
    return dot / (na * nb).squareRoot()
}

@Suite("MiniLM parity with the reference")
struct MiniLMParityTests {
    @Test("every reference case: identical token ids and cosine ≥ 0.9999")
    func parity() async throws {
        let embedder = try loadEmbedder()
        let cases = try loadReference()
        #expect(cases.count == 36)
        let vectors = try await embedder.embed(cases.map(\.text))
        var minCosine = 1.0
        for (c, v) in zip(cases, vectors) {
            let ids = embedder.tokenizer.encode(c.text)
            #expect(ids == c.inputIDs, "token ids differ for \(c.text.debugDescription.prefix(80))")
            if c.inputIDs.count < embedder.maxSequenceLength {
                #expect(embedder.tokenCount(c.text) == c.inputIDs.count - 2)
            } else {
                #expect(embedder.tokenCount(c.text) >= embedder.maxSequenceLength - 2)
            }
            #expect(v.count == 384)
            let cos = cosine(v, c.embedding)
            minCosine = min(minCosine, cos)
            #expect(cos >= 0.9999, "cosine \(cos) for \(c.text.debugDescription.prefix(80))")
        }
        print("MiniLM parity: \(cases.count) cases, minimum cosine \(minCosine)")
    }

    @Test("model metadata")
    func metadata() throws {
        let embedder = try loadEmbedder()
        #expect(embedder.modelID == "sentence-transformers/all-MiniLM-L6-v2")
        #expect(embedder.dimension == 384)
        #expect(embedder.maxSequenceLength == 256)
        #expect(embedder.modelVersion.count == 12)
        if let data = FileManager.default.contents(atPath: ParityPaths.referenceFile.path),
           let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
           let sha = json["safetensors_sha256"] as? String {
            #expect(embedder.modelVersion == String(sha.prefix(12)))
        }
    }

    @Test("a text embeds the same alone and inside a batch of mixed lengths")
    func batchConsistency() async throws {
        let embedder = try loadEmbedder()
        let texts = [
            "How many sets should I do for hypertrophy?",
            "a",
            "",
            String(repeating: "Progressive overload means adding weight over time. ", count: 40),
            "Café au lait 深蹲 !!!",
            "Deadlift",
        ]
        let batch = try await embedder.embed(texts)
        #expect(batch.count == texts.count)
        for (text, fromBatch) in zip(texts, batch) {
            let alone = try await embedder.embed([text])[0]
            var dot: Float = 0, maxDiff: Float = 0
            for i in 0..<alone.count {
                dot += alone[i] * fromBatch[i]
                maxDiff = max(maxDiff, abs(alone[i] - fromBatch[i]))
            }
            #expect(dot > 0.99999, "batch vs single cosine \(dot) for \(text.prefix(40))")
            #expect(maxDiff < 1e-5)
            var norm: Float = 0
            for x in alone { norm += x * x }
            #expect(abs(norm - 1) < 1e-4)
        }
        #expect(try await embedder.embed([]).isEmpty)
    }

    @Test("concurrent embed calls give the same vectors")
    func concurrentCalls() async throws {
        let embedder = try loadEmbedder()
        let texts = ["How do I improve my deadlift lockout?", "Rest 90 seconds between sets."]
        let expected = try await embedder.embed(texts)
        try await withThrowingTaskGroup(of: [[Float]].self) { group in
            for _ in 0..<4 { group.addTask { try await embedder.embed(texts) } }
            for try await result in group { #expect(result == expected) }
        }
    }

    @Test("a single thread gives the same vectors as several")
    func threadCountIndependence() async throws {
        _ = try loadEmbedder()
        let single = try MiniLMEmbedder(modelDirectory: ParityPaths.modelDirectory, threads: 1)
        let multi = try MiniLMEmbedder(modelDirectory: ParityPaths.modelDirectory, threads: 3)
        let texts = EmbeddingBenchmark.builtInSentences.prefix(10).map { $0 }
        let a = try await single.embed(texts)
        let b = try await multi.embed(texts)
        #expect(a == b)
    }

    @Test("the built-in benchmark runs and reports")
    func benchmark() async throws {
        let embedder = try loadEmbedder()
        #expect(EmbeddingBenchmark.builtInSentences.count == 400)
        #expect(Set(EmbeddingBenchmark.builtInSentences).count > 300)
        let result = try await EmbeddingBenchmark.run(
            embedder: embedder, texts: Array(EmbeddingBenchmark.builtInSentences.prefix(16)), batchSize: 8)
        #expect(result.sentences == 16)
        #expect(result.totalTokens > 16 * 3)
        #expect(result.sentencesPerSecond > 0)
        #expect(result.peakRSSBytes > 0)
    }
}

@Suite("MiniLM loading errors")
struct MiniLMLoadingErrorTests {
    @Test("a missing model folder is a clear error")
    func missingFolder() throws {
        let dir = URL(fileURLWithPath: "/nonexistent/spotter-model-\(UInt32.random(in: 0...UInt32.max))")
        do {
            _ = try MiniLMEmbedder(modelDirectory: dir)
            Issue.record("loading a missing folder succeeded")
        } catch let error as EmbeddingError {
            #expect(error == .missingModelDirectory(dir.path))
            #expect(error.description.contains(dir.path))
            #expect(error.description.contains("SPOTTER_MODEL_DIR"))
            #expect(error.description.contains("make setup"))
        }
    }

    @Test("a folder without model.safetensors is a clear error")
    func missingWeights() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("spotter-empty-model-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: EmbeddingError.missingFile(directory: dir.path, file: "model.safetensors")) {
            _ = try MiniLMEmbedder(modelDirectory: dir)
        }
        let message = EmbeddingError.missingFile(directory: dir.path, file: "model.safetensors").description
        #expect(message.contains("has no model.safetensors"))
    }

    @Test("a truncated safetensors file is a clear error")
    func truncatedWeights() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("spotter-bad-model-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.safetensors")
        try Data([200, 0, 0, 0, 0, 0, 0, 0, 0x7B]).write(to: file)
        do {
            _ = try SafetensorsFile(url: file)
            Issue.record("a truncated file was accepted")
        } catch let error as EmbeddingError {
            #expect(error.description.contains("not a valid safetensors file"))
        }
    }

    @Test("a pooling config other than mean pooling is refused")
    func nonMeanPoolingIsRefused() throws {
        let folder = try TestEnvironment.temporaryDirectory("pooling")
        let source = TestEnvironment.modelDirectory
        for file in ["model.safetensors", "config.json", "vocab.txt", "tokenizer.json", "sentence_bert_config.json"] {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(file),
                                                       withDestinationURL: source.appendingPathComponent(file))
        }
        try TestEnvironment.write(["1_Pooling/config.json": #"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#], under: folder)
        #expect {
            _ = try MiniLMEmbedder(modelDirectory: folder)
        } throws: { error in
            "\(error)".contains("only mean pooling")
        }
    }
}
