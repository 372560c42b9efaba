import Foundation
import GRDB
import SpotterCore
import SpotterTestSupport
import Testing

/// The semantic cache through the real pipeline: real embedder, real SQLite store, the demo guides, the offline
/// answerer. Each test works in a cache partition of its own (the scope's tenant becomes `default/NAME`), so that
/// tests share one engine without seeing each other's entries (which is itself the scope rule at work).
@Suite("Semantic cache", .serialized)
struct SemanticCacheTests {
    static let shared = AsyncOnce<Spotter> {
        try await TestEnvironment.spotterWithGuides { $0.cache.enabled = true }.0
    }

    func ask(_ message: String, tenant: String, session: String? = nil, groups: [String] = [], useCache: Bool = true,
             kb: String? = nil) async throws -> Answer {
        try await Self.shared.get().answers.respond(Self.request(message, tenant: tenant, session: session, groups: groups,
                                                                 useCache: useCache, kb: kb))
    }

    static func request(_ message: String, tenant: String, session: String? = nil, groups: [String] = [], useCache: Bool = true,
                        kb: String? = nil) -> AnswerRequest {
        var request = AnswerRequest(message: message, sessionID: session, knowledgeBase: kb,
                                    reader: Reader(tenant: Principal.defaultTenant, groups: groups), useCache: useCache)
        request.cachePartition = tenant
        return request
    }

    func cacheOutcome(_ answer: Answer) async throws -> String {
        let record = try #require(try await Self.shared.get().answers.recordedAnswer(id: answer.answerID))
        return try #require(record.trace.record(for: .cache)).outcome
    }

    @Test func paraphraseIsServedFromTheCacheWithTheSameCitationsAndSavedTokens() async throws {
        let spotter = try await Self.shared.get()
        let tenant = "paraphrase"
        let first = try await ask("How much protein do people who exercise need per day?", tenant: tenant)
        #expect(!first.cached && first.grounded && !first.citations.isEmpty)
        #expect(try await cacheOutcome(first).hasPrefix("miss"))

        // The paraphrase streams like a fresh answer: started, tokens, citations, done.
        var events: [AnswerEvent] = []
        for try await event in spotter.answers.answer(Self.request("How much protein should active people eat daily?", tenant: tenant)) {
            events.append(event)
        }
        guard case .started = events.first, case .done(let second)? = events.last else {
            Issue.record("events out of order: \(events)")
            return
        }
        let tokens = events.compactMap { if case .token(let text) = $0 { text } else { nil } }
        #expect(tokens.count > 1)
        #expect(tokens.joined() == first.answer)
        #expect(events.contains(.citations(first.citations)))

        #expect(second.cached)
        #expect(second.answer == first.answer)
        #expect(second.citations == first.citations)
        #expect(second.usage.totalTokens == 0)
        let match = try #require(second.cache)
        #expect(match.matchedQuestion == "How much protein do people who exercise need per day?")
        #expect(match.similarity >= spotter.cache.settings.similarityThreshold && match.similarity < 1)
        #expect(match.savedTokens == first.usage.totalTokens && match.savedTokens > 0)
        // The stored trace carries the match, and the stages a hit skips are not in it.
        let record = try #require(try await spotter.answers.recordedAnswer(id: second.answerID))
        #expect(record.trace.cache == match)
        #expect(record.tenant == Principal.defaultTenant)
        #expect(record.retrieved.isEmpty, "a hit retrieves nothing")
        #expect(try await spotter.answers.recordedAnswer(id: first.answerID)?.retrieved.isEmpty == false)
        #expect(record.trace.record(for: .cache)?.outcome.hasPrefix("hit") == true)
        #expect(record.trace.record(for: .generate) == nil)
        #expect(record.guards.map(\.check) == [.input, .cacheVerification])
        #expect(record.guards.last?.action == .passed)
        // The citations of the cached answer still point at stored chunks with the same text.
        let chunks = try spotter.store.chunks(ids: second.citations.map(\.chunkID))
        #expect(chunks.map(\.chunkID) == second.citations.map(\.chunkID))
        #expect(zip(chunks, second.citations).allSatisfy { $0.documentID == $1.documentID })
        let statistics = try spotter.cache.statistics()
        let scope = try #require(statistics.scopes.first { $0.tenant == "default/\(tenant)" })
        #expect(scope.entries == 1 && scope.hits == 1)
    }

