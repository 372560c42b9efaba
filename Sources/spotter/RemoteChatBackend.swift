import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SpotterCore
import SpotterServer

/// `spotter chat --url`: the answers of a running server's `POST /v1/chat`, read from its event stream.
struct RemoteChatBackend: ChatBackend {
    let endpoint: String
    /// Sent as `Authorization: Bearer`; nil for a server with authentication off.
    let apiKey: String?

    init(baseURL: String, apiKey: String?) throws {
        self.apiKey = apiKey
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--url must be an http(s) address such as http://127.0.0.1:8080, got '\(baseURL)'")
        }
        endpoint = baseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/chat"
    }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
    }

    func answer(_ request: AnswerRequest) -> AsyncThrowingStream<AnswerEvent, any Error> {
        let filters = request.filters.isEmpty ? nil : Dictionary(grouping: request.filters, by: \.key)
            .mapValues { ChatRequest.FilterValue.any($0.map(\.value)) }
        let body = ChatRequest(message: request.message, sessionID: request.sessionID, kb: request.knowledgeBase, filters: filters, stream: true, user: request.user)
        let endpoint = endpoint
        let apiKey = apiKey
        return .producing { continuation in
            do {
                var http = HTTPClientRequest(url: endpoint)
                if let apiKey { http.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
                http.method = .POST
                http.headers.add(name: "Content-Type", value: "application/json")
                http.headers.add(name: "Accept", value: "text/event-stream")
                http.body = .bytes(ByteBuffer(data: try CanonicalJSON.data(body)))
                let response = try await HTTPClient.shared.execute(http, timeout: .seconds(600))
                guard response.status == .ok else {
                    let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                    throw ServerError(description: "the server answered \(response.status.code): \(Self.message(in: text))")
                }
                var parser = ServerSentEventParser()
                for try await buffer in response.body {
                    for event in parser.feed(buffer.readableBytesView) {
                        if let answerEvent = try Self.decode(event) { continuation.yield(answerEvent) }
                    }
                }
            } catch let error as HTTPClientError where error == .connectTimeout || error == .remoteConnectionClosed {
                throw ServerError(description: "cannot reach \(endpoint): \(error)")
            }
        }
    }

    private static func decode(_ event: ServerSentEvent) throws -> AnswerEvent? {
        let data = Data(event.data.utf8)
        switch event.event {
        case "token": return .token(try JSONDecoder().decode(ChatTokenEvent.self, from: data).text)
        case "citations": return .citations(try JSONDecoder().decode(ChatCitationsEvent.self, from: data).citations)
        case "done": return .done(try JSONDecoder().decode(Answer.self, from: data))
        case "error": throw ServerError(description: message(in: event.data))
        default: return nil
        }
    }

    /// The `error.message` of an API error body, or the body itself.
    private static func message(in text: String) -> String {
        guard let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(text.utf8)) else { return String(text.prefix(500)) }
        return "\(envelope.error.message) (\(envelope.error.code))"
    }
}
