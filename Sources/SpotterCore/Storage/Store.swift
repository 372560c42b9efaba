import Foundation

/// The knowledge base's persistent state: documents, their chunks, embeddings and the keyword index.
///
/// Ingest and search talk to this protocol only, so that a PostgreSQL backend can replace the embedded SQLite one
/// without touching them. Every method that changes a document is atomic: after a crash the store holds the old
/// document or the new one, never half of either.
///
/// ```swift
/// let store = try SQLiteStore(directory: dataDirectory)
/// let kb = try store.knowledgeBase(named: "fitness", create: true)
/// try store.replaceDocument(document, chunks: chunks, in: kb)
/// ```
public protocol Store: Sendable {
    /// The tenant's knowledge base with this name; created when `create` is true and it does not exist yet.
    func knowledgeBase(named name: String, tenant: String, create: Bool) throws(StoreError) -> KnowledgeBase?
    /// The tenant's knowledge bases by name, or every tenant's (by tenant, then name) when `tenant` is nil.
    func knowledgeBases(tenant: String?) throws(StoreError) -> [KnowledgeBase]

    /// What the store knows about the document with this source in a knowledge base, to decide whether re-ingest
    /// can skip it.
    func fingerprint(ofSource sourceURI: String, in knowledgeBase: KnowledgeBase) throws(StoreError) -> DocumentFingerprint?
    /// Inserts the document or replaces the one with the same source, with all its chunks and embeddings, in one
    /// transaction. Returns the stored document's id.
    @discardableResult
    func replaceDocument(_ document: NewDocument, chunks: [NewChunk], in knowledgeBase: KnowledgeBase) throws(StoreError) -> String
    /// Deletes one of the tenant's documents (with its chunks and embeddings); false when the tenant has none
    /// with this id.
    /// With `compactingIndex`, the knowledge base's keyword index is compacted too (``compactKeywordIndex(of:)``);
    /// a caller deleting many compacts once after.
    @discardableResult
    func deleteDocument(id: String, tenant: String, compactingIndex: Bool) throws(StoreError) -> Bool
    /// Rewrites a knowledge base's keyword index without the entries of replaced or deleted chunks, which it
    /// otherwise keeps (marked deleted) until its segments merge; with `secure_delete` the freed pages are zeroed.
    func compactKeywordIndex(of knowledgeBase: KnowledgeBase) throws(StoreError)
    /// The documents of a knowledge base with their chunk counts, ordered by source.
    func documents(in knowledgeBase: KnowledgeBase) throws(StoreError) -> [DocumentSummary]
    /// One of the tenant's documents by id (another tenant's is nil, as an unknown one).
    func document(id: String, tenant: String) throws(StoreError) -> DocumentSummary?

    /// Keyword search over chunk text: FTS5 `MATCH` ranked by `bm25()` with the knowledge base's own statistics,
    /// best first. `expression` is an FTS5 query
    /// that the caller built safely (see ``KeywordQuery``). `documentIDs` restricts the search when not nil.
    func keywordSearch(_ expression: String, in knowledgeBase: KnowledgeBase, documentIDs: Set<String>?, limit: Int) throws(StoreError) -> [KeywordMatch]
    /// Every stored embedding of a knowledge base made by the given model version, for dense search.
    func embeddings(in knowledgeBase: KnowledgeBase, modelID: String, modelVersion: String) throws(StoreError) -> [StoredEmbedding]
    /// Chunks with their documents, for presenting hits.
    /// The stored vectors of these chunks for one model (chunks without one are left out).
    func embeddings(chunkIDs: [Int64], modelID: String, modelVersion: String) throws(StoreError) -> [StoredEmbedding]
    /// The ids of every chunk of the knowledge base that has a vector from this model, ascending.
    func embeddedChunkIDs(in knowledgeBase: KnowledgeBase, modelID: String, modelVersion: String) throws(StoreError) -> [Int64]
    func chunks(ids: [Int64]) throws(StoreError) -> [ChunkDetail]
    /// A number that changes whenever a document of the knowledge base changes; caches compare it.
    func generation(of knowledgeBase: KnowledgeBase) throws(StoreError) -> Int64
    /// Checks that the store opens and answers.
    func ping() throws(StoreError)

