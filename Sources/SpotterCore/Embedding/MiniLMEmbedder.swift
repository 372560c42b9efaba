import Crypto
import Dispatch
import Foundation

/// all-MiniLM-L6-v2 (sentence-transformers) in pure Swift: WordPiece tokenizer, a 6-layer BERT encoder in Float32
/// with SIMD kernels, mean pooling and L2 normalisation. Matches the reference float64 implementation to a cosine
/// ≥ 0.9999 (see `Tests/SpotterCoreTests/Embedding/MiniLMParityTests.swift`).
///
/// Threading: ``embed(_:)`` runs its work on a private serial queue, so concurrent calls are safe and are executed
/// one after another; each call spreads its work over ``threads`` threads (`DispatchQueue.concurrentPerform`).
/// Sequences are not padded: the tokens of all texts of a batch are packed into one matrix for the dense layers, and
/// attention runs per sequence and head.
public final class MiniLMEmbedder: Embedder, Sendable {
    public let modelID = "sentence-transformers/all-MiniLM-L6-v2"
    /// The first 12 hex digits of the SHA-256 of the whole `model.safetensors` (hashed in full at load; ~0.1–0.3 s).
    public let modelVersion: String
    public let dimension: Int
    public let maxSequenceLength: Int
    /// The number of threads each ``embed(_:)`` call uses.
    public let threads: Int
    public let tokenizer: WordPieceTokenizer
    public let modelDirectory: URL

    private let model: BertModel
    private let queue = DispatchQueue(label: "spotter.minilm.embed", qos: .userInitiated)
    /// At most this many tokens are packed into one forward pass (bounds the activation memory to ~60 MB).
    static let maxTokensPerPass = 4096

    /// Loads the model from a sentence-transformers folder (`model.safetensors`, `config.json`, `vocab.txt`,
    /// `sentence_bert_config.json`, `1_Pooling/config.json`). `threads` defaults to the number of active processors.
    public init(modelDirectory: URL, threads: Int? = nil) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: modelDirectory.path, isDirectory: &isDir), isDir.boolValue else {
            throw EmbeddingError.missingModelDirectory(modelDirectory.path)
        }
        for file in ["model.safetensors", "config.json"] {
            guard fm.fileExists(atPath: modelDirectory.appendingPathComponent(file).path) else {
                throw EmbeddingError.missingFile(directory: modelDirectory.path, file: file)
            }
        }
        if let threads, threads < 1 { throw EmbeddingError.invalidConfiguration("threads must be at least 1") }
        self.threads = threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        self.modelDirectory = modelDirectory

        let config = try BertConfig(modelDirectory: modelDirectory)
        try Self.checkPooling(in: modelDirectory)
        var maxSeq = config.maxPositions
        let stURL = modelDirectory.appendingPathComponent("sentence_bert_config.json")
        if let data = try? Data(contentsOf: stURL),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let m = (json["max_seq_length"] as? NSNumber)?.intValue {
            maxSeq = min(m, config.maxPositions)
        }
        self.maxSequenceLength = maxSeq
        self.dimension = config.hidden
        self.tokenizer = try WordPieceTokenizer(modelDirectory: modelDirectory, maxLength: maxSeq)

        let file = try SafetensorsFile(url: modelDirectory.appendingPathComponent("model.safetensors"))
        self.model = try BertModel(file: file, config: config)
        guard tokenizer.vocabularySize <= config.vocabSize else {
            throw EmbeddingError.invalidVocabulary(
                modelDirectory.path, "it has \(tokenizer.vocabularySize) tokens but the model only \(config.vocabSize)")
        }
        let digest = SHA256.hash(data: file.data)
        self.modelVersion = String(digest.hexadecimal.prefix(12))
    }

    /// The encoder implements mean pooling only; a folder whose pooling config asks for another mode is refused
    /// rather than silently embedded the wrong way. A folder without the file gets the model's documented default.
    static func checkPooling(in modelDirectory: URL) throws {
        let url = modelDirectory.appendingPathComponent("1_Pooling/config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw EmbeddingError.invalidConfiguration("\(url.path) is not a JSON object")
        }
        let modes = json.filter { $0.key.hasPrefix("pooling_mode_") && ($0.value as? Bool) == true }.map(\.key)
        guard modes == ["pooling_mode_mean_tokens"] else {
            throw EmbeddingError.invalidConfiguration(
                "\(url.path) asks for pooling \(modes.sorted()); only mean pooling (pooling_mode_mean_tokens) is implemented")
        }
    }

    public func tokenCount(_ text: String) -> Int {
        tokenizer.wordPieceCount(text)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        if texts.isEmpty { return [] }
        return await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.embedSynchronously(texts))
            }
        }
    }

    /// ``embed(_:)`` on the calling thread (blocks it; still uses ``threads`` threads). For benchmarks and tools.
    public func embedSynchronously(_ texts: [String]) -> [[Float]] {
        embedSynchronously(tokenIDs: texts.map { tokenizer.encode($0) })
    }

    /// Embeds already tokenized sequences (each with `[CLS]`/`[SEP]`, at most ``maxSequenceLength`` ids).
    public func embedSynchronously(tokenIDs: [[Int32]]) -> [[Float]] {
        var results = [[Float]](repeating: [], count: tokenIDs.count)
        let pool = WorkPool(threads: threads)
        var i = 0
        while i < tokenIDs.count {
            var j = i
            var tokens = 0
            while j < tokenIDs.count, j == i || tokens + tokenIDs[j].count <= Self.maxTokensPerPass {
                tokens += tokenIDs[j].count
                j += 1
            }
            let vectors = model.forward(Array(tokenIDs[i..<j]), pool: pool)
            for (k, v) in vectors.enumerated() { results[i + k] = v }
            i = j
        }
        return results
    }
}

