import Foundation
import Logging
import Metrics
import Synchronization

/// The answering pipeline, top to bottom: every question to Spotter, from any surface, goes through ``run(_:emit:)``.
///
/// ```
/// validate → conversation → condense → input guard → cache ─hit→ answer
///                                                      │miss
///        record ← output check ← generate ← prompt ← retrieve
/// ```
/// Each stage is one named step, timed and recorded in the answer's ``AnswerTrace``. Later capabilities fill the
/// hook stages (input guard, cache, output check) instead of adding side paths.
public struct AnswerPipeline: Sendable {
    public struct Settings: Sendable {
        /// The longest message accepted, in characters.
        public var maximumMessageLength = 8_000
        /// A session unused for this long is forgotten.
        public var sessionIdleTime: TimeInterval = 24 * 3600
        /// `SPOTTER_ANSWER_RETENTION`: answer records (and the feedback on them) older than this are deleted; nil
        /// keeps them all.
        public var answerRetention: TimeInterval? = 90 * 86_400
        /// The best passage must be at least this similar (cosine) to the question for an answer to be grounded;
        /// below it the answer says the knowledge base does not cover the question.
        public var minimumRelevance = 0.42
        /// Passages less similar than this are left out of the prompt.
        public var passageRelevanceFloor = 0.3
        /// Tokens of conversation history a prompt may carry.
        public var historyTokenBudget = 1_200

        public init() {}
    }

    public let search: SearchService
    public let conversations: any ConversationStore
    public let registry: PromptRegistry
    /// The chain that writes answers (ending with the offline answerer, so it normally cannot fail).
    public let model: any ChatModel
    public let condenser: QuestionCondenser
    /// The semantic cache; nil answers every question afresh.
    public let cache: SemanticCache?
    /// Whether an answer by this producer may be cached (a fallback's stop-gap answer should not outlive the outage).
    public let isCacheable: @Sendable (_ model: String) -> Bool
    public let defaultKnowledgeBase: String
    public let settings: Settings
    /// USD for the tokens of an answer by a model; nil when the model has no price.
    public let cost: @Sendable (TokenUsage, String) -> Double?
    public let logger: Logger
    /// Where each stage's duration goes (`spotter_pipeline_stage_seconds{stage}`); the process's `MetricsSystem`
    /// unless a test passes its own.
    public let metrics: any MetricsFactory
    /// Where the answers' records and conversation turns go: written behind the answer, in batches.
    public let log: AnswerLog
    /// Told about every answer, behind it; nil watches nothing.
    public let drift: DriftMonitor?
    /// Picks each answer's variant of its assistant and rolls canaries back.
    public let variants: VariantRouter
    /// Reads and expires conversations (the pipeline's conversation stage and the session routes).
    public let sessions: Sessions
    /// Daily budgets (checked in the validate stage) and the token buckets answers are charged to; nil limits nothing.
    public let limits: UsageLimits?
    /// What answers while a tenant's budget is spent and it degrades (the offline answerer); `model` when nil.
    public let offlineModel: any ChatModel
    /// Answer records deleted per sweep at most.
    static let retentionBatch = 5_000
    let instruments: PipelineInstruments

    public init(search: SearchService, conversations: any ConversationStore, registry: PromptRegistry, model: any ChatModel,
                condenser: QuestionCondenser, cache: SemanticCache? = nil,
                isCacheable: @escaping @Sendable (String) -> Bool = { _ in true },
                defaultKnowledgeBase: String, settings: Settings = Settings(),
                cost: @escaping @Sendable (TokenUsage, String) -> Double? = { _, _ in nil },
                logger: Logger = Logger(label: "spotter.answer"), metrics: any MetricsFactory = MetricsSystem.factory,
                drift: DriftMonitor? = nil, variants: VariantRouter? = nil, limits: UsageLimits? = nil,
                offlineModel: (any ChatModel)? = nil) {
        self.limits = limits
        self.offlineModel = offlineModel ?? model
        self.search = search
        self.conversations = conversations
        self.registry = registry
        self.model = model
        self.condenser = condenser
        self.cache = cache
        self.isCacheable = isCacheable
        self.defaultKnowledgeBase = defaultKnowledgeBase
        self.settings = settings
        self.cost = cost
        self.logger = logger
        self.metrics = metrics
        self.drift = drift
        self.variants = variants ?? VariantRouter(store: nil, metrics: metrics)
        log = AnswerLog(store: conversations, logger: logger)
        sessions = Sessions(store: conversations, log: log, idleTime: settings.sessionIdleTime)
        instruments = PipelineInstruments(factory: metrics)
    }

