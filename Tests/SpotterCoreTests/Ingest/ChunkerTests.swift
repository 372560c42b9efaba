import Foundation
import SpotterCore
import Testing

@Suite("Chunker")
struct ChunkerTests {
    typealias H = IngestTestHelpers

    static func sentence(_ n: Int) -> String {
        "Sentence number \(n) talks about squats, deadlifts and progressive overload in some detail."
    }

    static func doc(_ blocks: [Block], title: String = "Guide") -> ParsedDocument {
        ParsedDocument(sourceURI: "test.md", title: title, blocks: blocks)
    }

    @Test func counterBehavesLikeBERT() {
        #expect(IngestTestTokens.count("Hello, world!") == 6)  // Hel·lo , wor·ld !
        #expect(IngestTestTokens.count("abcdefgh") == 2)
        #expect(IngestTestTokens.count("深蹲训练") == 4)
        #expect(IngestTestTokens.count("") == 0)
        #expect(IngestTestTokens.count("a b") == IngestTestTokens.count("a") + IngestTestTokens.count("b"))
    }

    @Test func shortDocumentIsOneChunkWithTitleLine() {
        let document = Self.doc([.paragraph("Squat deep.")], title: "Leg day")
        let chunks = H.checkChunks(document)
        #expect(chunks.count == 1)
        #expect(chunks[0].text == "Squat deep.")
        #expect(chunks[0].contextualText == "Leg day\nSquat deep.")
        #expect(chunks[0].headingPath == [])
        #expect(chunks[0].startOffset == 0 && chunks[0].endOffset == 11)
    }

    @Test func emptyDocumentHasNoChunks() {
        #expect(Chunker(tokenCount: IngestTestTokens.count).chunk(Self.doc([])).isEmpty)
        #expect(Chunker(tokenCount: IngestTestTokens.count).chunk(Self.doc([.paragraph("   ")])).isEmpty)
    }

