import ArgumentParser
import Foundation
import SpotterCore

extension SearchMode: ExpressibleByArgument {}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search a knowledge base: BM25, dense or both fused.",
        discussion: """
            Hybrid mode fuses the BM25 and dense rankings by reciprocal rank (k = 60); --alpha switches to weighted \
            score fusion. Each hit shows its document, chunk, a snippet and its score breakdown.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var tenant: TenantOption

    @Argument(help: "What to search for (any text; quotes and operators are taken literally).")
    var query: String

    @Option(help: "Knowledge base to search (default: $SPOTTER_KB or 'default').")
    var kb: String?

    @Option(name: [.customShort("k"), .customLong("k")], help: "Number of hits (1–100).")
    var k: Int = 10

    @Option(help: "Ranking: hybrid, bm25 or dense.")
    var mode: SearchMode = .hybrid

    @Option(help: "Metadata filter key=value (repeat: same key = any of the values, different keys = all).")
    var filter: [String] = []

    @Option(help: "Weighted fusion instead of RRF: the dense score's weight, 0–1.")
    var alpha: Double?

    @Option(help: "Re-order the hits by maximal marginal relevance with this weight on relevance (0–1; 1 = plain ranking; 0.3–0.5 lets near-duplicates give way).")
    var mmr: Double?

    @Flag(help: "Scan every vector instead of using the HNSW index (the exact reference).")
    var exact = false

    @Flag(help: "Print the response as JSON (the same as GET /v1/search).")
    var json = false

    func run() async throws {
        let configuration = try common.configuration()
        let filters = try filter.map { text throws(SearchError) in try MetadataFilter(parsing: text) }
        let spotter = try Spotter(configuration: configuration)
        let request = SearchRequest(query: query, knowledgeBase: kb ?? configuration.defaultKnowledgeBase, k: k,
                                    mode: mode, filters: filters, alpha: alpha, mmrLambda: mmr, exact: exact,
                                    reader: tenant.reader)
        let response = try await spotter.search.search(request)
        if json {
            JSONLine.print(response)
            return
        }
        if response.hits.isEmpty {
            print("no hits for \"\(query)\" in \(response.knowledgeBase) (\(mode.rawValue))")
        }
        for hit in response.hits {
            var parts: [String] = []
            if let rank = hit.scores.bm25Rank, let score = hit.scores.bm25Score { parts.append("bm25 #\(rank) \(String(format: "%.3f", score))") }
            if let rank = hit.scores.denseRank, let similarity = hit.scores.denseSimilarity { parts.append("dense #\(rank) \(String(format: "%.3f", similarity))") }
            if mode == .hybrid { parts.append("fused \(String(format: "%.4f", hit.scores.fused))") }
            let heading = hit.headingPath.isEmpty ? "" : " › " + hit.headingPath.joined(separator: " › ")
            print("\(hit.rank). \(hit.title)\(heading)  [\(hit.documentID) chunk \(hit.ordinal)]")
            print("   \(parts.joined(separator: " · "))")
            print("   \(hit.snippet)")
            print("   \(hit.source)")
        }
        print(String(format: "(%d hits in %.1f ms)", response.hits.count, response.tookMilliseconds))
    }
}
