import Foundation

/// An API key as the store keeps it: everything but the key, which is kept only as its keyed hash.
@MemberwiseInit
@SnakeCaseCodingKeys
public struct APIKeyRecord: Sendable, Equatable, Codable {
    public var id: String
    public var name: String?
    public var tenant: String
    public var scopes: [Scope]
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    /// The caller's groups, for per-document permissions.
    public var groups: [String] = []
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
}

/// What `spotter keys create` prints once (`--json`: one line of this); the key is not shown again.
@MemberwiseInit
public struct CreatedAPIKey: Sendable, Equatable, Codable {
    public var id: String
    public var key: String
    public var tenant: String
    public var scopes: [Scope]
}

/// The API keys of every tenant.
public protocol APIKeyStore: Sendable {
    /// Stores a new key by its keyed hash.
    func insertAPIKey(_ record: APIKeyRecord, hash: String) throws(StoreError)
    /// The active (not revoked) key with this hash, or nil.
    func activeAPIKey(hash: String) throws(StoreError) -> APIKeyRecord?
    /// Every key, revoked ones included, oldest first; only one tenant's with `tenant`.
    func apiKeys(tenant: String?) throws(StoreError) -> [APIKeyRecord]
    /// Marks the key revoked; false when there is no active key with this id.
    func revokeAPIKey(id: String, at date: Date) throws(StoreError) -> Bool
    /// Records when the key was last used.
    func touchAPIKey(id: String, at date: Date) throws(StoreError)
}
