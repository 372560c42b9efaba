import Crypto
import Foundation
import Logging
import Synchronization

/// What happened when a knowledge base's dense index was brought in step with the store.
public enum IndexSyncAction: Sendable, Equatable {
    /// Already current: nothing read or written.
    case unchanged
    /// Loaded from its file, which matched the store.
    case loaded
    /// Changed in place: new chunks inserted, removed ones tombstoned (and compacted when many were).
    case updated(inserted: Int, removed: Int, compacted: Bool)
    /// Built from every stored vector, for the reason given (missing, stale or corrupt file, or a large change).
    case rebuilt(reason: String)
}

/// Progress of a sync, for a bar.
public enum IndexSyncEvent: Sendable {
    case building(knowledgeBase: String, reason: String, vectors: Int)
    case progress(done: Int, total: Int)
    case saved(path: String)
}

/// Why a dense index could not be made current.
public enum VectorIndexCatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    case store(StoreError)
    case file(path: String, HNSWFileError)

    public var description: String {
        switch self {
        case .store(let error): error.description
        case .file(let path, let error): "cannot write the index file \(path): \(error)"
        }
    }
}

/// The dense indexes of every knowledge base: HNSW graphs kept in step with the store and persisted beside it.
///
/// Each knowledge base has one file per model version, `<data dir>/indexes/kb-<id>-<version>.hnsw`. On first use the file is loaded; it is rebuilt
/// from the stored embeddings when it is missing, corrupt (checksum), or stale (another model, other graph
/// parameters). When the store changed since the file was written (its chunk set digest differs), the difference
/// is applied in place: new chunks inserted, deleted ones tombstoned, and the graph compacted once tombstones pass a
/// quarter of its nodes. A rebuild or compaction happens on a new graph that replaces the old one in one step, so
/// searches go on meanwhile. Requests for the exact scan get an ``ExactVectorIndex`` over the same stored vectors.
public final class VectorIndexCatalog: Sendable {
    /// Tombstones above this share of the graph's nodes trigger a compaction.
    public static let compactionThreshold = 0.25

    private let store: any Store
    private let modelID: String
    private let modelVersion: String
    private let dimension: Int
    private let parameters: HNSWParameters
    private let threads: Int
    /// nil keeps indexes in memory only.
    public let directory: URL?
    private let logger: Logger

    private let graphs = Mutex<[Int64: (generation: Int64, index: HNSWIndex)]>([:])
    private let exactIndexes = Mutex<[Int64: (generation: Int64, index: ExactVectorIndex)]>([:])
    /// One sync at a time, so that two first searches do not both build the same graph.
    private let syncLock = Mutex(())
    /// Knowledge bases a refresh is changing: their searches use the current graph instead of waiting for the sync.
    private let refreshing = Mutex<Set<Int64>>([])

    public init(store: any Store, embedder: any Embedder, directory: URL?, parameters: HNSWParameters = .init(),
                threads: Int? = nil, logger: Logger = Logger(label: "spotter.index")) {
        self.store = store
        modelID = embedder.modelID
        modelVersion = embedder.modelVersion
        dimension = embedder.dimension
        self.directory = directory
        self.parameters = parameters
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.logger = logger
    }

    /// The index to search for `knowledgeBase`, current with the store.
    public func index(for knowledgeBase: KnowledgeBase, exact: Bool) throws(VectorIndexCatalogError) -> any VectorIndex {
        if exact { return try exactIndex(for: knowledgeBase) }
        let generation = try wrap { () throws(StoreError) in try store.generation(of: knowledgeBase) }
        if let cached = graphs.withLock({ $0[knowledgeBase.id] }) {
            if cached.generation == generation { return ConfiguredSearch(index: cached.index, efSearch: parameters.efSearch) }
            // A refresh is bringing the change: search the current graph rather than wait behind it; the new one is
            // swapped in when it is ready. (After an ingest or upload, a search waits, so that it sees what was added.)
            if refreshing.withLock({ $0.contains(knowledgeBase.id) }) {
                return ConfiguredSearch(index: cached.index, efSearch: parameters.efSearch)
            }
        }
        try synchronize(knowledgeBase)
        return ConfiguredSearch(index: graphs.withLock { $0[knowledgeBase.id]! }.index, efSearch: parameters.efSearch)
    }