    /// The answer as a stream of events: `started`, `token`…, `citations`, `done`. A request that is wrong (bad
    /// message, unknown assistant or knowledge base) fails before `started`. Ending the iteration early (a client
    /// that went away) cancels the answer and the model call behind it.
    public func answer(_ request: AnswerRequest) -> AsyncThrowingStream<AnswerEvent, any Error> {
        .producing { continuation in _ = try await run(request) { continuation.yield($0) } }
    }

    /// The whole answer at once.
    public func respond(_ request: AnswerRequest) async throws(AnswerError) -> Answer {
        try await run(request, streaming: false) { _ in }
    }

    /// An answer's record, once the writes queued before the call are stored; nil when it is not the reader's
    /// (another tenant's, or another user's), as when there is none.
    public func recordedAnswer(id: String, reader: Reader = .operating(Principal.defaultTenant)) async throws(StoreError) -> AnswerRecord? {
        await log.settle()
        guard let record = try conversations.answer(id: id), reader.owns(tenant: record.tenant, userID: record.userID) else { return nil }
        return record
    }

    /// Runs every stage for one request, reporting progress through `emit`. With `streaming` false nobody reads the
    /// `token` events, and a cached answer is not cut into them.
    public func run(_ request: AnswerRequest, streaming: Bool = true,
                    emit: @Sendable (AnswerEvent) -> Void) async throws(AnswerError) -> Answer {
        let started = ContinuousClock.now
        let now = Date()
        let answerID = Identifier.make("ans", now: now)
        var trace = AnswerTrace(id: Identifier.make("trc"))
        // Passed with each message rather than set on the logger: setting metadata re-renders the handler's prefix.
        // Room for the answer line's fields too (see the end): growing the dictionary there showed in profiles.
        var logMetadata = Logger.Metadata(minimumCapacity: 12)
        logMetadata["answer_id"] = .string(answerID)
        if let requestID = request.requestID { logMetadata["request_id"] = .string(requestID) }

        // 1. Validate: the message, the assistant, the knowledge base.
        var valid = try await trace.run(.validate, outcome: {
            "assistant \($0.assistant.name), kb \($0.knowledgeBase)" + ($0.mayCallModel ? "" : ", budget spent: offline answers only")
        }) {
            () throws(AnswerError) in try validate(request)
        }

        // 2. Conversation: the session's history (or the client's), with expiry.
        let conversation = try await trace.run(.conversation, outcome: \.outcome) { () throws(AnswerError) in
            try await resolveConversation(request, valid: valid, now: now)
        }
        if let sessionID = conversation.sessionID { logMetadata["session_id"] = .string(sessionID) }
        // The assistant's variant, sticky per user (else per session); it settles the prompt and retrieval settings.
        let variant = try variants.choose(for: valid.assistant, key: request.user ?? conversation.sessionID ?? answerID,
                                          requested: request.variant)
        let baseAssistant = valid.assistant
        valid.assistant = baseAssistant.applying(variant)
        valid.variant = variant.name
        emit(.started(AnswerStart(answerID: answerID, sessionID: conversation.sessionID, traceID: trace.id)))

        // 3. Condense a follow-up into a standalone question.
        // An unchanged question is the record's own; only a rewritten one is worth its bytes in every record.
        let standalone = try await trace.run(.condense, outcome: {
            $0.method == .unchanged ? "unchanged" : "\($0.method.rawValue): \(PromptBuilder.clip($0.question, words: 20))"
        }) {
            () throws(AnswerError) in
            await condenser.condense(valid.message, history: conversation.history, previousQuestion: conversation.previousQuestion)
        }

        // 4. Input guard (hook: injection and PII checks come later; emptiness and length are checked here).
        try await trace.run(.inputGuard, outcome: { "passed" }) { () throws(AnswerError) in
            try inputGuard(standalone.question)
        }
        var guards = [GuardDecision(.input, .passed)]

        // 5. Semantic cache: an earlier answer to a question that means the same, verified against look-alikes.
        let cached = try await trace.run(.cache, outcome: \.outcome) { () throws(AnswerError) in
            await lookUpCache(request, valid: valid, standalone: standalone)
        }

        let produced: Produced
        if let (entry, match) = cached.hit {
            // A hit streams and cites like a fresh answer; the trace names the question it was written for.
            trace.cache = match
            // The matched question is in the trace's cache match.
            guards.append(GuardDecision(.cacheVerification, .passed, detail: "similarity \(SemanticCache.format(match.similarity))"))
            produced = replay(entry, streaming: streaming, emit: emit)
        } else {
            // 6. Retrieve the passages, and decide whether the knowledge base covers the question.
            let retrieved = try await trace.run(.retrieve, outcome: \.outcome) { () throws(AnswerError) in
                try await retrieve(standalone.question, valid: valid, reader: request.reader)
            }
            guards.append(retrieved.groundingDecision(minimumRelevance: settings.minimumRelevance))

            // 7. Build the prompt: system prompt, history within budget, numbered passages, question.
            let prompt = try await trace.run(.prompt, outcome: {
                "\(valid.assistant.prompt.reference), \(retrieved.passages.count) passages, \($0.verbatimTurns) turns verbatim, \($0.summarisedTurns) summarised, ~\($0.estimatedTokens) tokens"
            }) { () throws(AnswerError) in
                PromptBuilder(historyTokenBudget: settings.historyTokenBudget).build(
                    system: valid.assistant.prompt.text, passages: retrieved.passages.map(\.grounding),
                    history: conversation.history, question: standalone.question)
            }

            // 8. Generate, streaming tokens; 9. the output check runs on the stream (invalid citation markers dropped).
            var check = CitationMarkerFilter(valid: Set(retrieved.passages.map(\.grounding.number)))
            let generated: Generated
            do {
                generated = try await trace.run(.generate, outcome: { "\($0.model), \($0.usage.completionTokens) tokens" }) {
                    () throws(AnswerError) in
                    try await generate(prompt, question: standalone.question, retrieved: retrieved, request: request,
                                       upstreamModel: valid.assistant.model, using: valid.mayCallModel ? model : offlineModel,
                                       check: &check, emit: emit)
                }
            } catch {
                if error != .cancelled { variants.observeAnswer(assistant: baseAssistant, variant: variant.name, failed: true) }
                throw error
            }
            let citations = try await trace.run(.outputCheck, outcome: {
                "\($0.count) cited" + (check.removed > 0 ? ", \(check.removed) invalid markers removed" : "")
            }) { () throws(AnswerError) in
                retrieved.citations(for: check.cited)
            }
            guards.append(check.removed > 0
                ? GuardDecision(.citations, .modified, detail: "\(check.removed) \(check.removed == 1 ? "marker" : "markers") naming no passage removed")
                : GuardDecision(.citations, .passed))
            produced = Produced(text: generated.text, citations: citations, model: generated.model, usage: generated.usage,
                                costUSD: cost(generated.usage, generated.model), grounded: retrieved.grounded,
                                passageTexts: Dictionary(retrieved.passages.map { ($0.hit.chunkID, $0.hit.text) },
                                                         uniquingKeysWith: { first, _ in first }),
                                topScore: retrieved.bestSimilarity,
                                retrieved: retrieved.nearest.map {
                                    RetrievedChunk(chunkID: $0.chunkID, documentID: $0.documentID,
                                                   score: $0.scores.denseSimilarity ?? $0.scores.fused)
                                })
        }
        emit(.citations(produced.citations))

        // 10. Record the turn and the answer, and cache a fresh answer for the questions that mean the same.
        var answer = Answer(answerID: answerID, sessionID: conversation.sessionID, answer: produced.text,
                            citations: produced.citations, usage: produced.usage, costUSD: produced.costUSD,
                            model: produced.model, cached: cached.hit != nil, grounded: produced.grounded, trace: trace)
        answer.replyEncoding = produced.replyEncoding
        let latency = (ContinuousClock.now - started).inSeconds * 1000
        let traceSoFar = trace
        _ = try? await trace.run(.record, outcome: { $0 }) { () throws(AnswerError) in
            // Queued: the answer does not wait for its bookkeeping (see AnswerLog).
            record(answer, valid: valid, standalone: standalone.question, reader: request.reader, keyID: request.caller?.keyID,
                   saved: cached.hit.map { Spending(tokens: $0.0.usage.totalTokens, costUSD: $0.0.costUSD ?? 0) },
                   retrieved: produced.retrieved, guards: guards, latency: latency, trace: traceSoFar, now: now)
            return storeInCache(answer, produced: produced, plan: cached.plan, question: standalone.question, now: now, logMetadata: logMetadata)
        }
        answer.trace = trace
        measure(answer, produced: produced, latency: latency)
        await limits?.charge(answer, caller: request.caller, tenant: request.reader.tenant, now: now)
        variants.observeAnswer(assistant: baseAssistant, variant: variant.name, failed: false)
        drift?.observe(QuestionObservation(question: standalone.question, knowledgeBase: valid.resolvedKnowledgeBase,
                                           vector: cached.vector, cacheHit: cached.consulted ? cached.hit != nil : nil,
                                           covered: produced.grounded))
        logger.info("answered", metadata: {
            // Added in place rather than merged from a second dictionary: this runs for every answer.
            // Plain strings, not interpolations: each interpolation builds its text through a generic writer.
            var metadata = logMetadata
            metadata["model"] = .string(answer.model)
            metadata["grounded"] = .string(answer.grounded ? "true" : "false")
            metadata["cached"] = .string(answer.cached ? "true" : "false")
            metadata["citations"] = .string(String(answer.citations.count))
            metadata["tokens_in"] = .string(String(answer.usage.promptTokens))
            metadata["tokens_out"] = .string(String(answer.usage.completionTokens))
            metadata["latency_ms"] = .string(latency.isFinite ? String(Int(latency.rounded())) : "0")
            var stages = ""
            stages.reserveCapacity(trace.stages.count * 16)
            for stage in trace.stages {
                if !stages.isEmpty { stages.append(" ") }
                stages.append(stage.stage.rawValue)
                stages.append("=")
                stages.append(stage.milliseconds.fixed(1))
            }
            metadata["stages"] = .string(stages)
            return metadata
        }())
        emit(.done(answer))
        return answer
    }

