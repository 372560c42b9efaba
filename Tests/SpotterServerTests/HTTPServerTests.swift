import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// The HTTP API over real loopback sockets, with the real model and a real SQLite store.
@Suite("HTTP API", .serialized)
struct HTTPServerTests {
    static let spotter = AsyncOnce<Spotter> {
        let (spotter, _) = try TestEnvironment.spotter()
        let folder = try TestEnvironment.temporaryDirectory("http-corpus")
        try TestEnvironment.write([
            "kettlebell.md": "---\nequipment: kettle bell\n---\n# Kettlebell deadlift\n\nHinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.",
            "protein.md": "# Protein\n\nActive adults often need 1.4 to 2.0 grams of protein per kilogram per day.",
        ], under: folder)
        _ = try await spotter.ingest.ingest(paths: [folder.path], options: IngestOptions(knowledgeBase: "default"))
        return spotter
    }

    /// Starts the server on a free loopback port, runs `body` against its base URL, then stops it.
    func withServer(_ body: @Sendable (URL) async throws -> Void) async throws {
        try await Loopback.withServer(try await Self.spotter.get(), body)
    }

    func get(_ url: URL) async throws -> (status: Int, json: [String: Any], headers: [AnyHashable: Any]) {
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        let json = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return (http.statusCode, json, http.allHeaderFields)
    }

    @Test func healthAndReadinessAnswer() async throws {
        try await withServer { base in
            let health = try await get(base.appendingPathComponent("healthz"))
            #expect(health.status == 200)
            #expect(health.json["status"] as? String == "ok")
            let ready = try await get(base.appendingPathComponent("readyz"))
            #expect(ready.status == 200)
            #expect(ready.json["model"] as? String == "sentence-transformers/all-MiniLM-L6-v2")
            #expect((ready.json["knowledge_bases"] as? [String]) == ["default"])
        }
    }

    @Test func searchReturnsTheSameJSONAsTheCore() async throws {
        try await withServer { base in
            let response = try await get(URL(string: "\(base)/v1/search?q=hamstring+exercise+with+kettlebell&k=2&mode=hybrid")!)
            #expect(response.status == 200)
            let hits = try #require(response.json["hits"] as? [[String: Any]])
            #expect(hits.count == 2)
            #expect(hits.first?["title"] as? String == "Kettlebell deadlift")
            let scores = try #require(hits.first?["scores"] as? [String: Any])
            #expect(scores["fused"] is Double)
            #expect(response.json["mode"] as? String == "hybrid")
            #expect(response.json["kb"] as? String == "default")
        }
    }

    @Test func exactScanAndMMRAreOptionsOfTheSameSearch() async throws {
        try await withServer { base in
            let approximate = try await get(URL(string: "\(base)/v1/search?q=hamstring+exercise+with+kettlebell&k=5&mode=dense")!)
            let exact = try await get(URL(string: "\(base)/v1/search?q=hamstring+exercise+with+kettlebell&k=5&mode=dense&exact=true")!)
            #expect(exact.status == 200)
            #expect(exact.json["exact"] as? Bool == true)
            #expect(approximate.json["exact"] as? Bool == false)
            // On a small knowledge base the graph finds exactly what the scan finds.
            let ids = { (json: [String: Any]) in (json["hits"] as? [[String: Any]])?.compactMap { $0["chunk_id"] as? Int } ?? [] }
            #expect(ids(approximate.json) == ids(exact.json))
            #expect(!ids(exact.json).isEmpty)

            let diverse = try await get(URL(string: "\(base)/v1/search?q=hamstring+exercise+with+kettlebell&k=5&mmr=0.5")!)
            #expect(diverse.status == 200)
            #expect(diverse.json["mmr"] as? Double == 0.5)
            let hybrid = try await get(URL(string: "\(base)/v1/search?q=hamstring+exercise+with+kettlebell&k=5")!)
            // The same hits, each once; only the order may change.
            #expect(Set(ids(diverse.json)) == Set(ids(hybrid.json)))
            #expect(Set(ids(diverse.json)).count == ids(diverse.json).count)
        }
    }

    @Test(arguments: [
        ("/v1/search", 400, "invalid_parameter"),
        ("/v1/search?q=", 400, "invalid_parameter"),
        ("/v1/search?q=squat&k=abc", 400, "invalid_parameter"),
        ("/v1/search?q=squat&k=0", 400, "invalid_parameter"),
        ("/v1/search?q=squat&k=1000", 400, "invalid_parameter"),
        ("/v1/search?q=squat&mode=fast", 400, "invalid_parameter"),
        ("/v1/search?q=squat&alpha=x", 400, "invalid_parameter"),
        ("/v1/search?q=squat&filter=nokey", 400, "invalid_parameter"),
        ("/v1/search?q=squat&mmr=1.5", 400, "invalid_parameter"),
        ("/v1/search?q=squat&mmr=lots", 400, "invalid_parameter"),
        ("/v1/search?q=squat&exact=maybe", 400, "invalid_parameter"),
        ("/v1/search?q=squat&colour=red", 400, "invalid_parameter"),
        ("/v1/search?q=squat&kb=missing", 404, "unknown_knowledge_base"),
        ("/v1/search?q=%FF%FE", 400, "invalid_parameter"),
        ("/v1/search?q=squat&q=lunge", 400, "invalid_parameter"),
        ("/v2/nothing", 404, "not_found"),
    ])
    func badRequestsGetJSONErrors(path: String, status: Int, code: String) async throws {
        try await withServer { base in
            let response = try await get(URL(string: base.absoluteString + path)!)
            #expect(response.status == status, "\(path)")
            let error = try #require(response.json["error"] as? [String: Any], "\(path) gave no JSON error")
            #expect(error["code"] as? String == code)
            #expect((error["message"] as? String)?.isEmpty == false)
        }
    }

    @Test func plusAndPercentEncodedSpacesMeanTheSame() async throws {
        try await withServer { base in
            let plus = try await get(URL(string: "\(base)/v1/search?q=kettlebell+hamstrings&filter=equipment=kettle+bell")!)
            let percent = try await get(URL(string: "\(base)/v1/search?q=kettlebell%20hamstrings&filter=equipment%3Dkettle%20bell")!)
            #expect(plus.status == 200)
            #expect(plus.json["query"] as? String == "kettlebell hamstrings")
            let filters = try #require(plus.json["filters"] as? [[String: String]])
            #expect(filters == [["key": "equipment", "value": "kettle bell"]])
            let hits = try #require(plus.json["hits"] as? [[String: Any]])
            #expect(hits.map { $0["title"] as? String } == ["Kettlebell deadlift"])
            #expect((plus.json["hits"] as? [[String: Any]])?.map { $0["chunk_id"] as? Int } == (percent.json["hits"] as? [[String: Any]])?.map { $0["chunk_id"] as? Int })
        }
    }

    @Test func hostileQueriesOverHTTPDoNotFail() async throws {
        try await withServer { base in
            for query in ["\"", "AND", "NEAR(", "*", "-", "((", "%22unbalanced"] {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let response = try await get(URL(string: "\(base)/v1/search?q=\(encoded)")!)
                #expect(response.status == 200, "\(query)")
            }
        }
    }
}
