import ArgumentParser
import Foundation
import SpotterCore

struct FeedbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Users' verdicts on answers.",
        subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rated answers for offline analysis and fine-tuning sets: question, answer, context, rating, correction.",
            discussion: """
                One row per answer and user, oldest rating first. JSONL holds the cited passages as a list; CSV \
                (RFC 4180, with a header) joins them with a blank line.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "Only feedback given or changed since then: a date (2026-11-01, or ISO 8601 with a time) or a span back from now (30d, 12h, 45m).")
        var since: String?

        @Option(help: "jsonl or csv.")
        var format: String = "jsonl"

        @Option(help: "Only this rating: up or down.")
        var rating: String?

        @Option(help: "Write here instead of standard output.")
        var output: String?

        func validate() throws {
            guard FeedbackExport.Format(rawValue: format) != nil else {
                throw ValidationError("--format must be jsonl or csv, not '\(format)'")
            }
            if let rating, Rating(rawValue: rating) == nil { throw ValidationError("--rating must be up or down, not '\(rating)'") }
            if let since, Self.date(since, now: Date()) == nil {
                throw ValidationError("--since must be a date (2026-11-01 or 2026-11-01T08:00:00Z) or a span such as 30d, 12h or 45m, not '\(since)'")
            }
        }

        func run() async throws {
            let store = try Spotter.openStore(common.configuration())
            defer { store.close() }
            let examples = try store.feedbackExamples(since: since.flatMap { Self.date($0, now: Date()) },
                                                      rating: rating.flatMap(Rating.init(rawValue:)))
            let text = FeedbackExport.render(examples, as: FeedbackExport.Format(rawValue: format) ?? .jsonl)
            if let output {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
                printError("\(examples.count) rated answers written to \(output)")
            } else {
                print(text, terminator: "")
            }
        }

        /// A date, an ISO 8601 timestamp, or a span back from `now` (`30d`, `12h`, `45m`).
        static func date(_ text: String, now: Date) -> Date? {
            SpotterConfiguration.pointInTime(text, now: now)
        }
    }
}
