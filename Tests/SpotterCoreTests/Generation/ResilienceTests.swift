import Foundation
import MetricsTestKit
import SpotterCore
import SpotterTestSupport
import Testing

/// Retries, the circuit breaker and the fallback chain, over real loopback HTTP.
@Suite("Resilience")
struct ResilienceTests {
    let quickRetries = RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.1, maxRetryAfter: 2)

    @Test func aServiceUnavailableIsRetriedOnceThenAnswers() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.status(503))
                let logs = LogRecorder()
                let model = ResilientChatModel(upstream: fakeModel(server, client), retry: quickRetries, logger: logs.logger)
                let recording = await record(model)
                #expect(recording.error == nil)
                #expect(recording.text == "Hello from fake")
                #expect(await server.requestCount == 2)
                #expect(logs.count("retrying language model call") == 1)
                #expect(model.breaker.state == .closed)
            }
        }
    }

    @Test func retryAfterIsHonouredBeforeRetrying() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.status(429, retryAfter: "1"))
                let started = ContinuousClock.now
                let answer = try await ResilientChatModel(upstream: fakeModel(server, client), retry: quickRetries).complete(sampleRequest)
                #expect(answer.text == "Hello from fake")
                let requests = await server.requests
                #expect(requests.count == 2)
                #expect(ContinuousClock.now - started >= .milliseconds(900))
                if requests.count == 2 { #expect(requests[1].receivedAt - requests[0].receivedAt >= .milliseconds(900)) }
            }
        }
    }

    @Test func aFailureAfterTheFirstDeltaIsNotRetried() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                // A stall mid-answer times out, which alone would be retryable.
                await server.enqueue(.hangAfter(chunks: 1))
                let upstream = fakeModel(server, client, timeouts: LanguageModelTimeouts(connect: 2, firstByte: 5, idle: 0.3))
                let recording = await record(ResilientChatModel(upstream: upstream, retry: quickRetries))
                #expect(recording.text == "word0 ")
                #expect(recording.error == .timeout(upstream: server.baseURL.absoluteString, seconds: 0.3))
                #expect(await server.requestCount == 1)
            }
        }
    }

    @Test func aRefusedConnectionIsRetriedThenReported() async throws {
        let port = try await closedPort()
        try await withHTTPClient { client in
            let logs = LogRecorder()
            let endpoint = LanguageModelEndpoint(baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!, model: "m")
            let model = ResilientChatModel(upstream: OpenAICompatibleChatModel(endpoint: endpoint, httpClient: client),
                                           retry: quickRetries, logger: logs.logger)
            let recording = await record(model)
            guard case .connection = recording.error else {
                Issue.record("expected a connection error, got \(String(describing: recording.error))")
                return
            }
            #expect(logs.count("retrying language model call") == 2)
        }
    }

    @Test func theBreakerOpensAfterConsecutiveFailuresAndAProbeClosesIt() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.setDefault(.status(500))
                let logs = LogRecorder()
                let upstream = fakeModel(server, client, name: "primary")
                let breaker = CircuitBreaker(upstream: "primary", failureThreshold: 3, coolDown: 5, logger: logs.logger)
                let model = ResilientChatModel(upstream: upstream, retry: .none, breaker: breaker, logger: logs.logger)
                for _ in 0..<3 {
                    guard case .status(_, 500, _, _) = await record(model).error else {
                        Issue.record("expected the upstream's 500")
                        return
                    }
                }
                #expect(breaker.state == .open)
                guard case .circuitOpen("primary", _) = await record(model).error else {
                    Issue.record("expected the open breaker to refuse")
                    return
                }
                #expect(await server.requestCount == 3)

                try await Task.sleep(for: .milliseconds(5_100))
                await server.setDefault(.hello)
                let probe = await record(model)
                #expect(probe.error == nil)
                #expect(breaker.state == .closed)
                #expect(await record(model).error == nil)
                #expect(await server.requestCount == 5)
                #expect(logs.count("circuit breaker opened") == 1)
                #expect(logs.count("circuit breaker half-open: probing") == 1)
                #expect(logs.count("circuit breaker closed") == 1)
            }
        }
    }

    @Test func retriesErrorsAndBreakerStatesAreCounted() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.status(503), .status(503))
                let metrics = TestMetrics()
                // A cool-down long enough that a busy machine cannot let it lapse between two retries.
                let breaker = CircuitBreaker(upstream: "primary", failureThreshold: 2, coolDown: 5, metrics: metrics)
                let model = ResilientChatModel(upstream: fakeModel(server, client, name: "primary"), retry: quickRetries,
                                               breaker: breaker, metrics: metrics)
                // Two 503s open the breaker between retries: the third attempt is refused.
                guard case .circuitOpen = await record(model).error else {
                    Issue.record("expected the breaker to refuse the third attempt")
                    return
                }
                try await Task.sleep(for: .milliseconds(5_100))
                #expect(await record(model).error == nil)

                let upstream = [("upstream", "primary")]
                #expect(try metrics.expectCounter("spotter_llm_retries_total", upstream).totalValue == 2)
                #expect(try metrics.expectCounter("spotter_llm_errors_total", upstream + [("kind", "status_503")]).totalValue == 2)
                #expect(try metrics.expectCounter("spotter_llm_errors_total", upstream + [("kind", "circuit_open")]).totalValue == 1)
                // closed, open, half-open, closed.
                #expect(try metrics.expectGauge("spotter_llm_breaker_state", upstream).values == [0, 2, 1, 0])
                #expect(await server.requestCount == 3)
            }
        }
    }

    @Test func aFailedProbeReopensTheBreaker() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.setDefault(.status(502))
                let breaker = CircuitBreaker(upstream: "primary", failureThreshold: 1, coolDown: 5)
                let model = ResilientChatModel(upstream: fakeModel(server, client), retry: .none, breaker: breaker)
                _ = await record(model)
                #expect(breaker.state == .open)
                try await Task.sleep(for: .milliseconds(5_100))
                guard case .status(_, 502, _, _) = await record(model).error else {
                    Issue.record("expected the probe to reach the upstream")
                    return
                }
                #expect(breaker.state == .open)
                guard case .circuitOpen = await record(model).error else {
                    Issue.record("expected the breaker open again")
                    return
                }
                #expect(await server.requestCount == 2)
            }
        }
    }

    @Test func clientErrorsDoNotOpenTheBreaker() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.setDefault(.status(400))
                let breaker = CircuitBreaker(upstream: "primary", failureThreshold: 2, coolDown: 10)
                let model = ResilientChatModel(upstream: fakeModel(server, client), retry: quickRetries, breaker: breaker)
                for _ in 0..<3 { _ = await record(model) }
                #expect(breaker.state == .closed)
                // Not retryable either: one request per call.
                #expect(await server.requestCount == 3)
            }
        }
    }

    @Test func whenThePrimaryFailsTheSecondaryAnswersAndNamesItself() async throws {
        try await FakeOpenAIServer.with { primary in
            try await FakeOpenAIServer.with { secondary in
                try await withHTTPClient { client in
                    await primary.setDefault(.status(503))
                    await secondary.enqueue(.answer("Secondary here."))
                    let chain = FallbackChatModel([
                        ResilientChatModel(upstream: fakeModel(primary, client, name: "primary"), retry: quickRetries),
                        ResilientChatModel(upstream: fakeModel(secondary, client, name: "secondary"), retry: quickRetries),
                        CannedChatModel(),
                    ])
                    let recording = await record(chain)
                    #expect(recording.error == nil)
                    #expect(recording.events.first == .producer("secondary"))
                    #expect(recording.producers == ["secondary"])
                    #expect(recording.text == "Secondary here.")
                    #expect(await primary.requestCount == 3)
                    #expect(await secondary.requestCount == 1)
                    let again = try await chain.complete(sampleRequest)
                    #expect(again.model == "secondary")
                }
            }
        }
    }

    @Test func aMalformedAnswerFallsBack() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.malformedJSON)
                let chain = FallbackChatModel([ResilientChatModel(upstream: fakeModel(server, client), retry: quickRetries), CannedChatModel()])
                let recording = await record(chain)
                #expect(recording.producers == ["offline"])
                #expect(recording.text == "From the sources.")
                // Malformed output is not retried: the same server would likely say the same.
                #expect(await server.requestCount == 1)
            }
        }
    }

    @Test func anAnswerCutShortAfterItsFirstWordsEndsWithItsErrorInsteadOfFallingBack() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.stopWithoutDone("half an"))
                let chain = FallbackChatModel([
                    ResilientChatModel(upstream: fakeModel(server, client, name: "primary"), retry: quickRetries),
                    CannedChatModel(),
                ])
                let recording = await record(chain)
                #expect(recording.producers == ["primary"])
                #expect(recording.text == "half an")
                #expect(recording.error == .incompleteStream(upstream: server.baseURL.absoluteString))
            }
        }
    }

    @Test func whenEveryModelFailsEachErrorIsReported() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.setDefault(.status(401))
                let chain = FallbackChatModel([fakeModel(server, client, name: "a"), fakeModel(server, client, name: "b")])
                guard case .allFailed(let errors) = await record(chain).error else {
                    Issue.record("expected allFailed")
                    return
                }
                #expect(errors.count == 2)
                #expect(errors.allSatisfy { if case .status(_, 401, _, _) = $0 { true } else { false } })
            }
        }
    }

    @Test func theConfiguredChainFallsBackToTheOfflineModel() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.setDefault(.status(500))
                let configuration = try #require(try LanguageModelConfiguration.fromEnvironment([
                    "SPOTTER_LLM_BASE_URL": server.baseURL.absoluteString, "SPOTTER_LLM_MODEL": "fake-model",
                    "SPOTTER_LLM_MAX_RETRIES": "1", "SPOTTER_LLM_BREAKER_FAILURES": "2",
                ]))
                let chain = ChatModelChain.make(configuration: configuration, offline: CannedChatModel(), httpClient: client)
                let first = try await chain.complete(sampleRequest)
                #expect(first.model == "offline")
                #expect(await server.requestCount == 2)
                // Two failures opened the primary's breaker: the next answer goes offline without calling it.
                #expect(try await chain.complete(sampleRequest).model == "offline")
                #expect(await server.requestCount == 2)

                #expect(ChatModelChain.make(configuration: nil, offline: CannedChatModel(), httpClient: client).name == "offline")
            }
        }
    }

    @Test func cancellingTheConsumerOfAChainClosesTheUpstreamConnection() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.hangAfter(chunks: 1))
                let chain = FallbackChatModel([ResilientChatModel(upstream: fakeModel(server, client), retry: quickRetries), CannedChatModel()])
                let firstDelta = AsyncStream<Void>.makeStream()
                let consumer = Task {
                    for try await event in chain.stream(sampleRequest) {
                        if case .delta = event { firstDelta.continuation.yield() }
                    }
                }
                var iterator = firstDelta.stream.makeAsyncIterator()
                await iterator.next()
                consumer.cancel()
                #expect(await server.waitForDisconnect(timeout: 3) != nil)
                _ = await consumer.result
                #expect(await server.requestCount == 1)
            }
        }
    }
}

@Suite("Model chain")
struct ChatModelChainTests {
    @Test func theChainIsPrimarySecondaryThenOfflineWithDistinctNames() async throws {
        let configuration = try #require(try LanguageModelConfiguration.fromEnvironment([
            "SPOTTER_LLM_BASE_URL": "http://127.0.0.1:1/v1", "SPOTTER_LLM_MODEL": "m",
            "SPOTTER_LLM_FALLBACK_BASE_URL": "http://127.0.0.1:2/v1",
        ]))
        try await withHTTPClient { client in
            let chain = try #require(ChatModelChain.make(configuration: configuration, offline: CannedChatModel(), httpClient: client)
                as? FallbackChatModel)
            #expect(chain.models.map(\.name) == ["127.0.0.1/m", "127.0.0.1/m#2", "offline"])
            #expect(chain.models.prefix(2).allSatisfy { $0 is ResilientChatModel })
        }
    }
}
