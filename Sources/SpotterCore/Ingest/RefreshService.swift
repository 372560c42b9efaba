import Foundation
import Logging
import Metrics
import Synchronization

/// Progress of a refresh, for a bar or a status endpoint.
public enum RefreshEvent: Sendable {
    /// The sources to read again, over every knowledge base refreshed.
    case started(sources: Int)
    /// Reading one source again (1-based `number` of `total`).
    case source(knowledgeBase: String, path: String, number: Int, total: Int)
    case ingest(IngestEvent)
    /// A document whose file is gone was deleted.
    case deleted(sourceURI: String)
    case index(knowledgeBase: String, IndexSyncEvent)
}

/// What a refresh did to one knowledge base.
@SnakeCaseCodingKeys
public struct KnowledgeBaseRefresh: Sendable, Codable, Equatable {
    @WireKey("kb") public var knowledgeBase: String
    public var sources: Int
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var deleted = 0
    /// Sources (files or folders) that no longer exist: their documents are kept until the source is back or they
    /// are deleted by hand, since a missing folder is more often an unmounted disk than a retired corpus.
    public var missingSources: [String] = []
    public var problems: [IngestProblem] = []
    /// What happened to the dense index: unchanged, updated in place (compacted when tombstones piled up) or rebuilt.
    public var index = "unchanged"
}

/// The outcome of a refresh.
@SnakeCaseCodingKeys
public struct RefreshSummary: Sendable, Codable, Equatable {
    @WireKey("kbs") public var knowledgeBases: [KnowledgeBaseRefresh] = []
    /// Cached answers dropped because a passage they cited changed or went away.
    public var cacheEntriesDropped = 0
    public var seconds = 0.0

    public var changed: Bool { knowledgeBases.contains { $0.added + $0.updated + $0.deleted > 0 } }
}

/// Why a refresh could not run.
public enum RefreshError: Error, Sendable, CustomStringConvertible {
    case unknownKnowledgeBase(String)
    case store(StoreError)
    case ingest(IngestError)
    case index(VectorIndexCatalogError)

    public var description: String {
        switch self {
        case .unknownKnowledgeBase(let name): "no knowledge base named '\(name)' (see `spotter kb list`)"
        case .store(let error): error.description
        case .ingest(let error): error.description
        case .index(let error): error.description
        }
    }
}

/// Brings knowledge bases up to date with their sources: every file and folder ingested before (with the options
/// it was ingested with) is read again; changed documents are re-embedded (unchanged ones are skipped by content
/// hash), documents whose file is gone are deleted, and the dense index is brought in step. Cached answers citing a
/// changed or deleted passage are dropped by the store as each document changes.
///
/// Answering goes on meanwhile: each document changes in its own transaction, and searches keep using the current
/// graph until the updated one is in place (a large change is built aside and swapped in, see ``VectorIndexCatalog``).
@MemberwiseInit
public struct RefreshService: Sendable {
    let store: any Store
    let ingest: IngestService
    let indexes: VectorIndexCatalog
    let cache: SemanticCache?

    /// Refreshes one knowledge base, or every one when `knowledgeBase` is nil.
    public func refresh(knowledgeBase name: String? = nil, tenant: String = Principal.defaultTenant,
                        progress: @escaping @Sendable (RefreshEvent) -> Void = { _ in }) async throws(RefreshError) -> RefreshSummary {
        let started = ContinuousClock.now
        let knowledgeBases: [KnowledgeBase]
        do {
            if let name {
                guard let knowledgeBase = try store.knowledgeBase(named: name, tenant: tenant, create: false) else { throw RefreshError.unknownKnowledgeBase(name) }
                knowledgeBases = [knowledgeBase]
            } else {
                knowledgeBases = try store.knowledgeBases()
            }
        } catch let error as RefreshError {
            throw error
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .store(.database(operation: "list knowledge bases", reason: "\(error)"))
        }
        let sources: [(KnowledgeBase, [IngestSource])]
        do {
            sources = try knowledgeBases.map { knowledgeBase throws(StoreError) in (knowledgeBase, try store.ingestSources(in: knowledgeBase)) }
        } catch {
            throw .store(error)
        }
        let total = sources.reduce(0) { $0 + $1.1.count }
        progress(.started(sources: total))
        let cachedBefore = cachedEntries()

        var summary = RefreshSummary()
        var number = 0
        for (knowledgeBase, kbSources) in sources {
            let first = number
            let result = try await indexes.refreshing(knowledgeBase) { () throws(RefreshError) -> KnowledgeBaseRefresh in
                var result = KnowledgeBaseRefresh(knowledgeBase: knowledgeBase.name, sources: kbSources.count)
                for (offset, source) in kbSources.enumerated() {
                    progress(.source(knowledgeBase: knowledgeBase.name, path: source.path, number: first + offset + 1, total: total))
                    try await refresh(source, in: knowledgeBase, into: &result, progress: progress)
                }
                do throws(VectorIndexCatalogError) {
                    let action = try indexes.synchronize(knowledgeBase) { progress(.index(knowledgeBase: knowledgeBase.name, $0)) }
                    result.index = Self.describe(action)
                } catch {
                    throw .index(error)
                }
                return result
            }
            number += kbSources.count
            summary.knowledgeBases.append(result)
        }
        summary.cacheEntriesDropped = max(0, cachedBefore - cachedEntries())
        summary.seconds = (ContinuousClock.now - started).inSeconds
        return summary
    }

