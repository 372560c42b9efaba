import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `spotter chat` and `spotter serve` as a user runs them: the built binary, a temporary data directory holding the
/// demo guides, and (for the server) a fake OpenAI upstream on loopback.
@Suite("Chat and serve", .serialized)
struct ChatAndServeTests {
    /// A data directory with the demo guides ingested through the CLI, made once.
    static let data = AsyncOnce<URL> {
        let data = try TestEnvironment.temporaryDirectory("cli-chat")
        let ingest = try ProcessRunner.run(TestEnvironment.spotterBinary, ["ingest", TestEnvironment.demoGuides.path] + common(data))
        guard ingest.status == 0 else { throw CLIFailure(output: ingest) }
        return data
    }

    struct CLIFailure: Error { var output: ProcessOutput }

    static func common(_ data: URL) -> [String] {
        ["--data-dir", data.path, "--model-dir", TestEnvironment.modelDirectory.path]
    }

    @Test func oneQuestionPrintsACitedAnswer() async throws {
        let data = try await Self.data.get()
        let output = try ProcessRunner.run(TestEnvironment.spotterBinary,
                                           ["chat", "How much protein do people who exercise need per day?", "--json"] + Self.common(data))
        #expect(output.status == 0, "\(output.stderr)")
        let answer = try JSONDecoder().decode(Answer.self, from: Data(output.stdout.utf8))
        #expect(answer.grounded)
        #expect(answer.citations.contains { $0.title == "Protein Basics" })
        #expect(answer.model == "offline")
    }

    @Test func interactiveSessionKeepsTheConversationAndShowsSources() async throws {
        let data = try await Self.data.get()
        let output = try ProcessRunner.run(
            TestEnvironment.spotterBinary, ["chat"] + Self.common(data),
            input: "How much protein do people who exercise need per day?\nAnd what foods are good sources of it?\n/new\nAnd what foods are good sources of it?\n/quit\nnever read\n")
        #expect(output.status == 0, "\(output.stderr)")
        let answers = output.stdout.components(separatedBy: "spotter> ").dropFirst()
        #expect(answers.count == 3)
        let sessions = answers.compactMap { $0.firstMatch(of: /session (ses_[0-9a-f]+)/).map { String($0.1) } }
        #expect(sessions.count == 3)
        #expect(sessions[0] == sessions[1], "the follow-up continues the session")
        #expect(sessions[2] != sessions[1], "/new starts another")
        #expect(Array(answers)[1].contains("Sources:") && Array(answers)[1].contains("Protein Basics"))
        #expect(!output.stdout.contains("never read"))
    }

