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

        @Flag(help: "Print the server's report as JSON.")
        var json = false

        func run() async throws {
            let (base, body) = try await DriftCommand.ask(post: false, "/admin/drift", url: url, common: common)
            if json { return print(String(decoding: body, as: UTF8.self)) }
            guard let report = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let signals = report["signals"] as? [[String: Any]] else {
                throw ValidationError("\(base)/admin/drift did not answer with a drift report")
            }
            if report["enabled"] as? Bool == false { print("drift detection is off (SPOTTER_DRIFT=off)") }
            print("window \(report["window"] ?? "?"), query-shift reference \(report["reference_samples"] ?? 0) questions")
            print("signal                   state     value    samples  trigger  since")
            for signal in signals {
                let value = (signal["value"] as? Double).map { String(format: "%.3f", $0) } ?? "-"
                let samples = "\(signal["samples"] ?? 0)/\(signal["minimum_samples"] ?? 0)"
                let trigger = (signal["trigger"] as? Double).map { String(format: "%.3f", $0) } ?? "-"
                print(pad(signal["signal"], 24), pad(signal["state"], 9), pad(value, 8), pad(samples, 8), pad(trigger, 8),
                      signal["since"] as? String ?? "")
            }
            if let refresh = report["refresh"] as? [String: Any] {
                print("latest refresh: \(refresh["state"] ?? "?") (\(refresh["trigger"] ?? "?"), started \(refresh["started_at"] ?? "?"))")
            }
        }

        private func pad(_ value: Any?, _ width: Int) -> String {
            let text = value.map { "\($0)" } ?? "-"
            return text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
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

        func run() async throws {
            let (base, body) = try await DriftCommand.ask(post: true, "/admin/drift/rebaseline", url: url, common: common)
            let window = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["window"] as? Int
            print("\(base): query-shift baseline cleared; the next \(window.map(String.init) ?? "window of") questions form the new reference")
        }
    }

    /// Sends one request to a running server's admin API; returns its address and the 200 body.
    static func ask(post: Bool, _ path: String, url: String?, common: CommonOptions) async throws -> (base: String, body: Data) {
        let configuration = try common.configuration()
        let base = (url ?? "http://\(configuration.host):\(configuration.port)").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: .seconds(3), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let body: Data
        do {
            var request = HTTPClientRequest(url: base + path)
            request.method = post ? .POST : .GET
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
