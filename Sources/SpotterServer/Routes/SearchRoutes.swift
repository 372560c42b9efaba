import Hummingbird
import SpotterCore

/// `GET /v1/search?q=...&k=10&mode=hybrid&kb=...&filter=key=value&alpha=0.5`: the same JSON as
/// `spotter search --json`.
struct SearchRoutes {
    let spotter: Spotter
    static let parameters: Set<String> = ["q", "k", "mode", "kb", "filter", "alpha"]

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/search") { request, _ -> Response in
            let query = request.uri.queryParameters
            if let unknown = query.map({ String($0.key) }).first(where: { !Self.parameters.contains($0) }) {
                throw APIError.badParameter("unknown parameter '\(unknown)'; accepted: \(Self.parameters.sorted().joined(separator: ", "))")
            }
            guard let text = query.get("q"), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.badParameter("parameter 'q' (the query text) is required")
            }
            var searchRequest = SearchRequest(query: text, knowledgeBase: query.get("kb") ?? spotter.configuration.defaultKnowledgeBase)
            if let k = query.get("k") {
                guard let value = Int(k) else { throw APIError.badParameter("parameter 'k' must be a whole number, got '\(k)'") }
                searchRequest.k = value
            }
            if let mode = query.get("mode") {
                guard let value = SearchMode(rawValue: mode) else {
                    throw APIError.badParameter("parameter 'mode' must be one of hybrid, bm25, dense; got '\(mode)'")
                }
                searchRequest.mode = value
            }
            if let alpha = query.get("alpha") {
                guard let value = Double(alpha) else { throw APIError.badParameter("parameter 'alpha' must be a number, got '\(alpha)'") }
                searchRequest.alpha = value
            }
            do {
                searchRequest.filters = try query.getAll("filter").map { text throws(SearchError) in try MetadataFilter(parsing: text) }
                return JSONBody.response(try await spotter.search.search(searchRequest))
            } catch let error as SearchError {
                throw APIError.from(error)
            }
        }
    }
}