    @Test func serverAnswersRemoteChatAndFinishesAnInFlightStreamOnSIGTERM() async throws {
        let data = try await Self.data.get()
        try await FakeOpenAIServer.with { llm in
            await llm.enqueue(.answer("Start with five to ten minutes of light cardio [1]."),
                              .delay(2, then: .answer("Warm up gradually, then do ramp-up sets [1].")))
            let server = try RunningProcess(TestEnvironment.spotterBinary, ["serve", "--port", "0"] + Self.common(data), environment: [
                "SPOTTER_LLM_BASE_URL": llm.baseURL.absoluteString, "SPOTTER_LLM_MODEL": "fake-model",
                "SPOTTER_SHUTDOWN_GRACE": "20",
            ])
            let line = await server.errorLine { $0.contains("serving") }
            let port = try #require(line?.firstMatch(of: /127\.0\.0\.1:(\d+)/).map { String($0.1) }, "\(server.stderr)")
            let base = "http://127.0.0.1:\(port)"
            _ = await server.errorLine { $0.hasSuffix("[spotter] ready") }

            // `spotter chat --url` streams from the running server.
            let remote = try ProcessRunner.run(TestEnvironment.spotterBinary, ["chat", "--url", base, "How should I warm up?"])
            #expect(remote.status == 0, "\(remote.stderr)")
            #expect(remote.stdout.contains("Start with five to ten minutes of light cardio [1]."))
            #expect(remote.stdout.contains("Sources:"))
            #expect(remote.stdout.contains("127.0.0.1/fake-model"))
            // Its `info` line comes a few milliseconds behind the answer (DeferredStandardError), without any later line.
            #expect(await server.errorLine(timeout: 10) { $0.contains("answered") } != nil, "\(server.stderr)")

            // `spotter drift status` reads the running server's signals.
            let drift = try ProcessRunner.run(TestEnvironment.spotterBinary, ["drift", "status", "--url", base])
            #expect(drift.status == 0, "\(drift.stderr)")
            for signal in DriftSignal.allCases { #expect(drift.stdout.contains(signal.rawValue), "\(drift.stdout)") }
            let driftJSON = try ProcessRunner.run(TestEnvironment.spotterBinary, ["drift", "status", "--url", base, "--json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(driftJSON.stdout.utf8)) as? [String: Any])
            #expect((report["signals"] as? [Any])?.count == DriftSignal.allCases.count)

            // A stream is in flight (the upstream takes 2 s) when SIGTERM arrives: it still ends with `done`.
            let stream = try await EventStreamClient.post(URL(string: base + "/v1/chat")!,
                                                          json: #"{"message": "How should I warm up before lifting?", "stream": true}"#)
            #expect(stream.status == 200)
            try await Task.sleep(for: .milliseconds(300))
            server.signal(SIGTERM)
            var events: [ServerSentEvent] = []
            for try await event in stream.events { events.append(event) }
            #expect(events.last?.event == "done", "\(events.map(\.event))")
            #expect(events.contains { $0.event == "token" })
            let status = await server.waitForExit(timeout: 20)
            #expect(status == 0, "\(server.stderr)")
            #expect(server.stderr.contains("stopped"))
            // The answer's `info` line, written behind the answer (DeferredStandardError), is out before the exit.
            let done = try #require(events.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any] })
            let answerID = try #require(done["answer_id"] as? String)
            #expect(server.stderr.contains("answer_id=\(answerID) "), "\(server.stderr)")
        }
    }

    @Test func benchHTTPMeasuresCacheHitsBesideHealthzOnARunningServer() async throws {
        let data = try await Self.data.get()
        let server = try RunningProcess(TestEnvironment.spotterBinary, ["serve", "--port", "0"] + Self.common(data))
        let line = await server.errorLine { $0.contains("serving") }
        let port = try #require(line?.firstMatch(of: /127\.0\.0\.1:(\d+)/).map { String($0.1) }, "\(server.stderr)")
        _ = await server.errorLine { $0.hasSuffix("[spotter] ready") }

        let bench = try ProcessRunner.run(TestEnvironment.spotterBinary, [
            "bench", "http", "--url", "http://127.0.0.1:\(port)", "--duration", "0.4", "--rounds", "1", "--connections", "2", "--json",
        ])
        #expect(bench.status == 0, "\(bench.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any], "\(bench.stdout)")
        let hits = try #require(result["cache_hit"] as? [String: Any])
        let health = try #require(result["healthz"] as? [String: Any])
        // Every cache-hit response was checked to be a hit; none failed.
        #expect((hits["requests"] as? Int ?? 0) > 0 && hits["failures"] as? Int == 0, "\(hits)")
        #expect((health["requests"] as? Int ?? 0) > 0 && health["failures"] as? Int == 0, "\(health)")
        #expect((result["throughput_ratio"] as? Double ?? 0) > 0)
        server.signal(SIGTERM)
        #expect(await server.waitForExit(timeout: 20) == 0, "\(server.stderr)")

        // Nothing listening: a clear message, not a hang.
        let refused = try ProcessRunner.run(TestEnvironment.spotterBinary, ["bench", "http", "--url", "http://127.0.0.1:\(port)", "--duration", "0.2"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("no server answers"), "\(refused.stderr)")
    }
}
