import Foundation
import SpotterCore

// The events of a `POST /v1/chat` stream beside `done` (an ``Answer``) and `error` (an ``ErrorEnvelope``).

/// `event: token`: the next piece of the answer's text.
package struct ChatTokenEvent: Codable, Sendable, JSONWritable {
    package var text: String

    package init(text: String) {
        self.text = text
    }

    package func write(to json: inout JSONWriter) {
        json.object { json in json.member("text", text) }
    }
}

/// `event: citations`: the passages the answer cites, numbered as in its text.
package struct ChatCitationsEvent: Codable, Sendable, JSONWritable {
    package var citations: [Citation]

    package init(citations: [Citation]) {
        self.citations = citations
    }

    package func write(to json: inout JSONWriter) {
        json.object { json in json.member("citations", citations) }
    }
}
