import Foundation
import SpotterCore

/// The request fields Spotter uses; other OpenAI parameters (top_p, stop, seed, …) are accepted and ignored so
/// that SDK defaults never fail.
@SnakeCaseCodingKeys
struct ChatCompletionRequest: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String
        var content: MessageContent?
    }

    /// A string, or a list of parts of which the text parts are used.
    struct MessageContent: Decodable, Sendable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self.text = text
                return
            }
            struct Part: Decodable { var type: String; var text: String? }
            let parts = try container.decode([Part].self)
            text = parts.compactMap { $0.type == "text" ? $0.text : nil }.joined(separator: "\n")
        }
    }

    struct StreamOptions: Decodable, Sendable { var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    var model: String?
    var messages: [Message]
    var stream: Bool?
    var temperature: Double?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var user: String?
    var n: Int?
    var streamOptions: StreamOptions?
}