    /// Remembers a file or folder given to ingest, with its options, replacing what was remembered for that path.
    func recordIngestSource(_ source: IngestSource, in knowledgeBase: KnowledgeBase) throws(StoreError)
    /// The files and folders ingested into a knowledge base, by path: what a refresh reads again.
    func ingestSources(in knowledgeBase: KnowledgeBase) throws(StoreError) -> [IngestSource]
}

/// A named collection of documents of one tenant; searches run inside one. Names are unique per tenant.
@MemberwiseInit
public struct KnowledgeBase: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var tenant: String = Principal.defaultTenant
}

extension Store {
    /// The default tenant's knowledge base with this name (the CLI without `--tenant`, and stores from before tenants).
    public func knowledgeBase(named name: String, create: Bool) throws(StoreError) -> KnowledgeBase? {
        try knowledgeBase(named: name, tenant: Principal.defaultTenant, create: create)
    }

    /// Every tenant's knowledge bases.
    public func knowledgeBases() throws(StoreError) -> [KnowledgeBase] {
        try knowledgeBases(tenant: nil)
    }
}

/// Content hash and embedding model of a stored document.
@MemberwiseInit
public struct DocumentFingerprint: Sendable, Equatable {
    public var documentID: String
    public var contentSHA256: String
    /// The model versions every one of its chunks has a vector from (two while a reindex to another model runs).
    public var embeddingVersions: Set<String>
}

/// A document ready to be written, with its identity and content hash.
@MemberwiseInit
public struct NewDocument: Sendable {
    public var sourceURI: String
    public var title: String
    public var contentSHA256: String
    public var metadata: [String: JSONValue]
    /// Who may read the document: `group:NAME` and `user:ID` entries (empty: everyone in the tenant); see
    /// ``ReadAccess``.
    public var allowedGroups: [String] = []
    /// The name the source is shown by (``IngestService/logicalName(of:givenPaths:)``); nil shows `sourceURI`.
    public var sourceName: String? = nil
}

/// A chunk ready to be written, with its embedding.
public struct NewChunk: Sendable {
    public var ordinal: Int
    public var text: String
    /// The text that is indexed and embedded: the chunk with its title and heading path.
    public var contextualText: String
    public var headingPath: [String]
    public var tokenCount: Int
    public var startOffset: Int
    public var endOffset: Int
    public var embedding: [Float]
    public var modelID: String
    public var modelVersion: String

    public init(ordinal: Int, text: String, contextualText: String, headingPath: [String], tokenCount: Int,
                startOffset: Int, endOffset: Int, embedding: [Float], modelID: String, modelVersion: String) {
        self.ordinal = ordinal
        self.text = text
        self.contextualText = contextualText
        self.headingPath = headingPath
        self.tokenCount = tokenCount
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.embedding = embedding
        self.modelID = modelID
        self.modelVersion = modelVersion
    }
}

