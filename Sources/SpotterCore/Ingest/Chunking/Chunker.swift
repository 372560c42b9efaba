import Foundation

@MemberwiseInit
public struct ChunkingOptions: Sendable, Equatable {
    /// Hard budget in word pieces for ``Chunk/contextualText``, excluding [CLS]/[SEP] (256 − 2).
    public var maxTokens: Int = 254
    /// Budget the packer aims for with a chunk's text (overlap may take a chunk past it, never past `maxTokens`).
    public var targetTokens: Int = 200
    /// Share of `targetTokens` repeated from the end of the previous chunk of the same section.
    public var overlapFraction: Double = 0.15
}

public struct Chunk: Sendable, Equatable {
    public var ordinal: Int
    /// The chunk's own text: a slice of ``ParsedDocument/text`` (possibly several paragraphs).
    public var text: String
    /// The headings above the text, outermost first.
    public var headingPath: [String]
    /// What gets embedded and indexed: a first line with the title and heading path, then `text`.
    public var contextualText: String
    /// `tokenCount(contextualText)`.
    public var tokenCount: Int
    /// Offsets of `text` in ``ParsedDocument/text``, in Characters (grapheme clusters).
    public var startOffset: Int
    public var endOffset: Int

    public init(
        ordinal: Int, text: String, headingPath: [String], contextualText: String, tokenCount: Int, startOffset: Int,
        endOffset: Int
    ) {
        self.ordinal = ordinal
        self.text = text
        self.headingPath = headingPath
        self.contextualText = contextualText
        self.tokenCount = tokenCount
        self.startOffset = startOffset
        self.endOffset = endOffset
    }
}

/// Splits documents into chunks that fit the embedding model.
///
/// Structure first: a heading of level n replaces the path entries of levels ≥ n, and the text under one heading
/// path (a section) is chunked on its own, so a chunk never spans two sections and overlap never crosses one.
/// Within a section whole paragraphs are packed up to `targetTokens`; a paragraph over the target is split into
/// sentences (`.`, `!`, `?`, `。！？` and line breaks), a sentence over it into word windows, and a word over it
/// (a 5,000-character token, a line of CJK) by grapheme clusters. A paragraph that fits the target but not the
/// rest of a chunk that is under half full is split into sentences to fill it; otherwise it starts a new chunk.
/// Consecutive chunks of a section share about `overlapFraction × targetTokens` tokens: whole trailing sentences of
/// the previous chunk (between ½ and 1½ times that amount), or else trailing words (at most that amount). A heading
/// with nothing under it makes no chunk; a document of headings only is chunked as plain text.
///
/// `tokenCount(contextualText) ≤ maxTokens` holds for every chunk: budgets are computed from per-word counts
/// (exact for a BERT-style tokenizer, which splits on whitespace) and every chunk is then counted as a whole and
/// split further if the count is still over.
public struct Chunker: Sendable {
    public let options: ChunkingOptions
    let countTokens: @Sendable (String) -> Int

    /// Separator between title and heading names in the first line of ``Chunk/contextualText``.
    public static let pathSeparator = " › "

    public init(options: ChunkingOptions = .init(), tokenCount: @escaping @Sendable (String) -> Int) {
        var sane = options
        sane.maxTokens = max(1, options.maxTokens)
        sane.targetTokens = min(max(1, options.targetTokens), sane.maxTokens)
        sane.overlapFraction = options.overlapFraction.isFinite ? min(max(0, options.overlapFraction), 0.5) : 0
        self.options = sane
        self.countTokens = tokenCount
    }

