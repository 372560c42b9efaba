import ArgumentParser
import Foundation
import Logging
import SpotterCore

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect and purge the semantic cache.",
        subcommands: [Stats.self, Purge.self])

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cached answers per scope, hits, tokens and cost saved, false hits.")

        @OptionGroup var common: CommonOptions

        @Flag(help: "Print the statistics as JSON.")
        var json = false

        @Option(help: "Only this tenant's answers (default: every tenant's).")
        var tenant: String?

        func run() async throws {
            let store = try Spotter.openStore(common.configuration())
            defer { store.close() }
            let statistics = try store.cacheStatistics(tenant: tenant)
            if json { return JSONLine.print(statistics) }
            print("\(statistics.entries) cached answers, \(statistics.hits) hits, \(statistics.savedTokens) tokens saved"
                + String(format: " ($%.4f)", statistics.savedCostUSD) + ", \(statistics.falseHits) false hits reported")
            for scope in statistics.scopes {
                print("  tenant \(scope.tenant)  kb \(scope.knowledgeBase)  assistant \(scope.assistant)  prompt \(scope.promptVersion): \(scope.entries) answers, \(scope.hits) hits")
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete cached answers by scope.",
            discussion: "Every option given must match; --all deletes every cached answer. A running server stops serving purged answers at once.")

        @OptionGroup var common: CommonOptions

        @Option(help: "Only this tenant's answers.")
        var tenant: String?

        @Option(help: "Only answers from this knowledge base.")
        var kb: String?

        @Option(help: "Only this assistant's answers.")
        var assistant: String?

        @Option(name: .customLong("prompt-version"), help: "Only answers written with this prompt (id@version).")
        var promptVersion: String?

        @Flag(help: "Delete every cached answer.")
        var all = false

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            do {
                _ = try purge()
            } catch {
                throw ValidationError(error.message { "--" + $0.replacingOccurrences(of: "_", with: "-") })
            }
        }

        private func purge() throws(CachePurgeError) -> CachePurge {
            try CachePurge(tenant: tenant, knowledgeBase: kb, assistant: assistant, promptVersion: promptVersion, all: all)
        }

        func run() async throws {
            let store = try Spotter.openStore(common.configuration())
            defer { store.close() }
            let scope = try purge()
            let removed = try scope.perform(in: store, logger: Logger(label: "spotter.cache"))
            CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: scope.filter.tenant ?? "*", action: .cachePurged,
                                     target: CommandLine.arguments.dropFirst(3).joined(separator: " "),
                                     detail: ["purged": String(removed.count)]), in: store)
            if json { return JSONLine.print(["purged": removed.count]) }
            print("purged \(removed.count) cached answer\(removed.count == 1 ? "" : "s")")
        }
    }
}
