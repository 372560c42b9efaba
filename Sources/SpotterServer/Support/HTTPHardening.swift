import Hummingbird
import SpotterCore

/// Security headers on every response, errors included: no MIME sniffing, no referrer, and a Content-Security-Policy
/// that lets a response load nothing (a page sets its own, stricter than the default only where it must run code).
/// Outside ``ErrorMiddleware``, so it renders thrown errors itself to add the headers to them too.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// For JSON, text and the metrics: nothing may be loaded, framed or submitted.
    static var defaultPolicy: String { "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" }
    /// A year, the figure browsers' preload lists ask for; sent only over HTTPS, where it has a meaning.
    static var strictTransportSecurity: String { "max-age=31536000; includeSubDomains" }
    /// Whether the server speaks HTTPS (`SPOTTER_TLS_CERT`), so that browsers should never try plain HTTP again.
    var overTLS = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = Self.defaultPolicy }
        response.headers[.xFrameOptions] = "DENY"
        if overTLS { response.headers[.strictTransportSecurity] = Self.strictTransportSecurity }
        return response
    }
}

/// CORS for the origins `SPOTTER_CORS_ORIGINS` allows (none by default: browsers on other origins get no access).
/// Hummingbird's `CORSMiddleware` does the work, one per allowed origin (its `oneOf` takes only a literal list); a
/// request from any other origin gets no CORS headers, so the browser keeps the response from the page.
struct CORSAllowListMiddleware<Context: RequestContext>: RouterMiddleware {
    private let byOrigin: [String: CORSMiddleware<Context>]
    /// What a page may read of a response: the limits' headers (Hummingbird sends this on the preflight only, where
    /// browsers do not look for it).
    static var exposedHeaders: [String] { ["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "WWW-Authenticate"] }

    init(origins: [String]) {
        byOrigin = Dictionary(uniqueKeysWithValues: origins.map { origin in
            (origin, CORSMiddleware<Context>(
                allowOrigin: .custom(origin),
                allowHeaders: [.accept, .authorization, .contentType, .origin, .apiKey],
                allowMethods: [.get, .post, .delete, .head, .options],
                exposedHeaders: Self.exposedHeaders,
                maxAge: .seconds(600)))
        })
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], let cors = byOrigin[origin] else { return try await next(request, context) }
        var response = try await cors.handle(request, context: context, next: next)
        if request.method != .options { response.headers[.accessControlExposeHeaders] = Self.exposedHeaders.joined(separator: ", ") }
        return response
    }
}

/// Refuses a request whose target is longer than ``maximumTargetBytes`` with 414 `uri_too_long` (header sizes are
/// bounded by the HTTP decoder, see ``SpotterHTTPServer/channelConfiguration(idleTimeout:)``).
struct RequestTargetLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    static var maximumTargetBytes: Int { 8 * 1024 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let length = request.uri.string.utf8.count
        guard length <= Self.maximumTargetBytes else {
            throw APIError(.uriTooLong, code: "uri_too_long",
                           message: "the request target is \(length) bytes; the limit is \(Self.maximumTargetBytes): send long input in a POST body")
        }
        return try await next(request, context)
    }
}

extension HTTPFields.Element.Name {
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPFields.Element.Name("X-Frame-Options")!
}
