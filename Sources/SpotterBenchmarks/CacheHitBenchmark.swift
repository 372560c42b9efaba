import Foundation
import SpotterCore

/// `spotter bench http --scenario cache-hit`: cache hits of `POST /v1/chat` against `GET /healthz` on the same
/// server, round after round, each endpoint for the same time on the same connections.
@MemberwiseInit
package struct CacheHitBenchmark {
    let client: LoopbackClient
    let connections: Int
    let seconds: Double
    let rounds: Int

    /// Questions the demo knowledge base answers; each is asked once to fill the cache, then repeated.
    package static let questions = [
        "How much protein do people who exercise need per day?",
        "How should I warm up before lifting weights?",
        "How long should I rest between sets?",
        "How much water should I drink during exercise?",
    ]

    /// Fills the cache, checks that a repeat is served from it, then measures; `round` is told each round's
    /// number as it starts. The loads are returned for their failures.
    package func run(scenario: String, round: (Int) -> Void) async throws -> (HTTPBenchResult, hits: LoopbackClient.Load, healthz: LoopbackClient.Load) {
        guard (try? client.exchange(client.request("GET", "/healthz")))?.status == 200 else {
            throw BenchmarkSetupError("no server answers at http://\(client.host):\(client.port)\(client.pathPrefix)/healthz; start one with `make run` or `spotter serve`")
        }
        let hitRequests = Self.questions.map { client.request("POST", "/v1/chat", json: CanonicalJSON.string(["message": $0])) }
        for (question, request) in zip(Self.questions, hitRequests) {
            _ = try client.exchange(request)
            let repeated = try client.exchange(request)
            let cached = (try? JSONSerialization.jsonObject(with: Data(repeated.body)) as? [String: Any])?["cached"] as? Bool
            guard repeated.status == 200, cached == true else {
                throw BenchmarkSetupError("'\(question)' was not served from the cache (HTTP \(repeated.status)); is SPOTTER_CACHE off, or the knowledge base empty?")
            }
        }
        let healthRequest = [client.request("GET", "/healthz")]
        var health = LoopbackClient.Load(), hits = LoopbackClient.Load()
        for number in 0..<rounds {
            round(number)
            let healthRound = await client.load(connections: connections, seconds: seconds, requests: healthRequest) {
                $0.status == 200
            }
            // A response that is not a cache hit fails the round's count: the figures are for hits only.
            let hitRound = await client.load(connections: connections, seconds: seconds, requests: hitRequests) {
                $0.status == 200 && $0.contains(#""cached":true"#)
            }
            health.add(healthRound)
            hits.add(hitRound)
        }
        let result = HTTPBenchResult(
            scenario: scenario, connections: connections, seconds: seconds * Double(rounds),
            cacheHit: .init(latencies: hits.latencies, seconds: hits.seconds, failures: hits.failures),
            healthz: .init(latencies: health.latencies, seconds: health.seconds, failures: health.failures))
        return (result, hits, health)
    }
}

extension LoopbackClient.Load {
    package mutating func add(_ other: Self) {
        latencies += other.latencies
        failures += other.failures
        seconds += other.seconds
        firstFailure = firstFailure ?? other.firstFailure
    }
}

package struct HTTPBenchResult: Encodable {
    @SnakeCaseCodingKeys
    package struct Figures: Encodable {
        package var requests: Int
        package var failures: Int
        @WireKey("p50_ms") package var p50Milliseconds: Double
        @WireKey("p99_ms") package var p99Milliseconds: Double
        package var requestsPerSecond: Double

        package init(latencies: [Double], seconds: Double, failures: Int = 0) {
            requests = latencies.count
            self.failures = failures
            p50Milliseconds = RetrievalMetrics.percentile(latencies, 0.5) ?? 0
            p99Milliseconds = RetrievalMetrics.percentile(latencies, 0.99) ?? 0
            requestsPerSecond = seconds > 0 ? Double(latencies.count) / seconds : 0
        }
    }

    package var scenario: String
    package var connections: Int
    package var seconds: Double
    package var cacheHit: Figures
    package var healthz: Figures
    package var throughputRatio: Double { healthz.requestsPerSecond > 0 ? cacheHit.requestsPerSecond / healthz.requestsPerSecond : 0 }

    enum CodingKeys: String, CodingKey {
        case scenario, connections, seconds, healthz
        case cacheHit = "cache_hit"
        case throughputRatio = "throughput_ratio"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(connections, forKey: .connections)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(cacheHit, forKey: .cacheHit)
        try container.encode(healthz, forKey: .healthz)
        try container.encode(throughputRatio, forKey: .throughputRatio)
    }
}
