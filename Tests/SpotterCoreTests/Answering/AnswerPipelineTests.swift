import Foundation
import MetricsTestKit
import SpotterCore
import SpotterTestSupport
import Testing

/// The answering pipeline end to end over the demo guides, with the offline answerer (no LLM configured).
@Suite("Answer pipeline", .serialized)
struct AnswerPipelineTests {
    static let shared = AsyncOnce<Spotter> { try await TestEnvironment.spotterWithGuides().0 }

    func answer(_ message: String, session: String? = nil) async throws -> Answer {
        try await Self.shared.get().answers.respond(AnswerRequest(message: message, sessionID: session))
    }

    @Test func groundedAnswerCitesOnlyPassagesItWasGivenAndTracesEveryStage() async throws {
        let answer = try await answer("How much protein do people who exercise need per day?")
        #expect(answer.grounded)
        #expect(answer.model == "offline")
        #expect(!answer.citations.isEmpty)
        #expect(answer.citations.contains { $0.title == "Protein Basics" })
        // Every [n] in the text names a citation, and every citation is a real stored chunk.
        let markers = Set(answer.answer.matches(of: /\[(\d+)\]/).compactMap { Int($0.1) })
        #expect(!markers.isEmpty)
        #expect(markers.isSubset(of: Set(answer.citations.map(\.n))))
        let spotter = try await Self.shared.get()
        let chunks = try spotter.store.chunks(ids: answer.citations.map(\.chunkID))
        #expect(chunks.count == answer.citations.count)
        #expect(answer.usage.completionTokens > 0 && answer.usage.estimated)
        // The trace names the ten stages in order, each with a duration.
        let record = try #require(try await spotter.answers.recordedAnswer(id: answer.answerID))
        #expect(record.trace.stages.map(\.stage) == Array(PipelineStage.allCases.dropLast()))
        #expect(record.trace.stages.allSatisfy { $0.milliseconds >= 0 && !$0.failed })
        #expect(record.promptVersion == "coach@1")
        #expect(record.trace.id == answer.traceID)
        // The checks it passed, in order, are in the record.
        #expect(record.guards.map(\.check) == [.input, .grounding, .citations])
        #expect(record.guards.allSatisfy { $0.action == .passed })
        #expect(record.guards[1].detail?.hasPrefix("best similarity 0.") == true)
    }

    @Test func offTopicQuestionSaysSoInsteadOfInventing() async throws {
        let answer = try await answer("Who painted the Mona Lisa?")
        #expect(!answer.grounded)
        #expect(answer.citations.isEmpty)
        #expect(answer.model == "none")
        #expect(answer.answer.contains("couldn't find anything in the knowledge base"))
        #expect(!answer.answer.contains("Leonardo"))
        // The grounding check's refusal is recorded.
        let record = try #require(try await Self.shared.get().answers.recordedAnswer(id: answer.answerID))
        #expect(record.guards.map(\.check) == [.input, .grounding, .citations])
        #expect(record.guards[1].action == .refused)
    }

    @Test func followUpIsCondensedWithTheSessionHistory() async throws {
        let spotter = try await Self.shared.get()
        let first = try await answer("How much protein do people who exercise need per day?")
        let sessionID = try #require(first.sessionID)
        let second = try await answer("And what foods are good sources of it?", session: sessionID)
        #expect(second.sessionID == sessionID)
        let record = try #require(try await spotter.answers.recordedAnswer(id: second.answerID))
        #expect(record.standaloneQuestion.localizedCaseInsensitiveContains("protein"))
        #expect(record.trace.record(for: .condense)?.outcome.hasPrefix("rule") == true)
        #expect(second.citations.contains { $0.title == "Protein Basics" })
        // The session holds both turns, answers with their citations.
        await spotter.answers.log.settle()
        let messages = try spotter.store.messages(inSession: sessionID)
        #expect(messages.map(\.role) == [.user, .assistant, .user, .assistant])
        #expect(messages[3].answerID == second.answerID)
        #expect(messages[3].citations == second.citations)
    }

