import Foundation
import Hummingbird
import NIOCore
import SpotterCore

/// An error as the API shows it: `{"error": {"code": "...", "message": "..."}}` with a fitting status.
///
/// Every failure leaves the server through this type (see ``ErrorMiddleware``), so clients see one error shape.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra response headers: `Allow` with a 405, `Retry-After` with a 503 or 429.
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.response(ErrorEnvelope(error: .init(code: code, message: message)), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    static func badParameter(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: message)
    }

    /// Maps a search failure to the status a client can act on.
    static func from(_ error: SearchError) -> APIError {
        switch error {
        case .unknownKnowledgeBase: return APIError(.notFound, code: "unknown_knowledge_base", message: error.description)
        case .invalidK, .invalidFilter, .invalidAlpha, .invalidMMR: return badParameter(error.description)
        case .queryTooLong: return APIError(.contentTooLarge, code: "query_too_long", message: error.description)
        case .embeddingFailed, .store: return APIError(.serviceUnavailable, code: "unavailable", message: error.description)
        }
    }
}

extension APIError {
    /// Maps an answering failure to the status a client can act on.
    static func from(_ error: AnswerError) -> APIError {
        switch error {
        case .invalidRequest: return APIError(.unprocessableContent, code: "invalid_field", message: error.description)
        case .messageTooLong: return APIError(.contentTooLarge, code: "message_too_long", message: error.description)
        case .unknownAssistant: return APIError(.notFound, code: "unknown_assistant", message: error.description)
        case .search(let searchError): return from(searchError)
        case .generation: return APIError(.badGateway, code: "upstream_failed", message: error.description)
        case .store: return APIError(.serviceUnavailable, code: "unavailable", message: error.description)
        case .cancelled: return APIError(.serviceUnavailable, code: "cancelled", message: error.description)
        }
    }
}

struct ErrorEnvelope: Codable, Sendable {
    struct Body: Codable, Sendable {
        var code: String
        var message: String
    }
    var error: Body
}

/// Turns any error into the API's JSON error shape; unknown errors become a 500 without internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit: nil)
        } catch let error as HTTPError {
            let code = switch error.status {
            case .notFound: "not_found"
            case .methodNotAllowed: "method_not_allowed"
            case .contentTooLarge: "body_too_large"
            case .badRequest: "bad_request"
            default: "http_\(error.status.code)"
            }
            let message = error.body ?? (error.status == .notFound
                ? "no route for \(request.method) \(request.uri.path); see the README for the API"
                : error.status.reasonPhrase)
            throw APIError(error.status, code: code, message: message)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, code: "internal", message: "internal error; the server log has details")
        }
    }
}

/// JSON responses with the API's encoder settings.
enum JSONBody {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        response(bytes: ByteBuffer(bytes: (try? CanonicalJSON.data(value)) ?? Data(unencodable.utf8)), status: status)
    }

    /// The same bytes for a type that writes itself (``CanonicalJSON/bytes(_:)``: an answer's response is 4–5 KB).
    static func response(_ value: some Encodable & JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        response(bytes: ByteBuffer(bytes: (try? CanonicalJSON.bytes(value)) ?? Array(unencodable.utf8)), status: status)
    }

    private static let unencodable = #"{"error":{"code":"internal","message":"could not encode the response"}}"#

    private static func response(bytes: ByteBuffer, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
    }
}
