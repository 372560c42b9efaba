import Foundation
import Logging
import Synchronization

/// Creates, lists, revokes and checks API keys.
///
/// A key is `spk_` and 43 characters of 256 random bits (base64url); the store keeps only its HMAC under the
/// server's secret, so a copy of the store does not give the keys away. Every check reads the store, so a key made
/// or revoked by `spotter keys` in another process counts from the next request.
///
/// ```swift
/// let keys = APIKeyService(store: store, secret: try ServerSecret.load(configuration))
/// let created = try keys.create(tenant: "acme", scopes: [.chat])
/// let caller = try keys.authenticate(created.key)   // Principal(tenant: "acme", scopes: [.chat], keyID: …)
/// ```
public struct APIKeyService: Sendable {
    public static let keyPrefix = "spk_"
    /// The prefix and 43 base64url characters.
    static let keyLength = 47
    /// How often a key's last-used time is written at most: a write per request would cost more than the check.
    static let touchInterval: TimeInterval = 60

    let store: any APIKeyStore
    let secret: ServerSecret
    /// When each key's use was last written, shared by the copies of this service.
    private let lastTouched = TouchTimes()

    public init(store: any APIKeyStore, secret: ServerSecret) {
        self.store = store
        self.secret = secret
    }

    /// The one check of a new key's settings (``create(tenant:scopes:name:requestsPerMinute:tokensPerMinute:groups:now:)``
    /// and `spotter keys create` both use it); nil when they are valid.
    public static func problem(tenant: String, scopes: Set<Scope>, name: String?, requestsPerMinute: Int?,
                               tokensPerMinute: Int?, groups: [String]) -> AccessError? {
        guard isValidTenant(tenant) else { return .invalidTenant(tenant) }
        guard !scopes.isEmpty else { return .invalidScopes("") }
        if let name, name.count > 100 || name.isEmpty || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return .invalidName(name)
        }
        if let limit = requestsPerMinute, limit < 1 { return .invalidLimit("--rpm", limit) }
        if let limit = tokensPerMinute, limit < 1 { return .invalidLimit("--tpm", limit) }
        if let group = groups.first(where: { !isValidGroup($0) }) { return .invalidGroup(group) }
        return nil
    }

    /// Group names as permission entries carry them (`group:NAME`): 1–100 printable characters, no comma.
    static func isValidGroup(_ group: String) -> Bool {
        (1...100).contains(group.count) && !group.contains(",")
            && !group.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == " " }
    }

    /// Makes a key; the only time the key itself is seen. `groups` are the caller's groups for per-document
    /// permissions (an application key usually has none; users with groups come with tokens).
    public func create(tenant: String, scopes: Set<Scope>, name: String? = nil, requestsPerMinute: Int? = nil,
                       tokensPerMinute: Int? = nil, groups: [String] = [], now: Date = Date()) throws(AccessError) -> CreatedAPIKey {
        if let problem = Self.problem(tenant: tenant, scopes: scopes, name: name, requestsPerMinute: requestsPerMinute,
                                      tokensPerMinute: tokensPerMinute, groups: groups) { throw problem }
        let key = Self.keyPrefix + Self.randomToken()
        let record = APIKeyRecord(id: Identifier.make("key", now: now), name: name, tenant: tenant, scopes: scopes.sorted(),
                                  requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute,
                                  groups: Array(Set(groups)).sorted(), createdAt: now)
        do { try store.insertAPIKey(record, hash: secret.hash(key)) } catch { throw .store(error) }
        return CreatedAPIKey(id: record.id, key: key, tenant: tenant, scopes: record.scopes)
    }

    /// Every key (revoked ones too), oldest first; one tenant's with `tenant`.
    public func list(tenant: String? = nil) throws(AccessError) -> [APIKeyRecord] {
        do { return try store.apiKeys(tenant: tenant) } catch { throw .store(error) }
    }

    /// Revokes a key at once; ``AccessError/unknownKey(_:)`` when no active key has this id.
    public func revoke(id: String, now: Date = Date()) throws(AccessError) {
        let revoked: Bool
        do { revoked = try store.revokeAPIKey(id: id, at: now) } catch { throw .store(error) }
        guard revoked else { throw .unknownKey(id) }
    }

    /// The caller a presented key stands for, or nil when it is not an active key: malformed, unknown and revoked
    /// keys are one answer, so a response never tells which.
    public func authenticate(_ key: String, now: Date = Date()) throws(StoreError) -> Principal? {
        guard key.utf8.count == Self.keyLength, key.hasPrefix(Self.keyPrefix) else { return nil }
        guard let record = try store.activeAPIKey(hash: secret.hash(key)) else { return nil }
        let due = lastTouched.times.withLock { touched in
            if let last = touched[record.id], now.timeIntervalSince(last) < Self.touchInterval { return false }
            touched[record.id] = now
            return true
        }
        // A lost last-used time is not worth refusing a request over.
        if due { try? store.touchAPIKey(id: record.id, at: now) }
        return Principal(tenant: record.tenant, scopes: Set(record.scopes), keyID: record.id, groups: record.groups,
                         requestsPerMinute: record.requestsPerMinute, tokensPerMinute: record.tokensPerMinute)
    }

    /// Tenant names follow knowledge-base names: 1–64 letters, digits, '-', '_' or '.'.
    public static func isValidTenant(_ tenant: String) -> Bool {
        IngestService.isValidName(tenant)
    }

    /// 32 bytes from the system's secure generator as 43 base64url characters.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// The last time each key's use was written, behind a lock: requests check keys concurrently.
private final class TouchTimes: Sendable {
    let times = Mutex<[String: Date]>([:])
}