/// The hyper-parameters of `config.json`.
struct BertConfig: Sendable {
    let hidden: Int
    let layers: Int
    let heads: Int
    let intermediate: Int
    let vocabSize: Int
    let maxPositions: Int
    let typeVocabSize: Int
    let layerNormEps: Float

    init(modelDirectory: URL) throws {
        let url = modelDirectory.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw EmbeddingError.unreadableFile(url.path, "not a JSON object") }
        func int(_ key: String) throws -> Int {
            guard let v = (json[key] as? NSNumber)?.intValue, v > 0 else {
                throw EmbeddingError.invalidConfiguration("\(url.path) has no positive integer \(key)")
            }
            return v
        }
        hidden = try int("hidden_size")
        layers = try int("num_hidden_layers")
        heads = try int("num_attention_heads")
        intermediate = try int("intermediate_size")
        vocabSize = try int("vocab_size")
        maxPositions = try int("max_position_embeddings")
        typeVocabSize = (json["type_vocab_size"] as? NSNumber)?.intValue ?? 2
        layerNormEps = (json["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        if let act = json["hidden_act"] as? String, act != "gelu" {
            throw EmbeddingError.invalidConfiguration("\(url.path): hidden_act \(act) is not supported (only exact gelu)")
        }
        guard hidden % heads == 0, hidden / heads == 32, hidden % 8 == 0, intermediate % 8 == 0 else {
            throw EmbeddingError.invalidConfiguration(
                "\(url.path): hidden \(hidden) / heads \(heads) is not supported (head size must be 32)")
        }
    }
}

/// The weights of one encoder layer.
struct BertLayer: Sendable {
    let qkv: PackedLinear
    let attentionOutput: PackedLinear
    let attentionNormGain: [Float]
    let attentionNormBias: [Float]
    let intermediate: PackedLinear
    let output: PackedLinear
    let outputNormGain: [Float]
    let outputNormBias: [Float]
}

/// The BERT encoder with mean pooling and L2 normalisation.
struct BertModel: Sendable {
    let config: BertConfig
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let tokenTypeEmbedding: [Float]
    let embeddingNormGain: [Float]
    let embeddingNormBias: [Float]
    let layers: [BertLayer]