    // MARK: Stages

    struct ValidRequest {
        var message: String
        var assistant: PromptRegistry.Assistant
        var knowledgeBase: String
        /// The knowledge base as stored, resolved once here.
        var resolvedKnowledgeBase: KnowledgeBase
        var filters: [MetadataFilter]
        /// Chosen after the conversation is known (assignment is sticky per user or session).
        var variant = "control"
        /// False once the tenant's budget is spent and it degrades: the cache and the offline answerer only.
        var mayCallModel = true
        /// The end user the application named (`user`), blank as none.
        var user: String? = nil
    }

    func validate(_ request: AnswerRequest) throws(AnswerError) -> ValidRequest {
        let message = request.message.trimmedWhitespace
        guard !message.isEmpty else { throw .invalidRequest(field: "message", reason: "must not be empty") }
        // A character is at least one byte: the byte count settles most messages without counting characters.
        guard message.utf8.count <= settings.maximumMessageLength || message.count <= settings.maximumMessageLength else {
            throw .messageTooLong(length: message.count, maximum: settings.maximumMessageLength)
        }
        guard let assistant = registry.assistant(named: request.assistant) else {
            throw .unknownAssistant(request.assistant ?? "", available: registry.assistants.map(\.name))
        }
        if let sessionID = request.sessionID, request.history == nil, !Identifier.isValid(sessionID) {
            throw .invalidRequest(field: "session_id", reason: "must be 1–128 letters, digits, '-', '_', '.' or ':'")
        }
        if let user = request.user, user.count > PersonalDataService.maximumUserLength {
            throw .invalidRequest(field: "user", reason: "must be at most \(PersonalDataService.maximumUserLength) characters")
        }
        if let temperature = request.temperature, !(0...2).contains(temperature) {
            throw .invalidRequest(field: "temperature", reason: "must be between 0 and 2")
        }
        if let maxTokens = request.maxTokens, !(1...32_768).contains(maxTokens) {
            throw .invalidRequest(field: "max_tokens", reason: "must be between 1 and 32768")
        }
        let knowledgeBase = request.knowledgeBase ?? assistant.knowledgeBase ?? defaultKnowledgeBase
        let resolved: KnowledgeBase
        do {
            resolved = try search.resolve(knowledgeBase, tenant: request.reader.tenant)
        } catch {
            throw .search(error)
        }
        var valid = ValidRequest(message: message, assistant: assistant, knowledgeBase: knowledgeBase,
                                 resolvedKnowledgeBase: resolved, filters: request.filters)
        valid.user = request.user.flatMap { $0.trimmedWhitespace.isEmpty ? nil : $0 }
        // The tenant's daily budget: spent, its answers are refused or come from the cache and the offline answerer.
        if let limits {
            let status: BudgetStatus
            do {
                status = try limits.budget(for: request.reader.tenant)
            } catch {
                throw .store(error)
            }
            switch status {
            case .within: break
            case .exhausted(.block, let reason): throw .budgetExhausted(reason)
            case .exhausted(.degrade, _): valid.mayCallModel = false
            }
        }
        return valid
    }