    @Test func expiredSessionStartsAfresh() async throws {
        let base = try await Self.shared.get()
        var settings = base.answers.settings
        settings.sessionIdleTime = 0.000_001
        let pipeline = AnswerPipeline(search: base.search, conversations: base.store, registry: base.prompts,
                                      model: base.answers.model, condenser: base.answers.condenser,
                                      defaultKnowledgeBase: "default", settings: settings)
        let first = try await pipeline.respond(AnswerRequest(message: "How should I warm up before lifting?"))
        let second = try await pipeline.respond(AnswerRequest(message: "And for how long?", sessionID: first.sessionID))
        let record = try #require(try await pipeline.recordedAnswer(id: second.answerID))
        #expect(record.trace.record(for: .conversation)?.outcome == "expired, started afresh")
        #expect(try base.store.messages(inSession: try #require(first.sessionID)).count == 2)
    }

    @Test func everyStageIsMeasured() async throws {
        let base = try await Self.shared.get()
        let metrics = TestMetrics()
        let pipeline = AnswerPipeline(search: base.search, conversations: base.store, registry: base.prompts,
                                      model: base.answers.model, condenser: base.answers.condenser,
                                      defaultKnowledgeBase: "default", metrics: metrics)
        let answer = try await pipeline.respond(AnswerRequest(message: "How much water should I drink before exercise?"))
        for stage in PipelineStage.allCases {
            let timer = try metrics.expectTimer("spotter_pipeline_stage_seconds", [("stage", stage.rawValue)])
            #expect(timer.values.count == 1, "\(stage)")
        }
        let retrieve = try #require(answer.trace.record(for: .retrieve))
        let recorded = try metrics.expectTimer("spotter_pipeline_stage_seconds", [("stage", "retrieve")]).values[0]
        #expect(abs(Double(recorded) - retrieve.milliseconds * 1_000_000) < 1_000)
    }

    @Test func clientSuppliedHistoryIsUsedWithoutStoringASession() async throws {
        let spotter = try await Self.shared.get()
        let answer = try await spotter.answers.respond(AnswerRequest(
            message: "What are good food sources of it?",
            history: [.user("How much protein should I eat?"), .assistant("About 1.4–2.0 g per kg per day [1].")]))
        #expect(answer.sessionID == nil)
        let record = try #require(try await spotter.answers.recordedAnswer(id: answer.answerID))
        #expect(record.standaloneQuestion.localizedCaseInsensitiveContains("protein"))
    }

    @Test func invalidRequestsFailWithTheFieldNamed() async throws {
        let spotter = try await Self.shared.get()
        func failure(_ request: AnswerRequest) async -> AnswerError? {
            do {
                _ = try await spotter.answers.respond(request)
                return nil
            } catch {
                return error
            }
        }
        #expect(await failure(AnswerRequest(message: "  \n")) == .invalidRequest(field: "message", reason: "must not be empty"))
        #expect(await failure(AnswerRequest(message: String(repeating: "a", count: 8_001))) == .messageTooLong(length: 8_001, maximum: 8_000))
        #expect(await failure(AnswerRequest(message: "hi", assistant: "nobody")) == .unknownAssistant("nobody", available: ["spotter"]))
        if case .invalidRequest(let field, _)? = await failure(AnswerRequest(message: "hi", sessionID: "../etc")) {
            #expect(field == "session_id")
        } else {
            Issue.record("a session id with a slash must be rejected")
        }
        if case .search(.unknownKnowledgeBase(let name, _))? = await failure(AnswerRequest(message: "protein?", knowledgeBase: "nope")) {
            #expect(name == "nope")
        } else {
            Issue.record("an unknown knowledge base must be named")
        }
    }