    /// One look-alike per category: close enough in embedding space that a threshold alone would serve it (the
    /// test checks that), and rejected by the check for the named reason.
    @Test(arguments: [
        ("number", "How many minutes of moderate aerobic activity do adults need each week?", "How many minutes of moderate aerobic activity do adults need each week if they are 70?"),
        ("number", "Is 30 minutes of brisk walking a day enough exercise?", "Is 60 minutes of brisk walking a day enough exercise?"),
        ("negation", "Should I stretch before lifting weights?", "Should I not stretch before lifting weights?"),
        ("entity", "How do I warm up before squats?", "How do I warm up before deadlifts?"),
        ("comparative", "How do I make my workouts harder?", "How do I make my workouts easier?"),
        ("population", "How much protein do teenagers need?", "How much protein do older adults need?"),
        ("timeframe", "How much water should I drink in the morning?", "How much water should I drink in the evening?"),
    ])
    func lookalikeIsNotServed(category: String, first: String, second: String) async throws {
        let spotter = try await Self.shared.get()
        let tenant = "lookalike-\(category)-\(first.count)"
        let vectors = try await spotter.embedder.embed([first, second])
        let similarity = zip(vectors[0], vectors[1]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        #expect(Double(similarity) >= spotter.cache.settings.similarityThreshold, "a threshold alone would not serve this pair")
        _ = try await ask(first, tenant: tenant)
        let answer = try await ask(second, tenant: tenant)
        #expect(!answer.cached)
        let outcome = try await cacheOutcome(answer)
        #expect(outcome.contains("rejected") && outcome.contains(category), "\(outcome)")
    }

    @Test func scopesNeverShareAnswers() async throws {
        let spotter = try await Self.shared.get()
        let question = "How long should I rest between sets?"
        _ = try await ask(question, tenant: "scope-a", groups: ["coaches"])
        // Same tenant and groups: a hit.
        #expect(try await ask(question, tenant: "scope-a", groups: ["coaches"]).cached)
        // Another tenant's scope, another knowledge base: each a miss. Other groups that may read the same
        // documents share answers (permission trimming decides, see the ACL test in TenantIsolationHTTPTests).
        #expect(try await !ask(question, tenant: "scope-b", groups: ["coaches"]).cached)
        #expect(try await ask(question, tenant: "scope-a", groups: ["athletes"]).cached)
        _ = try await spotter.ingest.ingest(paths: [TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "second"))
        #expect(try await !ask(question, tenant: "scope-a", groups: ["coaches"], kb: "second").cached)

        // Another prompt version (or assistant) is another scope too: checked on the cache itself.
        let vector = try await spotter.embedder.embed([question])[0]
        let base = CacheScope(tenant: "scope-c", knowledgeBase: "default", assistant: "spotter", promptVersion: "coach@1",
                              aclSignature: CacheScope.aclSignature(visibleRestricted: []), embeddingModel: "m@1")
        try spotter.cache.insert(entry(question, scope: base), vector: vector)
        var other = base
        other.promptVersion = "coach@2"
        if case .hit = await spotter.cache.lookup(question, vector: vector, scope: base) {} else { Issue.record("own scope missed") }
        if case .hit = await spotter.cache.lookup(question, vector: vector, scope: other) { Issue.record("prompt version crossed") }
        for change in [\CacheScope.tenant, \.knowledgeBase, \.assistant, \.aclSignature, \.embeddingModel, \.filters] {
            var changed = base
            changed[keyPath: change] += "-other"
            if case .hit = await spotter.cache.lookup(question, vector: vector, scope: changed) { Issue.record("\(change) crossed") }
        }
        #expect(CacheScope.aclSignature(visibleRestricted: ["doc_b", "doc_a"]) == CacheScope.aclSignature(visibleRestricted: ["doc_a", "doc_b"]))
        #expect(CacheScope.aclSignature(visibleRestricted: []) != CacheScope.aclSignature(visibleRestricted: ["doc_a"]))
    }

    @Test func changingOrDeletingACitedDocumentInvalidatesAtIngestTime() async throws {
        let spotter = try await Self.shared.get()
        let folder = try TestEnvironment.temporaryDirectory("cache-docs")
        try TestEnvironment.write([
            "grip.md": "# Grip strength\n\nFarmer's carries build grip strength: walk 30 metres holding heavy dumbbells, rest, repeat four times.\n",
            "ankles.md": "# Ankle mobility\n\nKnee-to-wall drills improve ankle dorsiflexion for deeper squats; do ten slow reps per side.\n",
        ], under: folder)
        // The two guides go into a knowledge base beside the demo guides, so that each answer cites its own guide
        // and not the other.
        _ = try await spotter.ingest.ingest(paths: [folder.path, TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "invalidation"))
        let tenant = "invalidation"
        let grip = try await ask("How can I build grip strength?", tenant: tenant, kb: "invalidation")
        let ankle = try await ask("How do I improve ankle mobility for squats?", tenant: tenant, kb: "invalidation")
        #expect(grip.citations.contains { $0.title == "Grip strength" })
        try #require(!ankle.citations.contains { $0.title == "Grip strength" }, "the ankle answer must not cite the grip guide")
        #expect(try await ask("What builds grip strength?", tenant: tenant, kb: "invalidation").cached)
        let gripEntry = try #require(try spotter.store.cacheEntryIDs(sourceAnswerID: grip.answerID).first)
        let ankleEntry = try #require(try spotter.store.cacheEntryIDs(sourceAnswerID: ankle.answerID).first)

        // Re-ingest with the grip guide changed: its entry is gone when ingest returns; the other stays.
        try TestEnvironment.write(["grip.md": "# Grip strength\n\nDead hangs from a pull-up bar build grip strength: hang for 20 to 40 seconds, three times.\n"], under: folder)
        let summary = try await spotter.ingest.ingest(paths: [folder.path, TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: "invalidation"))
        #expect(summary.updated == 1)
        #expect(try spotter.store.cacheEntry(id: gripEntry) == nil)
        #expect(try spotter.store.cacheEntry(id: ankleEntry) != nil)
        let fresh = try await ask("What builds grip strength?", tenant: tenant, kb: "invalidation")
        #expect(!fresh.cached)
        #expect(fresh.answer.contains("hang") || fresh.answer.contains("Dead"))

        // Deleting the ankle guide removes the entry citing it.
        let ankleDocument = try #require(ankle.citations.first { $0.title == "Ankle mobility" }?.documentID)
        #expect(try spotter.store.deleteDocument(id: ankleDocument, tenant: Principal.defaultTenant))
        #expect(try spotter.store.cacheEntry(id: ankleEntry) == nil)
        #expect(try await !ask("How do I improve ankle mobility for squats?", tenant: tenant, kb: "invalidation").cached)
    }

    /// A hit on an entry verified earlier reads no chunk text, only the store's cache version; a document deleted by
    /// another store on the same file (another `spotter` process) moves that version at once.
    @Test func aDocumentDeletedByAnotherProcessIsCaughtAtOnceAfterTheEntryWasVerified() async throws {
        let spotter = try await Self.shared.get()
        let question = "How should I breathe when swimming front crawl?"
        let cited = try await verifiedHits(on: question, in: "other-process", title: "Swimming breathing",
                                           text: "In front crawl breathe out steadily under water and turn the head to breathe in every third stroke.")

        let other = try SQLiteStore(directory: spotter.configuration.dataDirectory)
        #expect(try other.deleteDocument(id: cited.documentID, tenant: Principal.defaultTenant))
        other.close()
        // No wait: the other store moved the shared cache signal when it committed.
        let after = try await ask(question, tenant: "other-process", kb: "other-process")
        #expect(!after.cached)
    }

    /// A chunk changed by a connection that is not a ``SQLiteStore`` (a hand edit with another SQLite client) moves
    /// the cache version without the signal; the store reads the version again within its recheck interval, and the
    /// entry is checked again.
    @Test func aChunkChangedBehindTheCachesBackIsCaughtAfterTheEntryWasVerified() async throws {
        let spotter = try await Self.shared.get()
        let question = "What is the right order of movements on a rowing machine?"
        let cited = try await verifiedHits(on: question, in: "behind", title: "Rowing technique",
                                           text: "On a rowing machine drive with the legs first, then swing the body back, then pull with the arms.")

        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let other = try DatabaseQueue(path: spotter.configuration.dataDirectory.appendingPathComponent(SQLiteStore.fileName).path,
                                      configuration: configuration)
        try await other.write { db in
            try db.execute(sql: "UPDATE chunks SET text = text || ' Keep the back straight.' WHERE id = ?", arguments: [cited.chunkID])
        }
        try other.close()
        try await Task.sleep(for: SQLiteStore.cacheVersionRecheck + .milliseconds(100))
        let after = try await ask(question, tenant: "behind", kb: "behind")
        #expect(!after.cached)
        #expect(try await cacheOutcome(after).contains("citations changed"))
    }

    /// Hits bring their entry's reply encoding to the record: every record of the same reply names its one stored
    /// copy, the one the first, fresh answer wrote, and reads back whole.
    @Test func hitsRecordTheSameStoredReplyAsTheAnswerTheyRepeat() async throws {
        let spotter = try await Self.shared.get()
        let tenant = "shared-reply"
        let question = "What should I eat after a workout?"
        var answers: [Answer] = []
        for _ in 0..<3 { answers.append(try await ask(question, tenant: tenant)) }
        #expect(answers.map(\.cached) == [false, true, true])
        for answer in answers {
            let record = try #require(try await spotter.answers.recordedAnswer(id: answer.answerID))
            #expect(record.answer == answers[0].answer)
            #expect(record.citations == answers[0].citations)
            #expect(answer.citations == answers[0].citations)
        }
        let raw = try DatabaseQueue(path: spotter.configuration.dataDirectory.appendingPathComponent(SQLiteStore.fileName).path)
        let ids = answers.map(\.answerID)
        let hashes = try await raw.read { db in
            try String?.fetchAll(db, sql: "SELECT reply_hash FROM answers WHERE id IN (?, ?, ?)", arguments: StatementArguments(ids))
        }
        try raw.close()
        #expect(hashes.count == 3)
        #expect(Set(hashes).count == 1)
        #expect(hashes.allSatisfy { $0 != nil })
    }

    @Test func entriesExpireAfterTheirTimeToLive() async throws {
        let spotter = try await Self.shared.get()
        var settings = SemanticCache.Settings()
        settings.timeToLive = 3600
        let cache = SemanticCache(store: spotter.store, embedder: spotter.embedder, settings: settings)
        let question = "What is a good cooldown after running?"
        let vector = try await spotter.embedder.embed([question])[0]
        let scope = scope("ttl")
        let created = Date()
        try cache.insert(entry(question, scope: scope, createdAt: created), vector: vector, now: created)
        if case .hit = await cache.lookup(question, vector: vector, scope: scope, now: created.addingTimeInterval(3500)) {} else {
            Issue.record("a fresh entry was not served")
        }
        guard case .miss(let reason) = await cache.lookup(question, vector: vector, scope: scope, now: created.addingTimeInterval(3700)) else {
            Issue.record("an expired entry was served")
            return
        }
        #expect(reason.contains("expired"))
        #expect(try spotter.store.cacheStatistics(tenant: nil).scopes.first { $0.tenant == "ttl" } == nil)
    }

    @Test func theLeastRecentlyUsedEntriesAreEvictedBeyondTheBound() async throws {
        let directory = try TestEnvironment.temporaryDirectory("cache-evict")
        let store = try SQLiteStore(directory: directory)
        defer { store.close() }
        var settings = SemanticCache.Settings()
        settings.maximumEntries = 3
        let embedder = try TestEnvironment.embedder()
        let cache = SemanticCache(store: store, embedder: embedder, settings: settings)
        let questions = ["How do I do a plank?", "What is creatine?", "How often should I stretch?", "Is running bad for knees?"]
        let vectors = try await embedder.embed(questions)
        let scope = scope("evict")
        let start = Date()
        var ids: [String] = []
        for (offset, question) in questions.prefix(3).enumerated() {
            let entry = entry(question, scope: scope, createdAt: start.addingTimeInterval(Double(offset)))
            ids.append(entry.id)
            try cache.insert(entry, vector: vectors[offset], now: start.addingTimeInterval(Double(offset)))
        }
        // The oldest entry is used again, so the second one is now the least recently used.
        if case .hit = await cache.lookup(questions[0], vector: vectors[0], scope: scope, now: start.addingTimeInterval(10)) {} else {
            Issue.record("the first entry was not served")
        }
        let fourth = entry(questions[3], scope: scope, createdAt: start.addingTimeInterval(20))
        try cache.insert(fourth, vector: vectors[3], now: start.addingTimeInterval(20))
        #expect(try store.cacheStatistics(tenant: nil).entries == 3)
        #expect(try store.cacheEntry(id: ids[1]) == nil)
        #expect(try store.cacheEntry(id: ids[0]) != nil && store.cacheEntry(id: ids[2]) != nil && store.cacheEntry(id: fourth.id) != nil)
        if case .hit = await cache.lookup(questions[1], vector: vectors[1], scope: scope, now: start.addingTimeInterval(30)) {
            Issue.record("an evicted entry was served")
        }
    }

    @Test func historyDependentAndOptedOutQuestionsBypassTheCache() async throws {
        let spotter = try await Self.shared.get()
        let tenant = "bypass"
        let first = try await ask("How much water should I drink during exercise?", tenant: tenant)
        let sessionID = try #require(first.sessionID)
        // A follow-up condensed from the session: never looked up, never stored.
        let followUp = try await ask("And after it?", tenant: tenant, session: sessionID)
        #expect(!followUp.cached)
        #expect(try await cacheOutcome(followUp).hasPrefix("bypass (depends on the conversation"))
        #expect(try spotter.store.cacheEntryIDs(sourceAnswerID: followUp.answerID).isEmpty)
        // A question about the conversation itself.
        let personal = try await ask("What did I say my max was?", tenant: tenant)
        #expect(try await cacheOutcome(personal) == "bypass (refers to the conversation)")
        // An opted-out request: not served although the same question is cached, and not stored.
        let optedOut = try await ask("How much water should I drink during exercise?", tenant: tenant, useCache: false)
        #expect(!optedOut.cached)
        #expect(try await cacheOutcome(optedOut) == "bypass (the request opted out)")
        #expect(try spotter.store.cacheEntryIDs(sourceAnswerID: optedOut.answerID).isEmpty)
        #expect(try await ask("How much water should I drink during exercise?", tenant: tenant).cached)
    }

    @Test func negativeFeedbackOnACachedAnswerEvictsItAndRecordsAFalseHit() async throws {
        let spotter = try await Self.shared.get()
        let tenant = "feedback"
        _ = try await ask("What are the warning signs of an injury during training?", tenant: tenant)
        let hit = try await ask("Which warning signs of injury should I watch for while training?", tenant: tenant)
        let match = try #require(hit.cache)
        let record = try #require(try await spotter.answers.recordedAnswer(id: hit.answerID))
        let before = try spotter.store.cacheFalseHits().count
        let outcome = try spotter.cache.negativeFeedback(on: record)
        #expect(outcome.falseHitRecorded)
        #expect(outcome.evictedEntries.contains(match.entryID))
        #expect(try spotter.store.cacheEntry(id: match.entryID) == nil)
        let falseHits = try spotter.store.cacheFalseHits()
        #expect(falseHits.count == before + 1)
        #expect(falseHits.last?.cachedQuestion == match.matchedQuestion)
        #expect(falseHits.last?.askedQuestion == "Which warning signs of injury should I watch for while training?")
        #expect(try await !ask("Which warning signs of injury should I watch for while training?", tenant: tenant).cached)
    }

    @Test func purgeRemovesOnlyTheNamedScope() async throws {
        let spotter = try await Self.shared.get()
        _ = try await ask("How should beginners start strength training?", tenant: "purge-a")
        _ = try await ask("How should beginners start strength training?", tenant: "purge-b")
        #expect(try spotter.cache.purge(CachePurge(tenant: "default/purge-a")) == 1)
        #expect(try await !ask("How should beginners start strength training?", tenant: "purge-a").cached)
        #expect(try await ask("How should beginners start strength training?", tenant: "purge-b").cached)
    }

    // MARK: Helpers

    /// Ingests a one-passage document (`title`, `text`) beside the demo guides into knowledge base `name`, asks
    /// `question` there (tenant `name`) three times, expects the second and third to be hits on an entry verified
    /// by then, and returns the first answer's citation of that document.
    func verifiedHits(on question: String, in name: String, title: String, text: String) async throws -> Citation {
        let spotter = try await Self.shared.get()
        let folder = try TestEnvironment.temporaryDirectory("cache-\(name)")
        try TestEnvironment.write(["passage.md": "# \(title)\n\n\(text)\n"], under: folder)
        _ = try await spotter.ingest.ingest(paths: [folder.path, TestEnvironment.demoGuides.path], options: IngestOptions(knowledgeBase: name))
        let first = try await ask(question, tenant: name, kb: name)
        let cited = try #require(first.citations.first { $0.title == title })
        #expect(try await ask(question, tenant: name, kb: name).cached)
        #expect(try await ask(question, tenant: name, kb: name).cached)
        return cited
    }

    func scope(_ tenant: String) -> CacheScope {
        CacheScope(tenant: tenant, knowledgeBase: "default", assistant: "spotter", promptVersion: "coach@1",
                   aclSignature: "public", embeddingModel: "m@1")
    }

    func entry(_ question: String, scope: CacheScope, createdAt: Date = Date()) -> CacheEntry {
        CacheEntry(id: "ce_\(UUID().uuidString.prefix(8))", scope: scope, question: question, answer: "An answer.", citations: [],
                   citedChunkHashes: [:], model: "offline", grounded: false, usage: TokenUsage(promptTokens: 10, completionTokens: 5),
                   costUSD: nil, knowledgeBaseGeneration: 0, sourceAnswerID: "ans_test", createdAt: createdAt, lastHitAt: nil, hitCount: 0)
    }
}

@Suite("Look-alike check")
struct LookalikeCheckTests {
    func verdict(_ a: String, _ b: String) -> LookalikeCheck.Verdict {
        LookalikeCheck().compare(QuestionAnalysis(a), QuestionAnalysis(b)) { _ in nil }
    }

