import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// The chat surfaces over real loopback HTTP: `/v1/chat` (JSON and SSE), sessions, the OpenAI-compatible endpoint,
/// and the language-model chain against a real fake OpenAI server.
@Suite("Chat over HTTP", .serialized)
struct ChatHTTPTests {
    /// A data directory holding the demo guides, ingested and indexed once; each test opens its own engine on it.
    static let guides = AsyncOnce<URL> {
        let (spotter, directory) = try await TestEnvironment.spotterWithGuides()
        try spotter.search.indexes.synchronize(try #require(try spotter.store.knowledgeBase(named: "default", create: false)))
        await spotter.shutdown()
        return directory
    }

    /// An engine over the guides (the shared copy unless `dataDirectory` names another); with `llm`, answering
    /// through that fake upstream first.
    static func engine(llm: FakeOpenAIServer? = nil, settings: [String: String] = [:], dataDirectory: URL? = nil,
                       configure: (inout SpotterConfiguration) -> Void = { _ in }) async throws -> Spotter {
        let directory = if let dataDirectory { dataDirectory } else { try await guides.get() }
        var configuration = TestEnvironment.configuration(dataDirectory: directory)
        configure(&configuration)
        if let llm {
            configuration.languageModel = try LanguageModelConfiguration.fromEnvironment([
                "SPOTTER_LLM_BASE_URL": llm.baseURL.absoluteString, "SPOTTER_LLM_MODEL": "fake-model",
                "SPOTTER_LLM_MAX_RETRIES": "1", "SPOTTER_LLM_READ_TIMEOUT": "1", "SPOTTER_LLM_PRICES": "fake-model=1/2",
            ].merging(settings) { _, new in new })
        }
        return try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
    }

    static func withChatServer(llm: FakeOpenAIServer? = nil, settings: [String: String] = [:],
                               configure: (inout SpotterConfiguration) -> Void = { _ in },
                               _ body: @Sendable (URL, Spotter) async throws -> Void) async throws {
        let spotter = try await engine(llm: llm, settings: settings, configure: configure)
        do {
            try await Loopback.withServer(spotter, options: .init(heartbeatInterval: .milliseconds(200))) { base in
                try await body(base, spotter)
            }
        } catch {
            await spotter.shutdown()
            throw error
        }
        await spotter.shutdown()
    }

    static func post(_ base: URL, _ path: String, _ json: String, contentType: String = "application/json") async throws -> HTTPResult {
        try await Loopback.send("POST", URL(string: base.absoluteString + path)!, body: Data(json.utf8), contentType: contentType)
    }

    // MARK: /v1/chat

    @Test func jsonChatAnswersWithCitationsAndKeepsTheSession() async throws {
        try await Self.withChatServer { base, _ in
            let first = try await Self.post(base, "/v1/chat", #"{"message": "How much protein do people who exercise need per day?"}"#)
            #expect(first.status == 200)
            let json = first.json
            let sessionID = try #require(json["session_id"] as? String)
            #expect((json["answer_id"] as? String)?.hasPrefix("ans_") == true)
            #expect((json["trace_id"] as? String)?.hasPrefix("trc_") == true)
            #expect(json["cached"] as? Bool == false)
            #expect(json["grounded"] as? Bool == true)
            #expect(json["model"] as? String == "offline")
            let citations = try #require(json["citations"] as? [[String: Any]])
            #expect(!citations.isEmpty)
            for citation in citations {
                #expect(citation["n"] is Int && citation["chunk_id"] is Int && citation["score"] is Double)
                for key in ["document_id", "title", "source", "snippet"] { #expect(citation[key] is String, "\(key)") }
            }
            let usage = try #require(json["usage"] as? [String: Any])
            #expect((usage["total_tokens"] as? Int) == (usage["prompt_tokens"] as? Int ?? -1) + (usage["completion_tokens"] as? Int ?? -1))

            // A follow-up in the same session is condensed with the history and stays on protein.
            let second = try await Self.post(base, "/v1/chat", #"{"message": "And what foods are good sources of it?", "session_id": "\#(sessionID)"}"#)
            #expect(second.status == 200)
            #expect((second.json["citations"] as? [[String: Any]])?.contains { $0["title"] as? String == "Protein Basics" } == true)

            let session = try await Loopback.get(base, "/v1/sessions/\(sessionID)")
            #expect(session.status == 200)
            let messages = try #require(session.json["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "user", "assistant"])
            #expect((messages[3]["citations"] as? [[String: Any]])?.isEmpty == false)
            #expect(messages[3]["content"] as? String == second.json["answer"] as? String)
            #expect(messages[2]["content"] as? String == "And what foods are good sources of it?")
            #expect(messages[3]["answer_id"] as? String == second.json["answer_id"] as? String)
            #expect(session.json["expires_at"] is String)

            let deleted = try await Loopback.send("DELETE", URL(string: base.absoluteString + "/v1/sessions/\(sessionID)")!)
            #expect(deleted.status == 204)
            #expect(try await Loopback.get(base, "/v1/sessions/\(sessionID)").status == 404)
            #expect(try await Loopback.send("DELETE", URL(string: base.absoluteString + "/v1/sessions/\(sessionID)")!).status == 404)
        }
    }

    @Test func aMessageWithEscapesIsRecordedAsSent() async throws {
        try await Self.withChatServer { base, _ in
            // Escapes, a surrogate pair and a boolean: the quick reader's path, which must read it as JSONDecoder would.
            let result = try await Self.post(base, "/v1/chat", #"{"message": "How much \"protein\" do I need\tper day \u2014 \ud83d\udcaa?", "cache": false}"#)
            #expect(result.status == 200)
            let answerID = try #require(result.json["answer_id"] as? String)
            let record = try await Loopback.get(base, "/v1/answers/\(answerID)")
            #expect(record.json["question"] as? String == "How much \"protein\" do I need\tper day \u{2014} \u{1F4AA}?")
            // The same body with a number where a boolean belongs goes to JSONDecoder, which names the field.
            let wrong = try await Self.post(base, "/v1/chat", #"{"message": "How much protein?", "cache": 1}"#)
            #expect(wrong.status == 422)
            #expect((wrong.json["error"] as? [String: Any])?["message"] as? String == "field 'cache' must be true or false")
        }
    }

    @Test func streamedChatSendsTokensThenCitationsThenDone() async throws {
        try await Self.withChatServer { base, _ in
            for (body, headers) in [(#"{"message": "How should I warm up before lifting?", "stream": true}"#, [String: String]()),
                                    (#"{"message": "How should I warm up before lifting?"}"#, ["Accept": "text/event-stream"])] {
                let (status, events) = try await EventStreamClient.collect(URL(string: base.absoluteString + "/v1/chat")!, json: body, headers: headers)
                #expect(status == 200)
                let names = events.map(\.event).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
                #expect(names == ["token", "citations", "done"])
                let text = try events.filter { $0.event == "token" }.map { event -> String in
                    let object = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
                    return try #require(object?["text"] as? String)
                }.joined()
                let done = try #require(try JSONSerialization.jsonObject(with: Data(events.last!.data.utf8)) as? [String: Any])
                #expect(done["answer"] as? String == text)
                let citations = try JSONSerialization.jsonObject(with: Data(events.first { $0.event == "citations" }!.data.utf8)) as? [String: Any]
                #expect((citations?["citations"] as? [[String: Any]])?.count == (done["citations"] as? [[String: Any]])?.count)
            }
        }
    }

    @Test func badChatRequestsGetTheirOwn4xx() async throws {
        try await Self.withChatServer { base, _ in
            let cases: [(String, String, Int, String)] = [
                (#"{"message": "hi""#, "application/json", 400, "malformed_json"),
                (#"{"message": "hi", "mood": "happy"}"#, "application/json", 400, "unknown_field"),
                (#"{"message": 5}"#, "application/json", 422, "invalid_field"),
                (#"{}"#, "application/json", 422, "invalid_field"),
                (#"{"message": "   "}"#, "application/json", 422, "invalid_field"),
                (#"{"message": "hi"}"#, "text/plain", 415, "unsupported_media_type"),
                (#"{"message": "\#(String(repeating: "a", count: 8_001))"}"#, "application/json", 413, "message_too_long"),
                (#"{"message": "protein?", "kb": "nope"}"#, "application/json", 404, "unknown_knowledge_base"),
                (#"{"message": "protein?", "assistant": "nobody"}"#, "application/json", 404, "unknown_assistant"),
                (#"{"message": "protein?", "session_id": "../../etc"}"#, "application/json", 422, "invalid_field"),
                (#"{"message": "protein?", "filters": {"level": 3}}"#, "application/json", 422, "invalid_field"),
                // A streamed request that the pipeline refuses gets its status, not an error event in a 200 stream.
                (#"{"message": "protein?", "kb": "nope", "stream": true}"#, "application/json", 404, "unknown_knowledge_base"),
                (#"{"message": " ", "stream": true}"#, "application/json", 422, "invalid_field"),
            ]
            for (body, contentType, status, code) in cases {
                let result = try await Self.post(base, "/v1/chat", body, contentType: contentType)
                #expect(result.status == status, "\(body.prefix(60)): \(result.text.prefix(200))")
                #expect(result.errorCode == code, "\(body.prefix(60)): \(result.text.prefix(200))")
                #expect(!result.errorMessage.isEmpty)
            }
            let huge = try await Self.post(base, "/v1/chat", #"{"message": "\#(String(repeating: "a", count: 1_100_000))"}"#)
            #expect(huge.status == 413)
            #expect(try await Loopback.get(base, "/v1/sessions/never-was").status == 404)
        }
    }

    // MARK: OpenAI-compatible

    @Test func completionFollowsOpenAIsWireFormat() async throws {
        try await Self.withChatServer { base, _ in
            let result = try await Self.post(base, "/v1/chat/completions", #"""
                {"model": "spotter", "messages": [{"role": "system", "content": "Be brief."},
                 {"role": "user", "content": "How much protein should I eat?"}, {"role": "assistant", "content": "About 1.6 g/kg."},
                 {"role": "user", "content": [{"type": "text", "text": "What foods are good sources of it?"}]}],
                 "temperature": 0.2, "max_tokens": 300, "user": "u-1", "top_p": 1}
                """#)
            #expect(result.status == 200, "\(result.text.prefix(300))")
            let json = result.json
            #expect((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["created"] is Int)
            #expect(json["model"] as? String == "spotter")
            let choices = try #require(json["choices"] as? [[String: Any]])
            #expect(choices.count == 1)
            #expect(choices[0]["index"] as? Int == 0)
            #expect(choices[0]["finish_reason"] as? String == "stop")
            let message = try #require(choices[0]["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            let content = try #require(message["content"] as? String)
            let usage = try #require(json["usage"] as? [String: Int])
            #expect(usage["total_tokens"] == usage["prompt_tokens"]! + usage["completion_tokens"]!)
            // Citations: footnotes in the text and structured in `spotter`.
            let extra = try #require(json["spotter"] as? [String: Any])
            let citations = try #require(extra["citations"] as? [[String: Any]])
            #expect(!citations.isEmpty)
            for citation in citations {
                #expect(content.contains("[\(citation["n"] as! Int)] \(citation["title"] as! String) — "))
            }
            #expect(citations.contains { $0["title"] as? String == "Protein Basics" }, "the follow-up is read with its history")
            #expect(extra["session_id"] == nil, "OpenAI-style requests are stateless")
        }
    }

    @Test func streamedCompletionFollowsOpenAIsChunkFormat() async throws {
        try await Self.withChatServer { base, _ in
            let (status, events) = try await EventStreamClient.collect(
                URL(string: base.absoluteString + "/v1/chat/completions")!,
                json: #"{"messages": [{"role": "user", "content": "How many minutes of aerobic activity do adults need?"}], "stream": true, "stream_options": {"include_usage": true}}"#)
            #expect(status == 200)
            #expect(events.allSatisfy { $0.event == "message" })
            #expect(events.last?.data == "[DONE]")
            let chunks = try events.dropLast().map { try #require(try JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any]) }
            #expect(chunks.count >= 4)
            let id = try #require(chunks.first?["id"] as? String)
            #expect(id.hasPrefix("chatcmpl-"))
            var content = ""
            for chunk in chunks {
                #expect(chunk["id"] as? String == id)
                #expect(chunk["object"] as? String == "chat.completion.chunk")
                #expect(chunk["created"] is Int)
                #expect(chunk["model"] as? String == "spotter")
                let choices = try #require(chunk["choices"] as? [[String: Any]])
                if let choice = choices.first {
                    #expect(choice["index"] as? Int == 0)
                    let delta = try #require(choice["delta"] as? [String: Any])
                    content += delta["content"] as? String ?? ""
                }
            }
            let first = try #require((chunks[0]["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])
            #expect(first["role"] as? String == "assistant")
            // The finish chunk, then the usage chunk with no choices (as OpenAI sends with include_usage).
            let finish = chunks[chunks.count - 2]
            #expect((finish["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
            #expect((finish["spotter"] as? [String: Any])?["citations"] is [[String: Any]])
            let usage = chunks.last!
            #expect((usage["choices"] as? [Any])?.isEmpty == true)
            #expect((usage["usage"] as? [String: Int])?["completion_tokens"].map { $0 > 0 } == true)
            #expect(chunks.dropLast().allSatisfy { $0["usage"] is NSNull })
            #expect(content.contains("[1] "))
        }
    }

    @Test func modelsListTheAssistantsAndBadCompletionRequestsAre4xx() async throws {
        try await Self.withChatServer { base, _ in
            let models = try await Loopback.get(base, "/v1/models")
            #expect(models.json["object"] as? String == "list")
            let data = try #require(models.json["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["spotter"])
            #expect(data[0]["object"] as? String == "model" && data[0]["owned_by"] as? String == "spotter" && data[0]["created"] is Int)
            let cases: [(String, Int)] = [
                (#"{"messages": []}"#, 400),
                (#"{"messages": [{"role": "assistant", "content": "hi"}]}"#, 400),
                (#"{"messages": [{"role": "wizard", "content": "hi"}]}"#, 400),
                (#"{"model": "gpt-17", "messages": [{"role": "user", "content": "hi"}]}"#, 404),
                (#"{"model": "gpt-17", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#, 404),
                (#"{"n": 2, "messages": [{"role": "user", "content": "hi"}]}"#, 400),
                (#"{"messages": "hi"}"#, 422),
                (#"not json"#, 400),
            ]
            for (body, status) in cases {
                let result = try await Self.post(base, "/v1/chat/completions", body)
                #expect(result.status == status, "\(body): \(result.text.prefix(200))")
                #expect(result.errorCode != nil && !result.errorMessage.isEmpty)
            }
        }
    }

    // MARK: With a language model

    @Test func upstreamAnswerIsStreamedCheckedAndPriced() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.enqueue(.answer("Eat 1.4 to 2.0 g of protein per kg each day [1]. Beans help too [9].",
                                      usage: TokenUsage(promptTokens: 1_000, completionTokens: 20)))
            try await Self.withChatServer(llm: llm) { base, _ in
                let result = try await Self.post(base, "/v1/chat", #"{"message": "How much protein do people who exercise need per day?"}"#)
                #expect(result.status == 200)
                #expect(result.json["model"] as? String == "127.0.0.1/fake-model")
                // The invented [9] is dropped by the output check; [1] stays.
                #expect(result.json["answer"] as? String == "Eat 1.4 to 2.0 g of protein per kg each day [1]. Beans help too .")
                #expect((result.json["citations"] as? [[String: Any]])?.map { $0["n"] as? Int } == [1])
                // The answer's record says that the citation check changed the answer.
                let answerID = try #require(result.json["answer_id"] as? String)
                let record = try await Loopback.get(base, "/v1/answers/\(answerID)")
                let guards = try #require(record.json["guards"] as? [[String: Any]])
                #expect(guards.map { $0["check"] as? String } == ["input", "grounding", "citations"])
                #expect(guards.last?["action"] as? String == "modified")
                #expect((guards.last?["detail"] as? String)?.hasPrefix("1 marker naming") == true)
                #expect((result.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 1_000)
                let cost = try #require(result.json["cost_usd"] as? Double)
                #expect(abs(cost - (1_000 * 1 + 20 * 2) / 1_000_000) < 1e-12)
                // The prompt carried the versioned system prompt and the numbered passages.
                let sent = try #require(await llm.requests.last?.chat)
                #expect(sent.messages.first?.role == .system)
                #expect(sent.messages.first?.content.contains("Cite only numbers") == true)
                #expect(sent.messages.last?.content.contains("[1] ") == true)
                #expect(sent.messages.last?.content.hasSuffix("Question: How much protein do people who exercise need per day?") == true)
            }
        }
    }

    @Test func aParaphraseIsServedFromTheCacheWithoutCallingTheModel() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.setDefault(.answer("Drink 400 to 600 ml of water about two hours before training [1].",
                                         usage: TokenUsage(promptTokens: 1_000, completionTokens: 20)))
            try await Self.withChatServer(llm: llm, configure: { $0.cache.enabled = true }) { base, _ in
                let first = try await Self.post(base, "/v1/chat", #"{"message": "How much water should I drink before a workout?"}"#)
                #expect(first.json["cached"] as? Bool == false)
                #expect(await llm.requestCount == 1)
                let second = try await Self.post(base, "/v1/chat", #"{"message": "Before a workout, how much water should I drink?"}"#)
                #expect(second.status == 200)
                #expect(second.json["cached"] as? Bool == true)
                #expect(second.json["answer"] as? String == first.json["answer"] as? String)
                #expect(second.json["model"] as? String == "127.0.0.1/fake-model")
                #expect((second.json["usage"] as? [String: Any])?["total_tokens"] as? Int == 0)
                let match = try #require(second.json["cache"] as? [String: Any])
                #expect(match["matched_question"] as? String == "How much water should I drink before a workout?")
                #expect(match["saved_tokens"] as? Int == 1_020)
                #expect(abs((match["saved_cost_usd"] as? Double ?? 0) - 1_040.0 / 1_000_000) < 1e-12)
                #expect(await llm.requestCount == 1, "a hit must not call the model")
                // Opting out calls the model; a purge empties the cache.
                let optedOut = try await Self.post(base, "/v1/chat", #"{"message": "How much water should I drink before a workout?", "cache": false}"#)
                #expect(optedOut.json["cached"] as? Bool == false)
                #expect(await llm.requestCount == 2)
                let bad = try await Loopback.send("DELETE", URL(string: "\(base)/admin/cache?kb=default&all=true")!)
                #expect(bad.status == 400)
                let unknown = try await Loopback.send("DELETE", URL(string: "\(base)/admin/cache?color=red")!)
                #expect(unknown.status == 400 && unknown.errorMessage.contains("color"))
                let purged = try await Loopback.send("DELETE", URL(string: "\(base)/admin/cache?kb=default")!)
                #expect(purged.json["purged"] as? Int == 1)
                let afterPurge = try await Self.post(base, "/v1/chat", #"{"message": "Before a workout, how much water should I drink?"}"#)
                #expect(afterPurge.json["cached"] as? Bool == false)
                #expect(await llm.requestCount == 3)
            }
        }
    }

    @Test func aFallbackAnswerIsNotCached() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.setDefault(.status(503))
            try await Self.withChatServer(llm: llm, settings: ["SPOTTER_LLM_MAX_RETRIES": "0"], configure: { $0.cache.enabled = true }) { base, _ in
                for _ in 0..<2 {
                    let result = try await Self.post(base, "/v1/chat", #"{"message": "How should I warm up before lifting?"}"#)
                    #expect(result.json["model"] as? String == "offline")
                    #expect(result.json["cached"] as? Bool == false)
                }
                #expect(await llm.requestCount == 2, "the model is asked again: the stop-gap answer was not cached")
            }
        }
    }

    @Test func failingUpstreamFallsBackToTheOfflineAnswerer() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.setDefault(.status(503))
            try await Self.withChatServer(llm: llm) { base, _ in
                let result = try await Self.post(base, "/v1/chat", #"{"message": "How should I warm up before lifting?"}"#)
                #expect(result.status == 200)
                #expect(result.json["model"] as? String == "offline")
                #expect(result.json["grounded"] as? Bool == true)
                #expect(await llm.requestCount == 2, "one call and one retry before falling back")
            }
        }
    }

    @Test func followUpIsCondensedByTheModel() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.enqueue(.answer("Protein should be 1.4 to 2.0 g per kg [1]."),
                              .answer("What foods are good sources of protein?"),
                              .answer("Meat, fish, dairy, beans and lentils [1]."))
            try await Self.withChatServer(llm: llm) { base, spotter in
                let first = try await Self.post(base, "/v1/chat", #"{"message": "How much protein do people who exercise need per day?"}"#)
                let session = try #require(first.json["session_id"] as? String)
                let second = try await Self.post(base, "/v1/chat", #"{"message": "And where do I get it?", "session_id": "\#(session)"}"#)
                #expect(second.status == 200)
                let requests = await llm.requests
                #expect(requests.count == 3)
                // The condensing call saw the earlier turn; the answering call was asked the standalone question.
                let condense = try #require(requests[1].chat)
                #expect(condense.messages.last?.content.contains("How much protein do people who exercise need per day?") == true)
                #expect(condense.messages.last?.content.contains("And where do I get it?") == true)
                #expect(requests[2].chat?.messages.last?.content.hasSuffix("Question: What foods are good sources of protein?") == true)
                let answerID = try #require(second.json["answer_id"] as? String)
                let record = try #require(try await spotter.answers.recordedAnswer(id: answerID))
                #expect(record.standaloneQuestion == "What foods are good sources of protein?")
                #expect(record.trace.record(for: .condense)?.outcome.hasPrefix("model") == true)
                #expect((second.json["citations"] as? [[String: Any]])?.contains { $0["title"] as? String == "Protein Basics" } == true)
            }
        }
    }

    @Test func streamThatBreaksAfterTokensEndsWithAnErrorEvent() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.enqueue(.stopWithoutDone("Warm up with five minutes of light cardio"))
            try await Self.withChatServer(llm: llm) { base, _ in
                let (status, events) = try await EventStreamClient.collect(
                    URL(string: base.absoluteString + "/v1/chat")!, json: #"{"message": "How should I warm up?", "stream": true}"#)
                #expect(status == 200)
                #expect(events.first?.event == "token")
                #expect(events.last?.event == "error")
                #expect(!events.contains { $0.event == "done" })
                let error = try JSONSerialization.jsonObject(with: Data(events.last!.data.utf8)) as? [String: [String: String]]
                #expect(error?["error"]?["code"] == "upstream_failed")
                #expect(await llm.requestCount == 1, "no retry and no fallback once words reached the user")
            }
        }
    }

    @Test func clientLeavingMidStreamCancelsTheUpstreamCall() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.enqueue(.hangAfter(chunks: 3))
            // A long read timeout, so that only the client leaving can end the upstream call within the test.
            try await Self.withChatServer(llm: llm, settings: ["SPOTTER_LLM_READ_TIMEOUT": "60"]) { base, _ in
                let (firstEvent, firstEventSink) = AsyncStream.makeStream(of: String?.self)
                let reader = Task {
                    let stream = try await EventStreamClient.post(URL(string: base.absoluteString + "/v1/chat")!,
                                                                  json: #"{"message": "How should I warm up?", "stream": true}"#)
                    var iterator = stream.events.makeAsyncIterator()
                    firstEventSink.yield(try await iterator.next()?.event)
                    try await Task.sleep(for: .seconds(60))
                }
                var events = firstEvent.makeAsyncIterator()
                #expect(await events.next() == "token")
                #expect(await llm.disconnects.isEmpty, "the upstream is still streaming (hanging) while the client listens")
                // The client walks away; the server notices at its next write and cancels the upstream call, while
                // it keeps running.
                reader.cancel()
                let disconnect = await llm.waitForDisconnect(timeout: 10)
                #expect(disconnect != nil, "the upstream request must be closed when the client leaves")
                let health = try await Loopback.get(base, "/healthz")
                #expect(health.status == 200)
            }
        }
    }

    @Test func answersBeyondTheConcurrencyLimitGet429UntilASlotFrees() async throws {
        try await FakeOpenAIServer.with { llm in
            await llm.enqueue(.delay(1.5, then: .answer("Warm up with light cardio [1].")))
            await llm.setDefault(.answer("Rest two to three minutes between heavy sets [1]."))
            try await Self.withChatServer(llm: llm, configure: { $0.maximumConcurrentAnswers = 1 }) { base, _ in
                let slow = try await EventStreamClient.post(URL(string: base.absoluteString + "/v1/chat")!,
                                                            json: #"{"message": "How should I warm up?", "stream": true}"#)
                #expect(slow.status == 200)
                let refused = try await Self.post(base, "/v1/chat", #"{"message": "How long should I rest between sets?"}"#)
                #expect(refused.status == 429)
                #expect(refused.errorCode == "rate_limited")
                #expect(refused.headers["retry-after"] == "1")
                let refusedCompletion = try await Self.post(base, "/v1/chat/completions", #"{"messages": [{"role": "user", "content": "Rest?"}]}"#)
                #expect(refusedCompletion.status == 429)
                var events: [String] = []
                for try await event in slow.events { events.append(event.event) }
                #expect(events.last == "done")
                // The slot is released as the stream's writer returns, which may come a moment after the client has
                // read the last event: allow that moment, not a slot that stays taken.
                var admitted = try await Self.post(base, "/v1/chat", #"{"message": "How long should I rest between sets?"}"#)
                for _ in 0..<50 where admitted.status == 429 {
                    try await Task.sleep(for: .milliseconds(100))
                    admitted = try await Self.post(base, "/v1/chat", #"{"message": "How long should I rest between sets?"}"#)
                }
                #expect(admitted.status == 200, "the slot is free again once the stream ended")
            }
        }
    }
}
