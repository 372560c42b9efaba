import Foundation

/// The BERT "uncased" WordPiece tokenizer of all-MiniLM-L6-v2, reproducing the HuggingFace `tokenizers` pipeline
/// that reads the model's `tokenizer.json` (BertNormalizer → BertPreTokenizer → WordPiece → `[CLS] … [SEP]`).
///
/// The steps, in the order `tokenizers` applies them:
/// 1. Special tokens (`[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`) written literally in the raw text are matched
///    first and become their ids (they are "added tokens" with `normalized: false`).
/// 2. Clean text: NUL, U+FFFD and "other" characters (Cc, Cf, Co) are removed, except `\t \n \r`; every character with
///    the Unicode `White_Space` property becomes a space.
/// 3. Every CJK ideograph becomes a word of its own.
/// 4. Accents are stripped (NFD, then nonspacing marks Mn are dropped) and every character is lower-cased.
/// 5. Words are split on whitespace, and every punctuation character (ASCII punctuation or Unicode P*) is a word.
/// 6. WordPiece: greedy longest match from the start of the word, continuation pieces prefixed `##`; a word of more
///    than 100 characters, or one that cannot be covered by pieces, becomes a single `[UNK]`.
///
/// `tokenizers` classifies characters (Cc/Cf/Co, Mn, P*) with tables of Unicode 8.0 (its `unicode_categories`
/// dependency), while lower-casing and NFD use a current Unicode version. This type reproduces that: characters
/// assigned after Unicode 8.0 are never removed, stripped or split as punctuation. Verified exhaustively against
/// `tokenizers` 0.23.3 on every code point.
public struct WordPieceTokenizer: Sendable {
    /// The longest encoded sequence, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    public let clsID: Int32
    public let sepID: Int32
    public let unkID: Int32
    public let padID: Int32
    /// Words longer than this many characters (Unicode scalars) become `[UNK]`.
    public static let maxInputCharsPerWord = 100

    private let startPieces: PieceTable
    private let continuationPieces: PieceTable
    private let tokens: [String]
    private let specialTokens: [(bytes: [UInt8], id: Int32)]