    struct ResolvedConversation {
        var sessionID: String?
        var history: [ChatMessage]
        var previousQuestion: String?
        var outcome: String
    }

    func resolveConversation(_ request: AnswerRequest, valid: ValidRequest, now: Date) async throws(AnswerError) -> ResolvedConversation {
        if let history = request.history {
            let turns = history.filter { $0.role != .system }
            return ResolvedConversation(sessionID: nil, history: turns, previousQuestion: nil,
                                        outcome: "\(turns.count) messages from the client")
        }
        guard let sessionID = request.sessionID else {
            return ResolvedConversation(sessionID: Identifier.make("ses", now: now), history: [], previousQuestion: nil, outcome: "new session")
        }
        do {
            switch try await sessions.lookup(id: sessionID, reader: request.reader, now: now) {
            case .missing:
                return ResolvedConversation(sessionID: sessionID, history: [], previousQuestion: nil, outcome: "new session (client id)")
            case .someoneElses:
                // The id names another caller's session: a fresh one under a new id, so that nothing is read from or
                // written into theirs.
                return ResolvedConversation(sessionID: Identifier.make("ses", now: now), history: [], previousQuestion: nil,
                                            outcome: "new session (the id given is taken)")
            case .expired:
                try conversations.deleteSession(id: sessionID)
                return ResolvedConversation(sessionID: sessionID, history: [], previousQuestion: nil, outcome: "expired, started afresh")
            case .live: break
            }
            let messages = try conversations.messages(inSession: sessionID)
            let lastAnswer = messages.last { $0.role == .assistant }?.answerID
            let previous = try lastAnswer.flatMap { id throws(StoreError) in try conversations.answer(id: id)?.standaloneQuestion }
            return ResolvedConversation(sessionID: sessionID, history: messages.map { ChatMessage(role: $0.role, content: $0.content) },
                                        previousQuestion: previous, outcome: "\(messages.count / 2) earlier turns")
        } catch {
            throw .store(error)
        }
    }

