import Foundation
import SpotterCore
import SpotterTestSupport
import Synchronization
import Testing

/// `deploy/prometheus/alerts.yml` and `deploy/grafana/spotter.json` against what a running server really exports:
/// every series they query must be one `/metrics` shows after traffic (with a language model, so that its series
/// exist too). `promtool check rules` validates the rules when Debian's prometheus package is installed.
extension ChatHTTPTests {
    static let alerts = TestEnvironment.packageRoot.appendingPathComponent("deploy/prometheus/alerts.yml")
    static let dashboard = TestEnvironment.packageRoot.appendingPathComponent("deploy/grafana/spotter.json")

    /// The metric families a server exports after an upstream failure, a miss, a hit, a 422 and a thumbs-down.
    static func exportedFamilies() async throws -> Set<String> {
        try await FakeOpenAIServer.with { llm in
            await llm.setDefault(.answer("Sleep seven to nine hours [1].", usage: TokenUsage(promptTokens: 500, completionTokens: 10)))
            // One failure first (retried), so that the error series exist too.
            await llm.enqueue(.status(503))
            let families = Mutex<Set<String>>([])
            try await withChatServer(llm: llm, configure: { $0.cache.enabled = true; $0.drift.enabled = true }) { base, spotter in
                let question = #"{"message": "How much sleep do I need to recover from training?"}"#
                _ = try await post(base, "/v1/chat", question)
                let hit = try await post(base, "/v1/chat", question)
                _ = try await post(base, "/v1/chat", #"{"message": ""}"#)
                let answerID = try #require(hit.json["answer_id"] as? String)
                _ = try await feedback(base, #"{"answer_id": "\#(answerID)", "rating": "down"}"#)
                await spotter.drift.settle()
                let text = String(decoding: try await Loopback.get(base, "/metrics").data, as: UTF8.self)
                let exported = Set(text.split(separator: "\n").compactMap { line in
                    line.hasPrefix("# TYPE ") ? line.split(separator: " ").dropFirst(2).first.map(String.init) : nil
                })
                families.withLock { $0 = exported }
                _ = try spotter.cache.purge(CachePurge(all: true))
            }
            return families.withLock { $0 }
        }
    }

    /// `spotter_…` names in a query, with histogram suffixes taken back to their family.
    static func referencedFamilies(_ text: String) -> Set<String> {
        let names = text.matches(of: /spotter_[a-z_]+/).map { String($0.output) }
        return Set(names.map { name in
            for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
            return name
        })
    }

    @Test func alertRulesAndTheDashboardQueryOnlyExportedSeries() async throws {
        let exported = try await Self.exportedFamilies()
        #expect(exported.contains("spotter_llm_cost_usd_total") && exported.contains("spotter_http_requests_total"))

        let rules = try String(contentsOf: Self.alerts, encoding: .utf8)
        let blocks = rules.components(separatedBy: "- alert: ").dropFirst()
        #expect(blocks.count >= 6)
        for block in blocks {
            let name = block.prefix { !$0.isNewline }
            for field in ["expr:", "for:", "severity:", "summary:"] {
                #expect(block.contains(field), "alert \(name) has no \(field)")
            }
        }
        let alertNames = Set(blocks.map { String($0.prefix { !$0.isNewline }) })
        for required in ["SpotterCacheMissRateHigh", "SpotterNegativeFeedbackHigh", "SpotterErrorRateHigh", "SpotterChatLatencyHigh", "SpotterDailyCostOverBudget", "SpotterDrifting"] {
            #expect(alertNames.contains(required), "no alert \(required)")
        }
        let unknownInRules = Self.referencedFamilies(rules).subtracting(exported)
        #expect(unknownInRules.isEmpty, "alerts.yml queries series the server does not export: \(unknownInRules.sorted())")

        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dashboard)) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let titles = panels.compactMap { $0["title"] as? String }.joined(separator: " | ").lowercased()
        for topic in ["traffic", "latency", "cache hit", "calls avoided", "cost", "feedback", "retrieval", "drift"] {
            #expect(titles.contains(topic), "no dashboard panel about \(topic)")
        }
        let queries = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(queries.count >= panels.count)
        let unknownInDashboard = Self.referencedFamilies(queries.joined(separator: "\n")).subtracting(exported)
        #expect(unknownInDashboard.isEmpty, "spotter.json queries series the server does not export: \(unknownInDashboard.sorted())")
    }

    /// Debian's prometheus package is optional: without it the rules are checked structurally only (above).
    static let promtool: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent("promtool") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    @Test(.enabled(if: promtool != nil, "promtool is not installed (apt-get install prometheus)"))
    func promtoolAcceptsTheAlertRules() throws {
        let result = try ProcessRunner.run(try #require(Self.promtool), ["check", "rules", Self.alerts.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("SUCCESS"))
    }
}
