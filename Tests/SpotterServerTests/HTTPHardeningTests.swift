import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// Security headers, CORS by allow-list, and limits on what a client may send, over real loopback HTTP.
@Suite("HTTP hardening")
struct HTTPHardeningTests {
    static func withServer(_ configure: @escaping (inout SpotterConfiguration) -> Void = { _ in },
                           _ body: @Sendable (URL) async throws -> Void) async throws {
        let spotter = try Loopback.spotter { configuration in
            configuration.corsOrigins = ["https://app.example.com"]
            configure(&configuration)
        }
        do {
            try await Loopback.withServer(spotter, body)
        } catch {
            await spotter.shutdown()
            throw error
        }
        await spotter.shutdown()
    }

    @Test func everyResponseCarriesTheSecurityHeadersAndTheDocsPageRunsOnlyItsOwnScript() async throws {
        try await Self.withServer { base in
            for (path, status) in [("/healthz", 200), ("/openapi.json", 200), ("/no/such/route", 404), ("/v1/search", 400)] {
                let result = try await Loopback.get(base, path)
                #expect(result.status == status, "\(path)")
                #expect(result.headers["x-content-type-options"] == "nosniff", "\(path)")
                #expect(result.headers["referrer-policy"] == "no-referrer" && result.headers["x-frame-options"] == "DENY", "\(path)")
                #expect(result.headers["strict-transport-security"] == nil, "HSTS over plain HTTP: \(path)")
                #expect(result.headers["content-security-policy"]?.hasPrefix("default-src 'none'") == true, "\(path)")
                #expect(!result.text.contains("/work/") && !result.text.contains(".swift"), "\(path): no internal paths")
            }
            let docs = try await Loopback.get(base, "/docs")
            let policy = try #require(docs.headers["content-security-policy"])
            #expect(policy.contains("script-src 'sha256-") && !policy.contains("script-src 'unsafe-inline'"), "\(policy)")
            // The hash is the page's one inline script's, so a browser runs it and nothing injected beside it.
            let html = docs.text
            let start = try #require(html.range(of: "<script>")).upperBound
            let end = try #require(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
            let script = String(html[start..<end])
            #expect(policy.contains(SpotterHTTPServer.contentSecurityPolicyHash(of: script)))
        }
    }

    @Test func onlyAllowedOriginsGetCORSHeaders() async throws {
        try await Self.withServer { base in
            let preflight = ["Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
                             "Access-Control-Request-Headers": "authorization, content-type"]
            let allowed = try await Loopback.send("OPTIONS", base.appendingPathComponent("v1/chat"), headers: preflight)
            #expect(allowed.headers["access-control-allow-origin"] == "https://app.example.com", "\(allowed.headers)")
            #expect(allowed.headers["access-control-allow-methods"]?.contains("POST") == true)
            #expect(allowed.headers["access-control-allow-headers"]?.lowercased().contains("authorization") == true)
            #expect(allowed.headers["vary"]?.contains("Origin") == true)
            var foreign = preflight
            foreign["Origin"] = "https://evil.example.net"
            let refused = try await Loopback.send("OPTIONS", base.appendingPathComponent("v1/chat"), headers: foreign)
            #expect(refused.headers["access-control-allow-origin"] == nil)
            let simple = try await Loopback.send("GET", base.appendingPathComponent("healthz"), headers: ["Origin": "https://app.example.com"])
            #expect(simple.headers["access-control-allow-origin"] == "https://app.example.com")
            #expect(simple.headers["access-control-expose-headers"]?.contains("Retry-After") == true)
            let other = try await Loopback.send("GET", base.appendingPathComponent("healthz"), headers: ["Origin": "https://evil.example.net"])
            #expect(other.status == 200 && other.headers["access-control-allow-origin"] == nil)
        }
    }

    @Test func longTargetsAndHugeHeadersAreRefused() async throws {
        try await Self.withServer { base in
            let long = try await Loopback.get(base, "/v1/search?q=" + String(repeating: "a", count: 9000))
            #expect(long.status == 414 && long.errorCode == "uri_too_long", "\(long.status) \(long.text)")
            let response = try RawConnection.exchange(port: base.port!, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 40_000))\r\n\r\n")
            #expect(!response.hasPrefix("HTTP/1.1 200"), "a 40 KB header must not be served: \(response.prefix(80))")
            let normal = try RawConnection.exchange(port: base.port!, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(normal.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func aClientThatStopsSendingIsCutOff() async throws {
        try await Self.withServer({ $0.idleTimeout = 1 }) { base in
            let started = Date()
            // Half a request head, then silence: the server closes the connection after the idle timeout.
            let response = try RawConnection.exchange(port: base.port!, "GET /healthz HTTP/1.1\r\nHost: x\r\n", waitSeconds: 20)
            #expect(!response.hasPrefix("HTTP/1.1 200"))
            #expect(Date().timeIntervalSince(started) < 15, "the connection must be closed, not left open until the test gives up")
        }
    }
}

/// A plain TCP connection to the loopback server: writes `request`, then reads until the server closes (or
/// `waitSeconds` pass).
enum RawConnection {
    static func exchange(port: Int, _ request: String, waitSeconds: Int = 10) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: waitSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
            // One response is enough when the server keeps the connection open.
            if let text = String(bytes: received, encoding: .utf8), text.contains("\r\n\r\n"), text.contains("\"status\"") { break }
        }
        return String(decoding: received, as: UTF8.self)
    }
}