    @Test func quantitiesCompareAfterUnitConversion() {
        #expect(QuestionAnalysis("Is a 1 hour run too long?").quantities == QuestionAnalysis("Is a 60 minute run too long?").quantities)
        #expect(QuestionAnalysis("calories in a 5k").quantities == QuestionAnalysis("calories in 5 km").quantities)
        #expect(QuestionAnalysis("half an hour of cycling").quantities == QuestionAnalysis("30 minutes of cycling").quantities)
        #expect(QuestionAnalysis("two sets").quantities == QuestionAnalysis("2 sets").quantities)
        #expect(QuestionAnalysis("2 weeks").quantities != QuestionAnalysis("2 months").quantities)
        #expect(verdict("Is 400 mg of caffeine safe?", "Is 1000 mg of caffeine safe?").differences.map(\.0) == [.number])
    }

    @Test func eachSlotIsNamed() {
        #expect(verdict("What should I eat before a race?", "What should I avoid eating before a race?").differences.map(\.0) == [.negation])
        #expect(verdict("What happens if I stretch?", "What happens if I don't stretch?").differences.map(\.0) == [.negation])
        #expect(verdict("Which cardio burns the most calories?", "Which cardio burns the fewest calories?").differences.map(\.0) == [.comparative])
        #expect(verdict("Is creatine safe for teenagers?", "Is creatine safe for adults?").differences.map(\.0) == [.population])
        #expect(verdict("Is creatine safe?", "Is creatine safe during pregnancy?").differences.map(\.0).contains(.population))
        #expect(verdict("How many calories should I burn per day?", "How many calories should I burn per week?").differences.map(\.0) == [.timeframe])
        #expect(verdict("How do I do a dumbbell row?", "How do I do a barbell row?").differences.map(\.0) == [.entity])
        #expect(verdict("Is creatine safe?", "Is creatine safe for my kidneys?").differences.map(\.0) == [.entity])
        #expect(verdict("Why is my bench stronger than my squat?", "Why is my squat stronger than my bench?").differences.map(\.0) == [.entity])
    }

