import AsyncHTTPClient
import Foundation
import Logging

/// The engine built from one configuration: the store, the embedder and the services over them.
///
/// The CLI and the HTTP server both start from here, so that a command and its route call the same code.
public struct Spotter: Sendable {
    public let configuration: SpotterConfiguration
    /// Everything kept, behind its protocols; ``openStore(_:)`` chooses the backend.
    public let store: any SpotterStore
    public let embedder: any Embedder
    public let search: SearchService
    public let ingest: IngestService
    /// The versioned prompts and assistant configurations.
    public let prompts: PromptRegistry
    /// Every question goes through this pipeline.
    public let answers: AnswerPipeline
    /// Answers served again to questions that mean the same.
    public let cache: SemanticCache
    /// Users' verdicts on answers.
    public let feedback: FeedbackService
    /// What every part records, exposed at `GET /metrics`.
    public let metrics: SpotterMetrics
    /// Watches answers and feedback for drift and acts on it.
    public let drift: DriftMonitor
    /// Re-reads the knowledge bases' sources, by hand (`POST /admin/refresh`) or when drift asks.
    public let refresh: RefreshCoordinator
    /// The hash-chained log of administrative and security events.
    public var audit: AuditLog { AuditLog(store: store) }
    /// Rate limits and daily budgets per key and tenant.
    public var limits: UsageLimits { shared.limits }

    /// A person's data, exported or erased: after the answers still being written, with the cache forgetting what
    /// goes. Reads the server secret, which names the person in the audit log.
    public func personalData() throws(PersonalDataError) -> PersonalDataService {
        let answerLog = answers.log, cache = cache
        return try PersonalDataService(store: store, configuration: configuration,
                                   settle: { await answerLog.settle() }, forgetCached: { cache.forget(entryIDs: $0) }, logger: logger)
    }
    /// The remote language models (without the offline fallback); nil when answering offline. Evaluation asks it
    /// to judge faithfulness.
    public let remoteModel: (any ChatModel)?
    /// What an embedding-model switch keeps: the store, the metrics, the prompts and the language models' clients.
    private let shared: Shared
    private let logger: Logger

    /// The parts that do not depend on the embedding model.
    struct Shared: Sendable {
        let configuration: SpotterConfiguration
        let store: any SpotterStore
        let metrics: SpotterMetrics
        let prompts: PromptRegistry
        /// The client the remote language models share; nil when answering offline.
        let httpClient: HTTPClient?
        /// The remote chain (one breaker per upstream), shared so that a switch keeps the breakers' state.
        let remoteModel: (any ChatModel)?
        /// The drift webhook and its client; nil without a webhook.
        let webhookClient: HTTPClient?
        let webhook: DriftWebhook?
        /// Rate-limit buckets and the day's spending, kept across a switch so that a promotion forgives nothing.
        let limits: UsageLimits
    }

    /// Opens the store and loads the embedding model: the one promoted in the store (`spotter index promote`), else the
    /// one `configuration` names.
    public init(configuration: SpotterConfiguration, logger: Logger = Logger(label: "spotter")) throws {
        // The promoted model when there is one (blue-green migration), else the configured one.
        try self.init(configuration: configuration, embedder: try Spotter.activeEmbedder(configuration: configuration), logger: logger)
    }