    public func chunk(_ document: ParsedDocument) -> [Chunk] {
        var blocks = document.blocks
        var chars = Array(document.text)
        var ranges = Self.blockRanges(blocks)
        if ranges.last.map({ $0.upperBound != chars.count }) ?? false {
            // Only when a block holds a CR (the readers normalise line ends): "\r" + "\n\n" would merge into one
            // grapheme cluster. Offsets then refer to the text with LF line ends.
            blocks = blocks.map { Block(kind: $0.kind, text: IngestText.normalizeNewlines($0.text)) }
            chars = Array(blocks.map(\.text).joined(separator: "\n\n"))
            ranges = Self.blockRanges(blocks)
        }

        var sections: [(path: [String], paragraphs: [Range<Int>])] = []
        var stack: [(level: Int, text: String)] = []
        var current: [Range<Int>] = []
        func closeSection() {
            if !current.isEmpty { sections.append((stack.map(\.text), current)) }
            current = []
        }
        for (block, range) in zip(blocks, ranges) {
            switch block.kind {
            case .heading(let level):
                closeSection()
                while let last = stack.last, last.level >= level { stack.removeLast() }
                stack.append((level, IngestText.collapseWhitespace(block.text)))
            case .paragraph:
                current.append(range)
            }
        }
        closeSection()

        var builder = Builder(chunker: self, chars: chars, title: IngestText.collapseWhitespace(document.title))
        for section in sections { builder.add(path: section.path, paragraphs: section.paragraphs) }
        if builder.chunks.isEmpty, !ranges.isEmpty {
            builder.add(path: [], paragraphs: ranges)  // headings only
        }
        return builder.chunks
    }

    static func blockRanges(_ blocks: [Block]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var position = 0
        for (index, block) in blocks.enumerated() {
            if index > 0 { position += 2 }
            let count = block.text.count
            ranges.append(position..<(position + count))
            position += count
        }
        return ranges
    }

    /// The first line of the contextual text: title, then the heading path, without repeating the title.
    func contextLine(title: String, path: [String]) -> String {
        var parts: [String] = []
        if !title.isEmpty { parts.append(title) }
        for heading in path where !heading.isEmpty {
            if let last = parts.last, last.caseInsensitiveCompare(heading) == .orderedSame { continue }
            parts.append(heading)
        }
        return parts.joined(separator: Self.pathSeparator)
    }

    // MARK: - Building

    struct Word {
        var start: Int  // Character offsets in the document text
        var end: Int
        var tokens: Int
        var startsSentence: Bool
    }

    struct Builder {
        let chunker: Chunker
        let chars: [Character]
        let title: String
        var chunks: [Chunk] = []
        var cache: [String: Int] = [:]

        init(chunker: Chunker, chars: [Character], title: String) {
            self.chunker = chunker
            self.chars = chars
            self.title = title
        }

        var options: ChunkingOptions { chunker.options }

        mutating func count(_ text: String) -> Int {
            if let cached = cache[text] { return cached }
            let value = chunker.countTokens(text)
            if text.count <= 64 { cache[text] = value }
            return value
        }

        func string(_ range: Range<Int>) -> String { String(chars[range]) }

        /// The context line truncated to a quarter of the budget (ending with "…" when cut).
        mutating func prefix(for path: [String]) -> (text: String, tokens: Int) {
            let line = chunker.contextLine(title: title, path: path)
            let budget = options.maxTokens / 4
            guard !line.isEmpty, budget > 0 else { return ("", 0) }
            let tokens = count(line)
            if tokens <= budget { return (line, tokens) }
            let lineChars = Array(line)
            var low = 0
            var high = lineChars.count
            var best = ("", 0)
            while low < high {
                let mid = (low + high + 1) / 2
                let candidate = String(lineChars[0..<mid]).trimmingCharacters(in: .whitespaces) + "…"
                let c = count(candidate)
                if c <= budget {
                    best = (candidate, c)
                    low = mid
                } else {
                    high = mid - 1
                }
            }
            return best
        }

