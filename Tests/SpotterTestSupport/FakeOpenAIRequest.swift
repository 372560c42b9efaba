import Foundation
import SpotterCore

/// One request the ``FakeOpenAIServer`` received.
public struct FakeOpenAIRequest: Sendable {
    /// The `/v1/chat/completions` body, decoded; nil for other routes or a body that is not such JSON.
    public struct ChatBody: Sendable, Decodable, Equatable {
        public struct StreamOptions: Sendable, Decodable, Equatable {
            public var includeUsage: Bool?
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        public var model: String?
        public var messages: [ChatMessage]
        public var stream: Bool?
        public var streamOptions: StreamOptions?
        public var temperature: Double?
        public var maxTokens: Int?
        public var user: String?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature, user
            case streamOptions = "stream_options"
            case maxTokens = "max_tokens"
        }
    }

    public var method: String
    public var path: String
    public var query: String?
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: String
    public var chat: ChatBody?
    public var receivedAt: ContinuousClock.Instant
}

/// A client that closed its connection while the server was still streaming a response to it.
public struct FakeOpenAIDisconnect: Sendable {
    /// The position of the request in ``FakeOpenAIServer/requests``.
    public var requestIndex: Int
    /// Stream chunks written before the client went away.
    public var chunksSent: Int
    public var at: ContinuousClock.Instant
}
