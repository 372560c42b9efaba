import Foundation

/// The JSON of OpenAI's `/chat/completions` as far as Spotter reads and writes it; unknown fields are ignored so
/// llama.cpp, vLLM, Ollama and Azure extensions decode too.
enum OpenAIChatWireFormat {
    @SnakeCaseCodingKeys
    struct Request: Encodable {
        struct StreamOptions: Encodable {
            var includeUsage: Bool
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        var model: String
        var messages: [ChatMessage]
        var stream: Bool
        var streamOptions: StreamOptions?
        var temperature: Double?
        var maxTokens: Int?
        var user: String?
    }

    /// One `data:` event of a streamed answer.
    struct Chunk: Decodable {
        @SnakeCaseCodingKeys
        struct Choice: Decodable {
            struct Delta: Decodable {
                var content: String?
            }

            var delta: Delta?
            var finishReason: String?
        }

        var choices: [Choice]?
        var usage: TokenUsage?
        var error: ErrorBody.Detail?
    }

    /// `{"error": {"message": …}}`, the body of OpenAI's error responses (and of some servers' mid-stream errors).
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var message: String?
            var type: String?
        }

        var error: Detail?
    }
}

extension FinishReason {
    /// Maps OpenAI's `finish_reason`; `tool_calls`, `function_call` and unknown reasons count as a normal stop.
    init(wireValue: String) {
        self = FinishReason(rawValue: wireValue) ?? (wireValue == "max_tokens" ? .length : .stop)
    }
}
