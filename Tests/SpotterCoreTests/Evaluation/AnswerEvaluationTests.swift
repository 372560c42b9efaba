import Foundation
import SpotterCore
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
}