    func inputGuard(_ question: String) throws(AnswerError) {
        guard !question.allSatisfy(\.isWhitespace) else {
            throw .invalidRequest(field: "message", reason: "must not be empty")
        }
        guard question.count <= settings.maximumMessageLength * 2 else {
            throw .messageTooLong(length: question.count, maximum: settings.maximumMessageLength)
        }
    }

    func retrieve(_ question: String, valid: ValidRequest, reader: Reader) async throws(AnswerError) -> RetrievedPassages {
        let response: SearchResponse
        do {
            response = try await search.search(SearchRequest(
                query: question, knowledgeBase: valid.knowledgeBase, k: valid.assistant.passages, mode: .hybrid,
                filters: valid.filters, mmrLambda: valid.assistant.mmr, reader: reader))
        } catch {
            throw .search(error)
        }
        let best = response.hits.compactMap(\.scores.denseSimilarity).max() ?? 0
        let kept = response.hits.filter { ($0.scores.denseSimilarity ?? 0) >= settings.passageRelevanceFloor }
        return RetrievedPassages(hits: kept, nearest: response.hits, bestSimilarity: best,
                                 grounded: best >= settings.minimumRelevance && !kept.isEmpty)
    }

    struct Generated {
        var text: String
        var model: String
        var usage: TokenUsage
    }

