import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// Rate limits, daily budgets and usage over real loopback HTTP, with `SPOTTER_AUTH=required` and a fake OpenAI
/// upstream that reports its tokens. Each test has a store of its own: limits and spending stay in it.
extension ChatHTTPTests {
    static func withLimitedServer(llm: FakeOpenAIServer, webhook: URL? = nil,
                                  _ body: @Sendable (URL, APIKeyService, Spotter) async throws -> Void) async throws {
        let (seed, directory) = try await TestEnvironment.spotterWithGuides()
        await seed.shutdown()
        let spotter = try await engine(llm: llm, dataDirectory: directory, configure: {
            $0.secret = String(repeating: "s", count: 40)
            $0.authentication = .required
            $0.cache.enabled = true
            $0.drift.webhook = webhook
        })
        try await withAccessControlledServer(spotter) { base, keys in try await body(base, keys, spotter) }
    }

    static func ask(_ base: URL, _ key: String, _ question: String, path: String = "/v1/chat") async throws -> HTTPResult {
        let body = path == "/v1/chat"
            ? try JSONSerialization.data(withJSONObject: ["message": question])
            : try JSONSerialization.data(withJSONObject: ["messages": [["role": "user", "content": question]]])
        return try await Loopback.send("POST", URL(string: base.absoluteString + path)!, body: body, contentType: "application/json",
                                       headers: ["Authorization": "Bearer \(key)"])
    }

