import Foundation

/// What a caller may do. Scopes are independent (least privilege): an `admin` key does not chat unless it also has
/// `chat`.
public enum Scope: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Chat, completions, the caller's own sessions, feedback and answer records, search, the model list.
    case chat
    /// Documents: upload, list, read, delete.
    case ingest
    /// `/admin/*`: the cache, drift, refresh, keys and every tenant's usage.
    case admin

    public static func < (lhs: Scope, rhs: Scope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// `chat,ingest,admin` as a set; a description of the problem when a name is unknown or the list is empty.
    public static func parseList(_ text: String) -> Result<Set<Scope>, AccessError> {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { return .failure(.invalidScopes(text)) }
        var scopes = Set<Scope>()
        for name in names {
            guard let scope = Scope(rawValue: name.lowercased()) else { return .failure(.invalidScopes(text)) }
            scopes.insert(scope)
        }
        return .success(scopes)
    }
}

/// Who is calling, as authentication established it: the tenant whose data the request may touch, the key or
/// token that proved it, and what it may do.
@MemberwiseInit
public struct Principal: Sendable, Hashable {
    public var tenant: String
    public var scopes: Set<Scope>
    /// The API key's id (nil for a token or an open server).
    public var keyID: String? = nil
    /// The end user (a token's `sub`), when the caller is one person rather than an application.
    public var userID: String? = nil
    /// Groups the user belongs to, for per-document permissions.
    public var groups: [String] = []
    /// Requests and tokens per minute this key may use (nil: no limit of its own).
    public var requestsPerMinute: Int? = nil
    public var tokensPerMinute: Int? = nil
    /// Reads every document of its tenant whatever its permissions (only the caller of an open server does).
    public var seesAllDocuments: Bool = false

    /// The caller of a server with authentication off: the default tenant, every scope, every document.
    public static let open = Principal(tenant: Principal.defaultTenant, scopes: Set(Scope.allCases), seesAllDocuments: true)

    /// Whose eyes the caller's reads are for.
    public var reader: Reader {
        Reader(tenant: tenant, userID: userID, groups: groups, unrestricted: seesAllDocuments)
    }

    /// The tenant that holds what a store had before tenants, and what the CLI uses without `--tenant`.
    public static let defaultTenant = "default"

    public func has(_ scope: Scope) -> Bool { scopes.contains(scope) }

    /// An admin of the default tenant, the operator's own: administers the whole server (drift, refresh, every
    /// tenant's cache and usage). An admin of another tenant administers that tenant only.
    public var administersEveryTenant: Bool { has(.admin) && tenant == Principal.defaultTenant }

    /// The tenant the caller's admin routes are confined to; nil when they reach every tenant.
    public var administeredTenant: String? { administersEveryTenant ? nil : tenant }
}

/// Whether the HTTP API asks for credentials.
public enum AuthenticationMode: String, Sendable, CaseIterable {
    /// Every route except `/healthz`, `/readyz`, `/openapi.json` and `/docs` (and `/metrics` when open) needs a key.
    case required
    /// No credentials asked; every caller is ``Principal/open``. Only sensible on a loopback address.
    case off

    /// `required` unless the server listens only on a loopback address.
    public static func defaultMode(host: String) -> AuthenticationMode {
        isLoopback(host) ? .off : .required
    }

    /// `127.0.0.1` (all of 127/8), `::1` and `localhost`: addresses no other machine reaches.
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// Who may read `GET /metrics` when authentication is required.
public enum MetricsAccess: String, Sendable, CaseIterable {
    /// Anyone who reaches the port (a Prometheus without credentials).
    case open
    /// Callers with the `admin` scope.
    case admin
}

/// Why a key could not be made, found or used.
public enum AccessError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidTenant(String)
    case invalidScopes(String)
    case invalidName(String)
    case invalidLimit(String, Int)
    case invalidBudget(String, Double)
    case invalidGroup(String)
    case unknownKey(String)
    case secret(String)
    /// A bearer token that is not accepted, with a short reason that never quotes the token.
    case invalidToken(String)
    case store(StoreError)

    public var description: String {
        switch self {
        case .invalidTenant(let tenant):
            "tenant '\(tenant)' is not valid: use 1–64 letters, digits, '-', '_' or '.'"
        case .invalidScopes(let text):
            "scopes '\(text)' are not valid: give a comma-separated list of \(Scope.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidName(let name):
            "key name '\(name)' is not valid: use at most 100 printable characters"
        case .invalidLimit(let name, let value):
            "\(name) \(value) is not valid: give a whole number of at least 1"
        case .invalidBudget(let name, let value):
            "\(name) \(value) is not valid: give an amount above 0"
        case .invalidGroup(let group):
            "group '\(group)' is not valid: use 1–100 characters without spaces, commas or control characters"
        case .unknownKey(let id):
            "there is no active key with id '\(id)'; `spotter keys ls` lists them"
        case .secret(let reason), .invalidToken(let reason):
            reason
        case .store(let error):
            error.description
        }
    }
}
