import Foundation
import SpotterCore

/// `GET /readyz`: whether the server answers `/v1/*`, with the model and the knowledge bases it serves.
@MemberwiseInit @SnakeCaseCodingKeys
package struct Readiness: Codable, Sendable {
    package var status: String
    package var model: String
    package var modelVersion: String
    package var knowledgeBases: [String]
}