    init(file: SafetensorsFile, config: BertConfig) throws {
        self.config = config
        let H = config.hidden, I = config.intermediate
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [config.vocabSize, H])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [config.maxPositions, H])
        let types = try file.floats("embeddings.token_type_embeddings.weight", shape: [config.typeVocabSize, H])
        tokenTypeEmbedding = Array(types[0..<H])
        embeddingNormGain = try file.floats("embeddings.LayerNorm.weight", shape: [H])
        embeddingNormBias = try file.floats("embeddings.LayerNorm.bias", shape: [H])
        var layers: [BertLayer] = []
        for l in 0..<config.layers {
            let p = "encoder.layer.\(l)."
            func w(_ name: String, _ shape: [Int]) throws -> [Float] { try file.floats(p + name, shape: shape) }
            let q = try w("attention.self.query.weight", [H, H])
            let k = try w("attention.self.key.weight", [H, H])
            let v = try w("attention.self.value.weight", [H, H])
            let qb = try w("attention.self.query.bias", [H])
            let kb = try w("attention.self.key.bias", [H])
            let vb = try w("attention.self.value.bias", [H])
            layers.append(BertLayer(
                qkv: PackedLinear(weights: q + k + v, bias: qb + kb + vb, inFeatures: H, outFeatures: 3 * H),
                attentionOutput: PackedLinear(
                    weights: try w("attention.output.dense.weight", [H, H]),
                    bias: try w("attention.output.dense.bias", [H]), inFeatures: H, outFeatures: H),
                attentionNormGain: try w("attention.output.LayerNorm.weight", [H]),
                attentionNormBias: try w("attention.output.LayerNorm.bias", [H]),
                intermediate: PackedLinear(
                    weights: try w("intermediate.dense.weight", [I, H]),
                    bias: try w("intermediate.dense.bias", [I]), inFeatures: H, outFeatures: I),
                output: PackedLinear(
                    weights: try w("output.dense.weight", [H, I]),
                    bias: try w("output.dense.bias", [H]), inFeatures: I, outFeatures: H),
                outputNormGain: try w("output.LayerNorm.weight", [H]),
                outputNormBias: try w("output.LayerNorm.bias", [H])))
        }
        self.layers = layers
    }

    /// Embeds sequences of token ids (already with specials and truncated); returns one unit vector per sequence.
    func forward(_ sequences: [[Int32]], pool: WorkPool) -> [[Float]] {
        let H = config.hidden, I = config.intermediate
        var spans: [SequenceSpan] = []
        var total = 0
        var maxLen = 0
        for s in sequences {
            spans.append(SequenceSpan(start: total, length: s.count))
            total += s.count
            maxLen = max(maxLen, s.count)
        }
        if total == 0 { return sequences.map { _ in [Float](repeating: 0, count: H) } }
        let rows = (total + microRows - 1) / microRows * microRows
        // One allocation for all activations: x (H), tmp (H), ctx (H), qkv (3H), ffn (I), attention scores.
        let scratchPerTask = attentionScratchFloats(maxLength: maxLen)
        let sizeX = rows * H
        let totalFloats = 3 * sizeX + rows * 3 * H + rows * I + pool.threads * scratchPerTask
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: totalFloats)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0, count: totalFloats)
        let x = buffer
        let tmp = x + sizeX
        let ctx = tmp + sizeX
        let qkv = ctx + sizeX
        let ffn = qkv + rows * 3 * H
        let scores = ffn + rows * I

        // Embeddings: word + position + token type 0, then LayerNorm.
        wordEmbeddings.withUnsafeBufferPointer { word in
            positionEmbeddings.withUnsafeBufferPointer { pos in
                tokenTypeEmbedding.withUnsafeBufferPointer { type in
                    for (s, span) in zip(sequences, spans) {
                        for (p, id) in s.enumerated() {
                            let row = x + (span.start + p) * H
                            let idx = Int(id) < config.vocabSize && id >= 0 ? Int(id) : 0
                            let w = word.baseAddress! + idx * H
                            let ps = pos.baseAddress! + p * H
                            for j in 0..<H { row[j] = w[j] + ps[j] + type[j] }
                        }
                    }
                }
            }
        }
        addLayerNorm(x, residual: nil, rows: rows, width: H, gain: embeddingNormGain, bias: embeddingNormBias,
                     eps: config.layerNormEps, pool: pool)

        for layer in layers {
            linear(x, rows: rows, layer.qkv, qkv, pool: pool)
            attention(qkv: qkv, out: ctx, spans: spans, hidden: H, heads: config.heads,
                      scratch: scores, scratchPerTask: scratchPerTask, pool: pool)
            linear(ctx, rows: rows, layer.attentionOutput, tmp, pool: pool)
            addLayerNorm(tmp, residual: x, rows: rows, width: H, gain: layer.attentionNormGain,
                         bias: layer.attentionNormBias, eps: config.layerNormEps, pool: pool)
            linear(tmp, rows: rows, layer.intermediate, ffn, gelu: true, pool: pool)
            linear(ffn, rows: rows, layer.output, x, pool: pool)
            addLayerNorm(x, residual: tmp, rows: rows, width: H, gain: layer.outputNormGain,
                         bias: layer.outputNormBias, eps: config.layerNormEps, pool: pool)
        }

        // Mean pooling over every token of the sequence, then L2 normalisation (in Double).
        var out: [[Float]] = []
        out.reserveCapacity(sequences.count)
        var acc = [Double](repeating: 0, count: H)
        for span in spans {
            for j in 0..<H { acc[j] = 0 }
            for r in span.start..<(span.start + span.length) {
                let row = x + r * H
                for j in 0..<H { acc[j] += Double(row[j]) }
            }
            var norm = 0.0
            for j in 0..<H { norm += acc[j] * acc[j] }
            // Mean then normalise: the 1/n factor cancels out.
            let inv = norm > 0 ? 1 / norm.squareRoot() : 0
            out.append((0..<H).map { Float(acc[$0] * inv) })
        }
        return out
    }
}