    private func refresh(_ source: IngestSource, in knowledgeBase: KnowledgeBase, into result: inout KnowledgeBaseRefresh,
                         progress: @escaping @Sendable (RefreshEvent) -> Void) async throws(RefreshError) {
        guard FileManager.default.fileExists(atPath: source.path) else {
            result.missingSources.append(source.path)
            return
        }
        let seen = Mutex<Set<String>>([])
        let ingested: IngestSummary
        do {
            ingested = try await ingest.ingest(paths: [source.path], options: source.options.ingestOptions(knowledgeBase: knowledgeBase)) { event in
                if case .document(let uri, _, _) = event { seen.withLock { _ = $0.insert(uri) } }
                progress(.ingest(event))
            }
        } catch {
            throw .ingest(error)
        }
        result.added += ingested.added
        result.updated += ingested.updated
        result.unchanged += ingested.unchanged
        result.problems += ingested.skipped

        // A document of this source that was not read this time lost its file (or its record), unless its file could
        // not be read: a passing read error must not delete anything.
        let unreadable = Set(ingested.skipped.map { Self.file(of: $0.path) })
        let present = seen.withLock { $0 }
        let documents: [DocumentSummary]
        do {
            documents = try store.documents(in: knowledgeBase)
        } catch {
            throw .store(error)
        }
        var deleted = 0
        for document in documents where Self.belongs(document.sourceURI, to: source.path)
            && !present.contains(document.sourceURI) && !unreadable.contains(Self.file(of: document.sourceURI)) {
            do {
                // One compaction of the keyword index after the loop, not one per document.
                if try store.deleteDocument(id: document.id, tenant: knowledgeBase.tenant, compactingIndex: false) {
                    deleted += 1
                    progress(.deleted(sourceURI: document.sourceURI))
                }
            } catch {
                throw .store(error)
            }
        }
        result.deleted += deleted
        if deleted > 0 {
            do { try store.compactKeywordIndex(of: knowledgeBase) } catch { throw .store(error) }
        }
    }

    /// True when the document came from the file or folder at `path` (records of a JSON file are `file#id`).
    static func belongs(_ sourceURI: String, to path: String) -> Bool {
        sourceURI == path || sourceURI.hasPrefix(path + "/") || sourceURI.hasPrefix(path + "#")
    }

    /// The file part of a source URI (`/data/exercises.json#42` → `/data/exercises.json`).
    static func file(of sourceURI: String) -> String {
        sourceURI.firstIndex(of: "#").map { String(sourceURI[..<$0]) } ?? sourceURI
    }

    private func cachedEntries() -> Int {
        (try? cache?.statistics().entries) ?? 0
    }

    static func describe(_ action: IndexSyncAction) -> String {
        switch action {
        case .unchanged: "unchanged"
        case .loaded: "loaded"
        case .updated(let inserted, let removed, let compacted):
            "updated: \(inserted) inserted, \(removed) removed" + (compacted ? ", compacted" : "")
        case .rebuilt(let reason): "rebuilt (\(reason))"
        }
    }
}

/// A refresh as it runs or ran: `GET /admin/refresh`, `GET /admin/drift`.
@SnakeCaseCodingKeys(writesNulls: true)
public struct RefreshStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case running, succeeded, failed }

    public var id: String
    /// `manual`, or `drift:<signal>` when a drift signal started it.
    public var trigger: String
    public var state: State
    public var startedAt: Date
    public var finishedAt: Date?
    public var sourcesDone = 0
    public var sourcesTotal = 0
    public var documentsRead = 0
    public var summary: RefreshSummary?
    public var error: String?
}