    @Test func streamDeliversTokensThenCitationsThenDone() async throws {
        let spotter = try await Self.shared.get()
        var tokens = ""
        var order: [String] = []
        var done: Answer?
        for try await event in spotter.answers.answer(AnswerRequest(message: "How many minutes of aerobic activity do adults need each week?")) {
            switch event {
            case .started: order.append("started")
            case .token(let text):
                tokens += text
                if order.last != "token" { order.append("token") }
            case .citations: order.append("citations")
            case .done(let answer):
                order.append("done")
                done = answer
            }
        }
        #expect(order == ["started", "token", "citations", "done"])
        #expect(tokens == done?.answer)
    }
}

@Suite("Offline answerer")
struct ExtractiveAnswererTests {
    static let passages = [
        GroundingPassage(number: 1, title: "Protein Basics", text: """
            Active adults often need 1.4 to 2.0 grams of protein per kilogram of body weight per day. Spread it over \
            three or four meals. The weather was pleasant on the day this guide was written.
            """),
        GroundingPassage(number: 2, title: "Hydration", text: "Drink water before, during and after exercise. Thirst is a late signal."),
    ]

    @Test func everySentenceComesFromAPassageAndIsCited() async throws {
        let answerer = ExtractiveAnswerer(embedder: try TestEnvironment.embedder())
        let text = try await answerer.compose(ChatModelRequest(messages: [], question: "How much protein do I need each day?",
                                                               passages: Self.passages))
        let body = text.split(separator: "\n").filter { $0.hasPrefix("- ") }
        #expect(!body.isEmpty)
        let sources = Self.passages.map(\.text).joined(separator: " ")
        for line in body {
            // "- **Title**: sentence. sentence. [n]"
            let content = line.replacing(#/^- \*\*[^*]+\*\*: /#, with: "").replacing(#/ \[\d+\]$/#, with: "")
            for sentence in content.split(separator: ". ") {
                let words = sentence.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
                #expect(sources.contains(words), "not in any passage: \(words)")
            }
            #expect(line.hasSuffix("[1]") || line.hasSuffix("[2]"))
        }
        #expect(text.contains("1.4 to 2.0 grams"))
        #expect(!text.contains("weather"))
    }

    @Test func staysWithinItsWordBudget() async throws {
        let long = GroundingPassage(number: 1, title: "Long", text: (1...40).map {
            "Training principle number \($0) says progressive overload builds strength over weeks."
        }.joined(separator: " "))
        let answerer = ExtractiveAnswerer(embedder: try TestEnvironment.embedder(), wordBudget: 40)
        let text = try await answerer.compose(ChatModelRequest(messages: [], question: "How does progressive overload build strength?", passages: [long]))
        let words = text.split(whereSeparator: { $0.isWhitespace }).count
        #expect(words <= 40 + 8, "\(words) words")
        #expect(words > 10)
    }

    @Test func streamsPiecesThatJoinIntoTheComposedText() async throws {
        let answerer = ExtractiveAnswerer(embedder: try TestEnvironment.embedder())
        let request = ChatModelRequest(messages: [.user("How much protein?")], question: "How much protein?", passages: Self.passages)
        var text = ""
        var finished: ChatFinish?
        for try await event in answerer.stream(request) {
            if case .delta(let piece) = event { text += piece }
            if case .finished(let finish) = event { finished = finish }
        }
        #expect(text == (try await answerer.compose(request)))
        #expect(finished?.usage?.estimated == true)
    }
}

@Suite("Citation marker check")
struct CitationMarkerFilterTests {
    func run(_ pieces: [String], valid: Set<Int>) -> (String, CitationMarkerFilter) {
        var filter = CitationMarkerFilter(valid: valid)
        var output = pieces.map { filter.feed($0) }.joined()
        output += filter.flush()
        return (output, filter)
    }

    @Test func keepsValidMarkersAndDropsInventedOnesAcrossChunkBoundaries() {
        let (text, filter) = run(["Squats build legs [", "1]. Lunges too [7", "]. Both [1, 9] [2]."], valid: [1, 2])
        #expect(text == "Squats build legs [1]. Lunges too . Both [1] [2].")
        #expect(filter.cited == [1, 2])
        #expect(filter.removed == 2)
    }

