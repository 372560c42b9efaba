import Hummingbird
import SpotterCore

/// Operator routes: `GET /admin/cache` (statistics) and `DELETE /admin/cache` (purge by scope).
///
/// Not yet behind authentication: the security work puts every `/admin` route behind an admin key.
struct AdminRoutes {
    let spotter: Spotter

    static let purgeParameters = ["tenant", "kb", "assistant", "prompt_version", "all"]

    func register(on router: Router<BasicRequestContext>) {
        router.get("/admin/cache") { _, _ -> Response in
            do {
                return JSONBody.response(try spotter.cache.statistics())
            } catch {
                throw APIError(.serviceUnavailable, code: "unavailable", message: "\(error)")
            }
        }

        router.delete("/admin/cache") { request, _ -> Response in
            let query = try QueryString(request.uri.query)
            if let unknown = query.names.first(where: { !Self.purgeParameters.contains($0) }) {
                throw APIError.badParameter("unknown parameter '\(unknown)'; a purge takes \(Self.purgeParameters.joined(separator: ", "))")
            }
            func value(_ name: String) throws(APIError) -> String? {
                guard let text = try query.single(name) else { return nil }
                guard !text.isEmpty else { throw APIError.badParameter("\(name) must not be empty") }
                return text
            }
            let filter = CachePurgeFilter(tenant: try value("tenant"), knowledgeBase: try value("kb"),
                                          assistant: try value("assistant"), promptVersion: try value("prompt_version"))
            let all: Bool
            switch try value("all") {
            case nil, "false": all = false
            case "true": all = true
            case let other?: throw APIError.badParameter("all must be true or false, not '\(other)'")
            }
            let scoped = filter != CachePurgeFilter()
            guard scoped != all else {
                throw APIError.badParameter(all ? "all=true cannot be combined with a scope"
                                                : "name a scope (tenant, kb, assistant, prompt_version) or pass all=true")
            }
            do {
                return JSONBody.response(Purged(purged: try spotter.cache.purge(filter)))
            } catch {
                throw APIError(.serviceUnavailable, code: "unavailable", message: "\(error)")
            }
        }
    }

    struct Purged: Codable, Sendable {
        var purged: Int
    }
}
