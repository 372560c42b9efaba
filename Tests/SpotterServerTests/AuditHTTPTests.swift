import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// The audit log over real loopback HTTP: each administrative action is recorded with the key that did it, and a
/// tenant's admin reads its own tenant's entries only.
extension TenantIsolationHTTPTests {
    @Test func administrativeActionsAreRecordedWithTheirActorAndTheChainVerifies() async throws {
        try await Self.withServer { base, keys, spotter in
            let editor = try keys.create(tenant: "acme", scopes: [.ingest, .admin])
            let operatorKey = try keys.create(tenant: "default", scopes: [.admin])
            let uploaded = try await Self.send("POST", base, "/v1/documents?kb=default&filename=plan.md&allow=group:coaches",
                                               key: editor.key, markdown: "# Plan\n\nThree sessions a week.")
            #expect(uploaded.status == 201, "\(uploaded.text)")
            let list = try await Self.send("GET", base, "/v1/documents?kb=default", key: editor.key)
            let id = try #require(((list.json["documents"] as? [[String: Any]]) ?? []).first?["id"] as? String)
            #expect(try await Self.send("DELETE", base, "/v1/documents/\(id)", key: editor.key).status == 204)
            #expect(try await Self.send("DELETE", base, "/admin/cache?all=true", key: editor.key).status == 200)
            #expect(try await Self.send("POST", base, "/admin/refresh?wait=true", key: operatorKey.key).status == 200)

            let page = try await Self.send("GET", base, "/admin/audit", key: operatorKey.key)
            #expect(page.status == 200, "\(page.text)")
            let entries = (page.json["entries"] as? [[String: Any]]) ?? []
            let actions = entries.map { "\($0["action"] as? String ?? "") \($0["actor"] as? String ?? "") \($0["tenant"] as? String ?? "")" }
            #expect(actions == ["documents.ingested \(editor.id) acme", "document.deleted \(editor.id) acme",
                                "cache.purged \(editor.id) acme", "refresh.started \(operatorKey.id) default"], "\(actions)")
            let ingested = try #require(entries.first?["detail"] as? [String: String])
            #expect(ingested["allow"] == "group:coaches" && ingested["files"] == "plan.md" && ingested["added"] == "1")
            #expect(page.json["next_after"] is NSNull)

            // Paging, and confinement: acme's admin sees acme's entries only.
            let second = try await Self.send("GET", base, "/admin/audit?after=1&limit=1", key: operatorKey.key)
            #expect((second.json["entries"] as? [[String: Any]])?.first?["sequence"] as? Int == 2 && second.json["next_after"] as? Int == 2)
            let confined = try await Self.send("GET", base, "/admin/audit", key: editor.key)
            #expect((confined.json["entries"] as? [[String: Any]])?.count == 3)
            #expect(try await Self.send("GET", base, "/admin/audit?tenant=default", key: editor.key).status == 403)
            #expect(try await Self.send("GET", base, "/admin/audit?limit=0", key: operatorKey.key).status == 400)
            guard case .success(let verified) = try spotter.audit.verify() else { Issue.record("the log must verify"); return }
            #expect(verified.entries == 4)
        }
    }
}
