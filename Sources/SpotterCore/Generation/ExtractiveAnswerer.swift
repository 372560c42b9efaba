import Foundation

/// The offline answerer: composes an answer from the sentences of the retrieved passages, with no language model.
///
/// It embeds every sentence of the passages, keeps those closest to the question while dropping near-repeats
/// (maximal marginal relevance), and writes them grouped by passage under the passage's title, each group cited
/// with its number. Every word after the lead-in comes from a passage, so it cannot state a claim the knowledge base
/// does not make. It is the default when no LLM is configured and the last link of every fallback chain.
@MemberwiseInit
public struct ExtractiveAnswerer: ChatModel {
    public let embedder: any Embedder
    /// The longest answer in words (a request's `maxTokens` can lower it).
    public var wordBudget: Int = 160
    /// Sentences less similar to the question than this are never used.
    public var minimumSimilarity: Float = 0.2
    /// Weight on relevance against novelty when choosing sentences.
    public var lambda: Float = 0.7

    public var name: String { "offline" }

    public func stream(_ request: ChatModelRequest) -> AsyncThrowingStream<ChatModelEvent, any Error> {
        .producing { continuation in
            let text = try await compose(request)
            // Word by word, as a model would stream it.
            for piece in Self.pieces(of: text) {
                if Task.isCancelled { throw ChatModelError.cancelled }
                continuation.yield(.delta(piece))
            }
            continuation.yield(.finished(ChatFinish(reason: .stop, usage: TokenEstimator.usage(prompt: request.messages, completion: text))))
        }
    }

    /// The answer's text for the request's question and passages.
    public func compose(_ request: ChatModelRequest) async throws -> String {
        let question = request.question ?? request.messages.last { $0.role == .user }?.content ?? ""
        let candidates = request.passages.flatMap { passage in
            Self.sentences(in: passage.text).enumerated().map { Candidate(passage: passage.number, position: $0, text: $1) }
        }
        guard !candidates.isEmpty, !question.isEmpty else {
            return "The knowledge base has nothing on this, so I can't answer it without guessing."
        }
        let vectors = try await embedder.embed([question] + candidates.map(\.text))
        let questionVector = vectors[0]
        let similarity = vectors.dropFirst().map { VectorMath.dot(questionVector, $0) }

        var budget = wordBudget
        if let maxTokens = request.maxTokens { budget = min(budget, max(20, maxTokens * 3 / 4)) }
        var chosen: [Int] = []
        var words = 0
        var remaining = Array(candidates.indices).filter { similarity[$0] >= minimumSimilarity }
        while !remaining.isEmpty {
            // Relevance minus the similarity to the closest sentence already chosen.
            let best = remaining.max { a, b in
                marginal(a, similarity, vectors, chosen) < marginal(b, similarity, vectors, chosen)
            }!
            remaining.removeAll { $0 == best }
            let redundancy = chosen.map { VectorMath.dot(vectors[best + 1], vectors[$0 + 1]) }.max() ?? 0
            if redundancy > 0.9 { continue }
            let length = candidates[best].text.split(separator: " ").count
            if words + length > budget, !chosen.isEmpty { continue }
            chosen.append(best)
            words += length
            if words >= budget { break }
        }
        guard !chosen.isEmpty else {
            let titles = request.passages.prefix(3).map { "\($0.title) [\($0.number)]" }
            return "The passages I found do not answer this directly, so I won't guess. They cover: " + titles.joined(separator: "; ") + "."
        }
        // Grouped by passage in rank order, sentences in the order the passage has them.
        let titleOf = Dictionary(request.passages.map { ($0.number, $0.title) }, uniquingKeysWith: { first, _ in first })
        let groups = Dictionary(grouping: chosen.map { candidates[$0] }, by: \.passage)
        var lines = ["From the knowledge base:", ""]
        for number in groups.keys.sorted() {
            // A field line ("Equipment: kettlebells") gets a full stop when another sentence follows it.
            let group = groups[number]!.sorted { $0.position < $1.position }
            let text = group.enumerated().map { offset, candidate in
                // A sentence that introduced what was left out ("…for adults:") ends with a full stop instead.
                let introducesNext = offset + 1 < group.count && group[offset + 1].position == candidate.position + 1
                if candidate.text.hasSuffix(":") && !introducesNext { return candidate.text.dropLast() + "." }
                return ".!?…:".contains(candidate.text.last ?? ".") ? candidate.text : candidate.text + "."
            }.joined(separator: " ")
            let title = titleOf[number].map { $0.isEmpty ? "" : "**\($0)**: " } ?? ""
            lines.append("- \(title)\(text) [\(number)]")
        }
        return lines.joined(separator: "\n")
    }

    private struct Candidate {
        var passage: Int
        var position: Int
        var text: String
    }

    private func marginal(_ index: Int, _ similarity: [Float], _ vectors: [[Float]], _ chosen: [Int]) -> Float {
        let redundancy = chosen.map { VectorMath.dot(vectors[index + 1], vectors[$0 + 1]) }.max() ?? 0
        return lambda * similarity[index] - (1 - lambda) * redundancy
    }

    /// The sentences of a passage: lines split at sentence ends; fragments of fewer than three words dropped.
    static func sentences(in text: String) -> [String] {
        var result: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            var current = ""
            let characters = Array(line.trimmingCharacters(in: .whitespaces).drop { $0 == "-" || $0 == "*" || $0 == "#" || $0 == " " })
            for (offset, character) in characters.enumerated() {
                current.append(character)
                let next = offset + 1 < characters.count ? characters[offset + 1] : nil
                let afterNext = offset + 2 < characters.count ? characters[offset + 2] : nil
                if ".!?".contains(character), next == " ", afterNext.map({ $0.isUppercase || $0.isNumber }) ?? false {
                    result.append(current.trimmingCharacters(in: .whitespaces))
                    current = ""
                }
            }
            let last = current.trimmingCharacters(in: .whitespaces)
            if !last.isEmpty { result.append(last) }
        }
        return result.filter { $0.split(separator: " ").count >= 3 }.map { sentence in
            // Very long sentences are cut at a word boundary so that one cannot eat the whole budget.
            let words = sentence.split(separator: " ")
            return words.count > 60 ? words.prefix(60).joined(separator: " ") + " …" : sentence
        }
    }

    /// The text cut after each space, so that joining the pieces gives it back exactly.
    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " || character == "\n" {
                pieces.append(current)
                current = ""
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}
