import Crypto
import Foundation

/// Whose eyes a read is for: the tenant it stays inside and, within the tenant, the user and groups that
/// per-document permissions and session ownership are checked against.
@MemberwiseInit
public struct Reader: Sendable, Hashable {
    public var tenant: String
    /// The end user, when the caller is one person (a token's `sub`); sessions are then theirs alone.
    public var userID: String? = nil
    public var groups: [String] = []
    /// Sees every document of the tenant whatever its permissions: the operator at the server's own CLI, and every
    /// caller of a server with authentication off.
    public var unrestricted: Bool = false

    /// The operator of one tenant (the CLI).
    public static func operating(_ tenant: String) -> Reader {
        Reader(tenant: tenant, unrestricted: true)
    }

    /// Whether a document with these permission entries (``DocumentPermissions``) is visible: no entries means
    /// everyone in the tenant.
    public func mayRead(_ allowed: [String]) -> Bool {
        if unrestricted || allowed.isEmpty { return true }
        for entry in allowed {
            switch DocumentPermissions.Entry(entry) {
            case .group(let name): if groups.contains(name) { return true }
            case .user(let id): if id == userID { return true }
            case nil: continue
            }
        }
        return false
    }

    /// Whether a session or answer of this tenant and user is the caller's: same tenant, and the same user when the
    /// caller is a user (an application's key, without a user, sees its tenant's).
    public func owns(tenant: String, userID: String?) -> Bool {
        guard tenant == self.tenant else { return false }
        guard let caller = self.userID else { return true }
        return caller == userID
    }
}

/// A document's permissions: `group:NAME` and `user:ID` entries (`spotter ingest --allow`, a metadata field named at
/// ingest, or the `allow` form field of an upload). A bare name is a group, as stores before users were written.
public enum DocumentPermissions {
    public enum Entry: Sendable, Hashable {
        case group(String)
        case user(String)

        init?(_ text: String) {
            if text.hasPrefix("user:") {
                self = .user(String(text.dropFirst(5)))
            } else if text.hasPrefix("group:") {
                self = .group(String(text.dropFirst(6)))
            } else if !text.isEmpty, !text.contains(":") {
                self = .group(text)
            } else {
                return nil
            }
        }
    }

    /// The entries in their stored form (`group:x`, `user:y`), sorted and distinct; a description of the first bad
    /// one otherwise (an empty name, an unknown kind, control characters, more than 200 characters).
    public static func normalise(_ entries: [String]) -> Result<[String], PermissionError> {
        var normalised = Set<String>()
        for raw in entries {
            let text = raw.trimmingCharacters(in: .whitespaces)
            guard text.count <= 200, !text.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }),
                  let entry = Entry(text) else { return .failure(PermissionError(entry: raw)) }
            switch entry {
            case .group(let name) where !name.isEmpty: normalised.insert("group:" + name)
            case .user(let id) where !id.isEmpty: normalised.insert("user:" + id)
            default: return .failure(PermissionError(entry: raw))
            }
        }
        return .success(normalised.sorted())
    }

    /// Entries read from a document's metadata field: a string (comma-separated) or a list of strings.
    public static func entries(from value: JSONValue?) -> [String] {
        switch value {
        case .string(let text): text.split(separator: ",").map { String($0) }
        case .array(let items): items.compactMap { if case .string(let text) = $0 { text } else { nil } }
        default: []
        }
    }
}

/// A permission entry that is not `group:NAME` or `user:ID`.
public struct PermissionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var entry: String
    public var description: String {
        "permission '\(entry)' is not valid: write group:NAME or user:ID (at most 200 characters)"
    }
}

extension CacheScope {
    /// The documents a caller may read, as the cache scopes answers by it: `public` when the caller sees exactly
    /// what everyone in the tenant sees, otherwise a hash of the restricted documents it may read. Two callers with
    /// the same signature may read the same documents, so they may share answers; no others do.
    public static func aclSignature(visibleRestricted: Set<String>) -> String {
        guard !visibleRestricted.isEmpty else { return "public" }
        return "d:" + SHA256.hash(data: Data(visibleRestricted.sorted().joined(separator: "\n").utf8)).prefix(8).hexadecimal
    }
}
