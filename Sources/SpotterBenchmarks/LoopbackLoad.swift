import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The load generator of `spotter bench http`: keep-alive HTTP/1.1 over plain blocking sockets, one thread per
/// connection, each request's bytes prepared once.
///
/// The client shares the machine with the server, so its own cost per request is counted against whatever it
/// measures. It must be small and the same for every endpoint: with async-http-client the client spent about 380 µs of
/// CPU per POST /v1/chat against 75 µs per GET /healthz and held a whole core, so it, not the server, set the pace of
/// the cache-hit rounds and flattered their ratio to /healthz. Here a request is one `write` and one or two `read`s,
/// as with wrk.
package struct LoopbackClient: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// A response: its status and body (Content-Length or chunked).
    package struct Response {
        package var status: Int
        package var body: [UInt8]
    }

    package let host: String
    package let port: Int
    /// The URL's path before the API's own (`/api` in `http://host/api`), without a trailing `/`.
    package let pathPrefix: String

    package init(url: String) throws {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host else {
            throw Failure(description: "--url must be an http address such as http://127.0.0.1:8080, got '\(url)'")
        }
        self.host = host
        port = parsed.port ?? 80
        pathPrefix = parsed.path.hasSuffix("/") ? String(parsed.path.dropLast()) : parsed.path
    }

    /// A request's bytes, head and body in one buffer so that it goes out in one `write`.
    package func request(_ method: String, _ path: String, json body: String? = nil) -> [UInt8] {
        var head = "\(method) \(pathPrefix)\(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        return Array((head + "\r\n" + (body ?? "")).utf8)
    }

    /// One request on a connection of its own (for the checks before the load).
    package func exchange(_ request: [UInt8]) throws -> Response {
        var connection = try Connection(host: host, port: port)
        defer { connection.close() }
        return try connection.exchange(request)
    }

    package struct Load {
        package var latencies: [Double] = []
        package var failures = 0
        package var seconds = 0.0
        /// Why the first failure failed, to print.
        package var firstFailure: String?

        package init() {}
    }

    /// Sends `requests` round-robin on `connections` threads for `seconds`, each connection sending its next request
    /// when the last one is answered; `accept` decides whether a response counts. Latencies are in milliseconds.
    ///
    /// Every connection goes through the whole list, each from its own starting point: the mix of requests is the
    /// same on any number of connections, and does not follow which connection happens to run faster (a server
    /// watching its query distribution would otherwise see it swing).
    package func load(connections: Int, seconds: Double, requests: [[UInt8]],
              accept: @escaping @Sendable (Response) -> Bool) async -> Load {
        final class Gathered: Sendable {
            let load = Mutex(Load())
            let running: Mutex<Int>
            init(_ connections: Int) { running = Mutex(connections) }
        }
        let gathered = Gathered(connections)
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(seconds * 1000))
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            for number in 0..<connections {
                // Blocking reads must not sit on the cooperative pool's few threads: each connection has its own.
                let thread = Thread { [self] in
                    let part = self.drive(deadline: deadline, requests: requests, first: number, accept: accept)
                    gathered.load.withLock {
                        $0.latencies += part.latencies
                        $0.failures += part.failures
                        $0.firstFailure = $0.firstFailure ?? part.firstFailure
                    }
                    if gathered.running.withLock({ $0 -= 1; return $0 == 0 }) { finished.resume() }
                }
                thread.name = "bench-connection-\(number)"
                thread.start()
            }
        }
        var result = gathered.load.withLock { $0 }
        result.seconds = (ContinuousClock.now - started).inSeconds
        return result
    }

    private func drive(deadline: ContinuousClock.Instant, requests: [[UInt8]], first: Int,
                       accept: (Response) -> Bool) -> Load {
        var part = Load()
        part.latencies.reserveCapacity(1 << 16)
        var connection: Connection?
        var index = first
        while ContinuousClock.now < deadline {
            let sent = ContinuousClock.now
            do {
                if connection == nil { connection = try Connection(host: host, port: port) }
                let response = try connection!.exchange(requests[index % requests.count])
                if accept(response) {
                    part.latencies.append((ContinuousClock.now - sent).inSeconds * 1000)
                } else {
                    part.failures += 1
                    part.firstFailure = part.firstFailure ?? "HTTP \(response.status)"
                }
            } catch {
                part.failures += 1
                part.firstFailure = part.firstFailure ?? "\(error)"
                connection?.close()
                connection = nil
                usleep(10_000)  // a refused connection must not spin
            }
            index += 1
        }
        connection?.close()
        return part
    }

    /// One keep-alive connection, used by one thread at a time.
    package struct Connection {
        private let descriptor: Int32
        /// Bytes read past the last response.
        private var buffer: [UInt8] = []

        package init(host: String, port: Int) throws {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var found: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
                throw Failure(description: "cannot resolve \(host)")
            }
            defer { freeaddrinfo(found) }
            var address: UnsafeMutablePointer<addrinfo>? = first
            while let candidate = address {
                let socket = Glibc.socket(candidate.pointee.ai_family, candidate.pointee.ai_socktype, candidate.pointee.ai_protocol)
                if socket >= 0 {
                    if Glibc.connect(socket, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) == 0 {
                        var on: Int32 = 1
                        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                        descriptor = socket
                        buffer.reserveCapacity(1 << 16)
                        return
                    }
                    Glibc.close(socket)
                }
                address = candidate.pointee.ai_next
            }
            throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
        }

        package func close() { Glibc.close(descriptor) }

        package mutating func exchange(_ request: [UInt8]) throws -> Response {
            try request.withUnsafeBytes { bytes in
                var sent = 0
                while sent < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + sent, bytes.count - sent)
                    guard written > 0 else { throw Failure(description: "the server closed the connection while sending") }
                    sent += written
                }
            }
            return try readResponse()
        }

        /// Reads more bytes onto the buffer; throws when the server closes the connection.
        private mutating func fill() throws {
            let before = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: 1 << 14))
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + before, 1 << 14) }
            buffer.removeLast((1 << 14) - max(got, 0))
            guard got > 0 else { throw Failure(description: "the server closed the connection") }
        }

        private mutating func readResponse() throws -> Response {
            let separator: [UInt8] = [13, 10, 13, 10]
            var headEnd: Int?
            var searched = 0
            while headEnd == nil {
                if let found = Self.find(separator, in: buffer, from: max(0, searched - 3)) {
                    headEnd = found
                } else {
                    searched = buffer.count
                    try fill()
                }
            }
            let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
            var bodyStart = headEnd! + 4
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let statusParts = lines.first?.split(separator: " ") ?? []
            guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
                throw Failure(description: "not an HTTP response: \(lines.first ?? "")")
            }
            var length: Int?
            var chunked = false
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if name == "content-length" { length = Int(value) }
                if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
            }
            var body: [UInt8] = []
            if chunked {
                while true {
                    var lineEnd = Self.find([13, 10], in: buffer, from: bodyStart)
                    while lineEnd == nil { try fill(); lineEnd = Self.find([13, 10], in: buffer, from: bodyStart) }
                    let sizeText = String(decoding: buffer[bodyStart..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
                    guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                        throw Failure(description: "a malformed chunk size in the response")
                    }
                    let dataStart = lineEnd! + 2
                    while buffer.count < dataStart + size + 2 { try fill() }
                    body += buffer[dataStart..<(dataStart + size)]
                    bodyStart = dataStart + size + 2
                    if size == 0 { break }  // no trailers from this server
                }
            } else {
                let count = length ?? 0
                while buffer.count < bodyStart + count { try fill() }
                body = Array(buffer[bodyStart..<(bodyStart + count)])
                bodyStart += count
            }
            buffer.removeFirst(bodyStart)
            return Response(status: status, body: body)
        }

        /// Where `needle` first starts in `haystack` at or after `start`. Written out rather than the standard
        /// library's `firstRange(of:)`, which is not specialised here: with it the bench sent a third fewer hits a second.
        package static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
            guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
            var index = start
            while index <= haystack.count - needle.count {
                if haystack[index] == needle[0] {
                    var matched = true
                    for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                        matched = false
                        break
                    }
                    if matched { return index }
                }
                index += 1
            }
            return nil
        }
    }
}

extension LoopbackClient.Response {
    /// Whether the body holds `"key":true` (canonical JSON, no spaces): a check that costs the client next to nothing.
    package func contains(_ text: String) -> Bool {
        LoopbackClient.Connection.find(Array(text.utf8), in: body, from: 0) != nil
    }
}
