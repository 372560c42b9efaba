import Foundation
import Hummingbird
import SpotterCore

/// An error as the API shows it: `{"error": {"code": "...", "message": "..."}}` with a fitting status.
///
/// Every failure leaves the server through this type (see ``ErrorMiddleware``), so clients see one error shape.
/// The engine's errors are mapped to statuses here and nowhere else (``init(mapping:)``): a route lets them pass.
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

    /// 503 `unavailable`: the store, the embedder or the index failed; the request may succeed later.
    static func unavailable(_ error: some Error & CustomStringConvertible) -> APIError {
        APIError(.serviceUnavailable, code: "unavailable", message: error.description)
    }
}

extension APIError {
    /// The status a client can act on for each of the engine's errors; nil for an error the engine does not
    /// describe (the middleware answers those with a 500 that hides internals).
    init?(mapping error: any Error) {
        switch error {
        case let error as APIError: self = error
        case let error as StoreError: self = .from(error)
        case let error as SearchError: self = .from(error)
        case let error as AnswerError: self = .from(error)
        case let error as FeedbackError: self = .from(error)
        case let error as UploadError: self = .from(error)
        case let error as CachePurgeError: self = .badParameter(error.description)
        case let error as EmbeddingError: self = .unavailable(error)
        default: return nil
        }
    }

    /// A store that cannot answer is unavailable (503, retry); a record that fails its integrity check is a 500
    /// naming the record (it stays damaged until restored), and the rest of the store keeps answering.
    static func from(_ error: StoreError) -> APIError {
        if case .integrity = error { return APIError(.internalServerError, code: "data_integrity", message: error.description) }
        return unavailable(error)
    }

    static func from(_ error: SearchError) -> APIError {
        switch error {
        case .unknownKnowledgeBase: APIError(.notFound, code: "unknown_knowledge_base", message: error.description)
        case .invalidK, .invalidFilter, .invalidAlpha, .invalidMMR: badParameter(error.description)
        case .queryTooLong: APIError(.contentTooLarge, code: "query_too_long", message: error.description)
        case .store(let store): from(store)
        case .embeddingFailed, .index: unavailable(error)
        }
    }

    static func from(_ error: AnswerError) -> APIError {
        switch error {
        case .invalidRequest: APIError(.unprocessableContent, code: "invalid_field", message: error.description)
        case .messageTooLong: APIError(.contentTooLarge, code: "message_too_long", message: error.description)
        case .unknownAssistant: APIError(.notFound, code: "unknown_assistant", message: error.description)
        case .search(let searchError): from(searchError)
        case .generation: APIError(.badGateway, code: "upstream_failed", message: error.description)
        case .store(let store): from(store)
        case .cancelled: APIError(.serviceUnavailable, code: "cancelled", message: error.description)
        case .budgetExhausted: budgetExhausted(error.description)
        }
    }

    /// 429 `budget_exhausted`, with `Retry-After` at the next UTC midnight, when budgets start afresh.
    static func budgetExhausted(_ message: String, now: Date = Date()) -> APIError {
        let seconds = 86_400 - Int(now.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400))
        var headers = HTTPFields()
        headers[.retryAfter] = String(max(1, seconds))
        return APIError(.tooManyRequests, code: "budget_exhausted", message: message, headers: headers)
    }

    /// 429 `rate_limited` with the decision's `Retry-After` and `X-RateLimit-*` headers.
    static func rateLimited(_ decision: RateLimitDecision) -> APIError {
        APIError(.tooManyRequests, code: "rate_limited",
                 message: "rate limit of \(decision.limit) per minute reached; retry in \(decision.retryAfterSeconds ?? 1) s",
                 headers: HTTPFields(decision))
    }

    static func from(_ error: FeedbackError) -> APIError {
        switch error {
        case .unknownAnswer: APIError(.notFound, code: "unknown_answer", message: error.description)
        case .invalid(let field, let reason): APIError.invalidField(field, reason)
        case .store(let store): from(store)
        }
    }

    static func from(_ error: UploadError) -> APIError {
        switch error {
        case .invalidName, .duplicateName: APIError(.badRequest, code: "invalid_filename", message: error.description)
        case .noFiles: badParameter(error.description)
        case .scratch: unavailable(error)
        case .ingest(let ingestError):
            switch ingestError {
            case .invalidKnowledgeBaseName: badParameter(ingestError.description)
            case .store, .embedding: unavailable(ingestError)
            }
        }
    }
}
