import Crypto
import Foundation

/// Reads sources, chunks them, embeds the chunks and stores each document in its own transaction.
///
/// Re-ingest is idempotent: a document whose content hash and embedding model are unchanged is skipped without
/// re-embedding; a changed one is replaced atomically. Problems with single files or records are reported and the
/// rest of the batch goes on.
@MemberwiseInit
public struct IngestService: Sendable {
    private let store: any Store
    private let embedder: any Embedder

    /// The documents of a knowledge base (`GET /v1/documents`, `spotter kb`).
    public func documents(in knowledgeBase: KnowledgeBase) throws(StoreError) -> [DocumentSummary] {
        try store.documents(in: knowledgeBase)
    }

    /// One of the tenant's documents, or nil (another tenant's too).
    public func document(id: String, tenant: String) throws(StoreError) -> DocumentSummary? {
        try store.document(id: id, tenant: tenant)
    }

    /// Deletes one of the tenant's documents with its chunks and vectors (and the cached answers citing it); false
    /// when the tenant has none with this id.
    public func deleteDocument(id: String, tenant: String) throws(StoreError) -> Bool {
        try store.deleteDocument(id: id, tenant: tenant)
    }

    public func ingest(paths: [String], options: IngestOptions,
                       progress: @Sendable (IngestEvent) -> Void = { _ in }) async throws(IngestError) -> IngestSummary {
        let started = ContinuousClock.now
        guard Self.isValidName(options.knowledgeBase) else { throw .invalidKnowledgeBaseName(options.knowledgeBase) }
        let knowledgeBase: KnowledgeBase
        do {
            knowledgeBase = try store.knowledgeBase(named: options.knowledgeBase, tenant: options.tenant, create: true)!
        } catch {
            throw .store(error)
        }

        var summary = IngestSummary(knowledgeBase: knowledgeBase.name)
        let label = { (text: String) in options.sourceLabel?.apply(text) ?? text }
        func report(_ problem: IngestProblem) {
            let problem = IngestProblem(path: label(problem.path), line: problem.line, reason: label(problem.reason))
            summary.skipped.append(problem)
            progress(.problem(problem))
        }

        // Absolute paths give each file one source URI whatever directory ingest runs from.
        let absolute = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let scan = SourceScanner.scan(absolute, format: options.reader.format)
        for skipped in scan.skipped {
            let problem = IngestProblem(path: label(skipped.path), line: nil, reason: label(skipped.reason))
            if skipped.isDeliberate {
                summary.ignored.append(problem)
                progress(.ignored(problem))
            } else {
                report(problem)
            }
        }
        summary.files = scan.files.count
        progress(.started(files: scan.files.count))

        // Remembered for refresh (uploads excepted: their scratch folder is gone after the request).
        if options.sourceLabel == nil {
            let remembered = IngestSource.Options(options)
            for path in absolute where FileManager.default.fileExists(atPath: path) {
                do {
                    try store.recordIngestSource(IngestSource(path: path, options: remembered, ingestedAt: Date()), in: knowledgeBase)
                } catch {
                    throw .store(error)
                }
            }
        }

        let chunker = Chunker(options: options.chunking, tokenCount: { [embedder] in embedder.tokenCount($0) })
        let modelTag = "\(embedder.modelID)@\(embedder.modelVersion)"
        var pending: [PendingDocument] = []
        var pendingChunks = 0
        var seenSources = Set<String>()

        for file in scan.files {
            let result: ReadResult
            do {
                result = try DocumentReader.read(file.url, options: options.reader)
            } catch {
                report(IngestProblem(path: file.path, line: error.line, reason: error.description))
                progress(.fileRead(path: label(file.path), documents: 0))
                continue
            }
            for problem in result.problems { report(IngestProblem(path: problem.path, line: problem.line, reason: problem.reason)) }
            progress(.fileRead(path: label(file.path), documents: result.documents.count))

            for var document in result.documents {
                document.sourceURI = label(document.sourceURI)
                guard seenSources.insert(document.sourceURI).inserted else {
                    report(IngestProblem(path: document.sourceURI, line: nil, reason: "given twice in this run; the first one was used"))
                    continue
                }
                let permissions: [String]
                switch DocumentPermissions.normalise(options.allowedGroups
                    + DocumentPermissions.entries(from: options.permissionField.flatMap { document.metadata[$0] })) {
                case .success(let entries): permissions = entries
                case .failure(let error):
                    report(IngestProblem(path: document.sourceURI, line: nil, reason: error.description))
                    continue
                }
                let hash = Self.contentHash(of: document, permissions: permissions)
                let existing: DocumentFingerprint?
                do {
                    existing = try store.fingerprint(ofSource: document.sourceURI, in: knowledgeBase)
                } catch {
                    throw .store(error)
                }
                if let existing, existing.contentSHA256 == hash, existing.embeddingVersions.contains(modelTag) {
                    summary.unchanged += 1
                    progress(.document(sourceURI: document.sourceURI, outcome: .unchanged, chunks: 0))
                    continue
                }
                let chunks = chunker.chunk(document)
                guard !chunks.isEmpty else {
                    report(IngestProblem(path: document.sourceURI, line: nil, reason: "no text to index after parsing"))
                    continue
                }
                pending.append(PendingDocument(document: document, hash: hash, chunks: chunks, isUpdate: existing != nil,
                                               permissions: permissions,
                                               sourceName: Self.logicalName(of: document.sourceURI, givenPaths: absolute)))
                pendingChunks += chunks.count
                if pendingChunks >= options.batchSize {
                    try await flush(&pending, into: knowledgeBase, options: options, summary: &summary, progress: progress)
                    pendingChunks = 0
                }
            }
        }
        try await flush(&pending, into: knowledgeBase, options: options, summary: &summary, progress: progress)
        // Replaced text leaves nothing behind in the keyword index: one compaction per run, not per document.
        if summary.updated > 0 {
            do { try store.compactKeywordIndex(of: knowledgeBase) } catch { throw .store(error) }
        }
        summary.seconds = (ContinuousClock.now - started).inSeconds
        return summary
    }