    /// Loads `vocab.txt` (one token a line, id = line number) from a model folder; falls back to the `model.vocab`
    /// of `tokenizer.json` when there is no `vocab.txt`.
    public init(modelDirectory: URL, maxLength: Int = 256) throws {
        let vocabURL = modelDirectory.appendingPathComponent("vocab.txt")
        let jsonURL = modelDirectory.appendingPathComponent("tokenizer.json")
        let fm = FileManager.default
        if fm.fileExists(atPath: vocabURL.path) {
            let data: Data
            do { data = try Data(contentsOf: vocabURL) } catch {
                throw EmbeddingError.unreadableFile(vocabURL.path, String(describing: error))
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw EmbeddingError.invalidVocabulary(vocabURL.path, "it is not UTF-8 text")
            }
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            }
            if lines.last == "" { lines.removeLast() }
            try self.init(vocabulary: lines, maxLength: maxLength)
        } else if fm.fileExists(atPath: jsonURL.path) {
            let data: Data
            do { data = try Data(contentsOf: jsonURL) } catch {
                throw EmbeddingError.unreadableFile(jsonURL.path, String(describing: error))
            }
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let model = root["model"] as? [String: Any],
                  let vocab = model["vocab"] as? [String: Any]
            else { throw EmbeddingError.invalidVocabulary(jsonURL.path, "it has no model.vocab object") }
            var list = [String](repeating: "", count: vocab.count)
            for (token, value) in vocab {
                guard let id = (value as? NSNumber)?.intValue, id >= 0, id < list.count else {
                    throw EmbeddingError.invalidVocabulary(jsonURL.path, "token \(token) has an invalid id")
                }
                list[id] = token
            }
            try self.init(vocabulary: list, maxLength: maxLength)
        } else {
            throw EmbeddingError.missingFile(directory: modelDirectory.path, file: "vocab.txt")
        }
    }

    /// Builds a tokenizer from a vocabulary whose index is the token id.
    public init(vocabulary: [String], maxLength: Int = 256) throws {
        guard maxLength >= 2 else { throw EmbeddingError.invalidConfiguration("maxLength must be at least 2") }
        // Keyed by UTF-8 bytes: Swift `String` equality is canonical equivalence, the vocabulary's is byte equality.
        var index: [[UInt8]: Int32] = [:]
        index.reserveCapacity(vocabulary.count)
        for (i, token) in vocabulary.enumerated() where index[Array(token.utf8)] == nil {
            index[Array(token.utf8)] = Int32(i)
        }
        func special(_ name: String) throws -> Int32 {
            guard let id = index[Array(name.utf8)] else {
                throw EmbeddingError.invalidVocabulary("vocabulary", "it has no \(name) token")
            }
            return id
        }
        self.maxLength = maxLength
        self.clsID = try special("[CLS]")
        self.sepID = try special("[SEP]")
        self.unkID = try special("[UNK]")
        self.padID = index[Array("[PAD]".utf8)] ?? 0
        self.tokens = vocabulary
        var specials: [(bytes: [UInt8], id: Int32)] = []
        for name in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] {
            if let id = index[Array(name.utf8)] { specials.append((Array(name.utf8), id)) }
        }
        self.specialTokens = specials
        var start: [([UInt8], Int32)] = []
        var cont: [([UInt8], Int32)] = []
        let prefix = Array("##".utf8)
        for (i, token) in vocabulary.enumerated() {
            let bytes = Array(token.utf8)
            guard index[bytes] == Int32(i) else { continue }
            // Byte-wise prefix test: `String.hasPrefix` compares grapheme clusters, and "##ा" starts with "#ा".
            if bytes.count > 2 && bytes.starts(with: prefix) {
                cont.append((Array(bytes.dropFirst(2)), Int32(i)))
            } else {
                start.append((bytes, Int32(i)))
            }
        }
        self.startPieces = PieceTable(start)
        self.continuationPieces = PieceTable(cont)
    }

    /// The number of tokens in the vocabulary.
    public var vocabularySize: Int { tokens.count }

    /// The token string of an id, or `nil` when out of range.
    public func token(for id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    /// Token ids of `text` with `[CLS]` first and `[SEP]` last, truncated to ``maxLength`` (no padding).
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(min(maxLength, text.utf8.count / 3 + 8))
        ids.append(clsID)
        let limit = maxLength - 2
        forEachPiece(text, limit: limit) { ids.append($0) }
        ids.append(sepID)
        return ids
    }

    /// The number of word pieces of `text`, without `[CLS]`/`[SEP]` and without truncation. Allocation-free for
    /// texts whose words fit on the stack; meant to be called on every word by a chunker.
    public func wordPieceCount(_ text: String) -> Int {
        var n = 0
        forEachPiece(text, limit: Int.max) { _ in n += 1 }
        return n
    }

    /// Word-piece strings of `text`, without special tokens added around it and without truncation.
    public func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        forEachPiece(text, limit: Int.max) { out.append(tokens[Int($0)]) }
        return out
    }

    // MARK: - Pipeline

    /// Calls `emit` with every piece id of `text` (no specials added), stopping after `limit` pieces.
    @inline(__always)
    private func forEachPiece(_ text: String, limit: Int, _ emit: (Int32) -> Void) {
        guard limit > 0 else { return }
        var text = text
        var remaining = limit
        text.withUTF8 { utf8 in
            // Split on literal special tokens first.
            var segmentStart = 0
            var i = 0
            let n = utf8.count
            while i < n {
                if utf8[i] == UInt8(ascii: "["), let (len, id) = matchSpecial(utf8, at: i) {
                    if segmentStart < i {
                        processSegment(UnsafeBufferPointer(rebasing: utf8[segmentStart..<i]), &remaining, emit)
                    }
                    if remaining > 0 { emit(id); remaining -= 1 }
                    i += len
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            if segmentStart < n, remaining > 0 {
                processSegment(UnsafeBufferPointer(rebasing: utf8[segmentStart..<n]), &remaining, emit)
            }
        }
    }

    private func matchSpecial(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int) -> (Int, Int32)? {
        var best: (Int, Int32)? = nil
        for (bytes, id) in specialTokens where bytes.count <= utf8.count - i {
            var ok = true
            for k in 0..<bytes.count where utf8[i + k] != bytes[k] { ok = false; break }
            if ok, bytes.count > (best?.0 ?? 0) { best = (bytes.count, id) }
        }
        return best
    }

    private func processSegment(
        _ utf8: UnsafeBufferPointer<UInt8>, _ remaining: inout Int, _ emit: (Int32) -> Void
    ) {
        var isASCII = true
        for b in utf8 where b >= 0x80 { isASCII = false; break }
        // Word buffer on the stack: bytes of at most `maxInputCharsPerWord` scalars are kept (a longer word is
        // [UNK] whatever its content); `starts` holds the byte offset of each kept scalar.
        let maxChars = Self.maxInputCharsPerWord
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxChars * 4 + 4) { bytes in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: maxChars + 2) { starts in
                var word = WordBuffer(bytes: bytes.baseAddress!, starts: starts.baseAddress!)
                if isASCII {
                    for b in utf8 {
                        if remaining <= 0 { return }
                        processASCII(b, &word, &remaining, emit)
                    }
                } else {
                    // NFD of the whole segment (Foundation), then per-scalar cleaning / splitting / lower-casing.
                    let decoded = String(decoding: utf8, as: UTF8.self)
                    let nfd = decoded.decomposedStringWithCanonicalMapping
                    for scalar in nfd.unicodeScalars {
                        if remaining <= 0 { return }
                        let v = scalar.value
                        if v < 0x80 {
                            processASCII(UInt8(v), &word, &remaining, emit)
                        } else {
                            processScalar(scalar, &word, &remaining, emit)
                        }
                    }
                }
                if remaining > 0 { flush(&word, &remaining, emit) }
            }
        }
    }

    @inline(__always)
    private func processASCII(_ b: UInt8, _ word: inout WordBuffer, _ remaining: inout Int, _ emit: (Int32) -> Void) {
        switch b {
        case 0x09, 0x0A, 0x0D, 0x20:
            flush(&word, &remaining, emit)
        case 0x00..<0x20, 0x7F:
            break  // control characters are removed
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E:
            flush(&word, &remaining, emit)
            word.append(b)
            flush(&word, &remaining, emit)
        case 0x41...0x5A:
            word.append(b | 0x20)
        default:
            word.append(b)
        }
    }

    private func processScalar(
        _ scalar: Unicode.Scalar, _ word: inout WordBuffer, _ remaining: inout Int, _ emit: (Int32) -> Void
    ) {
        let v = scalar.value
        if v == 0xFFFD { return }
        let props = scalar.properties
        let legacy = UnicodeTables.legacyClass(scalar)
        if legacy == .other { return }
        if props.isWhitespace {
            flush(&word, &remaining, emit)
            return
        }
        if legacy == .nonspacingMark { return }
        if UnicodeTables.isChineseChar(v) {
            flush(&word, &remaining, emit)
            appendLowercased(scalar, &word)
            flush(&word, &remaining, emit)
            return
        }
        if legacy == .punctuation {
            flush(&word, &remaining, emit)
            appendLowercased(scalar, &word)
            flush(&word, &remaining, emit)
            return
        }
        appendLowercased(scalar, &word)
    }

    @inline(__always)
    private func appendLowercased(_ scalar: Unicode.Scalar, _ word: inout WordBuffer) {
        let props = scalar.properties
        if props.changesWhenLowercased {
            for s in props.lowercaseMapping.unicodeScalars { word.append(s) }
        } else {
            word.append(scalar)
        }
    }

    /// Runs WordPiece on the buffered word and empties it.
    private func flush(_ word: inout WordBuffer, _ remaining: inout Int, _ emit: (Int32) -> Void) {
        let count = word.charCount
        guard count > 0, remaining > 0 else { word.reset(); return }
        defer { word.reset() }
        if count > Self.maxInputCharsPerWord {
            emit(unkID); remaining -= 1
            return
        }
        let bytes = word.bytes
        let starts = word.starts
        let byteCount = word.byteCount
        starts[count] = Int32(byteCount)
        // First pass: find the pieces (all or nothing, as WordPiece maps an uncoverable word to a single [UNK]).
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: count) { pieces in
            var pieceCount = 0
            var startChar = 0
            while startChar < count {
                let table = startChar == 0 ? startPieces : continuationPieces
                let startByte = Int(starts[startChar])
                var endChar = count
                // Skip candidates longer than the longest piece.
                while endChar > startChar, Int(starts[endChar]) - startByte > table.maxKeyLength { endChar -= 1 }
                var found: Int32 = -1
                while endChar > startChar {
                    let id = table.lookup(bytes + startByte, Int(starts[endChar]) - startByte)
                    if id >= 0 { found = id; break }
                    endChar -= 1
                }
                if found < 0 {
                    emit(unkID); remaining -= 1
                    return
                }
                pieces[pieceCount] = found
                pieceCount += 1
                startChar = endChar
            }
            for p in 0..<pieceCount {
                if remaining <= 0 { return }
                emit(pieces[p]); remaining -= 1
            }
        }
    }
}

