import Hummingbird

/// Turns the router's 404 for a known path asked with another method into 405 `method_not_allowed` with an `Allow`
/// header listing the methods it has.
///
/// Hummingbird's router answers both cases with 404, and its route tree is not public; this middleware gets the
/// route list (`Router.routes`) once all routes are registered. Added to the router last, it wraps only the
/// not-found responder.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    private let routes: [(method: HTTPRequest.Method, components: [Substring])]

    init(routes: [(method: HTTPRequest.Method, path: String)]) {
        self.routes = routes.map { ($0.method, Self.components($0.path)) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = Self.components(request.uri.path)
            let allowed = Set(routes.filter { Self.matches($0.components, path) }.map(\.method.rawValue)).sorted()
            guard !allowed.isEmpty else { throw error }
            var headers = HTTPFields()
            headers[.allow] = allowed.joined(separator: ", ")
            throw APIError(.methodNotAllowed, code: "method_not_allowed",
                           message: "\(request.method) is not allowed on \(request.uri.path); allowed: \(allowed.joined(separator: ", "))",
                           headers: headers)
        }
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// `{name}` and `:name` segments match any one segment; `*` too.
    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        pattern.count == path.count && zip(pattern, path).allSatisfy { expected, actual in
            expected == actual || expected == "*" || expected.hasPrefix(":") || (expected.hasPrefix("{") && expected.hasSuffix("}"))
        }
    }
}
