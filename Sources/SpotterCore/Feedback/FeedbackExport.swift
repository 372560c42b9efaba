import Foundation

/// One rated answer, as `spotter feedback export` writes it: what was asked, what came back, the passages it was
/// written from, and the verdict. The rows for offline analysis and for fine-tuning or evaluation sets.
@SnakeCaseCodingKeys
public struct FeedbackExample: Sendable, Equatable, Codable {
    public var answerID: String
    public var user: String
    public var rating: Rating
    public var reason: String?
    public var comment: String?
    public var correction: String?
    public var question: String
    public var standaloneQuestion: String
    public var answer: String
    /// The text of each passage the answer cites (the snippet when the chunk has since been deleted).
    public var context: [String]
    public var model: String
    public var promptVersion: String
    @WireKey("kb") public var knowledgeBase: String
    public var cached: Bool
    public var answeredAt: Date
    public var ratedAt: Date
}

/// Writes feedback examples as JSON Lines or CSV.
public enum FeedbackExport {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl, csv
    }

    public static let csvColumns = ["answer_id", "rated_at", "user", "rating", "reason", "comment", "correction", "question",
                                    "standalone_question", "answer", "context", "model", "prompt_version", "kb", "cached", "answered_at"]

    /// The whole export, one example per line (JSONL) or row (CSV, with a header; passages separated by a blank line).
    public static func render(_ examples: [FeedbackExample], as format: Format) -> String {
        switch format {
        case .jsonl:
            return examples.map { CanonicalJSON.string($0) + "\n" }.joined()
        case .csv:
            let dates = ISO8601DateFormatter()
            var lines = [csvColumns.joined(separator: ",")]
            for example in examples {
                let fields: [String] = [
                    example.answerID, dates.string(from: example.ratedAt), example.user, example.rating.rawValue,
                    example.reason ?? "", example.comment ?? "", example.correction ?? "", example.question,
                    example.standaloneQuestion, example.answer, example.context.joined(separator: "\n\n"), example.model,
                    example.promptVersion, example.knowledgeBase, example.cached ? "true" : "false",
                    dates.string(from: example.answeredAt),
                ]
                lines.append(fields.map(csvField).joined(separator: ","))
            }
            return lines.joined(separator: "\r\n") + "\r\n"
        }
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
