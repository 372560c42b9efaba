import Foundation
import SpotterCore

/// `GET /v1/sessions/{id}`: a live session and its messages (the `Session` schema).
@MemberwiseInit @SnakeCaseCodingKeys
package struct SessionView: Encodable {
    package var sessionID: String
    package var kb: String
    package var assistant: String
    package var createdAt: Date
    package var updatedAt: Date
    package var expiresAt: Date
    package var messages: [StoredMessage]
}
