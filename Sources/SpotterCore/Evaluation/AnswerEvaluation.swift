import Foundation
import Synchronization

/// One question of an answer-evaluation set (`bench/qa/*.jsonl`).
@MemberwiseInit @SnakeCaseCodingKeys
public struct QAItem: Sendable, Codable, Equatable {
    public var question: String
    /// What a right answer says; compared with the answer by embedding similarity when given.
    public var referenceAnswer: String?
    /// The documents that answer the question: a document id, or the end of a source path (a file name, or `#id` of a
    /// record), so that a set does not depend on where the files were ingested from.
    @WireKey("relevant_document_ids") public var relevantDocumentIDs: [String]?
    /// False for a question the knowledge base does not answer: the right response is a refusal ("not covered").
    public var answerable: Bool?

    /// Reads a JSONL set; every error names the file and line.
    public static func load(_ url: URL) throws(EvaluationError) -> [QAItem] {
        let items: [QAItem] = try JSONLines.read(url, expected: #"{"question": "...", "reference_answer"?: "...", "relevant_document_ids"?: [...], "answerable"?: true}"#) { item in
            item.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "question must not be empty" : nil
        }
        guard !items.isEmpty else { throw .malformed(url.path, line: nil, reason: "no questions") }
        return items
    }
}

/// How one answer scored.
@SnakeCaseCodingKeys
public struct AnswerEvaluationRow: Sendable, Codable, Equatable {
    public var question: String
    public var answer: String
    public var answerID: String
    public var model: String
    /// True when the answer said the knowledge base does not cover the question.
    public var refused: Bool
    public var answerable: Bool?
    /// Share of the retrieved passages that come from a relevant document (needs relevant ids).
    public var contextPrecision: Double?
    /// Share of the relevant documents that some retrieved passage comes from (needs relevant ids).
    public var contextRecall: Double?
    /// Share of the answer's sentences supported by a cited passage; nil for a refusal.
    public var faithfulness: Double?
    /// Cosine of the answer to the question; nil for a refusal.
    public var answerRelevance: Double?
    /// Share of the citations that point at a retrieved passage that supports a sentence of the answer.
    public var citationCorrectness: Double?
    /// Cosine of the answer to the reference answer, when one is given and the answer is not a refusal.
    public var referenceSimilarity: Double?
    public var citations: Int
    @WireKey("latency_ms") public var latencyMilliseconds: Double
    public var costUSD: Double?
}

/// The whole evaluation: means over the questions each metric applies to.
@SnakeCaseCodingKeys
public struct AnswerEvaluationReport: Sendable, Codable, Equatable {
    @SnakeCaseCodingKeys
    public struct Summary: Sendable, Codable, Equatable {
        public var questions: Int
        public var contextPrecision: Double?
        public var contextRecall: Double?
        public var faithfulness: Double?
        public var answerRelevance: Double?
        public var citationCorrectness: Double?
        public var referenceSimilarity: Double?
        /// Share of all answers that were refusals.
        public var refusalRate: Double
        /// Of the questions labelled answerable, the share answered (not refused).
        public var answeredWhenAnswerable: Double?
        /// Of the questions labelled unanswerable, the share refused.
        public var refusedWhenUnanswerable: Double?
        @WireKey("latency_p50_ms") public var latencyP50Milliseconds: Double
        @WireKey("latency_p95_ms") public var latencyP95Milliseconds: Double
        /// Nil when no answer had a price (offline answering, or no `SPOTTER_LLM_PRICES`).
        public var totalCostUSD: Double?
    }

    @WireKey("kb") public var knowledgeBase: String
    public var model: String
    /// How faithfulness and citation support were judged (see ``AnswerEvaluator``).
    public var faithfulnessMethod: String
    public var summary: Summary
    public var rows: [AnswerEvaluationRow]
}

/// Runs every question of a set through the full answering pipeline (the cache bypassed, so that each answer is
/// produced afresh) and scores the answers.
///
/// With a language model configured, faithfulness is judged by it: for each answer sentence the model is shown the
/// cited passages and asked whether they support the sentence (yes or no); a sentence it cannot judge (the call
/// failed, or the reply is neither) falls back to the embedding proxy, and the report says how many did.
/// Without one, faithfulness is an embedding proxy for entailment: the answer is cut into sentences, each cited passage too, and a
/// sentence counts as supported when some sentence of a cited passage has cosine ≥ ``supportThreshold`` to it with
/// the same embedder that indexes the knowledge base. It catches answers that say things the passages do not (a
/// paraphrase close in meaning still counts as supported, a contradiction with the same words may too). A citation is
/// correct when it points at a passage retrieval returned for the question and that passage supports a sentence.
@MemberwiseInit
public struct AnswerEvaluator: Sendable {
    public static let supportThreshold: Float = 0.7
    public static let faithfulnessMethod = "embedding: a sentence is supported when a cited passage's sentence has cosine >= 0.7 (all-MiniLM-L6-v2)"

    public static let judgeInstructions = """
        You check claims against sources. You are given numbered passages and one claim. Answer "yes" if the passages         state or directly imply the claim, and "no" otherwise. Answer with the single word yes or no.
        """