/// A word being assembled: UTF-8 bytes of its first 100 scalars, their start offsets, and the total scalar count.
private struct WordBuffer {
    let bytes: UnsafeMutablePointer<UInt8>
    let starts: UnsafeMutablePointer<Int32>
    var byteCount = 0
    var charCount = 0

    init(bytes: UnsafeMutablePointer<UInt8>, starts: UnsafeMutablePointer<Int32>) {
        self.bytes = bytes
        self.starts = starts
    }

    @inline(__always) mutating func reset() { byteCount = 0; charCount = 0 }

    @inline(__always) mutating func append(_ b: UInt8) {
        if charCount < WordPieceTokenizer.maxInputCharsPerWord {
            starts[charCount] = Int32(byteCount)
            bytes[byteCount] = b
            byteCount += 1
        }
        charCount += 1
    }

    @inline(__always) mutating func append(_ s: Unicode.Scalar) {
        if charCount < WordPieceTokenizer.maxInputCharsPerWord {
            starts[charCount] = Int32(byteCount)
            for b in UTF8.encode(s)! { bytes[byteCount] = b; byteCount += 1 }
        }
        charCount += 1
    }
}

/// An immutable open-addressing hash table from UTF-8 byte strings to token ids.
private struct PieceTable: Sendable {
    private let keyBytes: [UInt8]
    private let keyOffsets: [Int32]
    private let keyLengths: [Int32]
    private let ids: [Int32]
    private let hashes: [UInt64]
    private let slots: [Int32]
    private let mask: Int
    let maxKeyLength: Int

