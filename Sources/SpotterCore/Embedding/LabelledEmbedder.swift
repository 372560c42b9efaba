import Foundation

/// An embedder whose vectors are stored under another version label: `spotter reindex --version-label` uses it to
/// build a second index with the same weights (a re-run), or to name a model's version explicitly.
public struct LabelledEmbedder: Embedder {
    public let base: any Embedder
    public let modelVersion: String

    public init(_ base: any Embedder, version: String) {
        self.base = base
        modelVersion = version
    }

    public var modelID: String { base.modelID }
    public var dimension: Int { base.dimension }
    public var maxSequenceLength: Int { base.maxSequenceLength }
    public func tokenCount(_ text: String) -> Int { base.tokenCount(text) }
    public func embed(_ texts: [String]) async throws -> [[Float]] { try await base.embed(texts) }
}
