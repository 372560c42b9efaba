import Foundation
import SpotterCore
import Testing

@Suite("Language model configuration")
struct LanguageModelConfigurationTests {
    @Test func noBaseURLMeansNoRemoteModel() throws {
        #expect(try LanguageModelConfiguration.fromEnvironment([:]) == nil)
        #expect(try LanguageModelConfiguration.fromEnvironment(["SPOTTER_LLM_READ_TIMEOUT": "10"]) == nil)
    }

    @Test func aModelOrKeyWithoutABaseURLIsAnError() {
        #expect(throws: ConfigurationError.self) { try LanguageModelConfiguration.fromEnvironment(["SPOTTER_LLM_MODEL": "gpt-4o-mini"]) }
        #expect(throws: ConfigurationError.self) { try LanguageModelConfiguration.fromEnvironment(["SPOTTER_LLM_API_KEY": "sk-x"]) }
    }

    @Test func everyVariableIsRead() throws {
        let configuration = try #require(try LanguageModelConfiguration.fromEnvironment([
            "SPOTTER_LLM_BASE_URL": "https://api.openai.com/v1", "SPOTTER_LLM_API_KEY": "sk-primary-secret",
            "SPOTTER_LLM_MODEL": "gpt-4o-mini",
            "SPOTTER_LLM_FALLBACK_BASE_URL": "http://127.0.0.1:11434/v1", "SPOTTER_LLM_FALLBACK_MODEL": "llama3.2",
            "SPOTTER_LLM_CONNECT_TIMEOUT": "2", "SPOTTER_LLM_FIRST_BYTE_TIMEOUT": "45", "SPOTTER_LLM_READ_TIMEOUT": "12.5",
            "SPOTTER_LLM_MAX_RETRIES": "4", "SPOTTER_LLM_BREAKER_FAILURES": "7", "SPOTTER_LLM_BREAKER_COOLDOWN": "90",
            "SPOTTER_LLM_PRICES": "gpt-4o-mini=0.15/0.60",
        ]))
        #expect(configuration.primary == LanguageModelEndpoint(baseURL: URL(string: "https://api.openai.com/v1")!,
                                                               apiKey: "sk-primary-secret", model: "gpt-4o-mini"))
        #expect(configuration.secondary?.model == "llama3.2")
        #expect(configuration.secondary?.apiKey == nil)
        #expect(configuration.timeouts == LanguageModelTimeouts(connect: 2, firstByte: 45, idle: 12.5))
        #expect(configuration.retry.maxAttempts == 5)
        #expect(configuration.breakerFailures == 7)
        #expect(configuration.breakerCoolDown == 90)
        #expect(configuration.prices.price(for: "gpt-4o-mini") == ModelPriceTable.Price(prompt: 0.15, completion: 0.60))
    }

    @Test func azureTakesTheModelFromTheDeploymentAndTheSecondaryDefaultsToThePrimaryModel() throws {
        let configuration = try #require(try LanguageModelConfiguration.fromEnvironment([
            "SPOTTER_LLM_BASE_URL": "https://acme.openai.azure.com/openai/deployments/gpt4o-prod",
            "SPOTTER_LLM_API_VERSION": "2024-10-21", "SPOTTER_LLM_API_KEY": "azure-key",
            "SPOTTER_LLM_FALLBACK_BASE_URL": "https://backup.example.com/v1",
        ]))
        #expect(configuration.primary.model == "gpt4o-prod")
        #expect(configuration.primary.isAzure)
        #expect(configuration.primary.chatCompletionsURL == "https://acme.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21")
        #expect(configuration.secondary?.model == "gpt4o-prod")
        #expect(configuration.secondary?.isAzure == false)
    }

    @Test(arguments: [
        ("SPOTTER_LLM_BASE_URL", "ftp://example.com/v1"), ("SPOTTER_LLM_BASE_URL", "api.openai.com/v1"),
        ("SPOTTER_LLM_CONNECT_TIMEOUT", "0"), ("SPOTTER_LLM_READ_TIMEOUT", "soon"),
        ("SPOTTER_LLM_MAX_RETRIES", "-1"), ("SPOTTER_LLM_BREAKER_FAILURES", "0"), ("SPOTTER_LLM_BREAKER_COOLDOWN", "x"),
        ("SPOTTER_LLM_PRICES", "gpt-4o=cheap"), ("SPOTTER_LLM_API_VERSION", "2024 10 21"),
        ("SPOTTER_LLM_FALLBACK_BASE_URL", "file:///tmp"),
    ])
    func invalidValuesNameTheVariableAndWhatIsExpected(name: String, value: String) {
        var environment = ["SPOTTER_LLM_BASE_URL": "https://api.openai.com/v1", "SPOTTER_LLM_MODEL": "gpt-4o-mini"]
        environment[name] = value
        #expect {
            _ = try LanguageModelConfiguration.fromEnvironment(environment)
        } throws: { error in
            let message = "\(error)"
            return message.contains(name) && message.contains("expected")
        }
    }

    @Test func aMissingModelSaysWhichVariableToSet() {
        #expect {
            _ = try LanguageModelConfiguration.fromEnvironment(["SPOTTER_LLM_BASE_URL": "https://api.openai.com/v1"])
        } throws: { error in
            "\(error)".contains("SPOTTER_LLM_MODEL")
        }
    }

    @Test func theKeyNeverAppearsInDescriptionsDumpsOrErrors() throws {
        let secret = "sk-live-DO-NOT-PRINT-42"
        let configuration = try #require(try LanguageModelConfiguration.fromEnvironment([
            "SPOTTER_LLM_BASE_URL": "https://api.openai.com/v1", "SPOTTER_LLM_API_KEY": secret, "SPOTTER_LLM_MODEL": "gpt-4o-mini",
            "SPOTTER_LLM_FALLBACK_BASE_URL": "https://backup.example.com/v1", "SPOTTER_LLM_FALLBACK_API_KEY": secret,
        ]))
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [configuration.description, String(describing: configuration), String(reflecting: configuration),
                     "\(configuration.primary)", String(reflecting: configuration.primary), dumped] {
            #expect(!text.contains(secret))
        }
        #expect(configuration.description.contains("<redacted>"))
        #expect {
            _ = try LanguageModelConfiguration.fromEnvironment([
                "SPOTTER_LLM_BASE_URL": "https://api.openai.com/v1", "SPOTTER_LLM_MODEL": "m", "SPOTTER_LLM_API_KEY": "\(secret) x",
            ])
        } throws: { error in
            "\(error)".contains("SPOTTER_LLM_API_KEY") && !"\(error)".contains(secret)
        }
        #expect {
            _ = try LanguageModelConfiguration.fromEnvironment([
                "SPOTTER_LLM_BASE_URL": "https://user:\(secret)@api.openai.com/v1", "SPOTTER_LLM_MODEL": "m",
            ])
        } throws: { error in
            "\(error)".contains("SPOTTER_LLM_BASE_URL") && !"\(error)".contains(secret)
        }
    }
}

