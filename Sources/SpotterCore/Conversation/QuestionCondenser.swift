import Foundation

/// Turns a follow-up ("and for beginners?") into a question that stands on its own, so that retrieval (and the
/// semantic cache) see what is really asked.
///
/// With a language model configured it asks the model; otherwise, or when the model fails, a deterministic rule
/// joins the follow-up with the previous standalone question when the follow-up leans on it.
@MemberwiseInit
public struct QuestionCondenser: Sendable {
    /// The model to ask; nil uses the rule only.
    public var model: (any ChatModel)?

    public enum Method: String, Sendable {
        case unchanged, model, rule
    }

    public struct Result: Sendable {
        public var question: String
        public var method: Method
    }

    /// `history` is the conversation so far; `previousQuestion` the standalone form of the last question.
    public func condense(_ message: String, history: [ChatMessage], previousQuestion: String?) async -> Result {
        guard !history.isEmpty else { return Result(question: message, method: .unchanged) }
        if let model {
            let transcript = history.suffix(6).map { "\($0.role.rawValue): \(PromptBuilder.clip($0.content, words: 80))" }
                .joined(separator: "\n")
            let request = ChatModelRequest(messages: [
                .system("Rewrite the user's last message as one standalone question that can be understood without the conversation. Keep its meaning, language and details; do not answer it. Reply with the question only."),
                .user("Conversation:\n\(transcript)\n\nLast message: \(message)\n\nStandalone question:"),
            ], temperature: 0, maxTokens: 120)
            if let completion = try? await model.complete(request) {
                let text = completion.text.trimmingCharacters(in: .whitespacesAndNewlines)
                    .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                if !text.isEmpty, text.count <= 1_000 { return Result(question: text, method: .model) }
            }
        }
        let previous = previousQuestion ?? history.last { $0.role == .user }?.content
        guard let previous, Self.leansOnContext(message) else { return Result(question: message, method: .unchanged) }
        return Result(question: "\(previous) \(message)", method: .rule)
    }

    /// Whether a message reads as a follow-up: short, or opening with a connective, or referring back with a pronoun.
    static func leansOnContext(_ message: String) -> Bool {
        let words = message.lowercased().split(whereSeparator: { !$0.isLetter && $0 != "'" }).map(String.init)
        guard let first = words.first else { return false }
        if words.count <= 4 { return true }
        if ["and", "or", "but", "also", "so", "then"].contains(first) { return true }
        if words.count >= 2, ["what", "how"].contains(first), ["about", "if", "else"].contains(words[1]) { return true }
        let references: Set<String> = ["it", "its", "it's", "that", "those", "these", "this", "them", "they", "their", "one", "ones", "same", "there"]
        return words.contains { references.contains($0) }
    }
}