    /// The file that holds `knowledgeBase`'s graph for this catalog's model version: two models' graphs live side by
    /// side while a reindex builds the standby one.
    public func fileURL(for knowledgeBase: KnowledgeBase) -> URL? {
        let version = modelVersion.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }.prefix(64)
        return directory?.appendingPathComponent("kb-\(knowledgeBase.id)-\(version).hnsw")
    }

    /// Runs `body` (a refresh's changes and sync of the knowledge base) while searches of the knowledge base keep
    /// using its current graph instead of waiting for the sync.
    public func refreshing<T, E: Error>(_ knowledgeBase: KnowledgeBase, _ body: () async throws(E) -> T) async throws(E) -> T {
        refreshing.withLock { _ = $0.insert(knowledgeBase.id) }
        defer { refreshing.withLock { _ = $0.remove(knowledgeBase.id) } }
        return try await body()
    }

    /// Brings the knowledge base's graph in step with the store: load, update in place, or rebuild; then save.
    @discardableResult
    public func synchronize(_ knowledgeBase: KnowledgeBase,
                            progress: @escaping @Sendable (IndexSyncEvent) -> Void = { _ in }) throws(VectorIndexCatalogError) -> IndexSyncAction {
        try syncLock.withLock { _ throws(VectorIndexCatalogError) -> IndexSyncAction in
            try synchronizeLocked(knowledgeBase, progress: progress)
        }
    }

    private func synchronizeLocked(_ knowledgeBase: KnowledgeBase,
                                   progress: @escaping @Sendable (IndexSyncEvent) -> Void) throws(VectorIndexCatalogError) -> IndexSyncAction {
        // The generation is read before the chunk set: if an ingest lands in between, the graph is newer than the
        // generation it is filed under, and the next search only re-checks (an empty difference).
        let generation = try wrap { () throws(StoreError) in try store.generation(of: knowledgeBase) }
        let cached = graphs.withLock { $0[knowledgeBase.id] }
        if let cached, cached.generation == generation { return .unchanged }
        let storeIDs = try wrap { () throws(StoreError) in
            try store.embeddedChunkIDs(in: knowledgeBase, modelID: modelID, modelVersion: modelVersion)
        }
        let digest = Self.digest(of: storeIDs)
        let file = fileURL(for: knowledgeBase)

        var graph = cached?.index
        var rebuildReason: String? = nil
        var loadedDigest: String? = nil
        if graph == nil {
            if let file {
                switch loadFile(file) {
                case .success(let (index, info)):
                    graph = index
                    loadedDigest = info.chunkSetDigest
                case .failure(let reason):
                    rebuildReason = reason.description
                }
            } else {
                rebuildReason = "indexes are kept in memory only"
            }
        }

        let action: IndexSyncAction
        if let current = graph, loadedDigest == digest {
            graph = current
            action = .loaded
        } else if let current = graph {
            let wanted = Set(storeIDs)
            let present = current.chunkIDs
            let added = storeIDs.filter { !present.contains($0) }
            let removed = present.subtracting(wanted)
            if added.count > max(1_000, present.count) {
                // Mostly new content: one bulk build is faster and gives a better graph than many inserts.
                rebuildReason = "\(added.count) new vectors against \(present.count) indexed"
                graph = nil
                action = .rebuilt(reason: rebuildReason!)
            } else {
                current.remove(chunkIDs: removed)
                let entries = try wrap { () throws(StoreError) in
                    try store.embeddings(chunkIDs: added, modelID: modelID, modelVersion: modelVersion)
                }
                current.insert(entries, threads: threads)
                var compacted = false
                if Double(current.tombstoneCount) > Self.compactionThreshold * Double(max(current.nodeCount, 1)) {
                    graph = current.compacted(threads: threads)
                    compacted = true
                }
                action = .updated(inserted: entries.count, removed: removed.count, compacted: compacted)
                logger.info("dense index updated", metadata: [
                    "kb": "\(knowledgeBase.name)", "inserted": "\(entries.count)", "removed": "\(removed.count)",
                    "compacted": "\(compacted)",
                ])
            }
        } else {
            action = .rebuilt(reason: rebuildReason ?? "no index yet")
        }

        if graph == nil {
            let reason = rebuildReason ?? "no index yet"
            let entries = try wrap { () throws(StoreError) in
                try store.embeddings(in: knowledgeBase, modelID: modelID, modelVersion: modelVersion)
            }
            logger.notice("building dense index", metadata: [
                "kb": "\(knowledgeBase.name)", "reason": "\(reason)", "vectors": "\(entries.count)",
            ])
            progress(.building(knowledgeBase: knowledgeBase.name, reason: reason, vectors: entries.count))
            graph = HNSWIndex.build(dimension: dimension, parameters: parameters, entries: entries, threads: threads) { done, total in
                progress(.progress(done: done, total: total))
            }
        }
        let finished = graph!

        if let file, action != .loaded {
            let info = HNSWFileInfo(modelID: modelID, modelVersion: modelVersion, chunkSetDigest: digest, generation: generation)
            do {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try finished.write(to: file, header: info)
            } catch let error as HNSWFileError {
                throw .file(path: file.path, error)
            } catch {
                throw .file(path: file.path, .io(error.localizedDescription))
            }
            progress(.saved(path: file.path))
            // Files were named without the model version before blue-green migration; such a file is replaced by this one.
            try? FileManager.default.removeItem(at: file.deletingLastPathComponent().appendingPathComponent("kb-\(knowledgeBase.id).hnsw"))
        }
        graphs.withLock { $0[knowledgeBase.id] = (generation, finished) }
        return action
    }

    /// The file's graph when it can serve this store, or the reason it cannot.
    private func loadFile(_ file: URL) -> Result<(HNSWIndex, HNSWFileInfo), LoadFailure> {
        let loaded: (HNSWIndex, HNSWFileInfo)
        do {
            loaded = try HNSWIndex.read(from: file)
        } catch .missing {
            return .failure(LoadFailure("no index file yet"))
        } catch {
            logger.warning("index file unusable; rebuilding", metadata: ["path": "\(file.path)", "reason": "\(error)"])
            return .failure(LoadFailure("index file unusable: \(error)"))
        }
        let info = loaded.1
        if info.modelID != modelID || info.modelVersion != modelVersion || info.dimension != dimension {
            return .failure(LoadFailure("index file is for \(info.modelID)@\(info.modelVersion), the store uses \(modelID)@\(modelVersion)"))
        }
        if info.parameters.m != parameters.m || info.parameters.efConstruction != parameters.efConstruction {
            return .failure(LoadFailure("index file was built with M=\(info.parameters.m), efConstruction=\(info.parameters.efConstruction); "
                                        + "configured M=\(parameters.m), efConstruction=\(parameters.efConstruction)"))
        }
        return .success(loaded)
    }

    struct LoadFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private func exactIndex(for knowledgeBase: KnowledgeBase) throws(VectorIndexCatalogError) -> ExactVectorIndex {
        let generation = try wrap { () throws(StoreError) in try store.generation(of: knowledgeBase) }
        if let cached = exactIndexes.withLock({ $0[knowledgeBase.id] }), cached.generation == generation {
            return cached.index
        }
        let entries = try wrap { () throws(StoreError) in
            try store.embeddings(in: knowledgeBase, modelID: modelID, modelVersion: modelVersion)
        }
        let index = ExactVectorIndex(dimension: dimension, entries: entries)
        exactIndexes.withLock { $0[knowledgeBase.id] = (generation, index) }
        return index
    }

    /// SHA-256 over the ascending chunk ids (little-endian Int64), hex: which chunks a graph must hold.
    static func digest(of chunkIDs: [Int64]) -> String {
        var hasher = SHA256()
        for id in chunkIDs {
            withUnsafeBytes(of: id.littleEndian) { hasher.update(bufferPointer: $0) }
        }
        return hasher.finalize().hexadecimal
    }

    private func wrap<T>(_ body: () throws(StoreError) -> T) throws(VectorIndexCatalogError) -> T {
        do { return try body() } catch { throw .store(error) }
    }
}

/// A graph searched with the configured efSearch, whatever the file it came from was built with.
struct ConfiguredSearch: VectorIndex {
    let index: HNSWIndex
    let efSearch: Int

    var count: Int { index.count }

    func nearest(to query: [Float], k: Int, allowedDocuments: Set<String>?) -> [VectorMatch] {
        index.nearest(to: query, k: k, efSearch: efSearch, allowedDocuments: allowedDocuments)
    }
}
