import Foundation

/// What to ingest and how.
public struct IngestOptions: Sendable {
    /// The knowledge base the documents go into (created if missing).
    public var knowledgeBase: String
    public var reader: ReaderOptions
    public var chunking: ChunkingOptions
    /// Chunks embedded per model call; larger batches use the cores better, smaller ones report progress sooner.
    public var batchSize: Int
    /// Who may read the ingested documents: `group:NAME` and `user:ID` entries (empty: everyone in the tenant).
    public var allowedGroups: [String]
    /// A metadata field whose value (a list, or comma-separated text) adds permission entries per document.
    public var permissionField: String? = nil
    /// The tenant whose knowledge base the documents go into.
    public var tenant: String = Principal.defaultTenant
    /// When set, files under ``SourceLabel/directory`` are recorded (source URIs, problems, messages) under
    /// ``SourceLabel/prefix`` instead of their path: uploads keep one identity whatever scratch folder held them.
    public var sourceLabel: SourceLabel? = nil

    public init(knowledgeBase: String, reader: ReaderOptions = ReaderOptions(), chunking: ChunkingOptions = ChunkingOptions(),
                batchSize: Int = 32, allowedGroups: [String] = []) {
        self.knowledgeBase = knowledgeBase
        self.reader = reader
        self.chunking = chunking
        self.batchSize = batchSize
        self.allowedGroups = allowedGroups
    }
}

/// Names files of one folder by a prefix instead of their path, e.g. `/data/uploads/1f3c/guide.md` → `upload:guide.md`.
@MemberwiseInit
public struct SourceLabel: Sendable, Equatable {
    /// An absolute, standardised folder path (no trailing slash).
    public var directory: String
    public var prefix: String

    /// `text` with every occurrence of the folder path (and the slash after it) replaced by the prefix.
    public func apply(_ text: String) -> String {
        text.replacingOccurrences(of: directory + "/", with: prefix)
    }
}

/// What happened to one source that was not stored.
public struct IngestProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var reason: String

    public var description: String {
        // Whole-file read errors already name the file (and line) in their reason.
        if reason.contains(path) { return reason }
        return line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)"
    }
}

/// The outcome of an ingest run.
@SnakeCaseCodingKeys
public struct IngestSummary: Sendable, Codable, Equatable {
    @WireKey("kb") public var knowledgeBase: String
    public var files: Int = 0
    public var added: Int = 0
    public var updated: Int = 0
    public var unchanged: Int = 0
    public var chunksEmbedded: Int = 0
    public var skipped: [IngestProblem] = []
    /// Entries left out by policy (hidden files and folders): mentioned, but not a failure.
    public var ignored: [IngestProblem] = []
    public var seconds: Double = 0

    /// True when every source was stored or was already up to date.
    public var isClean: Bool { skipped.isEmpty }
}

/// Progress of an ingest run, for a progress bar or machine-readable lines.
public enum IngestEvent: Sendable {
    /// Scanning finished: this many files will be read.
    case started(files: Int)
    /// A file was read (successfully or not); `documents` documents came out of it.
    case fileRead(path: String, documents: Int)
    /// A batch of chunks was embedded; totals so far.
    case embedded(chunks: Int, totalChunks: Int)
    /// A document was stored, or found unchanged.
    case document(sourceURI: String, outcome: DocumentOutcome, chunks: Int)
    /// Something was skipped because it could not be read or stored.
    case problem(IngestProblem)
    /// Something was left out by policy (a hidden file or folder).
    case ignored(IngestProblem)
}

/// What ingest did with one document.
public enum DocumentOutcome: String, Sendable, Codable {
    case added, updated, unchanged
}

/// Why an ingest could not run at all (per-file problems are reported in the summary instead).
public enum IngestError: Error, Sendable, CustomStringConvertible {
    case invalidKnowledgeBaseName(String)
    case store(StoreError)
    case embedding(String)

    public var description: String {
        switch self {
        case .invalidKnowledgeBaseName(let name):
            return "knowledge base name '\(name)' is not valid: use 1–64 letters, digits, '-', '_' or '.'"
        case .store(let error):
            return error.description
        case .embedding(let reason):
            return "embedding failed: \(reason). Nothing of the current batch was stored; run the same command again."
        }
    }
}

/// A file or folder given to ingest, with the options it was read with, so that a refresh reads it again the same way.
@MemberwiseInit
public struct IngestSource: Sendable, Equatable {
    /// The options of ``IngestOptions`` that decide what the documents are (not the batch size or the label).
    public struct Options: Sendable, Equatable, Codable {
        public var format: String
        public var idField: String
        public var textFields: [String]
        public var titleField: String?
        public var metadataFields: [String]
        public var maxFileBytes: Int
        public var maxTokens: Int
        public var targetTokens: Int
        public var overlapFraction: Double
        public var allowedGroups: [String]
        public var permissionField: String?

        public init(_ options: IngestOptions) {
            format = options.reader.format.rawValue
            idField = options.reader.records.idField
            textFields = options.reader.records.textFields
            titleField = options.reader.records.titleField
            metadataFields = options.reader.records.metadataFields
            maxFileBytes = options.reader.maxFileBytes
            maxTokens = options.chunking.maxTokens
            targetTokens = options.chunking.targetTokens
            overlapFraction = options.chunking.overlapFraction
            allowedGroups = options.allowedGroups
            permissionField = options.permissionField
        }

        /// The ingest options these stand for, into `knowledgeBase`.
        public func ingestOptions(knowledgeBase: KnowledgeBase) -> IngestOptions {
            var options = IngestOptions(knowledgeBase: knowledgeBase.name,
                          reader: ReaderOptions(format: DocumentFormat(rawValue: format) ?? .auto,
                                                records: RecordFieldOptions(idField: idField, textFields: textFields,
                                                                            titleField: titleField, metadataFields: metadataFields),
                                                maxFileBytes: maxFileBytes),
                          chunking: ChunkingOptions(maxTokens: maxTokens, targetTokens: targetTokens, overlapFraction: overlapFraction),
                          allowedGroups: allowedGroups)
            options.permissionField = permissionField
            options.tenant = knowledgeBase.tenant
            return options
        }
    }

    /// Absolute, standardised.
    public var path: String
    public var options: Options
    public var ingestedAt: Date
}
