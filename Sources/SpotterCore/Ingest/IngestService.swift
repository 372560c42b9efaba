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

    /// One document, or nil.
    public func document(id: String) throws(StoreError) -> DocumentSummary? {
        try store.document(id: id)
    }

    /// Deletes a document with its chunks and vectors (and the cached answers citing it); false when there was none.
    public func deleteDocument(id: String) throws(StoreError) -> Bool {
        try store.deleteDocument(id: id)
    }

    public func ingest(paths: [String], options: IngestOptions,
                       progress: @Sendable (IngestEvent) -> Void = { _ in }) async throws(IngestError) -> IngestSummary {
        let started = ContinuousClock.now
        guard Self.isValidName(options.knowledgeBase) else { throw .invalidKnowledgeBaseName(options.knowledgeBase) }
        let knowledgeBase: KnowledgeBase
        do {
            knowledgeBase = try store.knowledgeBase(named: options.knowledgeBase, create: true)!
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
                let hash = Self.contentHash(of: document)
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
                pending.append(PendingDocument(document: document, hash: hash, chunks: chunks, isUpdate: existing != nil))
                pendingChunks += chunks.count
                if pendingChunks >= options.batchSize {
                    try await flush(&pending, into: knowledgeBase, options: options, summary: &summary, progress: progress)
                    pendingChunks = 0
                }
            }
        }
        try await flush(&pending, into: knowledgeBase, options: options, summary: &summary, progress: progress)
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
                                     allowedGroups: options.allowedGroups)
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

    /// SHA-256 over the document's title, text and metadata in a canonical form.
    public static func contentHash(of document: ParsedDocument) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(document.title.utf8))
        hasher.update(data: Data([0]))
        hasher.update(data: Data(document.text.utf8))
        hasher.update(data: Data([0]))
        hasher.update(data: Data(CanonicalJSON.string(document.metadata).utf8))
        return hasher.finalize().hexadecimal
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
}
