import SpotterCore
import Testing

@Suite("Exact vector index")
struct ExactVectorIndexTests {
    private func entry(_ id: Int64, _ doc: String, _ vector: [Float]) -> StoredEmbedding {
        StoredEmbedding(chunkID: id, documentID: doc, vector: vector)
    }

    @Test func returnsNearestByInnerProductBestFirst() {
        let index = ExactVectorIndex(dimension: 2, entries: [
            entry(1, "a", [1, 0]), entry(2, "b", [0, 1]), entry(3, "c", [0.8, 0.6]), entry(4, "d", [-1, 0]),
        ])
        let matches = index.nearest(to: [1, 0], k: 3, allowedDocuments: nil)
        #expect(matches.map(\.chunkID) == [1, 3, 2])
        #expect(matches[1].similarity == 0.8)
    }

    @Test func allowedDocumentsRestrictCandidatesBeforeRanking() {
        let index = ExactVectorIndex(dimension: 2, entries: [entry(1, "a", [1, 0]), entry(2, "b", [0, 1]), entry(3, "c", [-1, 0])])
        #expect(index.nearest(to: [1, 0], k: 2, allowedDocuments: ["c"]).map(\.chunkID) == [3])
        #expect(index.nearest(to: [1, 0], k: 2, allowedDocuments: []).isEmpty)
    }

    @Test func similaritiesMatchAPlainDotProductForOddDimensions() {
        // 21 dimensions: two SIMD blocks of 8 and a tail of 5.
        var generator = SystemRandomNumberGenerator()
        let vectors = (0..<30).map { _ in (0..<21).map { _ in Float.random(in: -1...1, using: &generator) } }
        let index = ExactVectorIndex(dimension: 21, entries: vectors.enumerated().map { entry(Int64($0), "d\($0)", $1) })
        let query = (0..<21).map { _ in Float.random(in: -1...1, using: &generator) }
        let expected = vectors.enumerated().map { ($0, zip($1, query).reduce(0) { $0 + $1.0 * $1.1 }) }.sorted { $0.1 > $1.1 }
        let matches = index.nearest(to: query, k: 5, allowedDocuments: nil)
        #expect(matches.map(\.chunkID) == expected.prefix(5).map { Int64($0.0) })
        for (match, truth) in zip(matches, expected) {
            #expect(abs(match.similarity - truth.1) < 1e-4)
        }
    }

    @Test func wrongDimensionsAreIgnoredNotCrashed() {
        let index = ExactVectorIndex(dimension: 2, entries: [entry(1, "a", [1, 0, 0]), entry(2, "b", [0, 1])])
        #expect(index.count == 1)
        #expect(index.nearest(to: [1], k: 1, allowedDocuments: nil).isEmpty)
    }
}
