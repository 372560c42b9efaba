import Foundation
import GRDB

extension SQLiteStore: TenantStore {
    public func tenantSettings(_ name: String) throws(StoreError) -> TenantSettings? {
        try read("read a tenant's settings") { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tenants WHERE name = ?"), arguments: [name]).map(Self.tenant)
        }
    }

    public func allTenantSettings() throws(StoreError) -> [TenantSettings] {
        try read("list tenants") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tenants ORDER BY name").map(Self.tenant)
        }
    }

    public func saveTenantSettings(_ settings: TenantSettings) throws(StoreError) {
        try write("store a tenant's settings") { db in
            try db.execute(sql: """
                INSERT INTO tenants (name, daily_tokens, daily_usd, on_exhausted, requests_per_minute, tokens_per_minute, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET daily_tokens = excluded.daily_tokens, daily_usd = excluded.daily_usd,
                    on_exhausted = excluded.on_exhausted, requests_per_minute = excluded.requests_per_minute,
                    tokens_per_minute = excluded.tokens_per_minute, updated_at = excluded.updated_at
                """, arguments: [settings.name, settings.dailyTokens, settings.dailyUSD, settings.onExhausted.rawValue,
                                 settings.requestsPerMinute, settings.tokensPerMinute, settings.updatedAt.timeIntervalSince1970])
        }
    }

    public func spending(tenant: String, since start: Date) throws(StoreError) -> Spending {
        try read("sum a tenant's spending") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens, COALESCE(SUM(cost_usd), 0) AS cost
                FROM answers WHERE tenant = ? AND created_at >= ? AND cached = 0 AND model NOT IN ('offline', 'none')
                """, arguments: [tenant, start.timeIntervalSince1970])
            return Spending(tokens: row?["tokens"] ?? 0, costUSD: row?["cost"] ?? 0)
        }
    }

    public func usage(_ query: UsageQuery) throws(StoreError) -> [UsageRow] {
        let group = switch query.by {
        case .day: "strftime('%Y-%m-%d', created_at, 'unixepoch')"
        case .model: "model"
        case .key: "COALESCE(key_id, 'none')"
        }
        return try read("report usage") { db in
            // A cache hit's tokens are 0 in its record (it spent none); what it saved is in saved_*.
            try Row.fetchAll(db, sql: """
                SELECT tenant, \(group) AS grp, COUNT(*) AS requests, SUM(cached) AS hits,
                       SUM(CASE WHEN model IN ('offline', 'none') THEN 0 ELSE prompt_tokens END) AS prompt,
                       SUM(CASE WHEN model IN ('offline', 'none') THEN 0 ELSE completion_tokens END) AS completion,
                       COALESCE(SUM(cost_usd), 0) AS cost, SUM(saved_tokens) AS saved_tokens, SUM(saved_usd) AS saved_usd
                FROM answers WHERE created_at >= ? AND (? IS NULL OR tenant = ?)
                GROUP BY tenant, grp ORDER BY tenant, grp
                """, arguments: [query.since.timeIntervalSince1970, query.tenant, query.tenant]).map { row in
                UsageRow(tenant: row["tenant"], group: row["grp"], requests: row["requests"], cacheHits: row["hits"],
                         promptTokens: row["prompt"], completionTokens: row["completion"], costUSD: row["cost"],
                         savedTokens: row["saved_tokens"], savedUSD: row["saved_usd"])
            }
        }
    }

    private static func tenant(_ row: Row) -> TenantSettings {
        TenantSettings(name: row["name"], dailyTokens: row["daily_tokens"], dailyUSD: row["daily_usd"],
                       onExhausted: BudgetExhaustion(rawValue: row["on_exhausted"]) ?? .block,
                       requestsPerMinute: row["requests_per_minute"], tokensPerMinute: row["tokens_per_minute"],
                       updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}