    /// Opens the store with an embedder that is already loaded (tests share one; loading reads 90 MB).
    public init(configuration: SpotterConfiguration, embedder: any Embedder, logger: Logger = Logger(label: "spotter")) throws {
        let store = try Self.openStore(configuration)
        let metrics = SpotterMetrics()
        let prompts = try configuration.promptsDirectory.map { url throws(PromptRegistryError) in try PromptRegistry.load(folder: url) }
            ?? PromptRegistry.builtIn()
        var httpClient: HTTPClient? = nil
        var remote: (any ChatModel)? = nil
        if let languageModel = configuration.languageModel {
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: languageModel.httpClientConfiguration)
            httpClient = client
            // One remote chain (one breaker per upstream) serves both answering, where the offline answerer follows
            // it, and condensing, where a failure falls back to the deterministic rule instead.
            remote = ChatModelChain.make(configuration: languageModel, offline: NoModel(), httpClient: client,
                                         logger: Logger(label: "spotter.llm"), metrics: metrics.factory)
        }
        var webhookClient: HTTPClient? = nil
        var webhook: DriftWebhook? = nil
        if let url = configuration.drift.webhook {
            var driftLogger = Logger(label: "spotter.drift")
            driftLogger.logLevel = configuration.logLevel
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            webhookClient = client
            webhook = DriftWebhook(url: url, client: client, logger: driftLogger, metrics: metrics.factory)
        }
        var limitsLogger = Logger(label: "spotter.limits")
        limitsLogger.logLevel = configuration.logLevel
        let limits = UsageLimits(store: store, webhook: webhook, logger: limitsLogger, metrics: metrics.factory)
        self.init(shared: Shared(configuration: configuration, store: store, metrics: metrics, prompts: prompts, httpClient: httpClient,
                                 remoteModel: remote, webhookClient: webhookClient, webhook: webhook, limits: limits),
                  embedder: embedder, logger: logger)
    }

    /// Builds every part that embeds around `shared`.
    private init(shared: Shared, embedder: any Embedder, logger: Logger) {
        let configuration = shared.configuration, store = shared.store, metrics = shared.metrics
        self.shared = shared
        self.logger = logger
        self.configuration = configuration
        self.metrics = metrics
        self.embedder = embedder
        self.store = store
        prompts = shared.prompts
        remoteModel = shared.remoteModel
        var indexLogger = Logger(label: "spotter.index")
        indexLogger.logLevel = configuration.logLevel
        let indexes = VectorIndexCatalog(store: store, embedder: embedder, directory: configuration.indexDirectory,
                                         parameters: configuration.hnsw, threads: configuration.embedThreads, logger: indexLogger)
        search = SearchService(store: store, embedder: embedder, indexes: indexes)
        ingest = IngestService(store: store, embedder: embedder)
        let offline = ExtractiveAnswerer(embedder: embedder)
        let model: any ChatModel = shared.remoteModel.map { FallbackChatModel([$0, offline]) } ?? offline
        let prices = configuration.languageModel?.prices ?? ModelPriceTable()
        var cacheLogger = Logger(label: "spotter.cache")
        cacheLogger.logLevel = configuration.logLevel
        cache = SemanticCache(store: store, embedder: embedder, settings: configuration.cache, judge: shared.remoteModel,
                              logger: cacheLogger, metrics: metrics.factory)
        var driftLogger = Logger(label: "spotter.drift")
        driftLogger.logLevel = configuration.logLevel
        var refreshLogger = Logger(label: "spotter.refresh")
        refreshLogger.logLevel = configuration.logLevel
        refresh = RefreshCoordinator(service: RefreshService(store: store, ingest: ingest, indexes: indexes, cache: cache),
                                     logger: refreshLogger, metrics: metrics.factory, audit: AuditLog(store: store))
        let gapStore = store, gapEmbedder = embedder
        let responder = DriftResponder(settings: configuration.drift, webhook: shared.webhook, refresh: refresh, gaps: {
            try? await Spotter.knowledgeGaps(store: gapStore, embedder: gapEmbedder, since: Date().addingTimeInterval(-86_400))
        }, logger: driftLogger)
        drift = DriftMonitor(settings: configuration.drift, store: store, embedder: embedder, logger: driftLogger,
                             metrics: metrics.factory, onChange: { responder.respond(to: $0) })
        let remoteConfigured = configuration.languageModel != nil
        answers = AnswerPipeline(search: search, conversations: store, registry: prompts, model: model,
                                 condenser: QuestionCondenser(model: shared.remoteModel), cache: cache,
                                 // With a remote model configured, an offline answer is a fallback's stop-gap: not cached.
                                 isCacheable: { model in !(remoteConfigured && model == "offline") },
                                 defaultKnowledgeBase: configuration.defaultKnowledgeBase,
                                 settings: configuration.answering, cost: { usage, producer in
                                     // Producers are named `host/model` (`#2` for a second endpoint of the same model).
                                     let model = producer.split(separator: "/", maxSplits: 1).last.map(String.init) ?? producer
                                     return prices.cost(of: usage, model: model.replacingOccurrences(of: "#2", with: ""))
                                 }, logger: logger, metrics: metrics.factory, drift: drift,
                                 variants: VariantRouter(settings: configuration.canary, store: store, metrics: metrics.factory),
                                 limits: shared.limits, offlineModel: offline)
        feedback = FeedbackService(answers: answers, store: store, cache: cache, metrics: metrics.factory, drift: drift)
    }

    /// The same engine around another embedding model (after `spotter index promote` or `rollback`): the store,
    /// metrics, prompts and language-model clients are kept; the index catalog, cache memos, drift reference,
    /// answer log and the services over them are new. Nothing is shared with this engine's embedding state, so a
    /// request runs wholly on one model or the other.
    public func switchingEmbedder(to embedder: any Embedder) -> Spotter {
        Spotter(shared: shared, embedder: embedder, logger: logger)
    }

    /// Writes what an engine replaced by ``switchingEmbedder(to:)`` still holds in memory (answer records, drift
    /// observations, cache hit counts), without closing what it shares with its successor.
    public func retire() async {
        await answers.log.settle()
        await drift.settle()
        _ = await refresh.finished()
        cache.writeHitCounts()
    }

    /// Releases what the engine holds: the answers' records and cache hit counts still in memory are written, then
    /// the language models' connections and the store are closed.
    public func shutdown() async {
        await retire()
        try? await shared.httpClient?.shutdown()
        try? await shared.webhookClient?.shutdown()
        store.close()
    }
}