    @Test func oneHugeParagraphIsSplitAtSentences() {
        let text = (1...400).map(Self.sentence).joined(separator: " ")
        let document = Self.doc([.paragraph(text)])
        let chunks = H.checkChunks(document)
        #expect(chunks.count > 10)
        for chunk in chunks {
            // Sentence-aligned: every chunk starts at a sentence and ends with a full stop.
            #expect(chunk.text.hasPrefix("Sentence number"))
            #expect(chunk.text.hasSuffix("detail."))
            #expect(chunk.tokenCount > 100)  // packed, not one sentence each
        }
        // Everything is covered.
        #expect(chunks.first!.startOffset == 0)
        #expect(chunks.last!.endOffset == text.count)
        for (a, b) in zip(chunks, chunks.dropFirst()) { #expect(b.startOffset <= a.endOffset) }
    }

    @Test func overlapIsPresentAndBounded() {
        let text = (1...200).map(Self.sentence).joined(separator: " ")
        let options = ChunkingOptions()
        let chunks = H.checkChunks(Self.doc([.paragraph(text)]), options: options)
        #expect(chunks.count >= 3)
        let budget = Int((options.overlapFraction * Double(options.targetTokens)).rounded())
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            #expect(b.startOffset < a.endOffset, "consecutive chunks overlap")
            #expect(b.startOffset > a.startOffset)
            let shared = String(Array(text)[b.startOffset..<a.endOffset])
            let sharedTokens = IngestTestTokens.count(shared)
            #expect(sharedTokens > 0)
            #expect(sharedTokens <= budget * 3 / 2, "overlap of \(sharedTokens) tokens exceeds 1.5 × \(budget)")
            if sharedTokens > budget { #expect(shared.hasPrefix("Sentence number")) }  // only for a whole sentence
            #expect(sharedTokens >= budget / 2, "overlap of \(sharedTokens) tokens is too small")
        }
    }

    @Test func noOverlapWhenFractionIsZero() {
        let text = (1...100).map(Self.sentence).joined(separator: " ")
        let chunks = H.checkChunks(Self.doc([.paragraph(text)]), options: ChunkingOptions(overlapFraction: 0))
        for (a, b) in zip(chunks, chunks.dropFirst()) { #expect(b.startOffset > a.endOffset) }
    }

    @Test func sentenceLongerThanTheLimitIsSplitIntoWordWindows() {
        let words = (1...1500).map { "word\($0 % 97)" }.joined(separator: " ")
        let chunks = H.checkChunks(Self.doc([.paragraph(words)]))
        #expect(chunks.count >= 8)
        #expect(chunks.last!.endOffset == words.count)
        for chunk in chunks { #expect(chunk.text.hasPrefix("word")) }
    }

    @Test func tenThousandCharacterWordIsHardSplit() {
        let word = String(repeating: "abcdefghij", count: 1000)
        let text = "Before the blob. \(word) After the blob."
        let document = Self.doc([.paragraph(text)])
        let chunks = H.checkChunks(document)
        #expect(chunks.count >= 10)
        // Every character of the word is in some chunk.
        var covered = Array(repeating: false, count: text.count)
        for chunk in chunks { for i in chunk.startOffset..<chunk.endOffset { covered[i] = true } }
        let wordStart = "Before the blob. ".count
        #expect(covered[wordStart..<(wordStart + word.count)].allSatisfy { $0 })
    }

    @Test func longWordWithTheTinyBudgetStillFits() {
        let document = Self.doc([.paragraph(String(repeating: "x", count: 5000))], title: "A rather long title for a tiny budget")
        let options = ChunkingOptions(maxTokens: 12, targetTokens: 8, overlapFraction: 0.15)
        let chunks = H.checkChunks(document, options: options)
        #expect(chunks.count > 100)
    }

    @Test func emptySectionsMakeNoChunks() {
        let document = Self.doc([
            .heading("A", level: 1),
            .heading("B", level: 2),
            .paragraph("Text under B."),
            .heading("C", level: 2),
            .heading("D", level: 1),
        ])
        let chunks = H.checkChunks(document)
        #expect(chunks.count == 1)
        #expect(chunks[0].headingPath == ["A", "B"])
        #expect(chunks[0].text == "Text under B.")
    }

    @Test func headingsOnlyDocumentStillYieldsAChunk() {
        let document = Self.doc([.heading("Squats", level: 1), .heading("Depth", level: 2)], title: "Squats")
        let chunks = H.checkChunks(document)
        #expect(chunks.count == 1)
        #expect(chunks[0].text == "Squats\n\nDepth")
    }

    @Test func headingPathsFollowLevels() {
        let document = Self.doc(
            [
                .heading("Progressive overload", level: 1),
                .paragraph("Intro text."),
                .heading("How fast to add weight", level: 2),
                .paragraph("Add a little each week."),
                .heading("Beginners", level: 3),
                .paragraph("Beginners add weight every session."),
                .heading("Deloads", level: 2),
                .paragraph("Back off every few weeks."),
                .heading("Other topic", level: 1),
                .paragraph("Something else."),
            ], title: "Progressive overload")
        let chunks = H.checkChunks(document)
        #expect(chunks.map(\.headingPath) == [
            ["Progressive overload"],
            ["Progressive overload", "How fast to add weight"],
            ["Progressive overload", "How fast to add weight", "Beginners"],
            ["Progressive overload", "Deloads"],
            ["Other topic"],
        ])
        #expect(chunks[1].contextualText == "Progressive overload › How fast to add weight\nAdd a little each week.")
        #expect(chunks[0].contextualText == "Progressive overload\nIntro text.")
        #expect(chunks[4].contextualText == "Progressive overload › Other topic\nSomething else.")
        #expect(chunks.map(\.text) == [
            "Intro text.", "Add a little each week.", "Beginners add weight every session.", "Back off every few weeks.",
            "Something else.",
        ])
    }

    @Test func chunksNeverSpanSectionsAndOverlapStaysInside() {
        let long = (1...60).map(Self.sentence).joined(separator: " ")
        let document = Self.doc([
            .heading("One", level: 1), .paragraph(long), .heading("Two", level: 1), .paragraph(long),
        ])
        let chunks = H.checkChunks(document)
        let secondHeadingOffset = ("One\n\n" + long + "\n\n").count
        let firstTwo = chunks.firstIndex { $0.headingPath == ["Two"] }!
        #expect(firstTwo > 1)
        #expect(chunks[firstTwo].startOffset > secondHeadingOffset)  // no overlap across the section boundary
        for chunk in chunks[..<firstTwo] { #expect(chunk.endOffset < secondHeadingOffset) }
    }

    @Test func paragraphsArePackedWhole() {
        let paragraphs = (1...30).map { n in (0..<3).map { Self.sentence(n * 10 + $0) }.joined(separator: " ") }
        let document = Self.doc(paragraphs.map(Block.paragraph))
        let chunks = H.checkChunks(document, options: ChunkingOptions(overlapFraction: 0))
        #expect(chunks.count > 3)
        for chunk in chunks {
            // Whole paragraphs: each chunk is one or more complete paragraphs.
            let parts = chunk.text.components(separatedBy: "\n\n")
            #expect(parts.allSatisfy { paragraphs.contains($0) })
            #expect(parts.count >= 2)
        }
    }

    @Test func longHeadingPathIsTruncated() {
        let heading = (1...300).map { "heading\($0)" }.joined(separator: " ")
        let document = Self.doc([.heading(heading, level: 1), .paragraph("Body text here.")], title: "Title")
        let chunks = H.checkChunks(document)
        #expect(chunks.count == 1)
        #expect(chunks[0].headingPath == [heading])
        let firstLine = chunks[0].contextualText.components(separatedBy: "\n")[0]
        #expect(firstLine.hasSuffix("…"))
        #expect(IngestTestTokens.count(firstLine) <= 254 / 4)
        #expect(chunks[0].contextualText.hasSuffix("\nBody text here."))
    }

    @Test func unicodeEmojiCJKAndCombiningMarks() {
        let cjk = String(repeating: "深蹲是一种复合训练动作可以锻炼大腿和臀部。", count: 60)  // 1,260 chars, no spaces
        let cjkNoStops = String(repeating: "卧推训练胸部肌肉", count: 100)
        let emoji = (1...300).map { _ in "💪🏽 lift 👨‍👩‍👧 strong 🇫🇷" }.joined(separator: " ")
        let combining = (1...400).map { _ in "cafe\u{301} nai\u{308}ve re\u{301}sume\u{301}" }.joined(separator: " ")
        let document = Self.doc([
            .paragraph(cjk), .paragraph(cjkNoStops), .paragraph(emoji), .paragraph(combining),
        ])
        let chunks = H.checkChunks(document)
        #expect(chunks.count > 10)
        for chunk in chunks {
            // Never starts with a bare combining mark or a lone modifier: slices are whole grapheme clusters.
            let first = chunk.text.unicodeScalars.first!
            #expect(first.properties.generalCategory != .nonspacingMark)
            #expect(!(0x1F3FB...0x1F3FF).contains(first.value))
            #expect(first.value != 0x200D)
        }
        // The CJK paragraph with full stops is split at them.
        let cjkChunks = chunks.filter { $0.endOffset <= cjk.count }
        #expect(cjkChunks.count > 1)
        for chunk in cjkChunks { #expect(chunk.text.hasSuffix("。")) }
    }

    @Test func crlfInsideBlocksStillGivesConsistentText() {
        // Readers normalise line ends; a hand-made document with CR still chunks within budget.
        let document = Self.doc([.paragraph("Line one.\r\nLine two.\r"), .paragraph("Next.")])
        let chunks = Chunker(tokenCount: IngestTestTokens.count).chunk(document)
        #expect(chunks.count == 1)
        #expect(!chunks[0].text.contains("\r"))
        #expect(chunks[0].tokenCount <= 254)
    }

    @Test func nonAdditiveCounterIsStillRespected() {
        // A tokenizer whose counts do not add up across words (one extra piece per 10 words): the final check
        // splits chunks further so the budget still holds.
        let greedy: @Sendable (String) -> Int = { text in
            let base = IngestTestTokens.count(text)
            let words = text.split(whereSeparator: \.isWhitespace).count
            return base + words / 10
        }
        let text = (1...300).map(Self.sentence).joined(separator: " ")
        H.checkChunks(Self.doc([.paragraph(text)]), options: ChunkingOptions(maxTokens: 120, targetTokens: 110), count: greedy)
    }

    @Test func randomDocumentsKeepAllInvariants() {
        var generator = SplitMix64(seed: 42)
        let vocabulary = [
            "squat", "bench", "press.", "deadlift!", "rows?", "e.g.", "Dr.", "3.", "深蹲", "💪", "café", "x",
            String(repeating: "long", count: 60), "(reps)", "—", "sets,", "。", "weight\nnext",
        ]
        for _ in 0..<40 {
            var blocks: [Block] = []
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                if Int.random(in: 0..<4, using: &generator) == 0 {
                    blocks.append(.heading("Heading \(Int.random(in: 0..<9, using: &generator))", level: Int.random(in: 1...4, using: &generator)))
                } else {
                    let count = Int.random(in: 1...500, using: &generator)
                    let words = (0..<count).map { _ in vocabulary.randomElement(using: &generator)! }
                    blocks.append(.paragraph(words.joined(separator: Bool.random(using: &generator) ? " " : "  ")))
                }
            }
            let options = ChunkingOptions(
                maxTokens: Int.random(in: 16...300, using: &generator), targetTokens: Int.random(in: 8...250, using: &generator),
                overlapFraction: Double.random(in: 0...0.3, using: &generator))
            let document = Self.doc(blocks, title: "Random doc")
            let chunks = H.checkChunks(document, options: options)
            if document.text.contains(where: { !$0.isWhitespace }) { #expect(!chunks.isEmpty) }
        }
    }

    @Test func chunkerIsFastOnABigDocument() {
        let text = (1...20_000).map(Self.sentence).joined(separator: " ")
        let clock = ContinuousClock()
        var chunks: [Chunk] = []
        let elapsed = clock.measure {
            chunks = Chunker(tokenCount: IngestTestTokens.count).chunk(Self.doc([.paragraph(text)]))
        }
        #expect(chunks.count > 500)
        #expect(elapsed < .seconds(30))
    }
}
