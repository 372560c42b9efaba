import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// Search over a real store of real embeddings: the demo's exercise catalogue, read as `scripts/load-demo.sh` reads it.
@Suite("Search service", .serialized)
struct SearchServiceTests {
    /// The demo's exercise catalogue (873 exercises), as `make run` loads it.
    static func catalogue() throws -> URL {
        TestEnvironment.sharedDirectory.appendingPathComponent("data/fitness/exercises.json")
    }

    static let shared = AsyncOnce<Spotter> {
        let (spotter, _) = try TestEnvironment.spotter()
        var records = RecordFieldOptions()
        records.idField = "id"
        records.titleField = "name"
        records.textFields = ["name", "category", "level", "equipment", "primaryMuscles", "secondaryMuscles", "force", "mechanic", "instructions"]
        records.metadataFields = ["category", "level", "equipment", "primaryMuscles", "secondaryMuscles", "force", "mechanic"]
        var reader = ReaderOptions()
        reader.records = records
        _ = try await spotter.ingest.ingest(paths: [try catalogue().path], options: IngestOptions(knowledgeBase: "default", reader: reader))
        return spotter
    }

    func search(_ query: String, mode: SearchMode = .hybrid, k: Int = 10, filters: [MetadataFilter] = [], alpha: Double? = nil) async throws -> SearchResponse {
        try await Self.shared.get().search.search(SearchRequest(query: query, knowledgeBase: "default", k: k, mode: mode, filters: filters, alpha: alpha))
    }

    @Test func kettlebellHamstringQueryFindsKettlebellHamstringExercises() async throws {
        func isKettlebellHamstring(_ hit: SearchHit) -> Bool {
            hit.metadata["equipment"] == JSONValue.string("kettlebells") && hit.metadata["primaryMuscles"]?.matches("hamstrings") == true
        }
        // The catalogue holds 10 kettlebell hamstring exercises among 873; each ranking must put some in its top 5,
        // and the fused ranking must lead with one.
        var matches: [SearchMode: Int] = [:]
        for mode in SearchMode.allCases {
            let response = try await search("hamstring exercise with kettlebell", mode: mode, k: 5)
            #expect(response.hits.count == 5)
            matches[mode] = response.hits.filter(isKettlebellHamstring).count
            #expect(matches[mode]! >= 2, "\(mode): \(response.hits.map(\.title))")
            if mode == .hybrid {
                #expect(isKettlebellHamstring(try #require(response.hits.first)), "\(response.hits.map(\.title))")
            }
        }
        #expect(matches[.hybrid]! >= 3)
    }

    @Test func hybridHitsCarryTheirScoreBreakdown() async throws {
        let response = try await search("kettlebell swing hips")
        #expect(response.fusion == "rrf(k=60)")
        let first = try #require(response.hits.first)
        #expect(first.scores.bm25Rank != nil || first.scores.denseRank != nil)
        #expect(response.hits.map(\.rank) == Array(1...response.hits.count))
        #expect(zip(response.hits, response.hits.dropFirst()).allSatisfy { $0.scores.fused >= $1.scores.fused })
        // RRF: the fused score is the sum of 1/(60 + rank) over the rankings that found the hit.
        let expected = (first.scores.bm25Rank.map { 1 / (60.0 + Double($0)) } ?? 0) + (first.scores.denseRank.map { 1 / (60.0 + Double($0)) } ?? 0)
        #expect(abs(first.scores.fused - expected) < 1e-9)
    }

    @Test func filtersApplyBeforeRanking() async throws {
        let filtered = try await search("hamstring stretch", k: 20, filters: [MetadataFilter(key: "level", value: "expert")])
        #expect(!filtered.hits.isEmpty)
        #expect(filtered.hits.allSatisfy { $0.metadata["level"] == JSONValue.string("expert") })
        let none = try await search("hamstring", filters: [MetadataFilter(key: "equipment", value: "spaceship")])
        #expect(none.hits.isEmpty)
    }

    @Test(arguments: [#"""#, #"squat AND"#, "NEAR(", "*", "-", "((bench", "\"unbalanced", "", "   ", "OR OR OR", "^col:x"])
    func hostileKeywordQueriesDoNotFail(query: String) async throws {
        for mode in SearchMode.allCases {
            let response = try await search(query, mode: mode)
            #expect(response.hits.count <= 10)
        }
    }

    @Test func weightedFusionIsUsedWhenAlphaIsGiven() async throws {
        let denseOnly = try await search("posterior chain hinge with a bell", mode: .dense, k: 5)
        let weighted = try await search("posterior chain hinge with a bell", k: 5, alpha: 1.0)
        #expect(weighted.fusion == "weighted(alpha=1)")
        #expect(weighted.hits.map(\.chunkID) == denseOnly.hits.map(\.chunkID))
    }

    @Test func badRequestsGiveTypedErrors() async throws {
        await #expect(throws: SearchError.invalidK(0, maximum: 100)) { try await search("squat", k: 0) }
        await #expect(throws: SearchError.invalidAlpha(2)) { try await search("squat", alpha: 2) }
        await #expect(throws: SearchError.self) {
            try await Self.shared.get().search.search(SearchRequest(query: "squat", knowledgeBase: "nope"))
        }
        #expect(throws: SearchError.invalidFilter("level")) { try MetadataFilter(parsing: "level") }
    }
}