        mutating func add(path: [String], paragraphs: [Range<Int>]) {
            let (prefix, prefixTokens) = prefix(for: path)
            let hardBudget = max(1, options.maxTokens - prefixTokens)
            let target = max(1, min(options.targetTokens, hardBudget))
            let overlapBudget = min(Int((options.overlapFraction * Double(options.targetTokens)).rounded()), target / 2)

            // Words (with over-long ones cut into pieces) and paragraph boundaries, as word indices.
            var words: [Word] = []
            var paragraphStarts: [Int] = []
            for range in paragraphs {
                let first = words.count
                appendWords(in: range, limit: target, to: &words)
                if words.count > first {
                    words[first].startsSentence = true
                    paragraphStarts.append(first)
                }
            }
            guard !words.isEmpty else { return }
            paragraphStarts.append(words.count)
            var sums = [0]
            sums.reserveCapacity(words.count + 1)
            for word in words { sums.append(sums.last! + word.tokens) }
            func tokens(_ a: Int, _ b: Int) -> Int { sums[b] - sums[a] }

            // Atoms: whole paragraphs when they fit the target, else sentences, else single words.
            func sentenceAtoms(_ a: Int, _ b: Int) -> [Range<Int>] {
                var result: [Range<Int>] = []
                var s = a
                while s < b {
                    var e = s + 1
                    while e < b && !words[e].startsSentence { e += 1 }
                    if tokens(s, e) <= target {
                        result.append(s..<e)
                    } else {
                        for w in s..<e { result.append(w..<(w + 1)) }
                    }
                    s = e
                }
                return result
            }
            var atoms: [Range<Int>] = []
            for p in 0..<(paragraphStarts.count - 1) {
                let (a, b) = (paragraphStarts[p], paragraphStarts[p + 1])
                if tokens(a, b) <= target {
                    atoms.append(a..<b)
                } else {
                    atoms += sentenceAtoms(a, b)
                }
            }

            // Greedy packing with overlap from the previous chunk of this section.
            var k = 0
            var previous: Range<Int>? = nil
            while k < atoms.count {
                let newStart = atoms[k].lowerBound
                var end = atoms[k].upperBound
                k += 1
                var start = newStart
                if let previous, overlapBudget > 0 {
                    start = overlapStart(previous: previous, newStart: newStart, budget: overlapBudget, words: words, tokens: tokens)
                }
                while k < atoms.count {
                    if tokens(start, atoms[k].upperBound) <= target {
                        end = atoms[k].upperBound
                        k += 1
                        continue
                    }
                    // A whole paragraph does not fit: when the chunk is less than half full, fill it with the
                    // paragraph's first sentences instead of leaving it short.
                    if tokens(newStart, end) * 2 < target {
                        let pieces = sentenceAtoms(atoms[k].lowerBound, atoms[k].upperBound)
                        if pieces.count > 1, tokens(start, pieces[0].upperBound) <= target {
                            atoms.replaceSubrange(k...k, with: pieces)
                            continue
                        }
                    }
                    break
                }
                while start < newStart, tokens(start, end) > hardBudget { start += 1 }
                emit(words: words, range: start..<end, path: path, prefix: prefix)
                previous = start..<end
            }
        }

        /// Where the overlap for the chunk starting at `newStart` begins: the earliest sentence start inside the
        /// previous chunk whose tail is between half and one and a half times `budget`, else the earliest word whose
        /// tail fits `budget`; never the previous chunk's own start.
        func overlapStart(
            previous: Range<Int>, newStart: Int, budget: Int, words: [Word], tokens: (Int, Int) -> Int
        ) -> Int {
            guard previous.count > 1 else { return newStart }
            let sentenceBudget = budget + budget / 2
            var s = newStart - 1
            var sentence: Int? = nil
            var word = newStart
            while s > previous.lowerBound {
                let tail = tokens(s, newStart)
                if tail > sentenceBudget { break }
                if tail <= budget { word = s }
                if words[s].startsSentence && tail * 2 >= budget { sentence = s }
                s -= 1
            }
            return sentence ?? word
        }

        /// Appends the words of a paragraph; words over `limit` tokens are cut into pieces by grapheme clusters.
        mutating func appendWords(in range: Range<Int>, limit: Int, to words: inout [Word]) {
            var i = range.lowerBound
            var sawNewline = false
            var previousEndsSentence = false
            while i < range.upperBound {
                if chars[i].isWhitespace {
                    if chars[i].isNewline { sawNewline = true }
                    i += 1
                    continue
                }
                var j = i
                while j < range.upperBound && !chars[j].isWhitespace {
                    j += 1
                    // A CJK full stop ends a sentence even with no space after it.
                    if "。！？".contains(chars[j - 1]) && j < range.upperBound && !chars[j].isWhitespace { break }
                }
                let text = string(i..<j)
                let tokens = count(text)
                let startsSentence = previousEndsSentence || sawNewline
                if tokens <= limit {
                    words.append(Word(start: i, end: j, tokens: tokens, startsSentence: startsSentence))
                } else {
                    var first = true
                    for piece in split(i..<j, limit: limit, extra: 0, extraText: "") {
                        words.append(Word(start: piece.range.lowerBound, end: piece.range.upperBound, tokens: piece.tokens, startsSentence: first && startsSentence))
                        first = false
                    }
                }
                previousEndsSentence = Self.endsSentence(chars[i..<j])
                sawNewline = false
                i = j
            }
        }

