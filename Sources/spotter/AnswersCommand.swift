import ArgumentParser
import Foundation
import SpotterCore

struct AnswersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "answers",
        abstract: "The record kept of every answer.",
        subcommands: [Purge.self])

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete answer records older than a given age, with the feedback on them.",
            discussion: """
                A running server does the same by itself, a batch a minute, for records older than \
                SPOTTER_ANSWER_RETENTION (90d unless set; off keeps every record). Conversations are not touched: \
                they expire after SPOTTER_SESSION_TTL of idleness.
                """)

        @OptionGroup var common: CommonOptions

        @Option(name: .customLong("older-than"), help: "An age: 30d, 12h, 90m, or seconds.")
        var olderThan: String

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard let seconds = SpotterConfiguration.duration(olderThan), seconds > 0 else {
                throw ValidationError("--older-than must be an age such as 30d, 12h or 90m, not '\(olderThan)'")
            }
        }

        func run() async throws {
            let store = try Spotter.openStore(common.configuration())
            defer { store.close() }
            let cutoff = Date().addingTimeInterval(-(SpotterConfiguration.duration(olderThan) ?? 0))
            let deleted = try store.deleteAnswers(before: cutoff)
            if json { return JSONLine.print(["deleted": deleted]) }
            print("\(deleted) answer records older than \(olderThan) deleted")
        }
    }
}
