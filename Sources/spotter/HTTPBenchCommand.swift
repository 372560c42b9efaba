import ArgumentParser
import Foundation
import SpotterBenchmarks
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

        func run() async throws {
            let client = try LoopbackClient(url: url)
            let (result, hits, health): (HTTPBenchResult, LoopbackClient.Load, LoopbackClient.Load)
            do {
                (result, hits, health) = try await CacheHitBenchmark(client: client, connections: connections, seconds: duration, rounds: rounds)
                    .run(scenario: scenario.rawValue) { round in if !json { printError("round \(round + 1)/\(rounds)") } }
            } catch let error as BenchmarkSetupError {
                throw ValidationError(error.description)
            }
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
