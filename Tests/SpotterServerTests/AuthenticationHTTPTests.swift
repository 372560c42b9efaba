import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// API keys and scopes over real loopback HTTP, with `SPOTTER_AUTH=required` on 127.0.0.1 (how a deployment is
/// tested): who gets 401, who 403, and that a revoked key stops working at once.
extension ChatHTTPTests {
    static func withAuthenticatedServer(_ body: @Sendable (URL, APIKeyService) async throws -> Void) async throws {
        let spotter = try await engine(configure: { $0.secret = String(repeating: "s", count: 40); $0.authentication = .required })
        try await withAccessControlledServer(spotter, body)
    }

    /// Serves `spotter` with its configuration's access control on 127.0.0.1, then shuts the engine down.
    static func withAccessControlledServer(_ spotter: Spotter, _ body: @Sendable (URL, APIKeyService) async throws -> Void) async throws {
        do {
            let access = try AccessControl.make(configuration: spotter.configuration, store: spotter.store, host: "127.0.0.1")
            let keys = try #require(access.keys)
            try await Loopback.withApplication({ onRunning in
                try SpotterHTTPServer(spotter: spotter, logger: Loopback.quietLogger, access: access)
                    .application(host: "127.0.0.1", port: 0, onRunning: onRunning)
            }) { base in try await body(base, keys) }
        } catch {
            await spotter.shutdown()
            throw error
        }
        await spotter.shutdown()
    }

    static func call(_ method: String, _ base: URL, _ path: String, key: String?, header: String = "Authorization") async throws -> HTTPResult {
        let value = key.map { header == "Authorization" ? "Bearer \($0)" : $0 }
        return try await Loopback.send(method, URL(string: base.absoluteString + path)!,
                                       body: method == "POST" ? Data(#"{"message": "How many rest days a week?"}"#.utf8) : nil,
                                       contentType: method == "POST" ? "application/json" : nil,
                                       headers: value.map { [header: $0] } ?? [:])
    }

    @Test func eachRouteAsksForItsScopeAndOpenRoutesStayOpen() async throws {
        try await Self.withAuthenticatedServer { base, keys in
            let chat = try keys.create(tenant: "default", scopes: [.chat]).key
            let admin = try keys.create(tenant: "default", scopes: [.admin]).key
            let ingest = try keys.create(tenant: "default", scopes: [.ingest]).key
            for path in ["/healthz", "/readyz", "/openapi.json", "/docs"] {
                #expect(try await Self.call("GET", base, path, key: nil).status == 200, "\(path) must stay open")
            }
            let guarded: [(String, String, Scope)] = [
                ("GET", "/v1/search?q=rest", .chat), ("POST", "/v1/chat", .chat), ("GET", "/v1/models", .chat),
                ("GET", "/v1/answers/ans_x", .chat), ("GET", "/v1/documents", .ingest), ("GET", "/admin/cache", .admin),
                ("GET", "/admin/drift", .admin), ("GET", "/metrics", .admin),
            ]
            let keyFor: [Scope: String] = [.chat: chat, .admin: admin, .ingest: ingest]
            for (method, path, scope) in guarded {
                let anonymous = try await Self.call(method, base, path, key: nil)
                #expect(anonymous.status == 401 && anonymous.errorCode == "unauthorized", "\(method) \(path) without a key")
                #expect(anonymous.headers["www-authenticate"] == #"Bearer realm="spotter""#)
                for (other, key) in keyFor where other != scope {
                    let refused = try await Self.call(method, base, path, key: key)
                    #expect(refused.status == 403 && refused.errorCode == "forbidden", "\(method) \(path) with a \(other) key")
                    #expect(refused.errorMessage.contains(scope.rawValue))
                }
                let allowed = try await Self.call(method, base, path, key: keyFor[scope], header: path.hasPrefix("/admin") ? "X-API-Key" : "Authorization")
                #expect(![401, 403].contains(allowed.status), "\(method) \(path) with a \(scope) key: \(allowed.status) \(allowed.text)")
            }
        }
    }

    @Test func aRevokedKeyIsRefusedAtOnceAndLooksLikeAnUnknownOne() async throws {
        try await Self.withAuthenticatedServer { base, keys in
            let created = try keys.create(tenant: "default", scopes: [.chat], name: "to revoke")
            #expect(try await Self.call("GET", base, "/v1/models", key: created.key).status == 200)
            try keys.revoke(id: created.id)
            let revoked = try await Self.call("GET", base, "/v1/models", key: created.key)
            let unknown = try await Self.call("GET", base, "/v1/models", key: "spk_" + String(repeating: "A", count: 43))
            let malformed = try await Self.call("GET", base, "/v1/models", key: "not-a-key")
            #expect(revoked.status == 401 && unknown.status == 401 && malformed.status == 401)
            #expect(revoked.data == unknown.data && unknown.data == malformed.data, "the body must not tell a revoked key from an unknown one")
            // The record keeps when it was used and when it was revoked.
            let record = try #require(try keys.list().first { $0.id == created.id })
            #expect(record.lastUsedAt != nil && record.revokedAt != nil)
            #expect(throws: AccessError.unknownKey(created.id)) { try keys.revoke(id: created.id) }
        }
    }
}
