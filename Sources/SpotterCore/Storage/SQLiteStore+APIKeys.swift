import Foundation
import GRDB

extension SQLiteStore: APIKeyStore {
    public func insertAPIKey(_ record: APIKeyRecord, hash: String) throws(StoreError) {
        try write("store an API key") { db in
            try db.execute(sql: """
                INSERT INTO api_keys (id, hash, name, tenant, scopes, requests_per_minute, tokens_per_minute, created_at, groups)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [record.id, hash, record.name, record.tenant, record.scopes.map(\.rawValue).joined(separator: ","),
                                 record.requestsPerMinute, record.tokensPerMinute, record.createdAt.timeIntervalSince1970,
                                 Self.encodeJSON(record.groups)])
        }
    }

    public func activeAPIKey(hash: String) throws(StoreError) -> APIKeyRecord? {
        try read("check an API key") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL", arguments: [hash])
                .map(Self.apiKey)
        }
    }

    public func apiKeys(tenant: String?) throws(StoreError) -> [APIKeyRecord] {
        try read("list API keys") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys WHERE ? IS NULL OR tenant = ? ORDER BY created_at, id",
                             arguments: [tenant, tenant]).map(Self.apiKey)
        }
    }

    public func revokeAPIKey(id: String, at date: Date) throws(StoreError) -> Bool {
        try write("revoke an API key") { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           arguments: [date.timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    public func touchAPIKey(id: String, at date: Date) throws(StoreError) {
        try write("record an API key's use") { db in
            try db.execute(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?", arguments: [date.timeIntervalSince1970, id])
        }
    }

    private static func apiKey(_ row: Row) -> APIKeyRecord {
        let scopes = (row["scopes"] as String).split(separator: ",").compactMap { Scope(rawValue: String($0)) }
        let lastUsed: Double? = row["last_used_at"], revoked: Double? = row["revoked_at"]
        return APIKeyRecord(id: row["id"], name: row["name"], tenant: row["tenant"], scopes: scopes,
                            requestsPerMinute: row["requests_per_minute"], tokensPerMinute: row["tokens_per_minute"],
                            groups: decodeJSON(row["groups"]) ?? [],
                            createdAt: Date(timeIntervalSince1970: row["created_at"]),
                            lastUsedAt: lastUsed.map(Date.init(timeIntervalSince1970:)),
                            revokedAt: revoked.map(Date.init(timeIntervalSince1970:)))
    }
}