    func generate(_ prompt: PromptBuilder.Built, question: String, retrieved: RetrievedPassages, request: AnswerRequest,
                  upstreamModel: String? = nil, using model: any ChatModel, check: inout CitationMarkerFilter,
                  emit: @Sendable (AnswerEvent) -> Void) async throws(AnswerError) -> Generated {
        guard retrieved.grounded else {
            // Nothing relevant enough: say so, and offer the nearest topics the knowledge base does cover.
            let text = retrieved.notCoveredAnswer()
            emit(.token(text))
            return Generated(text: text, model: "none", usage: TokenUsage(promptTokens: 0, completionTokens: 0))
        }
        let modelRequest = ChatModelRequest(messages: prompt.messages, question: question,
                                            passages: retrieved.passages.map(\.grounding),
                                            temperature: request.temperature, maxTokens: request.maxTokens, user: request.user,
                                            model: upstreamModel)
        var text = ""
        var producer = model.name
        var usage: TokenUsage? = nil
        do {
            for try await event in model.stream(modelRequest) {
                switch event {
                case .producer(let name): producer = name
                case .delta(let piece):
                    let safe = check.feed(piece)
                    if !safe.isEmpty {
                        text += safe
                        emit(.token(safe))
                    }
                case .finished(let finish): usage = finish.usage
                }
            }
        } catch let error as ChatModelError {
            throw error == .cancelled ? .cancelled : .generation(error)
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .generation(.connection(upstream: producer, reason: String(describing: error)))
        }
        if Task.isCancelled { throw .cancelled }
        let rest = check.flush()
        if !rest.isEmpty {
            text += rest
            emit(.token(rest))
        }
        let counted = usage ?? TokenEstimator.usage(prompt: prompt.messages, completion: text)
        return Generated(text: text, model: producer, usage: counted)
    }

    func record(_ answer: Answer, valid: ValidRequest, standalone: String, reader: Reader, keyID: String?, saved: Spending?,
                retrieved: [RetrievedChunk], guards: [GuardDecision], latency: Double, trace: AnswerTrace, now: Date) {
        var record = AnswerRecord(
            id: answer.answerID, sessionID: answer.sessionID, knowledgeBase: valid.knowledgeBase,
            assistant: valid.assistant.name, promptVersion: valid.assistant.prompt.reference, question: valid.message,
            standaloneQuestion: standalone, answer: answer.answer, citations: answer.citations, model: answer.model,
            grounded: answer.grounded, usage: answer.usage, costUSD: answer.costUSD, latencyMilliseconds: latency,
            trace: trace, createdAt: now, tenant: reader.tenant, retrieved: retrieved, variant: valid.variant, guards: guards)
        // The person the record is about (for export and erasure): a token's user, or the end user an application
        // named in `user`.
        record.userID = reader.userID ?? valid.user
        record.keyID = keyID
        record.saved = saved
        record.replyEncoding = answer.replyEncoding
        // Idle sessions and records past their retention are swept here, at most once a minute, instead of by a
        // timer; a bounded batch each time, so that a long backlog never holds the writer for long.
        if sessions.sweep.isDue(now) {
            log.submit(.deleteIdleSessions(before: now.addingTimeInterval(-settings.sessionIdleTime)))
            if let retention = settings.answerRetention {
                log.submit(.deleteAnswers(before: now.addingTimeInterval(-retention), limit: Self.retentionBatch))
            }
        }
        guard answer.sessionID != nil else { return log.submit(.answer(record)) }
        log.submit(.turn(record,
                         question: StoredMessage(role: .user, content: valid.message, createdAt: now),
                         reply: StoredMessage(role: .assistant, content: answer.answer, answerID: answer.answerID,
                                              citations: answer.citations, createdAt: Date())))
    }