/// A stored document as listings show it.
public struct DocumentSummary: Sendable, Equatable, Codable {
    public var id: String
    public var knowledgeBase: String
    /// The source's identity inside the store (for a file ingested from the server's disk, its absolute path):
    /// what re-ingest and refresh match by. Never shown through the API; ``sourceName`` is.
    public var sourceURI: String
    /// The name the source is shown by (`upload:name.md`, a path relative to the folder ingested, a URL).
    public var sourceName: String
    public var title: String
    public var contentSHA256: String
    public var metadata: [String: JSONValue]
    public var allowedGroups: [String]
    public var chunkCount: Int
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, title, metadata
        case knowledgeBase = "kb"
        case sourceName = "source"
        case contentSHA256 = "content_sha256"
        case allowedGroups = "allowed_groups"
        case chunkCount = "chunks"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(id: String, knowledgeBase: String, sourceURI: String, sourceName: String? = nil, title: String, contentSHA256: String,
                metadata: [String: JSONValue], allowedGroups: [String], chunkCount: Int, createdAt: Date, updatedAt: Date) {
        self.sourceName = sourceName ?? sourceURI
        self.id = id
        self.knowledgeBase = knowledgeBase
        self.sourceURI = sourceURI
        self.title = title
        self.contentSHA256 = contentSHA256
        self.metadata = metadata
        self.allowedGroups = allowedGroups
        self.chunkCount = chunkCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    // Dates are ISO 8601 text (`2026-11-25T06:20:00.123Z`) in JSON, not Foundation's seconds since 2001.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        knowledgeBase = try container.decode(String.self, forKey: .knowledgeBase)
        sourceName = try container.decode(String.self, forKey: .sourceName)
        sourceURI = sourceName
        title = try container.decode(String.self, forKey: .title)
        contentSHA256 = try container.decode(String.self, forKey: .contentSHA256)
        metadata = try container.decode([String: JSONValue].self, forKey: .metadata)
        allowedGroups = try container.decode([String].self, forKey: .allowedGroups)
        chunkCount = try container.decode(Int.self, forKey: .chunkCount)
        func date(_ key: CodingKeys) throws -> Date {
            let text = try container.decode(String.self, forKey: key)
            guard let date = try? Date(text, strategy: Self.dateStyle) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
        createdAt = try date(.createdAt)
        updatedAt = try date(.updatedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(knowledgeBase, forKey: .knowledgeBase)
        try container.encode(sourceName, forKey: .sourceName)
        try container.encode(title, forKey: .title)
        try container.encode(contentSHA256, forKey: .contentSHA256)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(allowedGroups, forKey: .allowedGroups)
        try container.encode(chunkCount, forKey: .chunkCount)
        try container.encode(createdAt.formatted(Self.dateStyle), forKey: .createdAt)
        try container.encode(updatedAt.formatted(Self.dateStyle), forKey: .updatedAt)
    }

    private static let dateStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}

/// One row of a keyword search.
@MemberwiseInit
public struct KeywordMatch: Sendable, Equatable {
    public var chunkID: Int64
    public var documentID: String
    /// The BM25 score, larger is better (FTS5's `bm25()` negated).
    public var score: Double
}

/// One stored vector and what it belongs to.
@MemberwiseInit
public struct StoredEmbedding: Sendable {
    public var chunkID: Int64
    public var documentID: String
    public var vector: [Float]
}

/// A chunk with enough of its document to present a search hit.
public struct ChunkDetail: Sendable, Equatable {
    public var chunkID: Int64
    public var ordinal: Int
    public var text: String
    public var headingPath: [String]
    public var tokenCount: Int
    public var startOffset: Int
    public var endOffset: Int
    public var documentID: String
    public var title: String
    /// The name the document's source is shown by (``DocumentSummary/sourceName``).
    public var sourceName: String
    public var metadata: [String: JSONValue]
}

extension Store {
    /// Deletes one document and compacts its knowledge base's keyword index, so nothing of its text lingers.
    @discardableResult
    public func deleteDocument(id: String, tenant: String) throws(StoreError) -> Bool {
        try deleteDocument(id: id, tenant: tenant, compactingIndex: true)
    }
}

/// Why the store could not do what was asked.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case migrationFailed(reason: String)
    case database(operation: String, reason: String)
    case corruptRow(table: String, reason: String)
    /// An encrypted value failed its integrity check (changed, moved, or sealed under a key not configured).
    case integrity(DataIntegrityError)
    /// The store and the configured data key do not go together (an encrypted store without its key, say).
    case encryption(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open the store at \(path): \(reason). Check that the folder exists and is writable, or set SPOTTER_DATA_DIR."
        case .migrationFailed(let reason):
            return "the store's schema could not be upgraded: \(reason). The data was left as it was; back up the folder and report this."
        case .database(let operation, let reason):
            return "store error while trying to \(operation): \(reason)"
        case .corruptRow(let table, let reason):
            return "a row of \(table) could not be read (\(reason)); run `PRAGMA integrity_check` on the store or re-ingest."
        case .integrity(let error):
            return "\(error.description). The rest of the store is unaffected; restore that record from a backup, or delete it (re-ingest a document)."
        case .encryption(let reason):
            return reason
        }
    }
}
