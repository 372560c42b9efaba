import Foundation
import Hummingbird
import Logging
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A request body shaped like the chat route's, to drive ``JSONRequest`` end to end.
struct ProbeRequest: StrictDecodable, Sendable {
    static let allowedKeys: Set<String> = ["message", "count", "tags", "nested"]
    var message: String
    var count: Int?
    var tags: [String]?
    var nested: Nested?

    struct Nested: Decodable, Sendable {
        var role: String

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(allowed: ["role"])
            role = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .role)
        }

        enum CodingKeys: String, CodingKey { case role }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decode(String.self, forKey: .message)
        guard (1...20).contains(message.count) else { throw APIError.invalidField("message", "must be 1–20 characters") }
        count = try container.decodeIfPresent(Int.self, forKey: .count)
        tags = try container.decodeIfPresent([String].self, forKey: .tags)
        nested = try container.decodeIfPresent(Nested.self, forKey: .nested)
    }

    enum CodingKeys: String, CodingKey { case message, count, tags, nested }
}

@Suite("Request limits and strictness", .serialized)
struct RequestLimitsTests {
    /// A bare Hummingbird app with one route that decodes ``ProbeRequest`` with a 256-byte limit.
    func withProbeServer(_ body: @Sendable (URL) async throws -> Void) async throws {
        let router = Router()
        router.post("/probe") { request, context -> String in
            let probe = try await JSONRequest.decode(ProbeRequest.self, from: request, context: context, limit: 256)
            return probe.message
        }
        try await Loopback.withApplication({ onRunning in
            Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                        onServerRunning: { await onRunning($0.localAddress?.port ?? 0) }, logger: Loopback.quietLogger)
        }, { base in try await body(base.appendingPathComponent("probe")) })
    }

    @Test func jsonBodiesAreDecodedWithOneErrorMapping() async throws {
        try await withProbeServer { url in
            let good = try await Loopback.send("POST", url, body: Data(#"{"message": "hi", "nested": {"role": "user"}}"#.utf8), contentType: "application/json")
            #expect(good.status == 200)
            #expect(good.text == "hi")

            let cases: [(body: Data, contentType: String?, status: Int, code: String, mentions: String)] = [
                (Data(#"{"message": "hi"}"#.utf8), "text/plain", 415, "unsupported_media_type", "application/json"),
                (Data(#"{"message": "hi"}"#.utf8), "application/json; charset=latin1", 415, "unsupported_media_type", "application/json"),
                (Data(#"{"message": "\#(String(repeating: "x", count: 300))"}"#.utf8), "application/json", 413, "body_too_large", "256 bytes"),
                (Data(), "application/json", 400, "malformed_json", "empty"),
                (Data(#"{"message": "hi""#.utf8), "application/json", 400, "malformed_json", "JSON"),
                (Data(#"{"message": hi}"#.utf8), "application/json", 400, "malformed_json", "JSON"),
                (Data([0x7B, 0x22, 0x6D, 0xFF, 0x22, 0x7D]), "application/json", 400, "malformed_json", "UTF-8"),
                (Data((String(repeating: "[", count: 120) + String(repeating: "]", count: 120)).utf8), "application/json", 422, "invalid_field", "object"),
                (Data(#"{"message": "hi", "mesage": "typo"}"#.utf8), "application/json", 400, "unknown_field", "mesage"),
                (Data(#"{"message": "hi", "nested": {"role": "user", "name": "x"}}"#.utf8), "application/json", 400, "unknown_field", "nested.name"),
                (Data(#"{"count": 3}"#.utf8), "application/json", 422, "invalid_field", "message"),
                (Data(#"{"message": 42}"#.utf8), "application/json", 422, "invalid_field", "message"),
                (Data(#"{"message": null}"#.utf8), "application/json", 422, "invalid_field", "message"),
                (Data(#"{"message": "hi", "tags": ["a", 2]}"#.utf8), "application/json", 422, "invalid_field", "tags[1]"),
                (Data(#"{"message": "hi", "count": 1e400}"#.utf8), "application/json", 400, "malformed_json", "1e400"),
                (Data(#"{"message": "hi", "count": 1.5}"#.utf8), "application/json", 422, "invalid_field", "whole number"),
                (Data(#"{"message": ""}"#.utf8), "application/json", 422, "invalid_field", "1–20"),
                (Data(#"["message"]"#.utf8), "application/json", 422, "invalid_field", "object"),
            ]
            for item in cases {
                let response = try await Loopback.send("POST", url, body: item.body, contentType: item.contentType)
                let label = String(decoding: item.body.prefix(60), as: UTF8.self)
                #expect(response.status == item.status, "\(label): \(response.text)")
                #expect(response.errorCode == item.code, "\(label): \(response.text)")
                #expect(response.errorMessage.contains(item.mentions), "\(label): \(response.errorMessage)")
            }
        }
    }

    @Test func deeplyNestedJSONIsRefusedWithout500() async throws {
        try await withProbeServer { url in
            for depth in [600, 10_000, 100_000] {
                let body = Data((#"{"message": "#+String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
                let response = try await Loopback.send("POST", url, body: body, contentType: "application/json")
                #expect((400..<500).contains(response.status), "depth \(depth): \(response.status) \(response.text.prefix(200))")
            }
        }
    }

    @Test(arguments: [
        ("POST", "/healthz", "GET"), ("DELETE", "/readyz", "GET"), ("POST", "/v1/search", "GET"),
        ("PUT", "/v1/documents", "GET, POST"), ("PATCH", "/v1/documents/abc", "DELETE, GET"), ("POST", "/v1/documents/abc", "DELETE, GET"),
        ("DELETE", "/openapi.json", "GET"), ("POST", "/docs", "GET"),
    ])
    func knownPathsWithTheWrongMethodAre405WithAllow(method: String, path: String, allow: String) async throws {
        try await Loopback.withServer(try Loopback.spotter()) { base in
            let response = try await Loopback.send(method, URL(string: base.absoluteString + path)!)
            #expect(response.status == 405)
            #expect(response.errorCode == "method_not_allowed")
            #expect(response.headers["allow"] == allow)
        }
    }

    @Test func untilReadyTheAPIAnswers503ButHealthStaysUp() async throws {
        let readiness = ReadinessState(ready: false, reason: "loading indexes")
        try await Loopback.withServer(try Loopback.spotter(), readiness: readiness) { base in
            for path in ["/v1/search?q=squat", "/v1/documents", "/v1/documents/x", "/v1/chat"] {
                let response = try await Loopback.get(base, path)
                #expect(response.status == 503, "\(path)")
                #expect(response.errorCode == "not_ready")
                #expect(response.headers["retry-after"] == "\(ReadinessState.retryAfterSeconds)")
                #expect(response.errorMessage.contains("loading indexes"))
            }
            #expect(try await Loopback.get(base, "/healthz").status == 200)
            let ready = try await Loopback.get(base, "/readyz")
            #expect(ready.status == 503)
            #expect(ready.errorCode == "not_ready")
            #expect(try await Loopback.get(base, "/openapi.json").status == 200)

            readiness.setReady()
            #expect(try await Loopback.get(base, "/readyz").status == 200)
            #expect(try await Loopback.get(base, "/v1/documents").status == 404)  // no knowledge base yet: an answer, not 503
            readiness.setNotReady(reason: "draining")
            #expect(try await Loopback.get(base, "/v1/documents").status == 503)
        }
    }

    /// Garbage at every route this branch owns: only 4xx answers, never a 5xx or a dropped connection.
    @Test func garbageInputGetsOnly4xx() async throws {
        let spotter = try Loopback.spotter()
        var random = SystemRandomNumberGenerator()
        let noise = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) })
        let invalidUTF8 = Data([0x23, 0x20, 0xC3, 0x28, 0xFF, 0xFE, 0x0A])
        let deep = Data((String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)).utf8)
        let huge = Data(#"[{"id": 1e99999, "text": 123456789012345678901234567890123456789}]"#.utf8)
        try await Loopback.withServer(spotter) { base in
            var requests: [(method: String, path: String, body: Data?, contentType: String?)] = []
            // JSON has no limit on numbers, so a record with a huge id is data, not garbage: it must not fail, and
            // may be stored.
            let stored = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=huge.json")!, body: huge, contentType: "application/json")
            #expect(stored.status < 500, "\(stored.text)")
            for (body, type) in [(noise, "text/markdown"), (noise, "application/json"), (noise, "multipart/form-data; boundary=zz"),
                                 (noise, "application/octet-stream"), (invalidUTF8, "text/plain"), (deep, "application/json"),
                                 (noise, "multipart/form-data"), (noise, "application/pdf")] {
                requests.append(("POST", "/v1/documents?filename=x.\(type.contains("json") ? "json" : "md")", body, type))
                requests.append(("POST", "/v1/documents", body, type))
            }
            requests += [
                ("POST", "/v1/documents?filename=%00", Data("a".utf8), "text/plain"),
                ("POST", "/v1/documents?kb=%FF&filename=a.md", Data("a".utf8), "text/markdown"),
                ("POST", "/v1/documents?kb=../../etc&filename=a.md", Data("a".utf8), "text/markdown"),
                ("POST", "/v1/documents?filename=a.md&filename=b.md", Data("a".utf8), "text/markdown"),
                ("POST", "/v1/documents?filename=a.json&id_field=", Data("[]".utf8), "application/json"),
                ("POST", "/v1/documents?filename=a.md&%ZZ=1", Data("a".utf8), "text/markdown"),
                ("GET", "/v1/documents?kb=%FF%FE", nil, nil),
                ("GET", "/v1/documents?kb=" + String(repeating: "k", count: 5000), nil, nil),
                ("GET", "/v1/documents?k=1e400", nil, nil),
                ("GET", "/v1/documents/%FF%FE", nil, nil),
                ("GET", "/v1/documents/" + String(repeating: "9", count: 2000), nil, nil),
                ("DELETE", "/v1/documents/..%2F..%2Fetc%2Fpasswd", nil, nil),
                ("GET", "/v1/search?q=x&k=1e400", nil, nil),
                ("GET", "/v1/search?q=x&k=99999999999999999999999", nil, nil),
                ("GET", "/v1/search?q=x&k=-1", nil, nil),
                ("GET", "/v1/search?q=x&alpha=1e400", nil, nil),
                ("GET", "/v1/search?q=x&alpha=nan", nil, nil),
                ("GET", "/v1/search?q=x&mmr=nan", nil, nil),
                ("GET", "/v1/search?q=x&mmr=-inf", nil, nil),
                ("GET", "/v1/search?q=%C3%28", nil, nil),
                ("GET", "/v1/search?q=" + String(repeating: "a", count: 5000), nil, nil),
                ("GET", "/v1/search?q=x&filter=%3D", nil, nil),
                ("PROPFIND", "/v1/search?q=x", nil, nil),
                ("PUT", "/v1/documents", noise, "application/json"),
                ("DELETE", "/v1/search", nil, nil),
                ("PATCH", "/healthz", noise, "text/plain"),
                ("POST", "/readyz", noise, "application/json"),
                ("PUT", "/openapi.json", nil, nil),
                ("DELETE", "/docs", nil, nil),
                ("OPTIONS", "/v1/documents", nil, nil),
                ("GET", "/v1/%FF%FE", nil, nil),
                ("GET", "/v1/documents/a/b/c", nil, nil),
            ]
            for request in requests {
                let response = try await Loopback.send(request.method, URL(string: base.absoluteString + request.path)!,
                                                       body: request.body, contentType: request.contentType)
                #expect((400..<500).contains(response.status), "\(request.method) \(request.path.prefix(80)) [\(request.contentType ?? "-")] → \(response.status) \(response.text.prefix(200))")
                #expect(response.errorCode != nil, "\(request.method) \(request.path.prefix(80)) gave no JSON error")
            }
            // A method the HTTP parser does not know is refused before routing (400 without our JSON body).
            let unknownMethod = try await Loopback.send("FOO", URL(string: "\(base)/v1/search?q=x")!)
            #expect((400..<500).contains(unknownMethod.status))
        }
    }
}
