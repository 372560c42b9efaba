import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

@Suite struct AnswerEvaluationTests {
    @Test func answersAreCutIntoJudgeableSentences() {
        let answer = """
            From the knowledge base:

            - **Protein Basics › How much for people who exercise**: Most active adults do well with 1.4 to 2.0 g per kg a day [1]. Spread it over meals.
            - Eat protein at breakfast, lunch and dinner [2].
            """
        #expect(AnswerEvaluator.sentences(answer) == [
            "Most active adults do well with 1.4 to 2.0 g per kg a day .",
            "Spread it over meals.",
            "Eat protein at breakfast, lunch and dinner .",
        ])
        // The lead-in line is not a claim; decimal points and fragments under four words do not make sentences.
        #expect(AnswerEvaluator.sentences("Rest 2.5 minutes between heavy sets. Yes.") == ["Rest 2.5 minutes between heavy sets."])
    }

    @Test func aQASetIsReadWithItsOptionalFields() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qa-\(UUID().uuidString).jsonl")
        try Data("""
            {"question": "How much water?", "reference_answer": "Drink to thirst.", "relevant_document_ids": ["08-hydration-basics.md"], "answerable": true}

            {"question": "Who won in 1066?", "answerable": false}
            """.utf8).write(to: file)
        let items = try QAItem.load(file)
        #expect(items == [
            QAItem(question: "How much water?", referenceAnswer: "Drink to thirst.", relevantDocumentIDs: ["08-hydration-basics.md"], answerable: true),
            QAItem(question: "Who won in 1066?", answerable: false),
        ])
        try Data("{\"question\": 3}\n".utf8).write(to: file)
        #expect(throws: EvaluationError.self) { try QAItem.load(file) }
    }

    @Test func aConfiguredModelJudgesEachSentenceAndUnclearVerdictsFallBackToEmbeddings() async throws {
        try await FakeOpenAIServer.with { llm in
            let (spotter, _) = try await TestEnvironment.spotterWithGuides { configuration in
                configuration.languageModel = try? LanguageModelConfiguration.fromEnvironment([
                    "SPOTTER_LLM_BASE_URL": llm.baseURL.absoluteString, "SPOTTER_LLM_MODEL": "fake-model", "SPOTTER_LLM_MAX_RETRIES": "0",
                ])
            }
            // The answer (two sentences), then one verdict per sentence, in order.
            await llm.enqueue(.answer("Rest two to five minutes between heavy sets [1]. Eat a whole cake every day for strength [1]."),
                              .answer("Yes."), .answer("no"))
            let judged = try await AnswerEvaluator(spotter: spotter, judge: spotter.remoteModel)
                .evaluate([QAItem(question: "How long should I rest between heavy sets?")], knowledgeBase: nil)
            #expect(judged.rows.first?.faithfulness == 0.5)
            #expect(judged.faithfulnessMethod.hasPrefix("llm: ") && !judged.faithfulnessMethod.contains("fell back"))
            let verdictRequests = await llm.requests.suffix(2)
            #expect(verdictRequests.map { $0.chat?.messages.last?.content.contains("Claim: Rest two to five minutes") == true } == [true, false])
            #expect(verdictRequests.allSatisfy { $0.chat?.messages.first?.content == AnswerEvaluator.judgeInstructions })

            // A reply that is neither yes nor no is left to the embedding proxy, and the report says so.
            await llm.enqueue(.answer("Rest two to five minutes between heavy sets [1]."), .answer("It depends."))
            let unclear = try await AnswerEvaluator(spotter: spotter, judge: spotter.remoteModel)
                .evaluate([QAItem(question: "How long should I rest between heavy sets?")], knowledgeBase: nil)
            #expect(unclear.faithfulnessMethod.contains("1 sentences it could not judge fell back to embeddings"), "\(unclear.faithfulnessMethod)")
            await spotter.shutdown()
        }
    }
}
