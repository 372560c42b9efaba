import ArgumentParser
import AsyncHTTPClient
import Foundation
import SpotterCore

struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Drift detection: the signals of a running server, and the questions the knowledge base cannot answer.",
        subcommands: [Status.self, Rebaseline.self, Gaps.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each drift signal of a running server (GET /admin/drift).",
            discussion: """
                The signals live in the server that watches the traffic: cache-miss rate, negative-feedback rate, \
                query shift (KS test) and knowledge gaps, each ok, warning or drifting, with the latest refresh.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "The server's address (default: http://$SPOTTER_HOST:$SPOTTER_PORT).")
        var url: String?

        @OptionGroup var apiKey: APIKeyOption

        @Flag(help: "Print the server's report as JSON.")
        var json = false

        func run() async throws {
            let (base, body) = try await DriftCommand.ask(post: false, "/admin/drift", url: url, apiKey: apiKey.resolved, common: common)
            if json { return print(String(decoding: body, as: UTF8.self)) }
            let report = try DriftCommand.report(body, from: "\(base)/admin/drift")
            if !report.enabled { print("drift detection is off (SPOTTER_DRIFT=off)") }
            print("window \(report.window), query-shift reference \(report.referenceSamples) questions")
            print("signal                   state     value    samples  trigger  since")
            for signal in report.signals {
                let value = signal.value.map { String(format: "%.3f", $0) } ?? "-"
                print(pad(signal.signal.rawValue, 24), pad(signal.state.rawValue, 9), pad(value, 8),
                      pad("\(signal.samples)/\(signal.minimumSamples)", 8), pad(String(format: "%.3f", signal.trigger), 8),
                      signal.since.formatted(.iso8601))
            }
            if let refresh = report.refresh {
                print("latest refresh: \(refresh.state.rawValue) (\(refresh.trigger), started \(refresh.startedAt.formatted(.iso8601)))")
            }
        }

        private func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
    }

    struct Rebaseline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a new query-shift baseline in a running server (POST /admin/drift/rebaseline).",
            discussion: """
                The centroids are computed again from the knowledge bases as they are now, and the next window of \
                questions becomes the reference: after documents were added on purpose, the questions they answer \
                then stop counting as a shift. The query-shift signal returns to ok; the other signals are untouched.
                """)

        @OptionGroup var common: CommonOptions

        @Option(help: "The server's address (default: http://$SPOTTER_HOST:$SPOTTER_PORT).")
        var url: String?

        @OptionGroup var apiKey: APIKeyOption

        func run() async throws {
            let (base, body) = try await DriftCommand.ask(post: true, "/admin/drift/rebaseline", url: url, apiKey: apiKey.resolved, common: common)
            let report = try DriftCommand.report(body, from: "\(base)/admin/drift/rebaseline")
            print("\(base): query-shift baseline cleared; the next \(report.window) questions form the new reference")
        }
    }

    /// The server's drift report, decoded as the server's own type.
    static func report(_ body: Data, from address: String) throws -> DriftReport {
        do {
            return try CanonicalJSON.decode(DriftReport.self, from: body)
        } catch {
            throw ValidationError("\(address) did not answer with a drift report (\(error))")
        }
    }

    /// Sends one request to a running server's admin API; returns its address and the 200 body.
    static func ask(post: Bool, _ path: String, url: String?, apiKey: String?, common: CommonOptions) async throws -> (base: String, body: Data) {
        let configuration = try common.configuration()
        let base = (url ?? "http://\(configuration.host):\(configuration.port)").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: .seconds(3), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let body: Data
        do {
            var request = HTTPClientRequest(url: base + path)
            request.method = post ? .POST : .GET
            if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
            let response = try await client.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 4 << 20)
            body = Data(buffer: bytes)
            guard response.status.code == 200 else {
                try? await client.shutdown()
                throw ValidationError("\(base)\(path) answered \(response.status.code): \(String(decoding: body, as: UTF8.self))")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            try? await client.shutdown()
            throw ValidationError("cannot reach a Spotter server at \(base) (\(error)); start one with `spotter serve` or pass --url")
        }
        try? await client.shutdown()
        return (base, body)
    }

    struct Gaps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Group the questions answered \"not covered\" by topic, most asked first: the documents to write.",
            discussion: "Reads the answer log of the store (the server does not need to run); the same report is at GET /admin/drift/gaps.")

        @OptionGroup var common: CommonOptions

        @Option(help: "Questions asked since then: a date (2026-11-01) or a span back from now (7d, 12h, 45m).")
        var since = "7d"

        @Option(name: .customLong("kb"), help: "Only questions to this knowledge base.")
        var knowledgeBase: String?

        @Option(help: "At most this many groups (1–50).")
        var gaps = 10

        @Flag(help: "Print the report as JSON.")
        var json = false

        func validate() throws {
            guard SpotterConfiguration.pointInTime(since, now: Date()) != nil else {
                throw ValidationError("--since must be a date (2026-11-01) or a span such as 7d, 12h or 45m, not '\(since)'")
            }
            guard (1...50).contains(gaps) else { throw ValidationError("--gaps must be 1–50, not \(gaps)") }
        }

        func run() async throws {
            let configuration = try common.configuration()
            let spotter = try Spotter(configuration: configuration, logger: common.logger(configuration))
            let report: KnowledgeGapReport
            do {
                report = try await spotter.knowledgeGaps(since: SpotterConfiguration.pointInTime(since, now: Date())!,
                                                         knowledgeBase: knowledgeBase, maximumGaps: gaps)
            } catch {
                await spotter.shutdown()
                throw error
            }
            await spotter.shutdown()
            if json { return JSONLine.print(report) }
            guard !report.gaps.isEmpty else { return print("no unanswered questions since \(since)") }
            print("\(report.questions) unanswered questions (\(report.distinctQuestions) distinct) since \(since), in \(report.gaps.count) groups:")
            for (number, gap) in report.gaps.enumerated() {
                print("\n\(number + 1). \(gap.representative)  (\(gap.count) asked, kb \(gap.knowledgeBases.joined(separator: ", ")))")
                for example in gap.examples where example != gap.representative { print("   - \(example)") }
            }
        }
    }
}
