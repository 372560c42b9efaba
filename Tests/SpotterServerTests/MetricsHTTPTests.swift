import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `GET /metrics` scraped and parsed around real traffic: the series exist and move with it.
extension ChatHTTPTests {
    /// One sample of Prometheus' text format: a name, its labels and the value.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    static func scrape(_ base: URL) async throws -> [Sample] {
        let result = try await Loopback.get(base, "/metrics")
        #expect(result.status == 200)
        return try String(decoding: result.data, as: UTF8.self).split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), !line.isEmpty else { return nil }
            // name{a="x",b="y"} value
            let (series, valueText) = try #require(line.lastIndex(of: " ").map { (line[..<$0], line[line.index(after: $0)...]) })
            let value = try #require(Double(valueText), "\(line)")
            guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The sum of the samples with this name whose labels include `labels` (0 when there are none).
    static func total(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.map(\.value).reduce(0, +)
    }

    @Test func metricsAreScrapedAndMoveWithTraffic() async throws {
        try await Self.withChatServer(configure: { $0.cache.enabled = true }) { base, spotter in
            let before = try await Self.scrape(base)
            let question = #"{"message": "How many rest days a week does a beginner need?"}"#
            let miss = try await Self.post(base, "/v1/chat", question)
            let hit = try await Self.post(base, "/v1/chat", question)
            #expect(miss.json["cached"] as? Bool == false && hit.json["cached"] as? Bool == true)
            _ = try await Self.post(base, "/v1/chat", #"{"message": ""}"#)
            _ = try await Loopback.get(base, "/v1/no-such-route")
            let answerID = try #require(hit.json["answer_id"] as? String)
            #expect(try await Self.feedback(base, #"{"answer_id": "\#(answerID)", "rating": "down"}"#).status == 200)
            let after = try await Self.scrape(base)

            func moved(_ name: String, _ labels: [String: String] = [:]) -> Double {
                Self.total(after, name, labels) - Self.total(before, name, labels)
            }
            #expect(moved("spotter_http_requests_total", ["method": "POST", "route": "/v1/chat", "status": "200"]) == 2)
            #expect(moved("spotter_http_requests_total", ["method": "POST", "route": "/v1/chat", "status": "422"]) == 1)
            #expect(moved("spotter_http_requests_total", ["status": "404"]) == 1)
            #expect(moved("spotter_http_request_duration_seconds_count", ["route": "/v1/chat"]) == 3)
            #expect(moved("spotter_cache_lookups_total", ["result": "hit"]) == 1)
            #expect(moved("spotter_cache_lookups_total", ["result": "miss"]) == 1)
            #expect(moved("spotter_cache_false_hits_total") == 1)
            #expect(moved("spotter_feedback_total", ["rating": "down"]) == 1)
            #expect(moved("spotter_answers_total", ["served_by": "cache"]) == 1)
            #expect(moved("spotter_pipeline_stage_seconds_count", ["stage": "cache"]) == 2)
            #expect(moved("spotter_pipeline_stage_seconds_count", ["stage": "retrieve"]) == 1)
            #expect(moved("spotter_retrieval_top_score_count") == 1)
            // A cache hit lands in the sub-millisecond-to-seconds buckets; the bucket bounds are the documented ones.
            let bounds = Set(after.filter { $0.name == "spotter_answer_seconds_bucket" }.compactMap { $0.labels["le"] })
            #expect(bounds.isSuperset(of: ["0.00025", "0.001", "1.0", "60.0", "+Inf"]) || bounds.isSuperset(of: ["0.00025", "0.001", "1", "60", "+Inf"]),
                    "\(bounds.sorted())")
            #expect(Self.total(after, "spotter_documents", ["kb": "default"]) > 0)
            #expect(Self.total(after, "spotter_chunks", ["kb": "default"]) >= Self.total(after, "spotter_documents", ["kb": "default"]))
            _ = try spotter.cache.purge(CachePurge(all: true))
        }
    }
}
