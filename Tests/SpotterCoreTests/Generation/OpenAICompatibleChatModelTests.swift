import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SpotterCore
import SpotterTestSupport
import Testing

/// The OpenAI-compatible client against a real loopback server.
@Suite("OpenAI-compatible model")
struct OpenAICompatibleChatModelTests {
    @Test func streamsEachPieceThenFinishesWithTheReportedUsage() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                let recording = await record(fakeModel(server, client))
                #expect(recording.error == nil)
                #expect(recording.events == [
                    .delta("Hello"), .delta(" from"), .delta(" fake"),
                    .finished(ChatFinish(reason: .stop, usage: TokenUsage(promptTokens: 12, completionTokens: 3))),
                ])
                let request = try #require(await server.requests.first)
                #expect(request.path == "/v1/chat/completions")
                #expect(request.headers["authorization"] == "Bearer sk-test-123")
                #expect(request.headers["api-key"] == nil)
                #expect(request.chat?.model == "fake-model")
                #expect(request.chat?.stream == true)
                #expect(request.chat?.streamOptions?.includeUsage == true)
                #expect(request.chat?.messages == sampleRequest.messages)
            }
        }
    }

    @Test func completeCollectsTheAnswerAndPassesRequestOptions() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.answer("Kettlebells are cast-iron weights.", usage: TokenUsage(promptTokens: 20, completionTokens: 7)))
                var request = sampleRequest
                request.temperature = 0.2
                request.maxTokens = 300
                request.user = "user-1"
                let answer = try await fakeModel(server, client, name: "primary").complete(request)
                #expect(answer.text == "Kettlebells are cast-iron weights.")
                #expect(answer.model == "primary")
                #expect(answer.finishReason == .stop)
                #expect(answer.usage == TokenUsage(promptTokens: 20, completionTokens: 7))
                let body = try #require(await server.requests.first?.chat)
                #expect(body.temperature == 0.2 && body.maxTokens == 300 && body.user == "user-1")
            }
        }
    }

    @Test func usageIsEstimatedWhenTheUpstreamReportsNone() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.answer("Hinge at the hips and keep the back flat.", usage: nil))
                let answer = try await fakeModel(server, client, apiKey: nil).complete(sampleRequest)
                let usage = try #require(answer.usage)
                #expect(usage.estimated)
                #expect(usage.completionTokens == TokenEstimator.tokens(in: "Hinge at the hips and keep the back flat."))
                #expect(usage.promptTokens == TokenEstimator.tokens(in: sampleRequest.messages))
                #expect(await server.requests.first?.headers["authorization"] == nil)
            }
        }
    }

    @Test func anErrorStatusCarriesOpenAIsMessageAndRetryAfter() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                let inThirtySeconds = Date().addingTimeInterval(30)
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "GMT")
                formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
                await server.enqueue(.status(429, retryAfter: "7"), .status(503, retryAfter: formatter.string(from: inThirtySeconds)),
                                     .status(401, body: "no JSON here"))
                let model = fakeModel(server, client)
                let limited = await record(model).error
                #expect(limited == .status(upstream: server.baseURL.absoluteString, code: 429, message: "fake upstream error 429", retryAfter: 7))
                guard case .status(_, 503, _, let retryAfter?) = await record(model).error else {
                    Issue.record("expected a 503 with Retry-After")
                    return
                }
                // The date is 30 s ahead when sent; a loaded machine may take a while to read it.
                #expect((10...31).contains(retryAfter))
                guard case .status(_, 401, let message, nil) = await record(model).error else {
                    Issue.record("expected a 401")
                    return
                }
                #expect(message == "no JSON here")
            }
        }
    }

    @Test func aChunkThatIsNotJSONIsAMalformedResponse() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.malformedJSON)
                let recording = await record(fakeModel(server, client))
                guard case .malformedResponse = recording.error else {
                    Issue.record("expected malformedResponse, got \(String(describing: recording.error))")
                    return
                }
                #expect(recording.events.isEmpty)
            }
        }
    }

    @Test func aStreamEndingWithoutDoneOrFinishReasonIsIncomplete() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.stopWithoutDone("cut short"))
                let recording = await record(fakeModel(server, client))
                #expect(recording.text == "cut short")
                #expect(recording.finish == nil)
                #expect(recording.error == .incompleteStream(upstream: server.baseURL.absoluteString))
            }
        }
    }

    @Test func aStreamThatStallsTimesOutAfterTheIdleLimit() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.hangAfter(chunks: 2))
                let recording = await record(fakeModel(server, client, timeouts: LanguageModelTimeouts(connect: 2, firstByte: 5, idle: 0.5)))
                #expect(recording.text == "word0 word1 ")
                // The idle limit (0.5 s) ended it, not the first-byte one (5 s): the error names which.
                #expect(recording.error == .timeout(upstream: server.baseURL.absoluteString, seconds: 0.5))
                // Giving up closed the connection.
                #expect(await server.waitForDisconnect() != nil)
            }
        }
    }

    @Test func anUpstreamSlowToStartTimesOutAfterTheFirstByteLimit() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.delay(3))
                let recording = await record(fakeModel(server, client, timeouts: LanguageModelTimeouts(connect: 0.2, firstByte: 0.3, idle: 5)))
                guard case .timeout(_, let seconds) = recording.error else {
                    Issue.record("expected a timeout, got \(String(describing: recording.error))")
                    return
                }
                #expect(abs(seconds - 0.5) < 0.001)
            }
        }
    }

    @Test func cancellingTheConsumerClosesTheUpstreamConnection() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                await server.enqueue(.hangAfter(chunks: 2))
                let model = fakeModel(server, client)
                let twoDeltas = AsyncStream<Void>.makeStream()
                let consumer = Task {
                    var deltas = 0
                    for try await event in model.stream(sampleRequest) {
                        if case .delta = event { deltas += 1 }
                        if deltas == 2 { twoDeltas.continuation.yield() }
                    }
                }
                var iterator = twoDeltas.stream.makeAsyncIterator()
                await iterator.next()
                consumer.cancel()
                let disconnect = try #require(await server.waitForDisconnect(timeout: 3))
                #expect(disconnect.requestIndex == 0)
                #expect(disconnect.chunksSent == 3)
                _ = await consumer.result
            }
        }
    }

    @Test func azureModeSendsTheKeyAsApiKeyAndTheApiVersion() async throws {
        try await FakeOpenAIServer.with { server in
            try await withHTTPClient { client in
                let endpoint = LanguageModelEndpoint(baseURL: server.azureDeploymentURL("gpt4o"), apiKey: "azure-secret",
                                                     model: "gpt4o", apiVersion: "2024-10-21")
                let answer = try await OpenAICompatibleChatModel(endpoint: endpoint, httpClient: client).complete(sampleRequest)
                #expect(answer.text == "Hello from fake")
                let request = try #require(await server.requests.first)
                #expect(request.path == "/openai/deployments/gpt4o/chat/completions")
                #expect(request.query == "api-version=2024-10-21")
                #expect(request.headers["api-key"] == "azure-secret")
                #expect(request.headers["authorization"] == nil)
            }
        }
    }

    @Test func aClosedPortIsAConnectionError() async throws {
        let port = try await closedPort()
        try await withHTTPClient { client in
            let endpoint = LanguageModelEndpoint(baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!, model: "m")
            let recording = await record(OpenAICompatibleChatModel(endpoint: endpoint, httpClient: client))
            guard case .connection = recording.error else {
                Issue.record("expected a connection error, got \(String(describing: recording.error))")
                return
            }
        }
    }

    @Test func theFakeServerAlsoAnswersWithoutStreamingAndListsModels() async throws {
        try await FakeOpenAIServer.with { server in
            var request = URLRequest(url: server.baseURL.appendingPathComponent("chat/completions"))
            request.httpMethod = "POST"
            request.httpBody = Data(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#.utf8)
            let (data, _) = try await URLSession.shared.data(for: request)
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let message = ((json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            #expect(message == "Hello from fake")
            let (models, _) = try await URLSession.shared.data(from: server.baseURL.appendingPathComponent("models"))
            #expect(String(decoding: models, as: UTF8.self).contains("fake-model"))
            #expect(await server.requestCount == 2)
        }
    }
}
