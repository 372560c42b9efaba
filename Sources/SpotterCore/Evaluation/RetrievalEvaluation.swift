import Foundation

/// How `spotter eval retrieval` runs.
public struct RetrievalEvaluationOptions: Sendable {
    public var modes: [SearchMode]
    /// The cut-off reported as `ndcg@k` besides the fixed @10 and @100 figures.
    public var k: Int
    /// Documents ranked per query (Recall@100 needs 100).
    public var depth: Int
    public var fusion: Fusion
    public var exact: Bool
    /// One chunk per document, cut by the model at its 256 word pieces: the protocol of the published BEIR/MTEB
    /// figures, for checking the embedder against them. The product's chunking is the default.
    public var wholeDocuments: Bool

    public init(modes: [SearchMode] = [.bm25, .dense, .hybrid], k: Int = 10, depth: Int = 100,
                fusion: Fusion = .standard, exact: Bool = false, wholeDocuments: Bool = false) {
        self.modes = modes
        self.k = k
        self.depth = depth
        self.fusion = fusion
        self.exact = exact
        self.wholeDocuments = wholeDocuments
    }

    /// Chunking that never splits a document (the embedder truncates what is past its window).
    public static let wholeDocumentChunking = ChunkingOptions(maxTokens: 1_000_000, targetTokens: 1_000_000, overlapFraction: 0)
}

/// The result of one mode over every judged query.
@SnakeCaseCodingKeys
public struct ModeEvaluation: Sendable, Codable, Equatable {
    public var mode: SearchMode
    public var fusion: String?
    public var queries: Int
    public var scores: RetrievalScores
    @WireKey("latency_p50_ms") public var latencyP50Milliseconds: Double
    @WireKey("latency_p95_ms") public var latencyP95Milliseconds: Double
}

/// What `spotter eval retrieval` reports.
@SnakeCaseCodingKeys
public struct RetrievalEvaluationReport: Sendable, Codable, Equatable {
    public var dataset: String
    public var split: String
    @WireKey("kb") public var knowledgeBase: String
    public var model: String
    public var documents: Int
    public var chunks: Int
    /// Corpus records that could not be ingested (each is also reported by ingest).
    public var skippedDocuments: Int
    public var exact: Bool
    public var wholeDocuments: Bool
    public var modes: [ModeEvaluation]
}

/// Progress of an evaluation, for a bar or JSON lines.
public enum RetrievalEvaluationEvent: Sendable {
    case ingest(IngestEvent)
    case index(IndexSyncEvent)
    case modeStarted(SearchMode, queries: Int)
    case queryDone(SearchMode, done: Int, total: Int)
    case modeFinished(ModeEvaluation)
}

/// Runs a BEIR-layout dataset through Spotter's own ingest and search, so that the figures are the product's.
public struct RetrievalEvaluator: Sendable {
    let spotter: Spotter

    public init(spotter: Spotter) { self.spotter = spotter }

    /// The corpus as Spotter reads any JSONL: one document per line, `_id` as key, `title` as title, `text` as text.
    public static func corpusReaderOptions() -> ReaderOptions {
        ReaderOptions(format: .jsonl, records: RecordFieldOptions(idField: "_id", textFields: ["text"], titleField: "title"))
    }

    /// Ingests the corpus (idempotent: an unchanged knowledge base is not re-embedded).
    public func ingestCorpus(of dataset: BEIRDataset, into knowledgeBase: String, chunking: ChunkingOptions = ChunkingOptions(),
                             progress: @Sendable (IngestEvent) -> Void = { _ in }) async throws(EvaluationError) -> IngestSummary {
        let options = IngestOptions(knowledgeBase: knowledgeBase, reader: Self.corpusReaderOptions(), chunking: chunking)
        do {
            return try await spotter.ingest.ingest(paths: [dataset.corpusFile.path], options: options, progress: progress)
        } catch {
            throw .ingest(error.description)
        }
    }

    /// Corpus id by Spotter document id (the record id is the part of the source after `#`).
    public func corpusIDs(in knowledgeBase: String) throws(EvaluationError) -> [String: String] {
        do {
            guard let base = try spotter.store.knowledgeBase(named: knowledgeBase, create: false) else { return [:] }
            var ids: [String: String] = [:]
            for document in try spotter.store.documents(in: base) {
                guard let hash = document.sourceURI.lastIndex(of: "#") else { continue }
                ids[document.id] = String(document.sourceURI[document.sourceURI.index(after: hash)...])
            }
            return ids
        } catch {
            throw .search(error.description)
        }
    }