    let spotter: Spotter
    /// The model that judges faithfulness; nil uses the embedding proxy.
    let judge: (any ChatModel)?

    /// Sentences the judge could not rule on, left to the embedding proxy (counted across one evaluation).
    final class JudgeFallbacks: Sendable {
        let count = Mutex(0)
    }

    /// Evaluates `items` against `knowledgeBase` (the configured default when nil); `progress(done, total)` after each.
    public func evaluate(_ items: [QAItem], knowledgeBase: String?, variant: String? = nil,
                         progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> AnswerEvaluationReport {
        var rows: [AnswerEvaluationRow] = []
        let fallbacks = JudgeFallbacks()
        var documents: [String: DocumentSummary] = [:]
        var models: Set<String> = []
        for (index, item) in items.enumerated() {
            let started = ContinuousClock.now
            let answer = try await spotter.answers.respond(AnswerRequest(message: item.question, knowledgeBase: knowledgeBase,
                                                                         useCache: false, variant: variant))
            let latency = (ContinuousClock.now - started).inSeconds * 1000
            let record = try await spotter.answers.recordedAnswer(id: answer.answerID)
            let retrieved = record?.retrieved ?? []
            for id in Set(retrieved.map(\.documentID)) where documents[id] == nil {
                if let document = try spotter.store.document(id: id, tenant: Principal.defaultTenant) { documents[id] = document }
            }
            models.insert(answer.model)
            var row = AnswerEvaluationRow(question: item.question, answer: answer.answer, answerID: answer.answerID, model: answer.model,
                                          refused: !answer.grounded, answerable: item.answerable, citations: answer.citations.count,
                                          latencyMilliseconds: latency, costUSD: answer.costUSD)
            if let relevant = item.relevantDocumentIDs, !relevant.isEmpty, !retrieved.isEmpty {
                func matches(_ documentID: String, _ wanted: String) -> Bool {
                    guard let document = documents[documentID] else { return documentID == wanted }
                    return document.id == wanted || document.sourceURI.hasSuffix("/" + wanted) || document.sourceURI.hasSuffix("#" + wanted)
                        || document.sourceURI == wanted
                }
                row.contextPrecision = Double(retrieved.count { chunk in relevant.contains { matches(chunk.documentID, $0) } }) / Double(retrieved.count)
                row.contextRecall = Double(relevant.count { wanted in retrieved.contains { matches($0.documentID, wanted) } }) / Double(relevant.count)
            } else if let relevant = item.relevantDocumentIDs, !relevant.isEmpty {
                row.contextPrecision = 0
                row.contextRecall = 0
            }
            if answer.grounded {
                try await scoreAnswer(answer, question: item.question, reference: item.referenceAnswer,
                                      retrieved: Set(retrieved.map(\.chunkID)), fallbacks: fallbacks, into: &row)
            }
            rows.append(row)
            progress(index + 1, items.count)
        }
        let method = judge.map { judge in
            "llm: \(judge.name) asked whether the cited passages support each sentence"
                + (fallbacks.count.withLock { $0 } > 0 ? "; \(fallbacks.count.withLock { $0 }) sentences it could not judge fell back to embeddings" : "")
        } ?? Self.faithfulnessMethod
        // Kept with the answers, so that `spotter variants report` shows faithfulness per variant.
        try spotter.store.recordAnswerScores(rows.compactMap { row in row.faithfulness.map { (row.answerID, $0) } }, method: method)
        return AnswerEvaluationReport(knowledgeBase: knowledgeBase ?? spotter.configuration.defaultKnowledgeBase,
                                      model: models.sorted().joined(separator: ", "), faithfulnessMethod: method,
                                      summary: Self.summarise(rows), rows: rows)
    }

    private func scoreAnswer(_ answer: Answer, question: String, reference: String?, retrieved: Set<Int64>,
                             fallbacks: JudgeFallbacks, into row: inout AnswerEvaluationRow) async throws {
        let sentences = Self.sentences(answer.answer)
        let chunks = try spotter.store.chunks(ids: answer.citations.map(\.chunkID))
        let passages = chunks.map { (id: $0.chunkID, sentences: Self.sentences($0.text)) }
        var texts = [question, answer.answer] + sentences + passages.flatMap(\.sentences)
        if let reference { texts.append(reference) }
        var vectors: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: 32) {
            vectors += try await spotter.embedder.embed(Array(texts[start..<min(start + 32, texts.count)]))
        }
        let unit = vectors.map(SphericalKMeans.normalised)
        row.answerRelevance = Double(SphericalKMeans.dot(unit[0], unit[1]))
        if reference != nil { row.referenceSimilarity = Double(SphericalKMeans.dot(unit[1], unit.last!)) }
        let sentenceVectors = Array(unit[2..<(2 + sentences.count)])
        var offset = 2 + sentences.count
        var passageVectors: [Int64: [[Float]]] = [:]
        for passage in passages {
            passageVectors[passage.id] = Array(unit[offset..<(offset + passage.sentences.count)])
            offset += passage.sentences.count
        }
        let cited = passageVectors.values.flatMap { $0 }
        func supported(_ sentence: [Float], by candidates: [[Float]]) -> Bool {
            candidates.contains { SphericalKMeans.dot(sentence, $0) >= Self.supportThreshold }
        }
        if !sentenceVectors.isEmpty {
            var supportedCount = 0
            for (index, sentence) in sentences.enumerated() {
                if let judge, let verdict = await Self.judgement(of: sentence, passages: chunks.map(\.text), by: judge) {
                    if verdict { supportedCount += 1 }
                } else {
                    if judge != nil { fallbacks.count.withLock { $0 += 1 } }
                    if supported(sentenceVectors[index], by: cited) { supportedCount += 1 }
                }
            }
            row.faithfulness = Double(supportedCount) / Double(sentenceVectors.count)
        }
        if !answer.citations.isEmpty {
            let correct = answer.citations.count { citation in
                retrieved.contains(citation.chunkID)
                    && sentenceVectors.contains { supported($0, by: passageVectors[citation.chunkID] ?? []) }
            }
            row.citationCorrectness = Double(correct) / Double(answer.citations.count)
        }
    }