    // MARK: Metrics

    /// What one answer adds to the metrics: stage latencies, the answer itself, and the model's tokens and cost.
    func measure(_ answer: Answer, produced: Produced, latency milliseconds: Double) {
        for stage in answer.trace.stages {
            instruments.stages[stage.stage.rawValue].recordNanoseconds(Int64(stage.milliseconds * 1_000_000))
        }
        let served = answer.cached ? "cache" : answer.model == "none" ? "not_covered" : "model"
        let answers = instruments.answers[served]
        answers.count.increment()
        answers.latency.recordNanoseconds(Int64(milliseconds * 1_000_000))
        if let topScore = produced.topScore { instruments.topScore.record(topScore) }
        guard served == "model" else { return }
        let model = instruments.models[answer.model]
        model.calls.increment()
        model.tokensIn.increment(by: Int64(answer.usage.promptTokens))
        model.tokensOut.increment(by: Int64(answer.usage.completionTokens))
        if let cost = answer.costUSD { model.cost.increment(by: cost) }
    }

    // MARK: Cache

    /// What the cache stage decided: a hit to serve, or (on a miss) how to store the fresh answer, or neither.
    struct CacheDecision {
        var hit: (CacheEntry, CacheMatch)?
        /// Where a fresh answer goes on a miss; nil when the cache is off or bypassed.
        var plan: CachePlan?
        var outcome: String
        /// Whether the cache was looked in (not off, not bypassed), and the question's embedding when one was made.
        var consulted = false
        var vector: [Float]? = nil
    }

    struct CachePlan {
        var scope: CacheScope
        var vector: [Float]
        var knowledgeBaseGeneration: Int64
    }

    /// The answer as it goes out, whether written now or replayed from the cache.
    struct Produced {
        var text: String
        var citations: [Citation]
        var model: String
        var usage: TokenUsage
        var costUSD: Double?
        var grounded: Bool
        /// The text of each passage the answer was written from, to hash the cited chunks when caching.
        var passageTexts: [Int64: String] = [:]
        /// The best passage's similarity to the question (retrieval ran only on a miss).
        var topScore: Double?
        /// What retrieval returned, for the answer's record.
        var retrieved: [RetrievedChunk] = []
        /// A cached reply's encodings.
        var replyEncoding: ReplyEncoding?
    }

