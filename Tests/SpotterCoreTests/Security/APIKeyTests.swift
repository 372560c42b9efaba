import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// Keys are stored only as their keyed hash, under a secret file only the owner reads.
@Suite("API keys")
struct APIKeyTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spotter-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func theSecretFileIsMadeOwnerOnlyAndReadBackTheSame() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(ServerSecret.fileName)
        let first = try ServerSecret.loadOrCreate(file: file)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(try ServerSecret.loadOrCreate(file: file).hash("k") == first.hash("k"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect(throws: AccessError.self) { try ServerSecret.loadOrCreate(file: file) }
    }

    @Test func theStoreNeverHoldsTheKeyAndAnotherSecretDoesNotMatchIt() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(directory: directory)
        let keys = APIKeyService(store: store, secret: ServerSecret(bytes: Array(repeating: 7, count: 32)))
        let created = try keys.create(tenant: "acme", scopes: [.chat, .ingest], name: "app", requestsPerMinute: 60)
        #expect(created.key.hasPrefix("spk_") && created.key.count == 47)
        let caller = try #require(try keys.authenticate(created.key))
        #expect(caller.tenant == "acme" && caller.scopes == [.chat, .ingest] && caller.keyID == created.id && caller.requestsPerMinute == 60)
        let other = APIKeyService(store: store, secret: ServerSecret(bytes: Array(repeating: 8, count: 32)))
        #expect(try other.authenticate(created.key) == nil)
        store.close()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasPrefix("spotter.sqlite") {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
            #expect(bytes.range(of: Data(created.key.utf8)) == nil, "\(name) holds the key in clear")
        }
    }

    @Test func badInputIsRefusedWithAMessage() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(directory: directory)
        defer { store.close() }
        let keys = APIKeyService(store: store, secret: ServerSecret(bytes: Array(repeating: 7, count: 32)))
        #expect(throws: AccessError.invalidTenant("../x")) { try keys.create(tenant: "../x", scopes: [.chat]) }
        #expect(throws: AccessError.invalidScopes("")) { try keys.create(tenant: "a", scopes: []) }
        #expect(throws: AccessError.invalidLimit("--rpm", 0)) { try keys.create(tenant: "a", scopes: [.chat], requestsPerMinute: 0) }
        #expect(Scope.parseList("chat, Admin") == .success([.chat, .admin]))
        guard case .failure = Scope.parseList("chat,root") else { Issue.record("an unknown scope was accepted"); return }
        #expect(try keys.list().isEmpty, "nothing is stored for a refused key")
    }

    @Test func authenticationIsOffByDefaultOnlyOnLoopback() throws {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"] { #expect(AuthenticationMode.defaultMode(host: host) == .off, "\(host)") }
        for host in ["0.0.0.0", "10.0.0.5", "::", "example.com", "127.0.0.1.example.com"] { #expect(AuthenticationMode.defaultMode(host: host) == .required, "\(host)") }
        #expect(throws: ConfigurationError.self) { try SpotterConfiguration.fromEnvironment(["SPOTTER_AUTH": "maybe"]) }
        #expect(throws: ConfigurationError.self) { try SpotterConfiguration.fromEnvironment(["SPOTTER_SECRET": "short"]) }
        #expect(try SpotterConfiguration.fromEnvironment(["SPOTTER_AUTH": "required"]).authentication == .required)
    }
}