    /// The judge's verdict on one sentence: true (supported), false, or nil when it failed or answered neither.
    static func judgement(of sentence: String, passages: [String], by judge: any ChatModel) async -> Bool? {
        let numbered = passages.enumerated().map { "[\($0.offset + 1)] \($0.element)" }.joined(separator: "\n\n")
        let request = ChatModelRequest(messages: [
            ChatMessage(role: .system, content: judgeInstructions),
            ChatMessage(role: .user, content: "Passages:\n\(numbered)\n\nClaim: \(sentence)\n\nIs the claim supported by the passages? Answer yes or no."),
        ], temperature: 0, maxTokens: 3)
        guard let reply = try? await judge.complete(request) else { return nil }
        let word = reply.text.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters)).lowercased()
        if word.hasPrefix("yes") { return true }
        if word.hasPrefix("no") { return false }
        return nil
    }

    /// Sentences worth judging: split at sentence ends and line breaks, list markers, emphasis, citation markers
    /// and a `Title › Heading:` lead stripped; lead-in lines ending with a colon and fragments under four words left out.
    public static func sentences(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            current.append(character)
            let next = index + 1 < characters.count ? characters[index + 1] : " "
            if character == "\n" || ((character == "." || character == "!" || character == "?") && (next == " " || next == "\n")) {
                pieces.append(current)
                current = ""
            }
        }
        pieces.append(current)
        return pieces.compactMap { piece in
            var sentence = piece.replacingOccurrences(of: "**", with: "")
                .replacing(/\[\d+\]/, with: "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            while let first = sentence.first, "-*#>•".contains(first) { sentence = String(sentence.dropFirst()).trimmingCharacters(in: .whitespaces) }
            // "Protein Basics › How much: 1.2–2.0 g per kg" judges the claim, not the heading that introduces it.
            if let colon = sentence.firstIndex(of: ":"), sentence[..<colon].contains("›") {
                sentence = String(sentence[sentence.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
            // A line that introduces what follows ("From the knowledge base:") claims nothing.
            if sentence.hasSuffix(":") { return nil }
            return sentence.split(separator: " ").count >= 4 ? sentence : nil
        }
    }

    static func summarise(_ rows: [AnswerEvaluationRow]) -> AnswerEvaluationReport.Summary {
        func mean(_ values: [Double?]) -> Double? {
            let present = values.compactMap { $0 }
            return present.isEmpty ? nil : present.reduce(0, +) / Double(present.count)
        }
        let latencies = rows.map(\.latencyMilliseconds)
        let answerable = rows.filter { $0.answerable == true }
        let unanswerable = rows.filter { $0.answerable == false }
        let costs = rows.compactMap(\.costUSD)
        return .init(
            questions: rows.count, contextPrecision: mean(rows.map(\.contextPrecision)), contextRecall: mean(rows.map(\.contextRecall)),
            faithfulness: mean(rows.map(\.faithfulness)), answerRelevance: mean(rows.map(\.answerRelevance)),
            citationCorrectness: mean(rows.map(\.citationCorrectness)), referenceSimilarity: mean(rows.map(\.referenceSimilarity)),
            refusalRate: rows.isEmpty ? 0 : Double(rows.count { $0.refused }) / Double(rows.count),
            answeredWhenAnswerable: answerable.isEmpty ? nil : Double(answerable.count { !$0.refused }) / Double(answerable.count),
            refusedWhenUnanswerable: unanswerable.isEmpty ? nil : Double(unanswerable.count { $0.refused }) / Double(unanswerable.count),
            latencyP50Milliseconds: RetrievalMetrics.percentile(latencies, 0.5) ?? 0,
            latencyP95Milliseconds: RetrievalMetrics.percentile(latencies, 0.95) ?? 0,
            totalCostUSD: costs.isEmpty ? nil : costs.reduce(0, +))
    }
}
