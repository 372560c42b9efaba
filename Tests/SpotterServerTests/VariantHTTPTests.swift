import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// A/B and canary variants over real loopback HTTP: sticky assignment, per-request override, the variant in the
/// answer record, and a canary rolled back by scripted thumbs-down.
@Suite(.serialized) struct VariantHTTPTests {
    static func registry() throws -> URL {
        let folder = try TestEnvironment.temporaryDirectory("variants-registry")
        try TestEnvironment.write([
            "coach.md": "You are a fitness coach. Answer from the numbered passages and cite them.",
            "brief.md": "You are a terse fitness coach. Answer in one sentence from the numbered passages and cite them.",
            "registry.json": """
                {"prompts": [{"id": "coach", "version": "1", "file": "coach.md"}, {"id": "brief", "version": "1", "file": "brief.md"}],
                 "assistants": [{"name": "spotter", "prompt": "coach", "variants": [
                     {"name": "control", "weight": 1},
                     {"name": "brief", "weight": 1, "prompt": "brief", "passages": 3, "canary": true}]}]}
                """,
        ], under: folder)
        return folder
    }

    static func chat(_ base: URL, _ json: String) async throws -> HTTPResult {
        try await Loopback.send("POST", base.appendingPathComponent("v1/chat"), body: Data(json.utf8), contentType: "application/json")
    }

