import Foundation
import Hummingbird
import SpotterCore
import SpotterTestSupport
import Synchronization
import Testing

/// The MLOps loop end to end, over real loopback HTTP: traffic drives each drift signal past its trigger, the
/// signal's actions fire (a webhook received by a loopback server, a refresh that picks up a changed document) and
/// the signals return to ok when the traffic does.
@Suite(.serialized) struct DriftHTTPTests {
    static let onTopic = [
        "How long should I rest between sets?",
        "How much protein do people who exercise need per day?",
        "How much water should I drink when I exercise?",
        "How should I warm up before a workout?",
        "How many minutes of aerobic activity should adults do each week?",
    ]

    static let offTopic = [
        "What is the capital of Mongolia?", "How do I fix a leaking kitchen tap?", "Who wrote the novel Middlemarch?",
        "How do I change the oil in a diesel car?", "What is the best way to learn the violin?",
        "How are sovereign bonds priced?", "Which planets have rings?", "How do I set up a home aquarium?",
        "What is the plot of Hamlet?", "How do I bake sourdough bread?", "How do tax brackets work in Canada?",
        "What causes the northern lights?", "How do I repot an orchid?", "Who invented the printing press?",
        "How do I write a cover letter for a law firm?", "What is quantum entanglement?",
        "How do I grow tomatoes on a balcony?", "What is the history of the Byzantine Empire?",
        "How do I knit a scarf?", "How does a jet engine work?", "What is the exchange rate of the yen?",
        "How do I paint a watercolour landscape?",
    ]

    /// Receives webhook POSTs on loopback and keeps their JSON bodies.
    final class WebhookReceiver: Sendable {
        private let received = Mutex<[Data]>([])
        /// The first this many deliveries are refused with 503, to exercise the retry.
        let refuse = Mutex(1)

        /// The JSON bodies received so far, in order.
        var bodies: [[String: Any]] {
            received.withLock { $0 }.map { (try? JSONSerialization.jsonObject(with: $0) as? [String: Any]) ?? [:] }
        }

        func changes(_ signal: String) -> [String] {
            bodies.filter { $0["signal"] as? String == signal }.compactMap { $0["state"] as? String }
        }

