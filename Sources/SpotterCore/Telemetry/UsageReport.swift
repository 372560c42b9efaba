import Foundation

/// How `spotter usage` and `GET /admin/usage` group the answer records.
public enum UsageGrouping: String, Sendable, CaseIterable, Codable {
    /// Per UTC day (`2026-12-07`).
    case day
    /// Per producer (`openai/gpt-4o-mini`, `offline`, `none` for a not-covered answer); a cached answer counts under
    /// the model that first wrote it.
    case model
    /// Per API key id (`none` for a token's or an open server's caller).
    case key
}

/// Which answer records a usage report covers.
@MemberwiseInit
public struct UsageQuery: Sendable, Equatable {
    /// One tenant's; nil for every tenant (the server administrator's report).
    public var tenant: String? = nil
    public var since: Date
    public var by: UsageGrouping = .day
}

/// One group of a usage report: what the answers took, and what the cache saved by answering again for free.
@MemberwiseInit
@SnakeCaseCodingKeys
public struct UsageRow: Sendable, Equatable, Codable {
    public var tenant: String
    /// The day, model or key id, as the query grouped.
    public var group: String
    public var requests: Int
    /// Answers served from the semantic cache.
    public var cacheHits: Int
    public var promptTokens: Int
    public var completionTokens: Int
    @WireKey("cost_usd") public var costUSD: Double
    /// Model tokens and cost the cache hits did not spend (what their answers took when first written).
    public var savedTokens: Int
    @WireKey("saved_usd") public var savedUSD: Double

    /// The CSV header and rows of a report (comma-separated; fields quoted when they hold a comma or a quote).
    public static func csv(_ rows: [UsageRow], groupedBy grouping: UsageGrouping) -> String {
        var lines = ["tenant,\(grouping.rawValue),requests,cache_hits,prompt_tokens,completion_tokens,cost_usd,saved_tokens,saved_usd"]
        for row in rows {
            let fields = [Self.quoted(row.tenant), Self.quoted(row.group), String(row.requests), String(row.cacheHits),
                          String(row.promptTokens), String(row.completionTokens), Self.amount(row.costUSD),
                          String(row.savedTokens), Self.amount(row.savedUSD)]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func amount(_ value: Double) -> String { String(format: "%.6f", value) }

    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
