import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// Expected ids below were produced by HuggingFace `tokenizers` 0.23.3 reading the model's own `tokenizer.json`
/// (truncation 256, no padding).
@Suite("WordPiece tokenizer")
struct WordPieceTokenizerTests {
    /// The real tokenizer of the installed model; a missing model is a failure with instructions, not a skip.
    static func loadTokenizer() throws -> WordPieceTokenizer {
        try TestEnvironment.requireModelFile("vocab.txt")
        return try WordPieceTokenizer(modelDirectory: TestEnvironment.modelDirectory, maxLength: 256)
    }

    @Test("empty and whitespace-only text give [CLS] [SEP]")
    func empty() throws {
        let tok = try Self.loadTokenizer()
        #expect(tok.encode("") == [101, 102])
        #expect(tok.encode(" \t\n\r  ") == [101, 102])
        #expect(tok.encode("\u{0}\u{7}\u{200B}") == [101, 102])
        #expect(tok.wordPieceCount("") == 0)
        #expect(tok.tokenize("") == [])
    }

    @Test("accents are stripped and text lower-cased")
    func accents() throws {
        let tok = try Self.loadTokenizer()
        #expect(tok.encode("Café naïve Übung señor") == [101, 7668, 15743, 1057, 8569, 3070, 12411, 2953, 102])
        #expect(tok.tokenize("Café naïve Übung señor") == ["cafe", "naive", "u", "##bu", "##ng", "sen", "##or"])
        // Already decomposed input, and a stacked second accent.
        #expect(tok.encode("e\u{301}\u{301}") == [101, 1041, 102])
        #expect(tok.encode("İstanbul ΣΑΣ straße") == [101, 9960, 1173, 14608, 29733, 2358, 27807, 102])
    }

    @Test("CJK ideographs are words of their own")
    func cjk() throws {
        let tok = try Self.loadTokenizer()
        #expect(tok.encode("深蹲对膝盖") == [101, 100, 100, 100, 100, 100, 102])
        #expect(tok.wordPieceCount("深蹲对膝盖") == 5)
        // Without the split the five characters would be a single word, hence a single [UNK].
        #expect(tok.wordPieceCount("a深b") == 3)
    }

    @Test("punctuation is split off")
    func punctuation() throws {
        let tok = try Self.loadTokenizer()
        #expect(tok.encode("Don't stop!!! (ok?) a-b_c") == [
            101, 2123, 1005, 1056, 2644, 999, 999, 999, 1006, 7929, 1029, 1007, 1037, 1011, 1038, 1035, 1039, 102,
        ])
        #expect(tok.tokenize("a-b") == ["a", "-", "b"])
    }

    @Test("control and format characters are removed, all whitespace separates")
    func controlCharacters() throws {
        let tok = try Self.loadTokenizer()
        #expect(tok.encode("ctrl\u{0}a\u{7}b\u{200B}c\u{FEFF}d\u{FFFD}e") == [101, 14931, 12190, 7875, 19797, 2063, 102])
        #expect(tok.encode("tab\there\nnew\r\nline\u{A0}nbsp\u{3000}ideo") == [
            101, 21628, 2182, 2047, 2240, 1050, 5910, 2361, 8909, 8780, 102,
        ])
    }

    @Test("word pieces, [UNK] for words over 100 characters, literal special tokens")
    func wordPieces() throws {
        let tok = try Self.loadTokenizer()
        #expect(tok.encode("hypertrophy") == [101, 23760, 13181, 21281, 102])
        #expect(tok.tokenize("hypertrophy") == ["hyper", "##tro", "##phy"])
        #expect(tok.encode(String(repeating: "x", count: 101)) == [101, 100, 102])
        #expect(tok.wordPieceCount(String(repeating: "x", count: 100)) > 1)
        #expect(tok.encode("[CLS] literal [SEP]") == [101, 101, 18204, 102, 102])
    }

    @Test("a 300-word text is truncated to 256 ids with [SEP] last")
    func truncation() throws {
        let tok = try Self.loadTokenizer()
        let text = String(repeating: "word ", count: 300)
        let ids = tok.encode(text)
        #expect(ids.count == 256)
        #expect(ids.first == tok.clsID)
        #expect(ids.last == tok.sepID)
        #expect(ids[1..<255].allSatisfy { $0 == 2773 })
        // The count for the chunker is not truncated.
        #expect(tok.wordPieceCount(text) == 300)
    }

    @Test("wordPieceCount agrees with encode")
    func counts() throws {
        let tok = try Self.loadTokenizer()
        for text in ["", "a", "Hello, world!", "Café 深蹲 😅🏃‍♀️", "3x10 @ 80% 1RM", "supercalifragilisticexpialidocious"] {
            #expect(tok.wordPieceCount(text) == tok.encode(text).count - 2)
            #expect(tok.tokenize(text).count == tok.wordPieceCount(text))
        }
    }

    @Test("a vocabulary without [CLS] is rejected")
    func badVocabulary() {
        #expect(throws: EmbeddingError.self) {
            _ = try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[SEP]", "a"])
        }
        let small = try? WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##able", "##s"])
        #expect(small?.encode("Unables unknown") == [2, 4, 5, 6, 1, 3])
    }
}
