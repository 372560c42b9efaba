/// Builds the messages a model is sent: the system prompt, the conversation so far within a token budget, and the
/// question with its numbered passages.
@MemberwiseInit
public struct PromptBuilder: Sendable {
    /// Tokens the history may take: the newest turns verbatim, older ones as a one-line summary each.
    public var historyTokenBudget: Int = 1_200

    /// The prompt and what went into it.
    public struct Built: Sendable {
        public var messages: [ChatMessage]
        public var verbatimTurns: Int
        public var summarisedTurns: Int
        public var estimatedTokens: Int
    }

    public func build(system: String, passages: [GroundingPassage], history: [ChatMessage], question: String) -> Built {
        var messages = [ChatMessage.system(system)]
        // Newest first, verbatim while the budget lasts; the rest is summarised by the user's own questions, which
        // keeps what was discussed without re-sending long answers.
        var verbatim: [ChatMessage] = []
        var used = 0
        var cut = history.count
        for index in history.indices.reversed() {
            let cost = TokenEstimator.tokens(in: history[index].content) + TokenEstimator.tokensPerMessage
            if used + cost > historyTokenBudget { break }
            used += cost
            verbatim.insert(history[index], at: 0)
            cut = index
        }
        let older = history[..<cut]
        if !older.isEmpty {
            let questions = older.filter { $0.role == .user }.map { "- " + Self.clip($0.content, words: 30) }
            messages.append(.system("Earlier in this conversation the user asked:\n" + questions.joined(separator: "\n")))
        }
        messages += verbatim
        let sources = passages.map { "[\($0.number)] \($0.title)\n\($0.text)" }.joined(separator: "\n\n")
        let body = passages.isEmpty
            ? "There are no passages for this question.\n\nQuestion: \(question)"
            : "Passages:\n\n\(sources)\n\nQuestion: \(question)"
        messages.append(.user(body))
        let total = TokenEstimator.tokens(in: messages)
        return Built(messages: messages, verbatimTurns: verbatim.count, summarisedTurns: older.count, estimatedTokens: total)
    }

    static func clip(_ text: String, words: Int) -> String {
        // Most texts clipped are short, single-spaced ASCII questions: returned as they are, without splitting.
        var spaces = 0, previous = UInt8(ascii: " "), plain = true
        for byte in text.utf8 {
            let space = byte == UInt8(ascii: " ")
            if byte < 0x20 || byte >= 0x80 || (space && previous == UInt8(ascii: " ")) { plain = false; break }
            if space { spaces += 1 }
            previous = byte
        }
        if plain, previous != UInt8(ascii: " "), spaces < words { return text }
        let parts = text.split(whereSeparator: { $0.isWhitespace })
        return parts.count > words ? parts.prefix(words).joined(separator: " ") + " …" : parts.joined(separator: " ")
    }
}