    @Test func leavesBracketsThatAreNotMarkersAlone() {
        let (text, filter) = run(["See [the guide] and [", "] and [3"], valid: [3])
        #expect(text == "See [the guide] and [] and [3")
        #expect(filter.cited.isEmpty)
    }
}

@Suite("Question condenser")
struct QuestionCondenserTests {
    let condenser = QuestionCondenser(model: nil)
    let history: [ChatMessage] = [.user("How much protein should I eat per day?"), .assistant("About 1.6 g per kg [1].")]

    @Test func followUpsAreJoinedWithThePreviousQuestion() async {
        for followUp in ["And for older adults?", "What are good sources of it?", "What about vegans?", "Why?"] {
            let result = await condenser.condense(followUp, history: history, previousQuestion: nil)
            #expect(result.method == .rule, "\(followUp)")
            #expect(result.question.contains("protein") && result.question.contains(followUp))
        }
    }

    @Test func standaloneQuestionsAndFirstTurnsAreLeftAlone() async {
        let standalone = await condenser.condense("How many minutes of cardio do adults need each week?", history: history, previousQuestion: nil)
        #expect(standalone.method == .unchanged)
        let first = await condenser.condense("And for older adults?", history: [], previousQuestion: nil)
        #expect(first.method == .unchanged)
        #expect(first.question == "And for older adults?")
    }
}

@Suite("Prompt builder and registry")
struct PromptTests {
    @Test func keepsRecentTurnsVerbatimAndSummarisesOlderOnes() {
        let history = (1...10).flatMap { turn -> [ChatMessage] in
            [.user("Question \(turn) " + String(repeating: "word ", count: 40)), .assistant("Answer \(turn) " + String(repeating: "text ", count: 80))]
        }
        let passages = [GroundingPassage(number: 1, title: "Warm-up", text: "Start light."), GroundingPassage(number: 2, title: "Sets", text: "Rest 2 min.")]
        let built = PromptBuilder(historyTokenBudget: 400).build(system: "SYSTEM", passages: passages, history: history, question: "Q?")
        #expect(built.messages.first == .system("SYSTEM"))
        #expect(built.verbatimTurns > 0 && built.verbatimTurns < history.count)
        #expect(built.verbatimTurns + built.summarisedTurns == history.count)
        // The newest turn is verbatim; the oldest survives only as a summary line.
        #expect(built.messages.contains(history.last!))
        #expect(!built.messages.contains(history.first!))
        #expect(built.messages[1].content.contains("Question 1"))
        let last = built.messages.last!
        #expect(last.role == .user)
        #expect(last.content.contains("[1] Warm-up\nStart light.") && last.content.contains("[2] Sets") && last.content.hasSuffix("Question: Q?"))
    }

    @Test func builtInRegistryLoadsAndBadRegistriesSayWhy() throws {
        let registry = try PromptRegistry.builtIn()
        #expect(registry.defaultAssistant.name == "spotter")
        #expect(registry.defaultAssistant.prompt.reference == "coach@1")
        #expect(registry.defaultAssistant.prompt.text.contains("[1]"))

        let folder = try TestEnvironment.temporaryDirectory("prompts")
        try TestEnvironment.write(["registry.json": #"{"prompts":[{"id":"p","version":"1","file":"../secret"}],"assistants":[]}"#], under: folder)
        #expect { try PromptRegistry.load(folder: folder) } throws: { "\($0)".contains("plain file name") }
        try TestEnvironment.write(["registry.json": #"{"prompts":[{"id":"p","version":"2","file":"p.md"}],"assistants":[{"name":"a","prompt":"q"}]}"#,
                                   "p.md": "Be brief."], under: folder)
        #expect { try PromptRegistry.load(folder: folder) } throws: { "\($0)".contains("uses prompt 'q', which is not listed") }
    }
}