    init(_ entries: [([UInt8], Int32)]) {
        var keyBytes: [UInt8] = []
        var offsets: [Int32] = [], lengths: [Int32] = [], ids: [Int32] = [], hashes: [UInt64] = []
        var maxLen = 0
        for (key, id) in entries {
            offsets.append(Int32(keyBytes.count))
            lengths.append(Int32(key.count))
            keyBytes.append(contentsOf: key)
            ids.append(id)
            let h = key.withUnsafeBufferPointer { PieceTable.hash($0.baseAddress, $0.count) }
            hashes.append(h)
            maxLen = max(maxLen, key.count)
        }
        var capacity = 16
        while capacity < entries.count * 3 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for e in 0..<entries.count {
            var s = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(e)
        }
        self.keyBytes = keyBytes
        self.keyOffsets = offsets
        self.keyLengths = lengths
        self.ids = ids
        self.hashes = hashes
        self.slots = slots
        self.mask = mask
        self.maxKeyLength = maxLen
    }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>?, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        guard let p else { return h }
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// The id of the key `p[0..<n]`, or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        let h = PieceTable.hash(p, n)
        return slots.withUnsafeBufferPointer { slots in
            hashes.withUnsafeBufferPointer { hashes in
                keyLengths.withUnsafeBufferPointer { lengths in
                    var s = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let e = Int(slots[s])
                        if e < 0 { return -1 }
                        if hashes[e] == h, Int(lengths[e]) == n {
                            let off = Int(keyOffsets[e])
                            let equal = keyBytes.withUnsafeBufferPointer { kb in
                                memcmp(kb.baseAddress! + off, p, n) == 0
                            }
                            if equal { return ids[e] }
                        }
                        s = (s + 1) & mask
                    }
                }
            }
        }
    }
}

/// Character classes as `tokenizers` sees them.
enum UnicodeTables {
    /// The classes of character the BERT normaliser and pre-tokeniser treat specially.
    enum LegacyClass {
        /// Cc, Cf or Co: removed by text cleaning.
        case other
        /// Mn: dropped by accent stripping.
        case nonspacingMark
        /// P*: split off as a word of its own.
        case punctuation
        case none
    }

    /// The class of `scalar` in Unicode 8.0, the version of the category tables (`unicode_categories`) that
    /// `tokenizers` uses: characters assigned later are `.none`, and the few whose category changed since are listed.
    @inline(__always)
    static func legacyClass(_ scalar: Unicode.Scalar) -> LegacyClass {
        if let override = categoryChanges[scalar.value] { return override }
        let props = scalar.properties
        guard let age = props.age, age.major < 8 || (age.major == 8 && age.minor == 0) else { return .none }
        switch props.generalCategory {
        case .control, .format, .privateUse: return .other
        case .nonspacingMark: return .nonspacingMark
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return .punctuation
        default: return .none
        }
    }

    /// Characters of Unicode ≤ 8.0 whose category changed later, with their 8.0 class (found by comparing every
    /// code point with `tokenizers`).
    static let categoryChanges: [UInt32: LegacyClass] = [
        0x1885: .none, 0x1886: .none, 0xA9BD: .none,  // Mn today, Lo / Mc in 8.0
        0x1734: .nonspacingMark, 0x1171E: .nonspacingMark,  // Mc today, Mn in 8.0
        0x166D: .punctuation, 0x111C9: .punctuation,  // So / Mn today, Po in 8.0
    ]

    /// The CJK ranges of BERT's `_is_chinese_char` (including its quirk of starting Extension E at U+2B920).
    @inline(__always)
    static func isChineseChar(_ v: UInt32) -> Bool {
        switch v {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
