/// The body of every error response: `{"error": {"code": "...", "message": "..."}}` (the `Error` schema), and the
/// `error` event of a stream.
struct ErrorEnvelope: Codable, Sendable {
    struct Body: Codable, Sendable {
        var code: String
        var message: String
    }
    var error: Body
}
