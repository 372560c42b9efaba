import ArgumentParser
import Foundation
import SpotterCore

extension Bench {
    struct HTTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "http",
            abstract: "Latency and throughput of a running server over loopback, beside its trivial GET /healthz.",
            discussion: """
                Scenario cache-hit: GET /healthz, then answers served from the semantic cache (POST /v1/chat with \
                questions asked once beforehand), in alternating rounds; prints p50/p99 latency and requests/s of each \
                and their ratio. The client is lean (keep-alive HTTP/1.1 on plain sockets, a thread per connection, \
                requests encoded once) so that its own share of the machine is small and alike for both endpoints. \
                Start the server first (make run, or spotter serve).
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
            do { _ = try LoopbackClient(url: url) } catch { throw ValidationError("\(error)") }
        }

        /// Questions the demo knowledge base answers; each is asked once to fill the cache, then repeated.
        static let questions = [
            "How much protein do people who exercise need per day?",
            "How should I warm up before lifting weights?",
            "How long should I rest between sets?",
            "How much water should I drink during exercise?",
        ]

        func run() async throws {
            let client = try LoopbackClient(url: url)
            guard (try? client.exchange(client.request("GET", "/healthz")))?.status == 200 else {
                throw ValidationError("no server answers at \(url)/healthz; start one with `make run` or `spotter serve`")
            }
            // Fill the cache, then check that a repeat is really served from it.
            let hitRequests = Self.questions.map { client.request("POST", "/v1/chat", json: CanonicalJSON.string(["message": $0])) }
            for (question, request) in zip(Self.questions, hitRequests) {
                _ = try client.exchange(request)
                let repeated = try client.exchange(request)
                let cached = (try? JSONSerialization.jsonObject(with: Data(repeated.body)) as? [String: Any])?["cached"] as? Bool
                guard repeated.status == 200, cached == true else {
                    throw ValidationError("'\(question)' was not served from the cache (HTTP \(repeated.status)); is SPOTTER_CACHE off, or the knowledge base empty?")
                }
            }

            let healthRequest = [client.request("GET", "/healthz")]
            var health = LoopbackClient.Load(), hits = LoopbackClient.Load()
            for round in 0..<rounds {
                if !json { printError("round \(round + 1)/\(rounds)") }
                let healthRound = await client.load(connections: connections, seconds: duration, requests: healthRequest) {
                    $0.status == 200
                }
                // A response that is not a cache hit fails the round's count: the figures are for hits only.
                let hitRound = await client.load(connections: connections, seconds: duration, requests: hitRequests) {
                    $0.status == 200 && $0.contains(#""cached":true"#)
                }
                health.add(healthRound)
                hits.add(hitRound)
            }
            let result = HTTPBenchResult(
                scenario: scenario.rawValue, connections: connections, seconds: duration * Double(rounds),
                cacheHit: .init(latencies: hits.latencies, seconds: hits.seconds, failures: hits.failures),
                healthz: .init(latencies: health.latencies, seconds: health.seconds, failures: health.failures))
            for (name, load) in [("cache-hit", hits), ("/healthz", health)] {
                if let failure = load.firstFailure { printError("\(name): \(load.failures) failed, the first with: \(failure)") }
            }
            if json { return JSONLine.print(result) }
            print("\(scenario.rawValue) against \(url), \(connections) connections, \(rounds) × \(duration) s per endpoint")
            for (name, figures) in [("cache-hit POST /v1/chat", result.cacheHit), ("GET /healthz", result.healthz)] {
                print(String(format: "  %-24@ p50 %7.2f ms   p99 %7.2f ms   %8.0f req/s   (%d requests, %d failed)",
                             name as NSString, figures.p50Milliseconds, figures.p99Milliseconds, figures.requestsPerSecond,
                             figures.requests, figures.failures))
            }
            print(String(format: "  cache-hit throughput is %.2f× the trivial endpoint's", result.throughputRatio))
        }
    }
}

extension LoopbackClient.Load {
    mutating func add(_ other: Self) {
        latencies += other.latencies
        failures += other.failures
        seconds += other.seconds
        firstFailure = firstFailure ?? other.firstFailure
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