extension Spotter {
    /// Opens (creating if needed) the store the configuration names and brings its schema up to date: the one place
    /// that chooses the backend. Commands that need the store but not the embedder (cache, answers, index roles)
    /// open it here too.
    /// The cipher the configuration's keys make: the data key, with the previous one during a rotation.
    public static func cipher(_ configuration: SpotterConfiguration) -> DataCipher? {
        configuration.encryptionKey.map { DataCipher(current: $0, previous: configuration.previousEncryptionKey.map { [$0] } ?? []) }
    }

    /// Seals the configuration's store in place under its data key: a plaintext store (`spotter encrypt`), or one
    /// sealed under the previous key (`spotter keys rotate-data-key`); resumable. Returns the state it found.
    @discardableResult
    public static func sealStore(_ configuration: SpotterConfiguration, batch: Int,
                                 progress: @Sendable (EncryptionProgress) -> Void) throws(StoreError) -> EncryptionState {
        guard let cipher = cipher(configuration) else { throw .encryption("no data key is configured (SPOTTER_ENCRYPTION_KEY)") }
        return try SQLiteStore.sealAll(directory: configuration.dataDirectory, cipher: cipher, batch: batch, progress: progress)
    }

    public static func openStore(_ configuration: SpotterConfiguration) throws(StoreError) -> any SpotterStore {
        try SQLiteStore(directory: configuration.dataDirectory, cipher: cipher(configuration))
    }

    /// The questions answered "not covered" since `since`, grouped by topic (`spotter drift gaps`, `GET /admin/drift/gaps`).
    /// The clustered unanswered questions of one tenant, or of every tenant when `tenant` is nil.
    public func knowledgeGaps(since: Date, tenant: String? = nil, knowledgeBase: String? = nil, maximumGaps: Int = 10) async throws -> KnowledgeGapReport {
        await answers.log.settle()
        return try await Self.knowledgeGaps(store: store, embedder: embedder, since: since, tenant: tenant, knowledgeBase: knowledgeBase,
                                            maximumGaps: maximumGaps)
    }

    static func knowledgeGaps(store: any SpotterStore, embedder: any Embedder, since: Date, tenant: String? = nil,
                              knowledgeBase: String? = nil, maximumGaps: Int = 10) async throws -> KnowledgeGapReport {
        let questions = try store.unansweredQuestions(since: since, tenant: tenant, knowledgeBase: knowledgeBase)
        return try await KnowledgeGapReport.build(questions, since: since, embedder: embedder, maximumGaps: maximumGaps)
    }

    /// Drift detection as it stands, with the latest refresh.
    public func driftReport() -> DriftReport {
        DriftReport(enabled: configuration.drift.enabled, window: configuration.drift.window, signals: drift.statuses(),
                    referenceSamples: drift.referenceSamples, refresh: refresh.latest)
    }
}

/// The end of a chain that has no model left: fails at once, so that the caller falls back to its own rule.
struct NoModel: ChatModel {
    var name: String { "none" }

    func stream(_ request: ChatModelRequest) -> AsyncThrowingStream<ChatModelEvent, any Error> {
        AsyncThrowingStream { $0.finish(throwing: ChatModelError.allFailed([])) }
    }
}
