import Foundation
import SpotterCore

/// `GET /readyz`: whether the server answers `/v1/*`, with the model and the knowledge bases it serves.
package struct Readiness: Codable, Sendable {
    package var status: String
    package var model: String
    package var modelVersion: String
    package var knowledgeBases: [String]

    package init(status: String, model: String, modelVersion: String, knowledgeBases: [String]) {
        self.status = status
        self.model = model
        self.modelVersion = modelVersion
        self.knowledgeBases = knowledgeBases
    }

    enum CodingKeys: String, CodingKey {
        case status, model
        case modelVersion = "model_version"
        case knowledgeBases = "knowledge_bases"
    }
}
