/// The body of every error response: `{"error": {"code": "...", "message": "..."}}` (the `Error` schema), and the
/// `error` event of a stream.
package struct ErrorEnvelope: Codable, Sendable {
    package struct Body: Codable, Sendable {
        package var code: String
        package var message: String

        package init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }
    package var error: Body

    package init(error: Body) {
        self.error = error
    }
}
