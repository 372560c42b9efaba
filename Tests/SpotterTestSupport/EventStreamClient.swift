import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SpotterCore

/// A streaming HTTP client for tests: POSTs JSON and yields the response's Server-Sent Events as they arrive, parsed
/// by the same parser the OpenAI-compatible backend uses. Ending the iteration early closes the connection, as a
/// browser tab closing would.
public enum EventStreamClient {
    public struct Stream: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var events: AsyncThrowingStream<ServerSentEvent, any Error>
    }

    public static func post(_ url: URL, json: String, headers: [String: String] = [:]) async throws -> Stream {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: json))
        let (head, events) = AsyncThrowingStream.makeStream(of: (Int, [String: String]).self)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ServerSentEvent.self)
        let task = Task {
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                var fields: [String: String] = [:]
                for header in response.headers { fields[header.name.lowercased()] = header.value }
                events.yield((Int(response.status.code), fields))
                events.finish()
                var parser = ServerSentEventParser()
                for try await buffer in response.body {
                    for event in parser.feed(buffer.readableBytesView) { continuation.yield(event) }
                }
                continuation.finish()
            } catch {
                events.finish(throwing: error)
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        var iterator = head.makeAsyncIterator()
        guard let (status, fields) = try await iterator.next() else { throw CancellationError() }
        return Stream(status: status, headers: fields, events: stream)
    }

    /// Every event of the response, in order.
    public static func collect(_ url: URL, json: String, headers: [String: String] = [:]) async throws -> (status: Int, events: [ServerSentEvent]) {
        let stream = try await post(url, json: json, headers: headers)
        var events: [ServerSentEvent] = []
        for try await event in stream.events { events.append(event) }
        return (stream.status, events)
    }
}
