import SpotterCore

/// What the ``FakeOpenAIServer`` does with one `/v1/chat/completions` request.
public indirect enum FakeOpenAIBehaviour: Sendable, Equatable {
    /// Answers `text`: streamed as one chunk per word (then the finish reason, the usage when given, `[DONE]`) when
    /// the request says `stream`, else one `chat.completion` JSON.
    case answer(String, usage: TokenUsage? = nil)
    /// Answers an error status with OpenAI's error JSON (or `body` verbatim) and an optional `Retry-After` value.
    case status(Int, retryAfter: String? = nil, body: String? = nil)
    /// Streams the role chunk, then a chunk that is not JSON, then `[DONE]`: no text before the broken chunk.
    case malformedJSON
    /// Streams `text` a word per chunk, then ends the response without a finish reason or `[DONE]`.
    case stopWithoutDone(String = "an unfinished answer")
    /// Streams the role chunk and `chunks` word chunks, then sends nothing more and keeps the connection open until
    /// the client goes away (or the server stops).
    case hangAfter(chunks: Int)
    /// Waits `seconds`, then does `then`.
    case delay(Double, then: FakeOpenAIBehaviour = .answer("Hello after a pause."))

    /// A plain three-word answer with usage.
    public static let hello = FakeOpenAIBehaviour.answer("Hello from fake", usage: TokenUsage(promptTokens: 12, completionTokens: 3))
}
