import Hummingbird
import SpotterCore

/// `GET /v1/search?q=...&k=10&mode=hybrid&kb=...&filter=key=value&alpha=0.5&mmr=0.7&exact=false`: the same JSON as
/// `spotter search --json`.
struct SearchRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }
    static let parameters: Set<String> = ["q", "k", "mode", "kb", "filter", "alpha", "mmr", "exact"]

    func register(on router: SpotterRoutes) {
        router.get("/v1/search") { request, context -> Response in
            let query = try QueryString(request.uri.query, accepting: Self.parameters)
            guard let text = try query.single("q"), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.badParameter("parameter 'q' (the query text) is required")
            }
            var searchRequest = SearchRequest(query: text, knowledgeBase: try query.single("kb") ?? spotter.configuration.defaultKnowledgeBase,
                                              reader: context.reader)
            if let k = try query.single("k") {
                guard let value = Int(k) else { throw APIError.badParameter("parameter 'k' must be a whole number, got '\(k)'") }
                searchRequest.k = value
            }
            if let mode = try query.single("mode") {
                guard let value = SearchMode(rawValue: mode) else {
                    throw APIError.badParameter("parameter 'mode' must be one of hybrid, bm25, dense; got '\(mode)'")
                }
                searchRequest.mode = value
            }
            if let alpha = try query.single("alpha") {
                guard let value = Double(alpha) else { throw APIError.badParameter("parameter 'alpha' must be a number, got '\(alpha)'") }
                searchRequest.alpha = value
            }
            if let mmr = try query.single("mmr") {
                guard let value = Double(mmr) else { throw APIError.badParameter("parameter 'mmr' must be a number between 0 and 1, got '\(mmr)'") }
                searchRequest.mmrLambda = value
            }
            searchRequest.exact = try query.flag("exact")
            do {
                searchRequest.filters = try query.all("filter").map { text throws(SearchError) in try MetadataFilter(parsing: text) }
                return JSONBody.response(try await spotter.search.search(searchRequest))
            } catch let error as SearchError {
                throw APIError.from(error)
            }
        }
    }
}
