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