    @Test func rephrasingsAndSpellingVariantsPass() {
        #expect(verdict("What are good sources of fiber?", "What are good sources of fibre?").passed)
        #expect(verdict("How do I do a push-up properly?", "How do I do a pushup?").passed)
        #expect(verdict("How long should I rest between sets for hypertrophy?", "For hypertrophy, how long should I rest between sets?").passed)
        #expect(verdict("hey coach, how do I brace my core?", "How do I brace my core?").passed)
        #expect(verdict("Is it safe to lift weights every day?", "Can I safely lift weights daily?").passed)
    }

    @Test func conversationReferencesAreRecognised() {
        #expect(SemanticCache.refersToConversation("What did I say my max was?"))
        #expect(SemanticCache.refersToConversation("Can you repeat what you said earlier about protein?"))
        #expect(!SemanticCache.refersToConversation("How do I find my one-rep max?"))
        // At either end of the question, and only as whole words.
        #expect(SemanticCache.refersToConversation("Remember my squat numbers?"))
        #expect(SemanticCache.refersToConversation("Explain the plan you gave above"))
        #expect(!SemanticCache.refersToConversation("Is an aboveground pool good for aqua jogging?"))
        #expect(!SemanticCache.refersToConversation("Do remembering drills help technique?"))
        #expect(!SemanticCache.refersToConversation(""))
    }
}
