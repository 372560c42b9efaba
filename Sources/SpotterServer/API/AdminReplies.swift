import Foundation
import SpotterCore

/// `{"refresh": …}`, null when none ran since start.
package struct RefreshReply: Encodable, Sendable {
    package var refresh: RefreshStatus?

    package init(refresh: RefreshStatus? = nil) {
        self.refresh = refresh
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(refresh, forKey: .refresh)
    }

    enum CodingKeys: String, CodingKey { case refresh }
}

/// `DELETE /admin/cache`: how many cached answers the purge deleted.
package struct CachePurgeReply: Codable, Sendable {
    package var purged: Int

    package init(purged: Int) {
        self.purged = purged
    }
}
