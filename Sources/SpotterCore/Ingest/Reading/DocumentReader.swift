import Foundation

/// Reads one source file into documents.
///
/// Whole-file failures throw ``ReadError``; problems with single records (JSON/JSONL) are returned in
/// ``ReadResult/problems`` while the good records still come through.
///
/// Checks done before parsing, in order: the format (from `options.format` or the extension), that the path is a
/// readable regular file, the size limit (from the file's attributes, before reading), empty (0 bytes), binary
/// (NUL bytes in the first 8 KiB; not for PDF), strict UTF-8 (no silent repair; a leading BOM is dropped), and
/// empty again (nothing but whitespace). Text is normalised to LF line ends before parsing.
public enum DocumentReader {
    public static func read(_ url: URL, options: ReaderOptions) throws(ReadError) -> ReadResult {
        try read(url, displayPath: IngestPath.display(for: url), options: options)
    }

    /// Reads a file found by ``SourceScanner``, naming it by ``ScannedFile/path``.
    public static func read(_ file: ScannedFile, options: ReaderOptions) throws(ReadError) -> ReadResult {
        try read(file.url, displayPath: file.path, options: options)
    }

    static func read(_ url: URL, displayPath path: String, options: ReaderOptions) throws(ReadError) -> ReadResult {
        guard let format = options.format.resolved(for: url) else {
            throw .unsupportedType(path: path, ext: url.pathExtension.lowercased())
        }
        let data = try loadData(url, path: path, format: format, limit: options.maxFileBytes)

        if format == .pdf {
            let doc = try PDFReader.read(url, path: path)
            return ReadResult(documents: [doc])
        }

        let text = try decodeUTF8(data, path: path)
        if text.allSatisfy(\.isWhitespace) { throw .empty(path: path) }
        let normalized = IngestText.normalizeNewlines(text)
        let stem = url.deletingPathExtension().lastPathComponent

        switch format {
        case .md:
            let parsed = MarkdownReader.parse(normalized, fallbackTitle: stem)
            return ReadResult(documents: [
                ParsedDocument(sourceURI: path, title: parsed.title, blocks: parsed.blocks, metadata: parsed.metadata)
            ])
        case .txt:
            let blocks = IngestText.paragraphs(normalized).map(Block.paragraph)
            return ReadResult(documents: [ParsedDocument(sourceURI: path, title: stem, blocks: blocks)])
        case .html:
            let parsed = HTMLReader.parse(normalized, fallbackTitle: stem)
            return ReadResult(documents: [ParsedDocument(sourceURI: path, title: parsed.title, blocks: parsed.blocks)])
        case .json:
            return try RecordReader.readJSON(normalized, path: path, options: options.records)
        case .jsonl:
            return try RecordReader.readJSONL(normalized, path: path, options: options.records)
        case .pdf, .auto:
            preconditionFailure("handled above")
        }
    }

    // MARK: - Common checks

    static func loadData(_ url: URL, path: String, format: DocumentFormat, limit: Int) throws(ReadError) -> Data {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw .unreadable(path: path, reason: "it is a folder, not a file") }
        guard fm.isReadableFile(atPath: url.path) else { throw .unreadable(path: path, reason: "permission denied") }
        if let size = (try? fm.attributesOfItem(atPath: url.path))?[.size] as? NSNumber, size.intValue > limit {
            throw .tooLarge(path: path, bytes: size.intValue, limit: limit)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        if data.count > limit { throw .tooLarge(path: path, bytes: data.count, limit: limit) }
        if data.isEmpty { throw .empty(path: path) }
        if format != .pdf, IngestText.looksBinary(data) { throw .binary(path: path) }
        return data
    }

    /// Strict UTF-8 decoding; a leading byte order mark is dropped.
    static func decodeUTF8(_ data: Data, path: String) throws(ReadError) -> String {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let offset = UTF8Text.firstInvalidByteOffset(bytes) ?? 0
        let start = bytes.startIndex
        let line = 1 + bytes[start..<(start + offset)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        throw .notUTF8(path: path, line: line, byteOffset: offset + (bytes.startIndex - data.startIndex))
    }
}

/// Small text helpers shared by the readers.
enum IngestText {
    /// CRLF and lone CR become LF.
    static func normalizeNewlines(_ text: String) -> String {
        guard text.contains("\r") || text.contains("\r\n") else { return text }
        var scalars = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                scalars.append("\n")
                previousCR = true
                continue
            }
            if scalar == "\n" && previousCR {
                previousCR = false
                continue
            }
            previousCR = false
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// NUL bytes in the first 8 KiB.
    static func looksBinary(_ data: Data) -> Bool {
        data.prefix(8192).contains(0)
    }

    /// Paragraphs separated by blank (whitespace-only) lines; trailing spaces of each line are dropped.
    static func paragraphs(_ text: String) -> [String] {
        var result: [String] = []
        var current: [Substring] = []
        func flush() {
            let joined = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !joined.isEmpty { result.append(joined) }
            current.removeAll()
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = trimTrailing(line)
            if trimmed.allSatisfy(\.isWhitespace) { flush() } else { current.append(trimmed) }
        }
        flush()
        return result
    }

    static func trimTrailing(_ line: Substring) -> Substring {
        var end = line.endIndex
        while end > line.startIndex, line[line.index(before: end)].isWhitespace { end = line.index(before: end) }
        return line[line.startIndex..<end]
    }

    /// Runs of whitespace (including newlines and no-break spaces) become one space; ends are trimmed.
    static func collapseWhitespace<S: StringProtocol>(_ text: S) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            }
        }
        return String(out)
    }
}

/// Lexical path standardisation that keeps relative paths relative ("./docs//a.md" → "docs/a.md").
enum IngestPath {
    static func display(for url: URL) -> String {
        standardize(url.isFileURL ? url.relativePath : url.absoluteString)
    }

    static func standardize(_ path: String) -> String {
        guard !path.isEmpty else { return path }
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func join(_ base: String, _ name: String) -> String {
        base.hasSuffix("/") ? base + name : base + "/" + name
    }
}
