import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SpotterCore

extension Bench {
    struct HTTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "http",
            abstract: "Latency and throughput of a running server over loopback, beside its trivial GET /healthz.",
            discussion: """
                Scenario cache-hit: answers served from the semantic cache (POST /v1/chat with questions asked \
                once beforehand), then GET /healthz, in alternating rounds on the same connections; prints p50/p99 \
                latency and requests/s of each and their ratio. Start the server first (make run, or spotter serve).
                """)

        enum Scenario: String, ExpressibleByArgument, CaseIterable {
            case cacheHit = "cache-hit"
        }

        @Option(help: "What to measure: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")).")
        var scenario: Scenario = .cacheHit

        @Option(help: "The running server.")
        var url: String = "http://127.0.0.1:8080"

        @Option(help: "Seconds per round and endpoint.")
        var duration: Double = 5

        @Option(help: "Rounds, alternating the two endpoints.")
        var rounds: Int = 2

        @Option(help: "Concurrent connections (each sends its next request when the last one is answered).")
        var connections: Int = 4

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard duration > 0, rounds > 0, (1...512).contains(connections) else {
                throw ValidationError("--duration and --rounds must be positive, --connections 1–512")
            }
            guard let parsed = URL(string: url), parsed.scheme == "http", parsed.host != nil else {
                throw ValidationError("--url must be an http address such as http://127.0.0.1:8080, got '\(url)'")
            }
        }

        /// Questions the demo knowledge base answers; each is asked once to fill the cache, then repeated.
        static let questions = [
            "How much protein do people who exercise need per day?",
            "How should I warm up before lifting weights?",
            "How long should I rest between sets?",
            "How much water should I drink during exercise?",
        ]

        func run() async throws {
            let base = url.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                try await measure(client, base: base)
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }

        private func measure(_ client: HTTPClient, base: String) async throws {

            let health = try? await client.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(5))
            guard health?.status == .ok else {
                throw ValidationError("no server answers at \(base)/healthz; start one with `make run` or `spotter serve`")
            }
            // Fill the cache, then check that a repeat is really served from it.
            for question in Self.questions {
                _ = try await Self.chat(client, base, question)
                let (status, body) = try await Self.chat(client, base, question)
                let cached = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["cached"] as? Bool
                guard status == 200, cached == true else {
                    throw ValidationError("'\(question)' was not served from the cache (HTTP \(status)); is SPOTTER_CACHE off, or the knowledge base empty?")
                }
            }

            var healthLatencies: [Double] = [], hitLatencies: [Double] = []
            var healthSeconds = 0.0, hitSeconds = 0.0, healthFailures = 0, hitFailures = 0
            for round in 0..<rounds {
                if !json { printError("round \(round + 1)/\(rounds)") }
                let health = try await Self.load(connections: connections, seconds: duration) { _ in
                    let response = try await client.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    return response.status == .ok
                }
                let hits = try await Self.load(connections: connections, seconds: duration) { index in
                    let (status, _) = try await Self.chat(client, base, Self.questions[index % Self.questions.count])
                    return status == 200
                }
                healthLatencies += health.latencies
                healthSeconds += health.seconds
                healthFailures += health.failures
                hitFailures += hits.failures
                hitLatencies += hits.latencies
                hitSeconds += hits.seconds
            }
            let result = HTTPBenchResult(
                scenario: scenario.rawValue, connections: connections, seconds: duration * Double(rounds),
                cacheHit: .init(latencies: hitLatencies, seconds: hitSeconds, failures: hitFailures),
                healthz: .init(latencies: healthLatencies, seconds: healthSeconds, failures: healthFailures))
            if json { return JSONLine.print(result) }
            print("\(scenario.rawValue) against \(base), \(connections) connections, \(rounds) × \(duration) s per endpoint")
            for (name, figures) in [("cache-hit POST /v1/chat", result.cacheHit), ("GET /healthz", result.healthz)] {
                print(String(format: "  %-24@ p50 %7.2f ms   p99 %7.2f ms   %8.0f req/s   (%d requests, %d failed)",
                             name as NSString, figures.p50Milliseconds, figures.p99Milliseconds, figures.requestsPerSecond,
                             figures.requests, figures.failures))
            }
            print(String(format: "  cache-hit throughput is %.2f× the trivial endpoint's", result.throughputRatio))
        }

        static func chat(_ client: HTTPClient, _ base: String, _ question: String) async throws -> (Int, Data) {
            var request = HTTPClientRequest(url: base + "/v1/chat")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body(question))
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 8 << 20)
            return (Int(response.status.code), Data(body.readableBytesView))
        }

        /// The request bodies, encoded once: the client's own JSON work would otherwise be counted against the server.
        static let bodies: [String: ByteBuffer] = Dictionary(uniqueKeysWithValues: questions.map { question in
            (question, ByteBuffer(string: CanonicalJSON.string(["message": question])))
        })

        static func body(_ question: String) -> ByteBuffer {
            bodies[question] ?? ByteBuffer(string: CanonicalJSON.string(["message": question]))
        }

        /// Runs `send` on `connections` loops for `seconds`; returns each request's latency in milliseconds.
        static func load(connections: Int, seconds: Double,
                         _ send: @escaping @Sendable (Int) async throws -> Bool) async throws -> (latencies: [Double], failures: Int, seconds: Double) {
            let started = ContinuousClock.now
            let deadline = started + .milliseconds(Int64(seconds * 1000))
            let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
                for connection in 0..<connections {
                    group.addTask {
                        var latencies: [Double] = []
                        var failures = 0
                        var index = connection
                        while ContinuousClock.now < deadline {
                            let sent = ContinuousClock.now
                            if try await send(index) {
                                latencies.append((ContinuousClock.now - sent).inSeconds * 1000)
                            } else {
                                failures += 1
                            }
                            index += connections
                        }
                        return (latencies, failures)
                    }
                }
                var all: ([Double], Int) = ([], 0)
                for try await part in group {
                    all.0 += part.0
                    all.1 += part.1
                }
                return all
            }
            return (results.0, results.1, (ContinuousClock.now - started).inSeconds)
        }
    }
}

struct HTTPBenchResult: Encodable {
    struct Figures: Encodable {
        var requests: Int
        var failures: Int
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var requestsPerSecond: Double

        init(latencies: [Double], seconds: Double, failures: Int = 0) {
            requests = latencies.count
            self.failures = failures
            p50Milliseconds = RetrievalMetrics.percentile(latencies, 0.5) ?? 0
            p99Milliseconds = RetrievalMetrics.percentile(latencies, 0.99) ?? 0
            requestsPerSecond = seconds > 0 ? Double(latencies.count) / seconds : 0
        }

        enum CodingKeys: String, CodingKey {
            case requests, failures
            case p50Milliseconds = "p50_ms"
            case p99Milliseconds = "p99_ms"
            case requestsPerSecond = "requests_per_second"
        }
    }

    var scenario: String
    var connections: Int
    var seconds: Double
    var cacheHit: Figures
    var healthz: Figures
    var throughputRatio: Double { healthz.requestsPerSecond > 0 ? cacheHit.requestsPerSecond / healthz.requestsPerSecond : 0 }

    enum CodingKeys: String, CodingKey {
        case scenario, connections, seconds, healthz
        case cacheHit = "cache_hit"
        case throughputRatio = "throughput_ratio"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(connections, forKey: .connections)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(cacheHit, forKey: .cacheHit)
        try container.encode(healthz, forKey: .healthz)
        try container.encode(throughputRatio, forKey: .throughputRatio)
    }
}