        /// Cuts a range of characters into pieces whose count (with `extraText` before it, if any) fits `limit`;
        /// every piece has at least one grapheme cluster.
        mutating func split(_ range: Range<Int>, limit: Int, extra: Int, extraText: String) -> [(range: Range<Int>, tokens: Int)] {
            var pieces: [(range: Range<Int>, tokens: Int)] = []
            var start = range.lowerBound
            func measure(_ builder: inout Builder, _ end: Int) -> Int {
                let piece = builder.string(start..<end)
                return extraText.isEmpty ? builder.count(piece) : builder.count(extraText + piece) - extra
            }
            while start < range.upperBound {
                let remaining = range.upperBound - start
                var low = 1
                var high = remaining
                let whole = measure(&self, range.upperBound)
                if whole <= limit {
                    pieces.append((start..<range.upperBound, whole))
                    break
                }
                var best = (1, measure(&self, start + 1))
                high = remaining - 1
                while low < high {
                    let mid = (low + high + 1) / 2
                    let c = measure(&self, start + mid)
                    if c <= limit {
                        best = (mid, c)
                        low = mid
                    } else {
                        high = mid - 1
                    }
                }
                pieces.append((start..<(start + best.0), best.1))
                start += best.0
            }
            return pieces
        }

        static let abbreviations: Set<String> = [
            "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "approx", "fig", "no",
            "vol", "ca", "min", "max", "incl", "resp",
        ]

        static func endsSentence(_ word: ArraySlice<Character>) -> Bool {
            var end = word.endIndex
            while end > word.startIndex, "\"'”’)]»".contains(word[end - 1]) { end -= 1 }
            guard end > word.startIndex else { return false }
            let last = word[end - 1]
            if "!?。！？…".contains(last) { return true }
            guard last == "." else { return false }
            let stem = String(word[word.startIndex..<(end - 1)]).lowercased()
            if stem.isEmpty || abbreviations.contains(stem) { return false }
            if stem.allSatisfy(\.isNumber) { return false }  // "1." in a numbered list
            if stem.count == 1, stem.first!.isLetter { return false }  // initials
            return true
        }

        mutating func emit(words: [Word], range: Range<Int>, path: [String], prefix: String) {
            let start = words[range.lowerBound].start
            let end = words[range.upperBound - 1].end
            let text = string(start..<end)
            let contextual = prefix.isEmpty ? text : prefix + "\n" + text
            let total = chunker.countTokens(contextual)
            if total <= options.maxTokens {
                chunks.append(
                    Chunk(
                        ordinal: chunks.count, text: text, headingPath: path, contextualText: contextual, tokenCount: total,
                        startOffset: start, endOffset: end))
                return
            }
            // The tokenizer did not add up across words: split further, by words, then by characters.
            if range.count > 1 {
                let middle = range.lowerBound + range.count / 2
                emit(words: words, range: range.lowerBound..<middle, path: path, prefix: prefix)
                emit(words: words, range: middle..<range.upperBound, path: path, prefix: prefix)
                return
            }
            let head = prefix.isEmpty ? "" : prefix + "\n"
            let headTokens = head.isEmpty ? 0 : chunker.countTokens(head)
            for piece in split(start..<end, limit: options.maxTokens - headTokens, extra: headTokens, extraText: head) {
                let pieceText = string(piece.range)
                let pieceContextual = head + pieceText
                chunks.append(
                    Chunk(
                        ordinal: chunks.count, text: pieceText, headingPath: path, contextualText: pieceContextual,
                        tokenCount: chunker.countTokens(pieceContextual), startOffset: piece.range.lowerBound,
                        endOffset: piece.range.upperBound))
            }
        }
    }
}
