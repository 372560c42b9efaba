import SpotterCore

/// The body of every error response: `{"error": {"code": "...", "message": "..."}}` (the `Error` schema), and the
/// `error` event of a stream.
@MemberwiseInit
package struct ErrorEnvelope: Codable, Sendable {
    @MemberwiseInit
    package struct Body: Codable, Sendable {
        package var code: String
        package var message: String
    }
    package var error: Body
}
