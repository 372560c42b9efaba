import Foundation
import SpotterCore
import Testing

/// A small BERT-like word-piece counter for the ingest tests: split on whitespace, then every punctuation or
/// symbol character and every CJK character is one token, and each remaining run of characters counts
/// ceil(length / 4) pieces. Like BERT it adds up exactly across whitespace.
enum IngestTestTokens {
    static let count: @Sendable (String) -> Int = { text in
        var total = 0
        var run = 0
        func endRun() {
            total += (run + 3) / 4
            run = 0
        }
        for character in text {
            if character.isWhitespace {
                endRun()
            } else if character.isPunctuation || character.isSymbol || isCJK(character) {
                endRun()
                total += 1
            } else {
                run += 1
            }
        }
        endRun()
        return total
    }

    static func isCJK(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first else { return false }
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0xF900...0xFAFF, 0x3040...0x30FF, 0xAC00...0xD7AF:
            return true
        default:
            return false
        }
    }
}

/// A scratch folder removed when the test ends.
final class IngestTempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("spotter-ingest-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Data(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

enum IngestTestHelpers {
    static func read(_ url: URL, _ options: ReaderOptions = .init()) -> Result<ReadResult, ReadError> {
        do {
            return .success(try DocumentReader.read(url, options: options))
        } catch {
            return .failure(error)
        }
    }

    static func readError(_ url: URL, _ options: ReaderOptions = .init()) -> ReadError? {
        if case .failure(let error) = read(url, options) { return error }
        return nil
    }

    static func documents(_ url: URL, _ options: ReaderOptions = .init()) -> [ParsedDocument] {
        (try? read(url, options).get())?.documents ?? []
    }

    /// The invariants every chunking must keep; returns the chunks for further checks.
    @discardableResult
    static func checkChunks(
        _ document: ParsedDocument, options: ChunkingOptions = .init(),
        count: @escaping @Sendable (String) -> Int = IngestTestTokens.count,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [Chunk] {
        let chunks = Chunker(options: options, tokenCount: count).chunk(document)
        let characters = Array(document.text)
        for (index, chunk) in chunks.enumerated() {
            #expect(chunk.ordinal == index, sourceLocation: sourceLocation)
            #expect(chunk.tokenCount == count(chunk.contextualText), sourceLocation: sourceLocation)
            #expect(chunk.tokenCount <= options.maxTokens, "chunk \(index) has \(chunk.tokenCount) tokens", sourceLocation: sourceLocation)
            #expect(chunk.startOffset < chunk.endOffset, sourceLocation: sourceLocation)
            #expect(chunk.endOffset <= characters.count, sourceLocation: sourceLocation)
            if chunk.startOffset < chunk.endOffset, chunk.endOffset <= characters.count {
                #expect(String(characters[chunk.startOffset..<chunk.endOffset]) == chunk.text, sourceLocation: sourceLocation)
            }
            #expect(chunk.contextualText.hasSuffix(chunk.text), sourceLocation: sourceLocation)
            #expect(!chunk.text.isEmpty, sourceLocation: sourceLocation)
            #expect(chunk.text.first?.isWhitespace == false && chunk.text.last?.isWhitespace == false, sourceLocation: sourceLocation)
        }
        return chunks
    }

    /// A minimal valid PDF (Helvetica text, one content stream per page) with a correct xref table.
    static func minimalPDF(pages: [[String]]) -> Data {
        var objects: [String] = []
        let pageCount = pages.count
        // 1: catalog, 2: pages, 3: font, then per page: page object, content stream.
        objects.append("<< /Type /Catalog /Pages 2 0 R >>")
        let kids = (0..<pageCount).map { "\(4 + $0 * 2) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pageCount) >>")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        for (index, lines) in pages.enumerated() {
            let contentID = 5 + index * 2
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents \(contentID) 0 R "
                    + "/Resources << /Font << /F1 3 0 R >> >> >>")
            var stream = ""
            for (lineIndex, line) in lines.enumerated() {
                let y = 700 - lineIndex * 40
                stream += "BT /F1 14 Tf 72 \(y) Td (\(line)) Tj ET\n"
            }
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)endstream")
        }
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(index + 1) 0 obj\n\(body)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { out += String(format: "%010d 00000 n \n", offset) }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(out.utf8)
    }
}