    /// Embeds the pending documents' chunks in one model call, then stores each document in its own transaction.
    private func flush(_ pending: inout [PendingDocument], into knowledgeBase: KnowledgeBase, options: IngestOptions,
                       summary: inout IngestSummary, progress: @Sendable (IngestEvent) -> Void) async throws(IngestError) {
        guard !pending.isEmpty else { return }
        let texts = pending.flatMap { $0.chunks.map(\.contextualText) }
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        do {
            // Embed in slices of the batch size so progress moves even when one document has many chunks.
            var start = 0
            while start < texts.count {
                let end = min(start + max(options.batchSize, 1), texts.count)
                vectors += try await embedder.embed(Array(texts[start..<end]))
                summary.chunksEmbedded += end - start
                progress(.embedded(chunks: end - start, totalChunks: summary.chunksEmbedded))
                start = end
            }
        } catch {
            throw .embedding(String(describing: error))
        }
        var offset = 0
        for item in pending {
            let newChunks = item.chunks.enumerated().map { index, chunk in
                NewChunk(ordinal: chunk.ordinal, text: chunk.text, contextualText: chunk.contextualText,
                         headingPath: chunk.headingPath, tokenCount: chunk.tokenCount,
                         startOffset: chunk.startOffset, endOffset: chunk.endOffset,
                         embedding: vectors[offset + index], modelID: embedder.modelID, modelVersion: embedder.modelVersion)
            }
            offset += item.chunks.count
            let record = NewDocument(sourceURI: item.document.sourceURI, title: item.document.title,
                                     contentSHA256: item.hash, metadata: item.document.metadata,
                                     allowedGroups: item.permissions, sourceName: item.sourceName)
            do {
                try store.replaceDocument(record, chunks: newChunks, in: knowledgeBase)
            } catch {
                throw .store(error)
            }
            if item.isUpdate { summary.updated += 1 } else { summary.added += 1 }
            progress(.document(sourceURI: item.document.sourceURI, outcome: item.isUpdate ? .updated : .added, chunks: newChunks.count))
        }
        pending.removeAll()
    }

    /// SHA-256 over the document's title, text and metadata in a canonical form, and its permissions when it has
    /// any (so that ingesting again with other `--allow` entries replaces the document; hashes of documents
    /// without permissions are as they were before permissions existed).
    public static func contentHash(of document: ParsedDocument, permissions: [String] = []) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(document.title.utf8))
        hasher.update(data: Data([0]))
        hasher.update(data: Data(document.text.utf8))
        hasher.update(data: Data([0]))
        hasher.update(data: Data(CanonicalJSON.string(document.metadata).utf8))
        if !permissions.isEmpty {
            hasher.update(data: Data([0]))
            hasher.update(data: Data(permissions.joined(separator: "\n").utf8))
        }
        return hasher.finalize().hexadecimal
    }

    /// The name a document's source is shown by, never a path of the server's file system: the path relative to
    /// the folder given to ingest (`guides/rest.md`), the file's own name when a file was given, and sources that
    /// are no paths (`upload:name.md`, a URL) as they are. A record's suffix (`#id`) is kept.
    public static func logicalName(of sourceURI: String, givenPaths: [String]) -> String {
        guard sourceURI.hasPrefix("/") else { return sourceURI }
        for root in givenPaths.sorted(by: { $0.count > $1.count }) {
            let folder = root.hasSuffix("/") ? root : root + "/"
            if sourceURI.hasPrefix(folder) { return String(sourceURI.dropFirst(folder.count)) }
            if sourceURI == root || sourceURI.hasPrefix(root + "#") {
                return URL(fileURLWithPath: root).lastPathComponent + sourceURI.dropFirst(root.count)
            }
        }
        return URL(fileURLWithPath: sourceURI).lastPathComponent
    }

    /// Knowledge-base names appear in URLs and file names: keep them plain.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            && name != "." && name != ".."
    }
}

private struct PendingDocument {
    var document: ParsedDocument
    var hash: String
    var chunks: [Chunk]
    var isUpdate: Bool
    var permissions: [String]
    var sourceName: String
}
