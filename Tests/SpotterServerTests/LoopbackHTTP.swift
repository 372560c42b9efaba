import Foundation
import Hummingbird
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// One HTTP exchange as the tests look at it.
struct HTTPResult: Sendable {
    var status: Int
    var data: Data
    /// Header names lower-cased.
    var headers: [String: String]

    /// The body as a JSON object ([:] when it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:] }
    var jsonValue: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: data) }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { ((json["error"] as? [String: Any])?["message"] as? String) ?? "" }
    var text: String { String(decoding: data, as: UTF8.self) }
}

/// Starts servers on free loopback ports and talks to them over real sockets.
enum Loopback {
    /// Runs `body` against a server for `spotter` on 127.0.0.1, then stops it.
    static func withServer(_ spotter: Spotter, readiness: ReadinessState = ReadinessState(),
                           options: SpotterHTTPServer.Options = .init(),
                           _ body: @Sendable (URL) async throws -> Void) async throws {
        try await withApplication({ onRunning in
            try SpotterHTTPServer(spotter: spotter, logger: quietLogger, readiness: readiness, options: options)
                .application(host: "127.0.0.1", port: 0, onRunning: onRunning)
        }, body)
    }

    /// Runs the application `make` builds (on port 0, reporting the real port to the closure it is given), calls
    /// `body` with its base URL, then stops it.
    static func withApplication<App: ApplicationProtocol>(_ make: (@escaping @Sendable (Int) async -> Void) throws -> App,
                                                          _ body: @Sendable (URL) async throws -> Void) async throws {
        let ports = AsyncStream<Int>.makeStream()
        let app = try make { port in ports.continuation.yield(port) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(URL(string: "http://127.0.0.1:\(port)")!)
            group.cancelAll()
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// `chunked` sends the body as a stream (`Transfer-Encoding: chunked`, no `Content-Length`).
    static func send(_ method: String, _ url: URL, body: Data? = nil, contentType: String? = nil,
                     headers: [String: String] = [:], chunked: Bool = false) async throws -> HTTPResult {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if chunked, let body { request.httpBodyStream = InputStream(data: body) } else { request.httpBody = body }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return HTTPResult(status: http.statusCode, data: data, headers: fields)
    }

    static func get(_ base: URL, _ pathAndQuery: String) async throws -> HTTPResult {
        try await send("GET", URL(string: base.absoluteString + pathAndQuery)!)
    }

    /// A `multipart/form-data` body with one file part per (field, filename, content).
    static func multipart(_ files: [(name: String, filename: String, content: Data)], boundary: String = "spotter-test-boundary-7MA4YWxk")
        -> (body: Data, contentType: String) {
        var body = Data()
        for file in files {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\n".utf8))
            body.append(Data("Content-Type: application/octet-stream\r\n\r\n".utf8))
            body.append(file.content)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    /// A Spotter engine over a fresh temporary store (sharing the loaded embedder), optionally reconfigured.
    static func spotter(_ configure: (inout SpotterConfiguration) -> Void = { _ in }) throws -> Spotter {
        var configuration = TestEnvironment.configuration(dataDirectory: try TestEnvironment.temporaryDirectory("http"))
        configure(&configuration)
        return try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
    }
}
