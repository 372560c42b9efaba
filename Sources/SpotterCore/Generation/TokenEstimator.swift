/// A cheap token count for when the upstream reports no usage (older llama.cpp, some proxies), so cost and limits
/// still have a number. Not a tokenizer: expect ±25 % on English prose.
///
/// BPE tokenizers average about 4 UTF-8 bytes per token on English and about 0.75 words per token; each rule alone
/// errs on some text (long identifiers, short words, non-Latin scripts whose characters take 2–4 bytes), so the
/// estimate is the mean of the two, rounded up:
/// `ceil((utf8Bytes / 4 + words × 4/3) / 2)`. Chat messages add OpenAI's framing: 4 tokens per message and 3 that
/// prime the reply.
public enum TokenEstimator {
    /// Tokens per message for the role and separators, as OpenAI's cookbook counts them.
    public static let tokensPerMessage = 4
    /// Tokens that start the assistant's reply.
    public static let replyPriming = 3

    /// The estimated token count of `text`; 0 for empty text.
    public static func tokens(in text: String) -> Int {
        let bytes = Double(text.utf8.count)
        guard bytes > 0 else { return 0 }
        var words = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let isSpace = scalar.properties.isWhitespace
            if !isSpace && !inWord { words += 1 }
            inWord = !isSpace
        }
        return Int(((bytes / 4 + Double(words) * 4 / 3) / 2).rounded(.up))
    }

    /// The estimated prompt tokens of a conversation.
    public static func tokens(in messages: [ChatMessage]) -> Int {
        messages.reduce(replyPriming) { $0 + tokensPerMessage + tokens(in: $1.content) }
    }

    /// Usage for an answer the upstream did not count, marked ``TokenUsage/estimated``.
    public static func usage(prompt messages: [ChatMessage], completion: String) -> TokenUsage {
        TokenUsage(promptTokens: tokens(in: messages), completionTokens: tokens(in: completion), estimated: true)
    }
}