    /// Ingests the corpus, then ranks every judged query in every mode and scores the rankings.
    public func evaluate(_ dataset: BEIRDataset, knowledgeBase: String, options: RetrievalEvaluationOptions,
                         progress: @escaping @Sendable (RetrievalEvaluationEvent) -> Void = { _ in }) async throws(EvaluationError) -> RetrievalEvaluationReport {
        let chunking = options.wholeDocuments ? RetrievalEvaluationOptions.wholeDocumentChunking : ChunkingOptions()
        let summary = try await ingestCorpus(of: dataset, into: knowledgeBase, chunking: chunking) { progress(.ingest($0)) }
        let corpusIDs = try corpusIDs(in: knowledgeBase)
        var chunks = 0
        do {
            if let base = try spotter.store.knowledgeBase(named: knowledgeBase, create: false) {
                chunks = try spotter.store.embeddedChunkIDs(in: base, modelID: spotter.embedder.modelID,
                                                            modelVersion: spotter.embedder.modelVersion).count
                // Build or load the dense index up front, with progress, rather than inside the first query.
                if !options.exact { try spotter.search.indexes.synchronize(base) { progress(.index($0)) } }
            }
        } catch {
            throw .search("\(error)")
        }

        var modes: [ModeEvaluation] = []
        for mode in options.modes {
            let queryIDs = dataset.queries.keys.sorted()
            progress(.modeStarted(mode, queries: queryIDs.count))
            var rankings: [String: [String]] = [:]
            var latencies: [Double] = []
            for (position, queryID) in queryIDs.enumerated() {
                let started = ContinuousClock.now
                let ranking: Ranking
                do {
                    // Chunks, not documents, are ranked: three per document leaves room for documents with several.
                    ranking = try await spotter.search.rank(dataset.queries[queryID]!, in: knowledgeBase, mode: mode,
                                                            fusion: options.fusion, depth: options.depth * 3, exact: options.exact)
                } catch {
                    throw .search(error.description)
                }
                latencies.append((ContinuousClock.now - started).inSeconds * 1000)
                rankings[queryID] = Array(ranking.documentIDs.compactMap { corpusIDs[$0] }.prefix(options.depth))
                progress(.queryDone(mode, done: position + 1, total: queryIDs.count))
            }
            let result = ModeEvaluation(
                mode: mode, fusion: mode == .hybrid ? options.fusion.name : nil, queries: queryIDs.count,
                scores: RetrievalScores.mean(rankings: rankings, judgements: dataset.judgements, k: options.k),
                latencyP50Milliseconds: RetrievalMetrics.percentile(latencies, 0.5) ?? 0,
                latencyP95Milliseconds: RetrievalMetrics.percentile(latencies, 0.95) ?? 0)
            progress(.modeFinished(result))
            modes.append(result)
        }
        return RetrievalEvaluationReport(
            dataset: dataset.name, split: dataset.split, knowledgeBase: knowledgeBase,
            model: "\(spotter.embedder.modelID)@\(spotter.embedder.modelVersion)",
            documents: corpusIDs.count, chunks: chunks, skippedDocuments: summary.skipped.count, exact: options.exact,
            wholeDocuments: options.wholeDocuments, modes: modes)
    }

    /// Scores many fusions from one BM25 and one dense ranking per query (the rankings are computed once), best
    /// nDCG@10 first. Meant for the training split: pick the fusion there, then report the test split.
    public func sweepFusion(_ dataset: BEIRDataset, knowledgeBase: String, candidates: [Fusion], depth: Int = 100,
                            progress: @Sendable (RetrievalEvaluationEvent) -> Void = { _ in }) async throws(EvaluationError) -> [FusionScore] {
        let corpusIDs = try corpusIDs(in: knowledgeBase)
        let queryIDs = dataset.queries.keys.sorted()
        var lists: [String: (keyword: [RankedChunk], dense: [RankedChunk])] = [:]
        progress(.modeStarted(.hybrid, queries: queryIDs.count))
        for (position, queryID) in queryIDs.enumerated() {
            do {
                let text = dataset.queries[queryID]!
                let keyword = try await spotter.search.rank(text, in: knowledgeBase, mode: .bm25, depth: depth * 3)
                let dense = try await spotter.search.rank(text, in: knowledgeBase, mode: .dense, depth: depth * 3)
                lists[queryID] = (keyword.chunks, dense.chunks)
            } catch {
                throw .search(error.description)
            }
            progress(.queryDone(.hybrid, done: position + 1, total: queryIDs.count))
        }
        return candidates.map { fusion in
            var rankings: [String: [String]] = [:]
            for (queryID, pair) in lists {
                let documentOf = Dictionary((pair.keyword + pair.dense).map { ($0.chunkID, $0.documentID) }, uniquingKeysWith: { a, _ in a })
                let fused = fusion.fuse(keyword: pair.keyword.map { ($0.chunkID, $0.score) }, dense: pair.dense.map { ($0.chunkID, $0.score) })
                let ranking = Ranking(knowledgeBase: knowledgeBase, chunks: fused.map {
                    RankedChunk(chunkID: $0.key, documentID: documentOf[$0.key]!, score: $0.score)
                })
                rankings[queryID] = Array(ranking.documentIDs.compactMap { corpusIDs[$0] }.prefix(depth))
            }
            return FusionScore(fusion: fusion.name, scores: RetrievalScores.mean(rankings: rankings, judgements: dataset.judgements, k: 10))
        }.sorted { $0.scores.ndcgAt10 > $1.scores.ndcgAt10 }
    }
}

/// One fusion's scores in a sweep.
public struct FusionScore: Sendable, Codable, Equatable {
    public var fusion: String
    public var scores: RetrievalScores
}
