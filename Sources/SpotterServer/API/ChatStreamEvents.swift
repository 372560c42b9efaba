import Foundation
import SpotterCore

// The events of a `POST /v1/chat` stream beside `done` (an ``Answer``) and `error` (an ``ErrorEnvelope``).

/// `event: token`: the next piece of the answer's text.
@MemberwiseInit
package struct ChatTokenEvent: Codable, Sendable, JSONWritable {
    package var text: String

    package func write(to json: inout JSONWriter) {
        json.object { json in json.member("text", text) }
    }
}

/// `event: citations`: the passages the answer cites, numbered as in its text.
@MemberwiseInit
package struct ChatCitationsEvent: Codable, Sendable, JSONWritable {
    package var citations: [Citation]

    package func write(to json: inout JSONWriter) {
        json.object { json in json.member("citations", citations) }
    }
}
