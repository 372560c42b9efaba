import Hummingbird
import HummingbirdAuth
import SpotterCore

/// Every request's context: Hummingbird's core plus the caller that ``APIKeyAuthenticator`` established.
public struct SpotterRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Nil until authenticated; ``Principal/open`` on a server with authentication off.
    public var identity: Principal?
    /// The rate-limit buckets the request counts against (``RateLimitMiddleware``); an answer's tokens go to them.
    public var limitedCaller: RateLimitedCaller?
    /// Whose eyes the request's reads are for (the open caller on a route without credentials).
    public var reader: Reader { (identity ?? .open).reader }
    /// How the audit log names the caller.
    public var actor: String { (identity ?? .open).auditActor }
    /// The tenant an admin route is confined to; nil for the server's administrator (``Principal/administersEveryTenant``).
    public var administeredTenant: String? { (identity ?? .open).administeredTenant }

    /// The tenant a report is for when a request names `requested` (nil: every tenant): the caller's own for a
    /// tenant's admin, who gets 403 for naming another; what was asked for the server's administrator.
    func administeredTenant(asking requested: String?, for what: String) throws(APIError) -> String? {
        guard let confined = administeredTenant else { return requested }
        guard requested == nil || requested == confined else {
            throw APIError(.forbidden, code: "forbidden", message: "an admin key of tenant '\(confined)' reads that tenant's \(what) only")
        }
        return confined
    }

    /// Routes about the whole server (drift, refresh) are for the server's administrator: 403 for a tenant's admin.
    func requireServerAdministrator() throws(APIError) {
        guard (identity ?? .open).administersEveryTenant else {
            throw APIError(.forbidden, code: "forbidden",
                           message: "this route administers the whole server: it needs an admin key of the '\(Principal.defaultTenant)' tenant")
        }
    }

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
        limitedCaller = nil
    }
}

/// The routes as the route files see them (a group, so that each can carry its scope's policy).
typealias SpotterRoutes = RouterGroup<SpotterRequestContext>

extension Principal: PermissionProviding {
    public var permissions: Set<Scope> { scopes }
}

/// Establishes the caller from `Authorization: Bearer KEY|JWT` or `X-API-Key: KEY`. A missing or unusable
/// credential leaves the identity empty; the scope policy of the route then answers 401, so an open route stays open.
struct APIKeyAuthenticator: AuthenticatorMiddleware {
    typealias Context = SpotterRequestContext
    let access: AccessControl

    func authenticate(request: Request, context: Context) async throws -> Principal? {
        switch try await access.authenticate(credential: Self.credential(request.headers)) {
        case .caller(let principal):
            return principal
        case .refused(let reason):
            // Why a token was refused helps whoever runs the identity provider; the caller gets the plain 401.
            if let reason { context.logger.info("bearer token refused", metadata: ["reason": "\(reason)"]) }
            return nil
        }
    }

    /// The presented key: a bearer token (the scheme is case-insensitive, RFC 9110 §11.1), else `X-API-Key`.
    static func credential(_ headers: HTTPFields) -> String? {
        if let bearer = headers.bearer { return bearer.token }
        if let authorization = headers[.authorization], authorization.count > 7,
           authorization.prefix(7).lowercased() == "bearer " {
            return String(authorization.dropFirst(7))
        }
        return headers[.apiKey]
    }
}

extension HTTPFields.Element.Name {
    static let apiKey = HTTPFields.Element.Name("X-API-Key")!
}

extension RouterMethods<SpotterRequestContext> {
    /// A group of routes that need `scope`: no caller gives 401 (with `WWW-Authenticate`), a caller without the
    /// scope 403 `forbidden`.
    func requiring(_ scope: Scope) -> RouterGroup<SpotterRequestContext> {
        group().add(middleware: AuthorizationPolicyMiddleware(PermissionPolicy<Principal>(scope), deniedError: APIError.forbidden(scope),
                                                              context: SpotterRequestContext.self))
    }

    /// A group of routes that need either scope (a person's data: the tenant's admin, or the person with a chat
    /// token); the route decides the rest.
    func requiring(anyOf first: Scope, _ second: Scope) -> RouterGroup<SpotterRequestContext> {
        group().add(middleware: AuthorizationPolicyMiddleware(
            anyOf { PermissionPolicy<Principal>(first); PermissionPolicy<Principal>(second) },
            deniedError: APIError(.forbidden, code: "forbidden",
                                  message: "this key lacks the '\(first.rawValue)' or '\(second.rawValue)' scope that the route needs"),
            context: SpotterRequestContext.self))
    }

    /// A group of routes anyone may call.
    func open() -> RouterGroup<SpotterRequestContext> { group() }
}

extension APIError {
    /// 401: no credential, or one that proves nothing. The same for a malformed, unknown and revoked key.
    static let unauthorized = APIError(
        .unauthorized, code: "unauthorized",
        message: "an API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY' (`spotter keys create` makes one)",
        headers: [.wwwAuthenticate: #"Bearer realm="spotter""#])

    /// 403: the caller is known but its key lacks the scope.
    static func forbidden(_ scope: Scope) -> APIError {
        APIError(.forbidden, code: "forbidden", message: "this key lacks the '\(scope.rawValue)' scope that the route needs")
    }
}