@Suite("Prices, tokens and retry policy")
struct CostAndRetryTests {
    @Test func pricesParseAndCostUsage() throws {
        let table = try ModelPriceTable(parsing: "gpt-4o-mini=0.15/0.60, gpt-4o = 2.5/10")
        let usage = TokenUsage(promptTokens: 1_000_000, completionTokens: 500_000)
        #expect(abs(table.cost(of: usage, model: "gpt-4o-mini")! - 0.45) < 1e-9)
        #expect(abs(table.cost(of: usage, model: "gpt-4o")! - 7.5) < 1e-9)
        // Dated names take the longest listed prefix.
        #expect(abs(table.cost(of: usage, model: "gpt-4o-mini-2024-07-18")! - 0.45) < 1e-9)
        #expect(abs(table.cost(of: usage, model: "gpt-4o-2024-08-06")! - 7.5) < 1e-9)
        #expect(table.cost(of: usage, model: "llama3.2") == nil)
        #expect(table.cost(of: usage, model: "gpt-4") == nil)
    }

    @Test(arguments: ["gpt-4o", "gpt-4o=1", "gpt-4o=1/x", "=1/2", "gpt-4o=-1/2", "gpt-4o=1/2/3"])
    func malformedPricesAreRejected(text: String) {
        #expect(throws: ConfigurationError.self) { try ModelPriceTable(parsing: text) }
    }

    @Test func tokenEstimateBlendsBytesAndWords() {
        #expect(TokenEstimator.tokens(in: "") == 0)
        // 11 bytes / 4 = 2.75, 2 words × 4/3 = 2.67; mean 2.71 → 3.
        #expect(TokenEstimator.tokens(in: "Hello world") == 3)
        // 400 bytes of one long "word": (100 + 1.33) / 2 → 51.
        #expect(TokenEstimator.tokens(in: String(repeating: "a", count: 400)) == 51)
        let messages: [ChatMessage] = [.system("Hello world"), .user("Hello world")]
        #expect(TokenEstimator.tokens(in: messages) == 3 + 2 * (4 + 3))
        #expect(TokenEstimator.usage(prompt: messages, completion: "Hello world") == TokenUsage(promptTokens: 17, completionTokens: 3, estimated: true))
    }

    @Test func backoffIsFullJitterUnderAnExponentialCeiling() {
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: 0.5, maxDelay: 3, maxRetryAfter: 5)
        let failure = ChatModelError.connection(upstream: "u", reason: "refused")
        var generator = SplitMix64(seed: 7)
        for (attempt, ceiling) in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (5, 3.0)] {
            let delays = (0..<200).compactMap { _ in policy.delay(after: attempt, failedWith: failure, using: &generator) }
            #expect(delays.count == 200)
            #expect(delays.allSatisfy { (0...ceiling).contains($0) })
            #expect(delays.max()! > ceiling * 0.8)
            #expect(delays.min()! < ceiling * 0.2)
        }
        #expect(policy.delay(after: 6, failedWith: failure) == nil)
    }

    @Test func retryAfterReplacesTheJitterUpToItsCap() {
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: 0.5, maxDelay: 3, maxRetryAfter: 5)
        #expect(policy.delay(after: 1, failedWith: .status(upstream: "u", code: 429, message: "slow down", retryAfter: 2)) == 2)
        #expect(policy.delay(after: 1, failedWith: .status(upstream: "u", code: 503, message: "busy", retryAfter: 120)) == 5)
    }

    @Test func onlyRetryableErrorsAreRetried() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(policy.delay(after: 1, failedWith: .status(upstream: "u", code: 400, message: "bad", retryAfter: nil)) == nil)
        #expect(policy.delay(after: 1, failedWith: .malformedResponse(upstream: "u", reason: "x")) == nil)
        #expect(policy.delay(after: 1, failedWith: .cancelled) == nil)
        #expect(policy.delay(after: 1, failedWith: .timeout(upstream: "u", seconds: 1)) != nil)
        #expect(RetryPolicy.none.delay(after: 1, failedWith: .timeout(upstream: "u", seconds: 1)) == nil)
    }
}
