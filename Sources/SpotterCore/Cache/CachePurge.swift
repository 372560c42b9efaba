import Logging

/// Which cached answers an operator asked to delete: every one, or those of a scope.
///
/// `DELETE /admin/cache` and `spotter cache purge` both build it here and run it through ``perform(in:logger:)``,
/// so the rule (a scope or `all`, never both, no empty values) and the log line are the same from either shell.
public struct CachePurge: Sendable, Equatable {
    /// The scope; empty (every field nil) with `all`.
    public var filter: CachePurgeFilter

    /// Checks the request: a scope (any of the fields) or `all`, never both and never neither; no empty value.
    public init(tenant: String? = nil, knowledgeBase: String? = nil, assistant: String? = nil, promptVersion: String? = nil,
                all: Bool = false) throws(CachePurgeError) {
        let named = [("tenant", tenant), ("kb", knowledgeBase), ("assistant", assistant), ("prompt_version", promptVersion)]
        if let (name, _) = named.first(where: { $0.1?.isEmpty == true }) { throw .emptyValue(name) }
        filter = CachePurgeFilter(tenant: tenant, knowledgeBase: knowledgeBase, assistant: assistant, promptVersion: promptVersion)
        let scoped = filter != CachePurgeFilter()
        if scoped && all { throw .scopeWithAll }
        if !scoped && !all { throw .noScope }
    }

    /// The same purge kept inside one tenant (a tenant's admin): `all` becomes the tenant's entries, and a scope
    /// naming another tenant matches nothing.
    public func confined(to tenant: String) -> CachePurge {
        var confined = self
        confined.filter.tenant = filter.tenant == nil || filter.tenant == tenant ? tenant : "\u{0}none"
        return confined
    }

    /// Deletes the matching entries from the store and logs it; the ids deleted. A running server stops serving
    /// them at once (the store's cache version moves); ``SemanticCache/purge(_:)`` also forgets them in memory.
    public func perform(in store: any CacheStore, logger: Logger) throws(StoreError) -> [String] {
        let ids = try store.purgeCache(filter)
        logger.notice("purged cached answers", metadata: ["count": "\(ids.count)", "tenant": "\(filter.tenant ?? "*")",
                                                            "kb": "\(filter.knowledgeBase ?? "*")", "assistant": "\(filter.assistant ?? "*")",
                                                            "prompt_version": "\(filter.promptVersion ?? "*")"])
        return ids
    }
}

/// Why a purge request was refused. Fields are named as the HTTP parameters (`tenant`, `kb`, `assistant`,
/// `prompt_version`, and `all=true` for everything); ``message(naming:)`` lets a shell spell them its own way.
public enum CachePurgeError: Error, Sendable, Equatable, CustomStringConvertible {
    case noScope
    case scopeWithAll
    case emptyValue(String)

    /// The message with each field as the shell spells it (`spell("kb")` → `--kb` for the CLI).
    public func message(naming spell: (String) -> String) -> String {
        switch self {
        case .noScope:
            "name a scope (" + ["tenant", "kb", "assistant", "prompt_version"].map(spell).joined(separator: ", ") + ") or pass \(spell("all"))"
        case .scopeWithAll: "\(spell("all")) cannot be combined with a scope"
        case .emptyValue(let name): "\(spell(name)) must not be empty"
        }
    }

    /// As the HTTP API names the fields.
    public var description: String {
        message { $0 == "all" ? "all=true" : $0 }
    }
}
