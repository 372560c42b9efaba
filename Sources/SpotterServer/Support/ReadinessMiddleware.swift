import Hummingbird
import SpotterCore

extension ReadinessState {
    /// The 503 answered while not ready.
    func notReadyError(_ reason: String) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = "\(Self.retryAfterSeconds)"
        return APIError(.serviceUnavailable, code: "not_ready",
                        message: "the server is not ready (\(reason)); retry in \(Self.retryAfterSeconds) s", headers: headers)
    }
}

/// Answers `/v1/*` with 503 `not_ready` while ``ReadinessState`` says not ready.
struct ReadinessMiddleware<Context: RequestContext>: RouterMiddleware {
    let readiness: ReadinessState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix("/v1/") || request.uri.path == "/v1", let reason = readiness.notReadyReason {
            throw readiness.notReadyError(reason)
        }
        return try await next(request, context)
    }
}
