import Hummingbird
import NIOCore
import SpotterCore

/// Turns any error into the API's JSON error shape: the engine's errors through ``APIError/init(mapping:)``,
/// Hummingbird's own by their status; unknown errors become a 500 without internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let mapped = APIError(mapping: error) { throw mapped }
            if error is NIOTooManyBytesError { throw APIError.bodyTooLarge(limit: nil) }
            // The scope policy's "no identity": one 401 for a missing, malformed, unknown or revoked key.
            if let error = error as? HTTPError, error.status == .unauthorized { throw APIError.unauthorized }
            if let error = error as? HTTPError {
                let code = switch error.status {
                case .notFound: "not_found"
                case .methodNotAllowed: "method_not_allowed"
                case .contentTooLarge: "body_too_large"
                case .badRequest: "bad_request"
                default: "http_\(error.status.code)"
                }
                let message = error.body ?? (error.status == .notFound
                    ? "no route for \(request.method) \(request.uri.path); GET /docs describes the API"
                    : error.status.reasonPhrase)
                throw APIError(error.status, code: code, message: message)
            }
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, code: "internal", message: "internal error; the server log has details")
        }
    }
}
