import Foundation
import Hummingbird
import SpotterCore

/// Operator routes: the cache (`GET`, `DELETE /admin/cache`), drift detection (`GET /admin/drift`,
/// `GET /admin/drift/gaps`) and refresh (`POST`, `GET /admin/refresh`).
///
/// Not yet behind authentication: the security work puts every `/admin` route behind an admin key.
struct AdminRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }

    static let purgeParameters = ["tenant", "kb", "assistant", "prompt_version", "all"]

    func register(on router: Router<BasicRequestContext>) {
        registerDrift(on: router)
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

    func registerDrift(on router: Router<BasicRequestContext>) {
        router.get("/admin/drift") { request, _ -> Response in
            try QueryString(request.uri.query).rejectAny()
            // Observations queued by answers already returned are counted first, so that the report matches them.
            await spotter.drift.settle()
            return JSONBody.response(spotter.driftReport())
        }

        router.post("/admin/drift/rebaseline") { request, _ -> Response in
            try QueryString(request.uri.query).rejectAny()
            await spotter.drift.rebaseline()
            return JSONBody.response(spotter.driftReport())
        }

        router.get("/admin/drift/gaps") { request, _ -> Response in
            let query = try QueryString(request.uri.query)
            if let unknown = query.names.first(where: { !["since", "kb", "gaps"].contains($0) }) {
                throw APIError.badParameter("unknown parameter '\(unknown)'; the gap report takes since, kb, gaps")
            }
            let sinceText = try query.single("since") ?? "7d"
            guard let since = SpotterConfiguration.pointInTime(sinceText, now: Date()) else {
                throw APIError.badParameter("since must be a date (2026-11-01) or a span such as 7d, 12h or 45m, not '\(sinceText)'")
            }
            var maximum = 10
            if let text = try query.single("gaps") {
                guard let number = Int(text), (1...50).contains(number) else { throw APIError.badParameter("gaps must be a whole number 1–50, not '\(text)'") }
                maximum = number
            }
            do {
                return JSONBody.response(try await spotter.knowledgeGaps(since: since, knowledgeBase: try query.single("kb"), maximumGaps: maximum))
            } catch let error as APIError {
                throw error
            } catch {
                throw APIError(.serviceUnavailable, code: "unavailable", message: "\(error)")
            }
        }

        router.post("/admin/refresh") { request, _ -> Response in
            let query = try QueryString(request.uri.query)
            if let unknown = query.names.first(where: { $0 != "wait" }) {
                throw APIError.badParameter("unknown parameter '\(unknown)'; a refresh takes wait=true|false")
            }
            let wait: Bool
            switch try query.single("wait") {
            case nil, "false": wait = false
            case "true": wait = true
            case let other?: throw APIError.badParameter("wait must be true or false, not '\(other)'")
            }
            // One refresh at a time: asking while one runs answers with that one.
            let started = spotter.refresh.start(trigger: "manual")
            guard wait else { return JSONBody.response(RefreshReply(refresh: started), status: .accepted) }
            return JSONBody.response(RefreshReply(refresh: await spotter.refresh.finished()))
        }

        router.get("/admin/refresh") { request, _ -> Response in
            try QueryString(request.uri.query).rejectAny()
            return JSONBody.response(RefreshReply(refresh: spotter.refresh.latest))
        }
    }

    /// `{"refresh": …}`, null when none ran since start.
    struct RefreshReply: Encodable, Sendable {
        var refresh: RefreshStatus?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(refresh, forKey: .refresh)
        }

        enum CodingKeys: String, CodingKey { case refresh }
    }

    struct Purged: Codable, Sendable {
        var purged: Int
    }
}
