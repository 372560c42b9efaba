import Foundation
import Hummingbird
import SpotterCore

/// Operator routes: the cache (`GET`, `DELETE /admin/cache`), usage (`GET /admin/usage`), drift detection (`GET /admin/drift`,
/// `GET /admin/drift/gaps`) and refresh (`POST`, `GET /admin/refresh`).
///
/// Registered behind the `admin` scope (``SpotterHTTPServer``).
struct AdminRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }

    static let purgeParameters: Set<String> = ["tenant", "kb", "assistant", "prompt_version", "all"]

    func register(on router: SpotterRoutes) {
        registerDrift(on: router)
        router.get("/admin/cache") { _, context -> Response in
            JSONBody.response(try spotter.cache.statistics(tenant: context.administeredTenant))
        }

        router.delete("/admin/cache") { request, context -> Response in
            let query = try QueryString(request.uri.query, accepting: Self.purgeParameters)
            let (tenant, kb, assistant, promptVersion) = (try query.single("tenant"), try query.single("kb"),
                                                           try query.single("assistant"), try query.single("prompt_version"))
            var purge = try CachePurge(tenant: tenant, knowledgeBase: kb, assistant: assistant, promptVersion: promptVersion,
                                       all: try query.flag("all"))
            if let confined = context.administeredTenant { purge = purge.confined(to: confined) }
            let purged = try spotter.cache.purge(purge)
            spotter.audit.note(AuditEvent(actor: context.actor, tenant: context.administeredTenant ?? tenant ?? "*", action: .cachePurged,
                                          target: request.uri.query ?? "", detail: ["purged": String(purged)]), logger: context.logger)
            return JSONBody.response(CachePurgeReply(purged: purged))
        }

        router.get("/admin/audit") { request, context -> Response in
            let query = try QueryString(request.uri.query, accepting: ["after", "limit", "tenant"])
            var after: Int64 = 0
            if let text = try query.single("after") {
                guard let number = Int64(text), number >= 0 else { throw APIError.badParameter("after must be a sequence number of 0 or more, not '\(text)'") }
                after = number
            }
            var limit = 100
            if let text = try query.single("limit") {
                guard let number = Int(text), (1...1000).contains(number) else { throw APIError.badParameter("limit must be a whole number 1–1000, not '\(text)'") }
                limit = number
            }
            let tenant = try context.administeredTenant(asking: try query.single("tenant"), for: "audit entries")
            let entries = try spotter.store.auditEntries(after: after, tenant: tenant, limit: limit)
            return JSONBody.response(AuditPage(entries: entries, nextAfter: entries.count == limit ? entries.last?.sequence : nil))
        }

        router.get("/admin/usage") { request, context -> Response in
            let query = try QueryString(request.uri.query, accepting: ["tenant", "since", "by"])
            let since = try query.pointInTime("since", default: "30d")
            let byText = try query.single("by") ?? UsageGrouping.day.rawValue
            guard let by = UsageGrouping(rawValue: byText) else {
                throw APIError.badParameter("by must be one of \(UsageGrouping.allCases.map(\.rawValue).joined(separator: ", ")), not '\(byText)'")
            }
            let tenant = try context.administeredTenant(asking: try query.single("tenant"), for: "usage")
            // Answers already returned are counted: their records are written behind them.
            await spotter.answers.log.settle()
            let rows = try spotter.store.usage(UsageQuery(tenant: tenant, since: since, by: by))
            return JSONBody.response(UsageReply(since: since, by: by, usage: rows))
        }
    }

    func registerDrift(on router: SpotterRoutes) {
        router.get("/admin/drift") { request, context -> Response in
            try context.requireServerAdministrator()
            _ = try QueryString(request.uri.query, accepting: [])
            // Observations queued by answers already returned are counted first, so that the report matches them.
            await spotter.drift.settle()
            return JSONBody.response(spotter.driftReport())
        }

        router.post("/admin/drift/rebaseline") { request, context -> Response in
            try context.requireServerAdministrator()
            _ = try QueryString(request.uri.query, accepting: [])
            await spotter.drift.rebaseline()
            spotter.audit.note(AuditEvent(actor: context.actor, tenant: Principal.defaultTenant, action: .driftRebaselined, target: "drift"),
                               logger: context.logger)
            return JSONBody.response(spotter.driftReport())
        }

        router.get("/admin/drift/gaps") { request, context -> Response in
            let query = try QueryString(request.uri.query, accepting: ["since", "kb", "gaps"])
            let since = try query.pointInTime("since", default: "7d")
            var maximum = 10
            if let text = try query.single("gaps") {
                guard let number = Int(text), (1...50).contains(number) else { throw APIError.badParameter("gaps must be a whole number 1–50, not '\(text)'") }
                maximum = number
            }
            let knowledgeBase = try query.single("kb")
            return JSONBody.response(try await spotter.knowledgeGaps(since: since, tenant: context.administeredTenant,
                                                                     knowledgeBase: knowledgeBase, maximumGaps: maximum))
        }

        router.post("/admin/refresh") { request, context -> Response in
            try context.requireServerAdministrator()
            let wait = try QueryString(request.uri.query, accepting: ["wait"]).flag("wait")
            // One refresh at a time: asking while one runs answers with that one.
            let started = spotter.refresh.start(trigger: "manual", actor: context.actor)
            guard wait else { return JSONBody.response(RefreshReply(refresh: started), status: .accepted) }
            return JSONBody.response(RefreshReply(refresh: await spotter.refresh.finished()))
        }

        router.get("/admin/refresh") { request, context -> Response in
            try context.requireServerAdministrator()
            _ = try QueryString(request.uri.query, accepting: [])
            return JSONBody.response(RefreshReply(refresh: spotter.refresh.latest))
        }
    }

}
