import Hummingbird
import SpotterCore

/// Counts each request of an authenticated route against its key's and tenant's limits: over a limit it answers
/// 429 `rate_limited` with `Retry-After`; otherwise the response carries `X-RateLimit-Limit`, `-Remaining` and
/// `-Reset` of the most restrictive bucket. The buckets are kept in the context, so that an answer's tokens are
/// charged to them afterwards.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = SpotterRequestContext
    let engine: LiveEngine

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.identity else { return try await next(request, context) }
        let limits = engine.current.limits
        let caller: RateLimitedCaller
        do {
            caller = try limits.caller(principal)
        } catch {
            throw APIError.unavailable(error)
        }
        var context = context
        context.limitedCaller = caller
        guard let decision = await limits.admit(caller) else { return try await next(request, context) }
        guard decision.allowed else { throw APIError.rateLimited(decision) }
        var response = try await next(request, context)
        response.headers.append(contentsOf: HTTPFields(decision))
        return response
    }
}

extension HTTPFields {
    /// A rate-limit decision's headers (`X-RateLimit-*`, and `Retry-After` on a refusal).
    init(_ decision: RateLimitDecision) {
        self.init()
        for header in decision.httpHeaders {
            if let name = HTTPFields.Element.Name(header.name) { self[name] = header.value }
        }
    }
}
