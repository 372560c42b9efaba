/// Turns texts into fixed-size vectors whose cosine similarity reflects meaning.
///
/// Every stored vector is tagged with the ``modelID`` and ``modelVersion`` of the embedder that made it, so that a
/// change of model can be detected and the index migrated rather than silently mixing vector spaces.
///
/// ```swift
/// let embedder = try MiniLMEmbedder(modelDirectory: url)
/// let vectors = try await embedder.embed(["How many sets for hypertrophy?"])
/// ```
public protocol Embedder: Sendable {
    /// A stable name of the model, for example `sentence-transformers/all-MiniLM-L6-v2`.
    var modelID: String { get }
    /// A version that changes whenever the weights or the tokenizer change (derived from the weight file).
    var modelVersion: String { get }
    /// The length of every vector returned by ``embed(_:)``.
    var dimension: Int { get }
    /// The longest input in word pieces, special tokens included; longer texts are truncated.
    var maxSequenceLength: Int { get }
    /// Counts the word pieces of `text` without special tokens, as the chunker needs them.
    func tokenCount(_ text: String) -> Int
    /// Embeds a batch of texts; the result has one L2-normalised vector per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}