    @Test func aKeyOverItsRequestLimitGets429WithRetryAfterAndTheHeaders() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.setDefault(.hello)
            try await Self.withLimitedServer(llm: llm) { base, keys, spotter in
                let key = try keys.create(tenant: "default", scopes: [.chat], requestsPerMinute: 2).key
                let first = try await Self.call("GET", base, "/v1/models", key: key)
                #expect(first.status == 200)
                #expect(first.headers["x-ratelimit-limit"] == "2" && first.headers["x-ratelimit-remaining"] == "1")
                #expect(try await Self.call("GET", base, "/v1/search?q=rest", key: key).status == 200)
                let third = try await Self.call("GET", base, "/v1/models", key: key)
                #expect(third.status == 429 && third.errorCode == "rate_limited", "\(third.text)")
                #expect(third.headers["retry-after"].flatMap(Int.init).map { (1...30).contains($0) } == true)
                #expect(third.headers["x-ratelimit-remaining"] == "0" && third.headers["x-ratelimit-reset"] != nil)

                // Another key is not held back by the first one's limit, until the tenant's shared limit is reached.
                let other = try keys.create(tenant: "default", scopes: [.chat]).key
                #expect(try await Self.call("GET", base, "/v1/models", key: other).status == 200)
                try spotter.store.saveTenantSettings(TenantSettings(name: "default", requestsPerMinute: 1))
                let shared = [try await Self.call("GET", base, "/v1/models", key: other),
                              try await Self.call("GET", base, "/v1/models", key: other)].map(\.status)
                #expect(shared == [200, 429], "the tenant's limit applies from the next request")
                // Open routes count nothing.
                #expect(try await Self.call("GET", base, "/healthz", key: other).status == 200)
            }
        }
    }

    @Test func aKeysTokensPerMinuteRefuseTheRequestAfterAnAnswerSpentThem() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.setDefault(.answer("Rest two days a week [1].", usage: TokenUsage(promptTokens: 400, completionTokens: 100)))
            try await Self.withLimitedServer(llm: llm) { base, keys, _ in
                let key = try keys.create(tenant: "default", scopes: [.chat], tokensPerMinute: 300).key
                let answered = try await Self.ask(base, key, "How many rest days a week should I take?")
                #expect(answered.status == 200, "\(answered.text)")
                let refused = try await Self.ask(base, key, "How long should I rest between sets?")
                #expect(refused.status == 429 && refused.errorCode == "rate_limited", "500 tokens spent of 300 a minute")
                #expect(refused.headers["retry-after"].flatMap(Int.init).map { $0 >= 30 } == true, "the debt takes 40 s to refill")
            }
        }
    }

    @Test func aSpentBudgetWarnsThenBlocksOrDegradesAndUsageCountsIt() async throws {
        let receiver = DriftHTTPTests.WebhookReceiver()
        receiver.refuse.withLock { $0 = 0 }
        try await receiver.run { hook in
            try await FakeOpenAIServer.with { llm in
                await llm.setDefault(.answer("Rest two days a week [1].", usage: TokenUsage(promptTokens: 80, completionTokens: 20)))
                try await Self.withLimitedServer(llm: llm, webhook: hook) { base, keys, spotter in
                    let key = try keys.create(tenant: "default", scopes: [.chat, .admin], name: "coach app")
                    try spotter.store.saveTenantSettings(TenantSettings(name: "default", dailyTokens: 220, onExhausted: .block))
                    // 100 tokens each: 100, 200 (past 80% of 220: the warning), then the budget is spent after 300.
                    for question in ["How long should I rest between sets?", "How should I warm up before lifting?", "How much sleep do I need to recover?"] {
                        let answered = try await Self.ask(base, key.key, question)
                        #expect(answered.status == 200 && answered.json["model"] as? String != "offline", "\(answered.text)")
                    }
                    let blocked = try await Self.ask(base, key.key, "How much protein do people who exercise need per day?")
                    #expect(blocked.status == 429 && blocked.errorCode == "budget_exhausted", "\(blocked.text)")
                    #expect(blocked.headers["retry-after"].flatMap(Int.init).map { (1...86_400).contains($0) } == true)
                    let completion = try await Self.ask(base, key.key, "How much protein do people who exercise need per day?", path: "/v1/chat/completions")
                    #expect(completion.status == 429 && completion.errorCode == "budget_exhausted")
                    #expect(try await DriftHTTPTests.eventually { receiver.bodies.contains { $0["event"] as? String == "budget_warning" } })
                    let warnings = receiver.bodies.filter { $0["event"] as? String == "budget_warning" }
                    #expect(warnings.count == 1 && warnings.first?["tenant"] as? String == "default" && warnings.first?["budget"] as? String == "daily_tokens")

                    // Degrade: the cache still answers what it knows, the rest comes from the offline answerer.
                    try spotter.store.saveTenantSettings(TenantSettings(name: "default", dailyTokens: 220, onExhausted: .degrade))
                    let cached = try await Self.ask(base, key.key, "How long should I rest between sets?")
                    #expect(cached.status == 200 && cached.json["cached"] as? Bool == true, "\(cached.text)")
                    let degraded = try await Self.ask(base, key.key, "How much protein do people who exercise need per day?")
                    #expect(degraded.status == 200 && degraded.json["model"] as? String == "offline", "\(degraded.text)")

                    // Usage: five answers by this key, three by the model, one from the cache (which saved 100 tokens).
                    let usage = try await Self.call("GET", base, "/admin/usage?by=key", key: key.key)
                    #expect(usage.status == 200, "\(usage.text)")
                    let rows = usage.json["usage"] as? [[String: Any]] ?? []
                    let row = try #require(rows.first { $0["group"] as? String == key.id })
                    #expect(row["requests"] as? Int == 5 && row["cache_hits"] as? Int == 1)
                    #expect(row["prompt_tokens"] as? Int == 240 && row["completion_tokens"] as? Int == 60)
                    #expect(row["saved_tokens"] as? Int == 100)
                    #expect(try await Self.call("GET", base, "/admin/usage?by=week", key: key.key).status == 400)
                    // A tenant's admin sees its own tenant's usage only.
                    let other = try keys.create(tenant: "other", scopes: [.admin]).key
                    let confined = try await Self.call("GET", base, "/admin/usage", key: other)
                    #expect(confined.status == 200 && (confined.json["usage"] as? [Any])?.isEmpty == true, "\(confined.text)")
                    #expect(try await Self.call("GET", base, "/admin/usage?tenant=default", key: other).status == 403)
                }
            }
        }
    }
}
