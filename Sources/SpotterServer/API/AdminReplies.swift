import Foundation
import SpotterCore

/// `{"refresh": …}`, null when none ran since start.
@MemberwiseInit
package struct RefreshReply: Encodable, Sendable {
    package var refresh: RefreshStatus?

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(refresh, forKey: .refresh)
    }

    enum CodingKeys: String, CodingKey { case refresh }
}

/// `DELETE /admin/cache`: how many cached answers the purge deleted.
@MemberwiseInit
package struct CachePurgeReply: Codable, Sendable {
    package var purged: Int
}

/// `GET /admin/usage`: the period, the grouping and one row per tenant and group.
@MemberwiseInit
package struct UsageReply: Encodable, Sendable {
    package var since: Date
    package var by: UsageGrouping
    package var usage: [UsageRow]
}

/// `GET /admin/audit`: a page of entries in order, and the `after` of the next page (null on the last).
@MemberwiseInit
@SnakeCaseCodingKeys(writesNulls: true)
package struct AuditPage: Encodable, Sendable {
    package var entries: [AuditEntry]
    package var nextAfter: Int64?
}
