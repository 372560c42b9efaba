import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

@Suite("MMR in search")
struct MMRSearchTests {
    @Test func nearDuplicatesMakeRoomForADifferentRelevantPassage() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        let corpus = try TestEnvironment.temporaryDirectory("mmr-corpus")
        try TestEnvironment.write([
            "a.md": "# Squat depth\n\nSquat until the hip crease is below the top of the knee, keeping the heels down.",
            "b.md": "# Squat depth guide\n\nSquat until the crease of the hip is below the top of the knee and keep the heels down.",
            "c.md": "# Squat breathing\n\nBrace before each squat: breathe in, tighten the trunk, then descend.",
        ], under: corpus)
        _ = try await spotter.ingest.ingest(paths: [corpus.path], options: IngestOptions(knowledgeBase: "kb"))

        func titles(_ mmr: Double?) async throws -> [String] {
            try await spotter.search.search(SearchRequest(query: "how deep should a squat be", knowledgeBase: "kb", k: 2,
                                                          mode: .dense, mmrLambda: mmr)).hits.map(\.title)
        }
        let plain = try await titles(nil)
        #expect(Set(plain) == ["Squat depth", "Squat depth guide"])  // the two near-copies lead
        // The copies are 0.97 alike and the breathing passage 0.69 like them, at relevance 1, 0.998 and 0.69 of the
        // best: at λ = 0.4 the copy scores 0.4 × 0.998 − 0.6 × 0.97 ≈ −0.18, the breathing passage ≈ −0.14.
        let diverse = try await titles(0.4)
        #expect(diverse.first == plain.first)
        #expect(diverse.last == "Squat breathing")
        #expect(try await titles(1) == plain)  // λ = 1 is the plain ranking
        await #expect(throws: SearchError.invalidMMR(-0.1)) {
            try await spotter.search.search(SearchRequest(query: "squat", knowledgeBase: "kb", mmrLambda: -0.1))
        }
    }
}