        func run(_ body: @Sendable (URL) async throws -> Void) async throws {
            let router = Router()
            router.post("/hook") { [self] request, _ -> Response in
                let data = try await request.body.collect(upTo: 1 << 20)
                if refuse.withLock({ count in defer { count -= 1 }; return count > 0 }) { return Response(status: .serviceUnavailable) }
                received.withLock { $0.append(Data(buffer: data)) }
                return Response(status: .noContent)
            }
            try await Loopback.withApplication({ onRunning in
                Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                            onServerRunning: { await onRunning($0.localAddress?.port ?? 0) }, logger: Loopback.quietLogger)
            }, { base in try await body(base.appendingPathComponent("hook")) })
        }
    }

    static func chat(_ base: URL, _ question: String) async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: ["message": question])
        let result = try await Loopback.send("POST", base.appendingPathComponent("v1/chat"), body: body, contentType: "application/json")
        #expect(result.status == 200, "\(question): \(result.text)")
        return result.json
    }

    static func signals(_ base: URL) async throws -> [String: [String: Any]] {
        let report = try await Loopback.get(base, "/admin/drift")
        #expect(report.status == 200)
        let list = report.json["signals"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.compactMap { signal in (signal["signal"] as? String).map { ($0, signal) } })
    }

    static func state(_ signals: [String: [String: Any]], _ signal: String) -> String? {
        signals[signal]?["state"] as? String
    }

    /// Polls `condition` (webhooks and refreshes run behind the answers) for up to a minute; false if it never held.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<600 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func trafficDrivesEachSignalToItsActionAndBack() async throws {
        let receiver = WebhookReceiver()
        try await receiver.run { hook in
            // The knowledge base is a copy of the demo guides, so that the test can change a document on disk.
            let sources = try TestEnvironment.temporaryDirectory("drift-sources")
            for name in try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.demoGuides.path) where name.hasSuffix(".md") {
                try FileManager.default.copyItem(at: TestEnvironment.demoGuides.appendingPathComponent(name),
                                                 to: sources.appendingPathComponent(name))
            }
            var configuration = TestEnvironment.configuration(dataDirectory: try TestEnvironment.temporaryDirectory("drift"))
            configuration.cache.enabled = true
            configuration.drift.enabled = true
            configuration.drift.window = 20
            configuration.drift.minimumSamples = 10
            configuration.drift.webhook = hook
            let spotter = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
            _ = try await spotter.ingest.ingest(paths: [sources.path], options: IngestOptions(knowledgeBase: "default"))

            try await Loopback.withServer(spotter) { base in
                // 1. Usual traffic: each of five questions asked four times, so most are served from the cache. The
                //    first twenty questions are also the query-shift reference.
                var answerIDs: [String] = []
                for question in Self.onTopic {
                    for _ in 0..<4 { answerIDs.append(try #require(try await Self.chat(base, question)["answer_id"] as? String)) }
                }
                var signals = try await Self.signals(base)
                #expect(Self.state(signals, "cache_miss_rate") == "ok")
                #expect(Self.state(signals, "knowledge_gaps") == "ok")
                #expect(Self.state(signals, "query_shift") == "ok")
                #expect(signals["query_shift"]?["value"] is NSNull)  // no current window yet
                #expect(try await Loopback.get(base, "/admin/drift").json["reference_samples"] as? Int == 20)

                // A document changes on disk: only a refresh brings it in.
                let hydration = sources.appendingPathComponent("08-hydration-basics.md")
                let original = try String(contentsOf: hydration, encoding: .utf8)
                try (original + "\n\n## Zorbly tablets\n\nDissolve one zorbly electrolyte tablet in 500 ml of water before rides longer than two hours.\n")
                    .write(to: hydration, atomically: true, encoding: .utf8)
                let before = try await Loopback.get(base, "/v1/search?q=zorbly%20electrolyte%20tablet&k=3")
                #expect(!before.text.contains("Zorbly tablets"))

                // 2. A burst of off-topic questions: all misses, none covered, far from the knowledge base.
                for question in Self.offTopic { _ = try await Self.chat(base, question) }
                signals = try await Self.signals(base)
                #expect(Self.state(signals, "cache_miss_rate") == "drifting")
                #expect(Self.state(signals, "query_shift") == "drifting")
                #expect(Self.state(signals, "knowledge_gaps") == "drifting")
                #expect((signals["query_shift"]?["value"] as? Double ?? 1) < 0.01)
                #expect(try await Self.eventually {
                    receiver.changes("cache_miss_rate").contains("drifting") && receiver.changes("query_shift").contains("drifting")
                        && receiver.changes("knowledge_gaps").contains("drifting")
                })
                let delivered = try #require(receiver.bodies.first { $0["signal"] as? String == "query_shift" })
                #expect(delivered["event"] as? String == "drift.state_changed")
                #expect(delivered["previous_state"] is String && delivered["value"] is Double && delivered["at"] is String)

                // The refresh the drift asked for picks up the changed document.
                #expect(try await Self.eventually {
                    let refresh = try await Loopback.get(base, "/admin/refresh").json["refresh"] as? [String: Any]
                    return refresh?["state"] as? String == "succeeded"
                })
                let refresh = try #require(try await Loopback.get(base, "/admin/refresh").json["refresh"] as? [String: Any])
                #expect((refresh["trigger"] as? String)?.hasPrefix("drift:") == true)
                let after = try await Loopback.get(base, "/v1/search?q=zorbly%20electrolyte%20tablet&k=3")
                #expect(after.text.contains("Zorbly tablets"))

                // The unanswered questions are grouped for someone to write the missing documents.
                let gaps = try await Loopback.get(base, "/admin/drift/gaps?since=1h")
                #expect(gaps.status == 200)
                #expect(gaps.json["questions"] as? Int == Self.offTopic.count)
                let groups = try #require(gaps.json["gaps"] as? [[String: Any]])
                #expect(!groups.isEmpty && groups.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == Self.offTopic.count)

                // 3. Usual traffic again: the window fills with hits on the same questions; every signal recovers.
                for question in Self.onTopic {
                    for _ in 0..<4 { answerIDs.append(try #require(try await Self.chat(base, question)["answer_id"] as? String)) }
                }
                signals = try await Self.signals(base)
                for signal in ["cache_miss_rate", "query_shift", "knowledge_gaps"] {
                    #expect(Self.state(signals, signal) == "ok", "\(signal): \(signals[signal] ?? [:])")
                }
                #expect(try await Self.eventually { receiver.changes("cache_miss_rate").last == "ok" && receiver.changes("query_shift").last == "ok" })

                // 4. Scripted thumbs-down on ten answers drive the negative-feedback signal; thumbs-up bring it back.
                for id in answerIDs.prefix(10) {
                    let down = try await Loopback.send("POST", base.appendingPathComponent("v1/feedback"),
                                                       body: Data(#"{"answer_id": "\#(id)", "rating": "down"}"#.utf8), contentType: "application/json")
                    #expect(down.status == 200)
                }
                #expect(Self.state(try await Self.signals(base), "negative_feedback_rate") == "drifting")
                for id in answerIDs.dropFirst(10).prefix(20) {
                    _ = try await Loopback.send("POST", base.appendingPathComponent("v1/feedback"),
                                                body: Data(#"{"answer_id": "\#(id)", "rating": "up"}"#.utf8), contentType: "application/json")
                }
                #expect(Self.state(try await Self.signals(base), "negative_feedback_rate") == "ok")
                #expect(try await Self.eventually { receiver.changes("negative_feedback_rate") == ["drifting", "ok"] })

                // Each change was also counted and exported.
                let metrics = try await Loopback.get(base, "/metrics").text
                func sample(_ series: String) -> Double? {
                    metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
                }
                #expect(sample(#"spotter_drift_changes_total{signal="negative_feedback_rate",state="drifting"}"#) == 1)
                #expect(sample(#"spotter_drift_state{signal="negative_feedback_rate"}"#) == 0)
                #expect(sample(#"spotter_drift_value{signal="cache_miss_rate"}"#).map { $0 < 0.4 } == true)
                #expect(metrics.split(separator: "\n").contains { $0.hasPrefix(#"spotter_refresh_total{trigger="drift:"#) && $0.contains(#"outcome="succeeded"} 1"#) })
            }
            await spotter.shutdown()
        }
    }

    @Test func rebaselineTakesANewQueryShiftReference() async throws {
        var configuration = TestEnvironment.configuration(dataDirectory: try TestEnvironment.temporaryDirectory("drift-rebaseline"))
        configuration.drift.enabled = true
        configuration.drift.window = 10
        configuration.drift.minimumSamples = 5
        let spotter = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
        _ = try await spotter.ingest.ingest(paths: [TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "default"))
        try await Loopback.withServer(spotter) { base in
            // The usual questions make the reference; a burst of others then drifts.
            for question in Self.onTopic + Self.onTopic { _ = try await Self.chat(base, question) }
            for question in Self.offTopic.prefix(10) { _ = try await Self.chat(base, question) }
            #expect(Self.state(try await Self.signals(base), "query_shift") == "drifting")

            // Say that the new questions are the traffic now (the CLI asks the running server).
            let command = try ProcessRunner.run(TestEnvironment.spotterBinary, ["drift", "rebaseline", "--url", base.absoluteString],
                                                environment: ["SPOTTER_LOG_LEVEL": "error"])
            #expect(command.status == 0, "\(command.stderr)")
            #expect(command.stdout.contains("next 10 questions form the new reference"), "\(command.stdout)")
            let report = try await Loopback.get(base, "/admin/drift")
            #expect(report.json["reference_samples"] as? Int == 0)
            #expect(Self.state(try await Self.signals(base), "query_shift") == "ok")

            // Questions like the new reference do not drift; the old usual ones now do.
            for question in Self.offTopic.prefix(10) { _ = try await Self.chat(base, question) }
            for question in Self.offTopic.dropFirst(10).prefix(10) { _ = try await Self.chat(base, question) }
            #expect(try await Loopback.get(base, "/admin/drift").json["reference_samples"] as? Int == 10)
            #expect(Self.state(try await Self.signals(base), "query_shift") != "drifting")
            for question in Self.onTopic + Self.onTopic { _ = try await Self.chat(base, question) }
            #expect(Self.state(try await Self.signals(base), "query_shift") == "drifting")
            #expect(try await Loopback.send("POST", URL(string: base.absoluteString + "/admin/drift/rebaseline?now=1")!).status == 400)
        }
        await spotter.shutdown()
    }

    @Test func driftAndRefreshRoutesRejectBadInput() async throws {
        let spotter = try Loopback.spotter { $0.drift.enabled = true }
        try await Loopback.withServer(spotter) { base in
            for (path, method, mentions) in [
                ("/admin/drift?x=1", "GET", "x"), ("/admin/drift/gaps?since=yesterday", "GET", "since"),
                ("/admin/drift/gaps?gaps=0", "GET", "gaps"), ("/admin/drift/gaps?depth=2", "GET", "depth"),
                ("/admin/refresh?wait=maybe", "POST", "wait"), ("/admin/refresh?kb=x", "POST", "kb"),
            ] {
                let result = try await Loopback.send(method, URL(string: base.absoluteString + path)!)
                #expect(result.status == 400, "\(path)")
                #expect(result.errorMessage.contains(mentions), "\(path): \(result.errorMessage)")
            }
            // Nothing ingested yet: a refresh has nothing to read, and says so.
            #expect(try await Loopback.get(base, "/admin/refresh").json["refresh"] is NSNull)
            let refresh = try await Loopback.send("POST", URL(string: base.absoluteString + "/admin/refresh?wait=true")!)
            #expect(refresh.status == 200)
            let status = try #require(refresh.json["refresh"] as? [String: Any])
            #expect(status["state"] as? String == "succeeded" && status["trigger"] as? String == "manual")
            let accepted = try await Loopback.send("POST", URL(string: base.absoluteString + "/admin/refresh")!)
            #expect(accepted.status == 202)
            #expect(try await Loopback.get(base, "/admin/drift/gaps").json["gaps"] as? [Any] != nil)
        }
        await spotter.shutdown()
    }
}
