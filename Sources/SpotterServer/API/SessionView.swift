import Foundation
import SpotterCore

/// `GET /v1/sessions/{id}`: a live session and its messages (the `Session` schema).
package struct SessionView: Encodable {
    package var sessionID: String
    package var kb: String
    package var assistant: String
    package var createdAt: Date
    package var updatedAt: Date
    package var expiresAt: Date
    package var messages: [StoredMessage]

    package init(sessionID: String, kb: String, assistant: String, createdAt: Date, updatedAt: Date, expiresAt: Date, messages: [StoredMessage]) {
        self.sessionID = sessionID
        self.kb = kb
        self.assistant = assistant
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.expiresAt = expiresAt
        self.messages = messages
    }

    enum CodingKeys: String, CodingKey {
        case kb, assistant, messages
        case sessionID = "session_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case expiresAt = "expires_at"
    }
}
