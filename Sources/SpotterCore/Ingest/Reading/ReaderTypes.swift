import Foundation

/// The format of a source file. `.auto` picks one from the file extension.
public enum DocumentFormat: String, Sendable, CaseIterable {
    case auto, md, txt, html, json, jsonl, pdf

    /// The format for a file extension (case-insensitive, without the dot), or nil when unsupported.
    public init?(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "md", "markdown": self = .md
        case "txt", "text": self = .txt
        case "html", "htm": self = .html
        case "json": self = .json
        case "jsonl", "ndjson": self = .jsonl
        case "pdf": self = .pdf
        default: return nil
        }
    }

    /// Every extension `.auto` recognises, with the dot, for messages.
    public static let supportedExtensions: [String] = [
        ".md", ".markdown", ".txt", ".text", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".pdf",
    ]

    /// The concrete format for a file, or nil when `self` is `.auto` and the extension is unsupported.
    public func resolved(for url: URL) -> DocumentFormat? {
        self == .auto ? DocumentFormat(fileExtension: url.pathExtension) : self
    }
}

/// Which fields of a JSON / JSONL record make up a document.
public struct RecordFieldOptions: Sendable, Equatable {
    /// The field holding the record's unique id (a string or a number).
    public var idField: String = "id"
    /// Fields joined into the document text, each as a labelled paragraph (`Primary muscles: hamstrings`).
    public var textFields: [String] = ["text"]
    /// The field holding the title; nil → `title` if present, else `name`, else the id.
    public var titleField: String? = nil
    /// Fields copied into the document metadata as JSON values.
    public var metadataFields: [String] = []

    public init(
        idField: String = "id", textFields: [String] = ["text"], titleField: String? = nil,
        metadataFields: [String] = []
    ) {
        self.idField = idField
        self.textFields = textFields
        self.titleField = titleField
        self.metadataFields = metadataFields
    }
}

public struct ReaderOptions: Sendable {
    public var format: DocumentFormat = .auto
    public var records = RecordFieldOptions()
    /// Files larger than this many bytes are refused with ``ReadError/tooLarge(path:bytes:limit:)``.
    public var maxFileBytes: Int = 50 * 1024 * 1024

    public init(format: DocumentFormat = .auto, records: RecordFieldOptions = .init(), maxFileBytes: Int = 50 * 1024 * 1024) {
        self.format = format
        self.records = records
        self.maxFileBytes = maxFileBytes
    }
}

/// A structural piece of a document: a heading or a paragraph (lists and code blocks are paragraphs).
@MemberwiseInit
public struct Block: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case heading(level: Int)
        case paragraph
    }

    public var kind: Kind
    public var text: String

    public static func paragraph(_ text: String) -> Block { Block(kind: .paragraph, text: text) }
    public static func heading(_ text: String, level: Int) -> Block { Block(kind: .heading(level: level), text: text) }

    public var isHeading: Bool {
        if case .heading = kind { return true }
        return false
    }
}

/// One document read from a file (a file may hold many, e.g. a JSON array of records).
@MemberwiseInit
public struct ParsedDocument: Sendable, Equatable {
    /// "" for a one-document file; the record id for JSON/JSONL records.
    public var key: String = ""
    /// The file path as given (lexically standardised); `path#<id>` for records.
    public var sourceURI: String
    public var title: String
    public var blocks: [Block]
    public var metadata: [String: JSONValue] = [:]

    /// The canonical plain text: block texts joined by a blank line (headings included). Chunk offsets refer to it.
    public var text: String { blocks.map(\.text).joined(separator: "\n\n") }
}

/// A problem with one record of a file; the file's other records are still read.
@MemberwiseInit
public struct ReadProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// 1-based line number, when known.
    public var line: Int?
    public var reason: String

    public var description: String {
        if let line { return "\(path):\(line): \(reason)" }
        return "\(path): \(reason)"
    }
}

@MemberwiseInit
public struct ReadResult: Sendable {
    public var documents: [ParsedDocument]
    /// Record-level problems (malformed JSONL lines, records without id or text, duplicate ids).
    public var problems: [ReadProblem] = []
}

/// A failure that stops a whole file from being read. Every message names the file and says what to do.
public enum ReadError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case binary(path: String)
    case notUTF8(path: String, line: Int, byteOffset: Int)
    case tooLarge(path: String, bytes: Int, limit: Int)
    case unsupportedType(path: String, ext: String)
    case malformedJSON(path: String, line: Int, detail: String)
    case pdftotextMissing(path: String)
    case pdfFailed(path: String, detail: String)
    case noRecords(path: String)

    public var path: String {
        switch self {
        case .unreadable(let path, _), .empty(let path), .binary(let path), .notUTF8(let path, _, _),
            .tooLarge(let path, _, _), .unsupportedType(let path, _), .malformedJSON(let path, _, _),
            .pdftotextMissing(let path), .pdfFailed(let path, _), .noRecords(let path):
            return path
        }
    }

    /// The 1-based line the problem was found on, when there is one.
    public var line: Int? {
        switch self {
        case .notUTF8(_, let line, _), .malformedJSON(_, let line, _): return line
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "Cannot read \(path): \(reason). Check that the file exists and that you have permission to read it."
        case .empty(let path):
            return "\(path) is empty (nothing but whitespace), so there is nothing to index. Add content or remove the file."
        case .binary(let path):
            return "\(path) looks like a binary file (it contains NUL bytes), not text. Remove it, or convert it to "
                + "one of the supported formats (\(DocumentFormat.supportedExtensions.joined(separator: ", ")))."
        case .notUTF8(let path, let line, let offset):
            return "\(path) is not valid UTF-8 (first bad byte at line \(line), byte offset \(offset)). "
                + "Convert it to UTF-8, e.g. `iconv -f latin1 -t utf-8 '\(path)' > converted.txt`."
        case .tooLarge(let path, let bytes, let limit):
            return "\(path) is too large (\(ReadError.formatBytes(bytes)), the limit is \(ReadError.formatBytes(limit))). "
                + "Split it into smaller files, or raise the limit with --max-file-size."
        case .unsupportedType(let path, let ext):
            let what = ext.isEmpty ? "it has no file extension" : "unsupported file type \".\(ext)\""
            return "Cannot read \(path): \(what). Supported: \(DocumentFormat.supportedExtensions.joined(separator: ", ")) "
                + "(or choose the format explicitly with --format)."
        case .malformedJSON(let path, let line, let detail):
            return "\(path):\(line): malformed JSON: \(detail). Fix the file (for one record per line, name it .jsonl)."
        case .pdftotextMissing(let path):
            return "Cannot read \(path): the `pdftotext` tool is not installed. "
                + "Install it with `apt-get install -y poppler-utils` (macOS: `brew install poppler`)."
        case .pdfFailed(let path, let detail):
            return "Could not extract text from \(path): \(detail). Check that it is a valid, unencrypted PDF with a text layer."
        case .noRecords(let path):
            return "\(path) contains no records. Expected a JSON array of objects, a single object, "
                + "or (for .jsonl) one object per line."
        }
    }

    static func formatBytes(_ bytes: Int) -> String {
        if bytes >= 1024 * 1024 { return String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        if bytes >= 1024 { return String(format: "%.1f KB", Double(bytes) / 1024) }
        return "\(bytes) bytes"
    }
}
