import Foundation
import SpotterCore

/// `GET /v1/documents`: the knowledge base and its documents.
package struct DocumentList: Encodable, Sendable {
    package var knowledgeBase: String
    package var documents: [DocumentSummary]

    package init(knowledgeBase: String, documents: [DocumentSummary]) {
        self.knowledgeBase = knowledgeBase
        self.documents = documents
    }

    enum CodingKeys: String, CodingKey {
        case documents
        case knowledgeBase = "kb"
    }
}