/// Runs refreshes in the background, one at a time, for the server and drift detection: asking while one runs joins
/// it instead of starting another.
public final class RefreshCoordinator: Sendable {
    public let service: RefreshService
    private let logger: Logger
    private let state = Mutex(State())
    /// `spotter_refresh_total{trigger, outcome}`.
    private let runs: MetricHandles<[String], Counter>

    struct State {
        var latest: RefreshStatus?
        var waiters: [CheckedContinuation<RefreshStatus, Never>] = []
    }

    /// Where each refresh started is recorded; nil records nothing.
    let audit: AuditLog?

    public init(service: RefreshService, logger: Logger = Logger(label: "spotter.refresh"), metrics: any MetricsFactory = MetricsSystem.factory,
                audit: AuditLog? = nil) {
        self.service = service
        self.audit = audit
        self.logger = logger
        runs = MetricHandles { key in
            Counter(label: "spotter_refresh_total", dimensions: [("trigger", key[0]), ("outcome", key[1])], factory: metrics)
        }
        // The series exists from the start, at zero, for dashboards.
        _ = runs[["manual", "succeeded"]]
    }

    /// The latest refresh since start, running or finished.
    public var latest: RefreshStatus? { state.withLock { $0.latest } }

    /// Starts a refresh of every knowledge base unless one is running; returns the one that runs.
    @discardableResult
    public func start(trigger: String, actor: String = "spotter") -> RefreshStatus {
        let (status, isNew) = state.withLock { state -> (RefreshStatus, Bool) in
            if let latest = state.latest, latest.state == .running { return (latest, false) }
            let status = RefreshStatus(id: Identifier.make("ref"), trigger: trigger, state: .running, startedAt: Date())
            state.latest = status
            return (status, true)
        }
        guard isNew else { return status }
        logger.notice("refresh started", metadata: ["refresh_id": "\(status.id)", "trigger": "\(trigger)"])
        do {
            try audit?.record(AuditEvent(actor: actor, tenant: Principal.defaultTenant, action: .refreshStarted, target: status.id,
                                         detail: ["trigger": trigger]))
        } catch {
            logger.error("refresh not recorded in the audit log", metadata: ["problem": "\(error)"])
        }
        // Detached: the caller (a request, a drift change) does not wait; `finished()` does, for those that must.
        Task.detached(priority: .utility) { await self.run(status) }
        return status
    }

    /// Returns the running refresh's final status once it ends, or the latest one at once when none runs.
    public func finished() async -> RefreshStatus? {
        let running = state.withLock { $0.latest?.state == .running }
        guard running else { return latest }
        return await withCheckedContinuation { continuation in
            let done = state.withLock { state -> RefreshStatus? in
                guard let latest = state.latest, latest.state == .running else { return state.latest }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    private func run(_ status: RefreshStatus) async {
        let id = status.id
        let result: Result<RefreshSummary, RefreshError>
        do {
            result = .success(try await service.refresh { [self] event in
                state.withLock { state in
                    guard state.latest?.id == id else { return }
                    switch event {
                    case .started(let sources): state.latest?.sourcesTotal = sources
                    case .source(_, _, let number, _): state.latest?.sourcesDone = number - 1
                    case .ingest(.document): state.latest?.documentsRead += 1
                    default: break
                    }
                }
            })
        } catch {
            result = .failure(error)
        }
        let (final, waiters) = state.withLock { state -> (RefreshStatus, [CheckedContinuation<RefreshStatus, Never>]) in
            var final = state.latest ?? status
            final.finishedAt = Date()
            switch result {
            case .success(let summary):
                final.state = .succeeded
                final.summary = summary
                final.sourcesDone = final.sourcesTotal
            case .failure(let error):
                final.state = .failed
                final.error = error.description
            }
            state.latest = final
            defer { state.waiters.removeAll() }
            return (final, state.waiters)
        }
        runs[[status.trigger, final.state.rawValue]].increment()
        switch result {
        case .success(let summary):
            logger.notice("refresh finished", metadata: [
                "refresh_id": "\(id)", "changed": "\(summary.changed)", "seconds": "\(String(format: "%.1f", summary.seconds))",
                "cache_entries_dropped": "\(summary.cacheEntriesDropped)",
            ])
        case .failure(let error):
            logger.error("refresh failed", metadata: ["refresh_id": "\(id)", "error": "\(error)"])
        }
        for waiter in waiters { waiter.resume(returning: final) }
    }
}