    func lookUpCache(_ request: AnswerRequest, valid: ValidRequest, standalone: QuestionCondenser.Result) async -> CacheDecision {
        guard let cache, cache.settings.enabled else { return CacheDecision(outcome: "off") }
        guard request.useCache else { return CacheDecision(outcome: "bypass (the request opted out)") }
        // A question rewritten from the conversation depends on history the cache key does not hold.
        let rewritten = standalone.method == .rule
            || (standalone.method == .model && QuestionAnalysis.normalised(standalone.question) != QuestionAnalysis.normalised(valid.message))
        if rewritten { return CacheDecision(outcome: "bypass (depends on the conversation, condensed by \(standalone.method.rawValue))") }
        if SemanticCache.refersToConversation(valid.message) {
            return CacheDecision(outcome: "bypass (refers to the conversation)")
        }
        let vector: [Float]
        do {
            vector = try await cache.embedding(of: standalone.question)
        } catch {
            return CacheDecision(outcome: "miss (lookup failed: \(error))")
        }
        // Answers are shared only between callers who may read the same documents.
        let aclSignature: String
        do {
            aclSignature = try search.aclSignature(in: valid.resolvedKnowledgeBase, reader: request.reader)
        } catch {
            return CacheDecision(outcome: "miss (permissions could not be read: \(error))")
        }
        let scope = CacheScope(
            tenant: request.reader.tenant + (request.cachePartition.map { "/" + $0 } ?? ""),
            knowledgeBase: valid.knowledgeBase, assistant: valid.assistant.name,
            // A variant that asks another model keeps its cached answers apart from the configured model's.
            promptVersion: valid.assistant.prompt.reference + (valid.assistant.model.map { "+model=\($0)" } ?? ""),
            aclSignature: aclSignature,
            embeddingModel: "\(cache.embedder.modelID)@\(cache.embedder.modelVersion)",
            filters: CacheScope.filterSignature(valid.filters))
        switch await cache.lookup(standalone.question, vector: vector, scope: scope) {
        case .hit(let entry, let match):
            return CacheDecision(hit: (entry, match), plan: nil,
                                 // The matched question is in the trace's `cache` member.
                                 outcome: "hit \(SemanticCache.format(match.similarity))",
                                 consulted: true, vector: vector)
        case .miss(let reason):
            // The knowledge base's version before retrieval, kept with the answer; only a miss needs it.
            guard let generation = try? search.store.generation(of: valid.resolvedKnowledgeBase) else {
                return CacheDecision(outcome: "miss (\(reason)); not cached: the knowledge base version could not be read",
                                     consulted: true, vector: vector)
            }
            return CacheDecision(plan: CachePlan(scope: scope, vector: vector, knowledgeBaseGeneration: generation),
                                 outcome: "miss (\(reason))", consulted: true, vector: vector)
        }
    }

    /// Streams a cached answer in word-sized pieces, as generation would.
    func replay(_ entry: CacheEntry, streaming: Bool, emit: @Sendable (AnswerEvent) -> Void) -> Produced {
        if streaming { Self.replayTokens(entry.answer, emit: emit) }
        return Produced(text: entry.answer, citations: entry.citations, model: entry.model,
                        usage: TokenUsage(promptTokens: 0, completionTokens: 0), costUSD: entry.costUSD.map { _ in 0 },
                        grounded: entry.grounded, replyEncoding: entry.replyEncoding)
    }

    static func replayTokens(_ answer: String, emit: @Sendable (AnswerEvent) -> Void) {
        // Cut at a space or newline once a piece has 12 bytes; bytes, not characters, as those two are ASCII.
        let text = answer.utf8
        var start = text.startIndex
        var index = start
        while index != text.endIndex {
            let byte = text[index]
            index = text.index(after: index)
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n"), text.distance(from: start, to: index) >= 12 {
                emit(.token(String(answer[start..<index])))
                start = index
            }
        }
        if start != text.endIndex { emit(.token(String(answer[start...]))) }
    }

    /// Stores a fresh, complete answer in the cache; returns the record stage's outcome.
    func storeInCache(_ answer: Answer, produced: Produced, plan: CachePlan?, question: String, now: Date, logMetadata: Logger.Metadata) -> String {
        guard let cache, let plan, !answer.cached else { return "stored" }
        guard isCacheable(produced.model), !produced.text.isEmpty else { return "stored; not cached (answer by \(produced.model))" }
        var hashes: [Int64: String] = [:]
        for citation in produced.citations {
            guard let text = produced.passageTexts[citation.chunkID] else { return "stored; not cached (citation without passage)" }
            hashes[citation.chunkID] = sha256Hex(text)
        }
        let entry = CacheEntry(
            id: Identifier.make("ce"), scope: plan.scope, question: question, answer: produced.text, citations: produced.citations,
            citedChunkHashes: hashes, model: produced.model, grounded: produced.grounded, usage: produced.usage,
            costUSD: produced.costUSD, knowledgeBaseGeneration: plan.knowledgeBaseGeneration, sourceAnswerID: answer.answerID,
            createdAt: now, lastHitAt: nil, hitCount: 0)
        do {
            try cache.insert(entry, vector: plan.vector, now: now)
            return "stored; cached as \(entry.id)"
        } catch {
            logger.error("could not cache the answer", metadata: logMetadata.merging(["error": "\(error)"]) { _, new in new })
            return "stored; not cached (\(error))"
        }
    }
}
