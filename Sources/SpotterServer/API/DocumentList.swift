import Foundation
import SpotterCore

/// `GET /v1/documents`: the knowledge base and its documents.
@MemberwiseInit @SnakeCaseCodingKeys
package struct DocumentList: Encodable, Sendable {
    @WireKey("kb") package var knowledgeBase: String
    package var documents: [DocumentSummary]
}