    @Test func aCanaryWithWorseFeedbackIsRolledBackAndTheRecordNamesTheVariant() async throws {
        let data = try TestEnvironment.temporaryDirectory("variants")
        var configuration = TestEnvironment.configuration(dataDirectory: data)
        configuration.promptsDirectory = try Self.registry()
        configuration.canary.minimumSamples = 10
        let spotter = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
        _ = try await spotter.ingest.ingest(paths: [TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "default"))

        try await Loopback.withServer(spotter) { base in try await Self.driveTraffic(base, spotter) }
        await spotter.shutdown()

        // The rollback outlives the process, and the report shows both arms.
        let again = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
        #expect(again.answers.variants.rolledBack.map(\.variant) == ["brief"])
        await again.shutdown()
        let report = try ProcessRunner.run(TestEnvironment.spotterBinary, [
            "variants", "report", "--json", "--data-dir", data.path, "--model-dir", TestEnvironment.modelDirectory.path,
        ], environment: ["SPOTTER_PROMPTS": configuration.promptsDirectory!.path, "SPOTTER_LOG_LEVEL": "error"])
        #expect(report.status == 0, "\(report.stderr)")
        let lines = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]])
        let brief = try #require(lines.first { $0["variant"] as? String == "brief" })
        let control = try #require(lines.first { $0["variant"] as? String == "control" })
        #expect(brief["negative_rate"] as? Double == 1 && control["negative_rate"] as? Double == 0)
        #expect((brief["worse_than_control_p"] as? Double ?? 1) < 0.001)
        #expect((brief["negative_rate_low"] as? Double ?? 0) > 0.5)
        #expect(brief["rolled_back"] is String && control["rolled_back"] == nil)
        for line in [brief, control] {
            let median = try #require(line["latency_p50_ms"] as? Double)
            let interval = try #require(line["latency_p50_ci_ms"] as? [Double])
            #expect(interval.count == 2 && interval[0] <= median && median <= interval[1], "\(line)")
            #expect(line["evaluated"] as? Int == 0 && line["faithfulness"] == nil, "no evaluation ran: \(line)")
        }
    }

    @Test func aVariantMayAskAnotherModelAndIsPricedAndRecordedAsIt() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.setDefault(.answer("Rest two to five minutes between heavy sets [1].", usage: TokenUsage(promptTokens: 100, completionTokens: 10)))
            let folder = try TestEnvironment.temporaryDirectory("variants-model")
            try TestEnvironment.write([
                "coach.md": "You are a fitness coach. Answer from the numbered passages and cite them.",
                "registry.json": """
                    {"prompts": [{"id": "coach", "version": "1", "file": "coach.md"}],
                     "assistants": [{"name": "spotter", "prompt": "coach", "variants": [
                         {"name": "control", "weight": 1}, {"name": "big", "weight": 0, "model": "fake-big"}]}]}
                    """,
            ], under: folder)
            var configuration = TestEnvironment.configuration(dataDirectory: try TestEnvironment.temporaryDirectory("variants-model-data"))
            configuration.promptsDirectory = folder
            configuration.cache.enabled = true
            configuration.languageModel = try LanguageModelConfiguration.fromEnvironment([
                "SPOTTER_LLM_BASE_URL": llm.baseURL.absoluteString, "SPOTTER_LLM_MODEL": "fake-model",
                "SPOTTER_LLM_PRICES": "fake-model=1/2,fake-big=10/20",
            ])
            let spotter = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
            _ = try await spotter.ingest.ingest(paths: [TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "default"))
            try await Loopback.withServer(spotter) { base in
                let question = "How long should I rest between heavy sets?"
                let control = try await Self.chat(base, #"{"message": "\#(question)"}"#)
                #expect(control.json["model"] as? String == "127.0.0.1/fake-model")
                #expect(await llm.requests.last?.chat?.model == "fake-model")
                // Weight 0: never assigned, but reachable by name; it asks its own model, at its own price, and does
                // not get the control's cached answer.
                let big = try await Self.chat(base, #"{"message": "\#(question)", "variant": "big"}"#)
                #expect(big.json["cached"] as? Bool == false)
                #expect(big.json["model"] as? String == "127.0.0.1/fake-big")
                #expect(await llm.requests.last?.chat?.model == "fake-big")
                let controlCost = try #require(control.json["cost_usd"] as? Double)
                let bigCost = try #require(big.json["cost_usd"] as? Double)
                #expect(abs(bigCost - 10 * controlCost) < 1e-9, "\(bigCost) vs \(controlCost)")
                let record = try await Loopback.get(base, "/v1/answers/\(try #require(big.json["answer_id"] as? String))")
                #expect(record.json["variant"] as? String == "big" && record.json["model"] as? String == "127.0.0.1/fake-big")
            }
            await spotter.shutdown()
        }
    }

    /// Sticky assignment, override, then scripted feedback until the canary is rolled back.
    static func driveTraffic(_ base: URL, _ spotter: Spotter) async throws {
        // Sticky: one user always lands on the same variant.
        var seen: [String: String] = [:]
        for user in ["u1", "u2", "u3"] {
            for _ in 0..<2 {
                let answer = try await Self.chat(base, #"{"message": "How long should I rest between sets?", "user": "\#(user)"}"#)
                #expect(answer.status == 200)
                let record = try await Loopback.get(base, "/v1/answers/\(try #require(answer.json["answer_id"] as? String))")
                let variant = try #require(record.json["variant"] as? String)
                #expect(seen[user] == nil || seen[user] == variant, "user \(user) moved from \(seen[user] ?? "") to \(variant)")
                seen[user] = variant
                #expect(record.json["prompt_version"] as? String == (variant == "brief" ? "brief@1" : "coach@1"))
            }
        }
        // A request may name its variant; an unknown one is refused with the list.
        let named = try await Self.chat(base, #"{"message": "How much protein do I need?", "variant": "brief"}"#)
        let namedRecord = try await Loopback.get(base, "/v1/answers/\(try #require(named.json["answer_id"] as? String))")
        #expect(namedRecord.json["variant"] as? String == "brief")
        let unknown = try await Self.chat(base, #"{"message": "How much protein do I need?", "variant": "nope"}"#)
        #expect(unknown.status == 422)
        #expect(unknown.errorMessage.contains("control, brief"), "\(unknown.errorMessage)")

        // Scripted feedback: every answer by the canary gets a thumbs-down, every control answer a thumbs-up.
        var byVariant: [String: Int] = [:]
        var user = 0
        // Until the canary is rolled back (at ten ratings on each side), or far past when it should have been.
        while spotter.answers.variants.rolledBack.isEmpty, user < 200 {
            user += 1
            let answer = try await Self.chat(base, #"{"message": "How should I warm up before lifting?", "user": "user-\#(user)"}"#)
            let id = try #require(answer.json["answer_id"] as? String)
            let variant = try #require(try await Loopback.get(base, "/v1/answers/\(id)").json["variant"] as? String)
            byVariant[variant, default: 0] += 1
            let rating = variant == "brief" ? "down" : "up"
            _ = try await Loopback.send("POST", base.appendingPathComponent("v1/feedback"),
                                        body: Data(#"{"answer_id": "\#(id)", "rating": "\#(rating)"}"#.utf8), contentType: "application/json")
        }
        #expect(user < 200)
        #expect(byVariant["brief", default: 0] >= 10 && byVariant["control", default: 0] >= 10, "\(byVariant)")
        let rolledBack = spotter.answers.variants.rolledBack
        #expect(rolledBack.map(\.variant) == ["brief"])
        #expect(rolledBack.first?.reason.contains("negative feedback") == true)
        // From now on every assignment is the control; the canary is still reachable by name.
        for extra in 0..<10 {
            let answer = try await Self.chat(base, #"{"message": "How should I warm up?", "user": "late-\#(extra)"}"#)
            let record = try await Loopback.get(base, "/v1/answers/\(try #require(answer.json["answer_id"] as? String))")
            #expect(record.json["variant"] as? String == "control")
        }
        let metrics = try await Loopback.get(base, "/metrics").text
        #expect(metrics.contains("spotter_variant_rollbacks_total 1"))
    }
}
