import Dispatch
import Foundation
import Synchronization

/// Tuning of an ``HNSWIndex``. Every instance is valid: the throwing initialiser and decoding both check.
public struct HNSWParameters: Sendable, Equatable, Codable {
    /// Links per node on layers ≥ 1; layer 0 allows `2 * m`. More links: better recall, more memory, slower build.
    public let m: Int
    /// Width of the candidate list while linking a new node.
    public let efConstruction: Int
    /// Default width of the candidate list for queries (raised to `k` when smaller).
    /// 64 gives recall@10 ≈ 0.99 on clustered 384-d data up to 100k vectors (see the benchmark in the report).
    public let efSearch: Int
    /// Seeds the level assignment, so building the same entries twice gives the same levels.
    public let seed: UInt64

    public static let defaultSeed: UInt64 = 0x5370_6F74_7465_7221  // "Spotter!"

    /// The defaults: m 16, efConstruction 200, efSearch 64.
    public init() {
        m = 16
        efConstruction = 200
        efSearch = 64
        seed = Self.defaultSeed
    }

    public init(m: Int, efConstruction: Int = 200, efSearch: Int = 64, seed: UInt64 = HNSWParameters.defaultSeed) throws(HNSWParameterError) {
        guard m >= 2, m <= 1024 else { throw .invalidM(m) }
        guard efConstruction >= 1 else { throw .invalidEfConstruction(efConstruction) }
        guard efSearch >= 1 else { throw .invalidEfSearch(efSearch) }
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.seed = seed
    }

    private enum CodingKeys: String, CodingKey { case m, efConstruction, efSearch, seed }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                m: container.decode(Int.self, forKey: .m),
                efConstruction: container.decode(Int.self, forKey: .efConstruction),
                efSearch: container.decode(Int.self, forKey: .efSearch),
                seed: container.decode(UInt64.self, forKey: .seed))
        } catch let error as HNSWParameterError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
}

/// Why ``HNSWParameters`` were refused.
public enum HNSWParameterError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidM(Int)
    case invalidEfConstruction(Int)
    case invalidEfSearch(Int)

    public var description: String {
        switch self {
        case .invalidM(let value): "HNSW parameter m must be between 2 and 1024 (got \(value))."
        case .invalidEfConstruction(let value): "HNSW parameter efConstruction must be at least 1 (got \(value))."
        case .invalidEfSearch(let value): "HNSW parameter efSearch must be at least 1 (got \(value))."
        }
    }
}

/// How a query restricted to some documents is answered.
public enum HNSWFilterStrategy: Sendable, Equatable {
    /// Scan when the allowed set is small, graph otherwise (see ``HNSWIndex/nearest(to:k:efSearch:allowedDocuments:strategy:)``).
    case automatic
    /// Score every allowed vector: exact, cost proportional to the allowed set.
    case exactScan
    /// Traverse the whole graph, admitting only allowed nodes into the results.
    case graphTraversal
}

/// Approximate nearest-neighbour index: a Hierarchical Navigable Small World graph (Malkov & Yashunin, 2016)
/// over L2-normalised vectors, similarity = inner product.
///
/// Removal leaves a tombstone: the node keeps routing searches but is never returned; ``compacted(threads:)``
/// rebuilds without them. Re-inserting a chunk ID tombstones the old node and adds a new one.
///
/// Thread safety (why `@unchecked Sendable` is sound): every stored mutable property is read only under
/// `lock`'s read side and mutated only under its write side (writer-preferring pthread rwlock, so inserts
/// are not starved by a stream of queries). A query therefore never sees a half-linked node: an `insert`
/// appends and links all its nodes before releasing the write lock. Inside one write-locked insert, linking
/// may be spread over threads; that phase is coordinated by the graph's per-node stripe locks
/// (see ``HNSWGraph``). Scratch buffers come from a mutex-protected pool, one per searching thread.
public final class HNSWIndex: VectorIndex, @unchecked Sendable {
    public let dimension: Int
    public let parameters: HNSWParameters

    // All of the following are guarded by `lock` (internal, not private, for the file-format extension).
    let graph: HNSWGraph
    let lock = ReadWriteLock()
    let scratchPool: ScratchPool
    var chunkIDOfNode: [Int64] = []
    var documentOfNode: [Int32] = []
    /// 1 = removed. Bytes rather than Bool so the query loop can take a plain `UnsafePointer<UInt8>`.
    var tombstones: [UInt8] = []
    var documentNames: [String] = []
    var documentNumbers: [String: Int32] = [:]
    /// Live nodes per document number: the basis of filtered search.
    var nodesOfDocument: [[Int32]] = []
    var nodeOfChunk: [Int64: Int32] = [:]

    /// Filtered queries scan when `allowed² ≤ nodes × ef × filteredScanFactor`. The graph search for a filter
    /// of selectivity s = allowed/nodes expands ≈ 1/s times the ~30·ef distance evaluations of an unfiltered
    /// search, each about twice a sequential one, so scanning the `allowed` vectors is cheaper below that
    /// bound. With 100k nodes and ef 64 this means scanning up to ~20k allowed vectors (20%); it also means a
    /// scan whenever allowed ≤ 64·ef, where graph recall under a tight filter would suffer anyway.
    static let filteredScanFactor = 64

    public init(dimension: Int, parameters: HNSWParameters = .init()) {
        precondition(dimension > 0, "HNSWIndex dimension must be positive")
        self.dimension = dimension
        self.parameters = parameters
        graph = HNSWGraph(dimension: dimension, m: parameters.m, efConstruction: parameters.efConstruction, seed: parameters.seed)
        scratchPool = ScratchPool(maxDegree: 2 * parameters.m)
    }

    /// Builds an index from `entries`, linking on `threads` threads; `progress(done, total)` is called from
    /// worker threads now and then. Entries whose vector length is not `dimension` are left out; of entries
    /// sharing a chunk ID the last wins.
    public static func build(dimension: Int, parameters: HNSWParameters = .init(), entries: [StoredEmbedding],
                             threads: Int = 1, progress: (@Sendable (Int, Int) -> Void)? = nil) -> HNSWIndex {
        let index = HNSWIndex(dimension: dimension, parameters: parameters)
        index.insert(entries, threads: threads, progress: progress)
        return index
    }

    // MARK: Size

    /// Live (searchable) vectors.
    public var count: Int { lock.withReadLock { nodeOfChunk.count } }
    /// Removed or replaced vectors still in the graph.
    public var tombstoneCount: Int { lock.withReadLock { graph.nodeCount - nodeOfChunk.count } }
    /// Nodes in the graph, live or not.
    public var nodeCount: Int { lock.withReadLock { graph.nodeCount } }
    /// Chunk IDs of the live vectors, to diff against the store.
    public var chunkIDs: Set<Int64> { lock.withReadLock { Set(nodeOfChunk.keys) } }

    public func contains(chunkID: Int64) -> Bool { lock.withReadLock { nodeOfChunk[chunkID] != nil } }

    /// Approximate heap bytes held (vectors, graph, metadata).
    public var memoryBytes: Int {
        lock.withReadLock {
            let perNodeMetadata = 8 + 4 + 1 + 4 + 8 + 16  // chunk id, document, tombstone, doc list entry, map entry
            let documents = documentNames.reduce(0) { $0 + $1.utf8.count + 48 }
            return graph.memoryBytes + graph.nodeCount * perNodeMetadata + documents
        }
    }

    // MARK: Mutation

    /// Adds `entries`; an entry whose chunk ID is already present replaces it (the old node is tombstoned).
    /// Vectors of the wrong length are skipped. Readers wait while this runs and never see a partial insert.
    /// With `threads > 1` the new nodes are linked in parallel (worth it from a few hundred entries);
    /// `progress(done, total)` runs on worker threads while the write lock is held, so it must not call back
    /// into this index.
    public func insert(_ entries: [StoredEmbedding], threads: Int = 1, progress: (@Sendable (Int, Int) -> Void)? = nil) {
        lock.withWriteLock {
            var lastIndexOfChunk: [Int64: Int] = [:]
            for (position, entry) in entries.enumerated() where entry.vector.count == dimension {
                lastIndexOfChunk[entry.chunkID] = position
            }
            let firstNew = graph.nodeCount
            graph.reserve(firstNew + lastIndexOfChunk.count)
            for (position, entry) in entries.enumerated() where lastIndexOfChunk[entry.chunkID] == position {
                if let old = nodeOfChunk[entry.chunkID] { tombstone(old) }
                let level = HNSWMath.level(forNode: graph.nodeCount, seed: parameters.seed, levelMultiplier: graph.levelMultiplier)
                let node = entry.vector.withUnsafeBufferPointer { graph.appendNode($0.baseAddress!, level: level) }
                appendMetadata(node: node, chunkID: entry.chunkID, documentID: entry.documentID)
            }
            linkNodes(firstNew..<graph.nodeCount, threads: threads, progress: progress)
        }
    }

    /// Tombstones the given chunks; returns how many were present.
    @discardableResult
    public func remove(chunkIDs: some Sequence<Int64>) -> Int {
        lock.withWriteLock {
            var removed = 0
            for chunkID in chunkIDs {
                guard let node = nodeOfChunk[chunkID] else { continue }
                tombstone(node)
                removed += 1
            }
            return removed
        }
    }

    /// A fresh index of the live vectors only (no tombstones), built on `threads` threads.
    public func compacted(threads: Int = 1) -> HNSWIndex {
        let live: [StoredEmbedding] = lock.withReadLock {
            var entries: [StoredEmbedding] = []
            entries.reserveCapacity(nodeOfChunk.count)
            for node in 0..<graph.nodeCount where tombstones[node] == 0 {
                let vector = Array(UnsafeBufferPointer(start: graph.vector(Int32(node)), count: dimension))
                entries.append(StoredEmbedding(chunkID: chunkIDOfNode[node],
                                               documentID: documentNames[Int(documentOfNode[node])], vector: vector))
            }
            return entries
        }
        return Self.build(dimension: dimension, parameters: parameters, entries: live, threads: threads)
    }

    /// Write lock held.
    func appendMetadata(node: Int32, chunkID: Int64, documentID: String) {
        let document: Int32
        if let known = documentNumbers[documentID] {
            document = known
        } else {
            document = Int32(documentNames.count)
            documentNames.append(documentID)
            documentNumbers[documentID] = document
            nodesOfDocument.append([])
        }
        chunkIDOfNode.append(chunkID)
        documentOfNode.append(document)
        tombstones.append(0)
        nodesOfDocument[Int(document)].append(node)
        nodeOfChunk[chunkID] = node
    }

    /// Write lock held.
    private func tombstone(_ node: Int32) {
        guard tombstones[Int(node)] == 0 else { return }
        tombstones[Int(node)] = 1
        nodeOfChunk[chunkIDOfNode[Int(node)]] = nil
        let document = Int(documentOfNode[Int(node)])
        if let position = nodesOfDocument[document].firstIndex(of: node) {
            nodesOfDocument[document].swapAt(position, nodesOfDocument[document].count - 1)
            nodesOfDocument[document].removeLast()
        }
    }

    /// Links freshly appended nodes, on several threads when asked. Write lock held.
    private func linkNodes(_ nodes: Range<Int>, threads: Int, progress: (@Sendable (Int, Int) -> Void)?) {
        guard !nodes.isEmpty else { return }
        let total = nodes.count
        let workers = max(1, min(threads, total / 64 + 1))
        if workers == 1 {
            let scratch = scratchPool.take(nodeCount: graph.nodeCount)
            defer { scratchPool.give(scratch) }
            for node in nodes {
                graph.link(Int32(node), scratch: scratch, concurrent: false)
                let done = node - nodes.lowerBound + 1
                if done % 1024 == 0 || done == total { progress?(done, total) }
            }
            return
        }
        // Workers claim nodes in order from a shared counter, so the graph grows roughly like a serial build.
        let claims = ClaimCounter(start: nodes.lowerBound)
        let graph = graph, pool = scratchPool, end = nodes.upperBound
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let scratch = pool.take(nodeCount: graph.nodeCount)
            defer { pool.give(scratch) }
            while true {
                let node = claims.next()
                guard node < end else { break }
                graph.link(Int32(node), scratch: scratch, concurrent: true)
                if let progress {
                    let done = claims.finished()
                    if done % 1024 == 0 || done == total { progress(done, total) }
                }
            }
        }
    }

    // MARK: Queries

    public func nearest(to query: [Float], k: Int, allowedDocuments: Set<String>?) -> [VectorMatch] {
        nearest(to: query, k: k, efSearch: nil, allowedDocuments: allowedDocuments)
    }

    /// The `k` live entries most similar to `query`, best first (`similarity` = inner product).
    ///
    /// `efSearch` (default ``HNSWParameters/efSearch``, raised to `k`) trades speed for recall.
    ///
    /// With `allowedDocuments`, the allowed live nodes are looked up from the document → nodes map. The
    /// `.automatic` strategy scans them exactly when `allowed² ≤ nodes × ef × 64` (at most a few percent to
    /// ~20% of the index, see `filteredScanFactor`): exact recall, and cheaper than a graph walk that would
    /// mostly visit disallowed nodes. Otherwise it walks the whole graph (every node routes) but admits only
    /// allowed live nodes to the result set, continuing until it holds `ef` of them, which widens the search
    /// in proportion to how selective the filter is.
    public func nearest(to query: [Float], k: Int, efSearch: Int?, allowedDocuments: Set<String>?,
                        strategy: HNSWFilterStrategy = .automatic) -> [VectorMatch] {
        guard query.count == dimension, k > 0 else { return [] }
        return lock.withReadLock {
            scratchPool.withScratch(nodeCount: graph.nodeCount) { scratch in
                query.withUnsafeBufferPointer { buffer in
                    lockedNearest(buffer.baseAddress!, k: k, efSearch: efSearch, allowedDocuments: allowedDocuments,
                                  strategy: strategy, scratch: scratch)
                }
            }
        }
    }

    /// Answers many queries, spread over `threads` threads; result `i` belongs to `queries[i]`.
    public func nearestBatch(_ queries: [[Float]], k: Int, efSearch: Int? = nil, allowedDocuments: Set<String>? = nil,
                             threads: Int) -> [[VectorMatch]] {
        let total = queries.count
        guard total > 0 else { return [] }
        let results = UnsafeMutableBufferPointer<[VectorMatch]>.allocate(capacity: total)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        let workers = max(1, min(threads, total))
        let claims = ClaimCounter(start: 0)
        let slots = SendableBuffer(results)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            // One read lock per worker, not per query; never nested (the rwlock is not recursive).
            lock.withReadLock {
                scratchPool.withScratch(nodeCount: graph.nodeCount) { scratch in
                    while true {
                        let index = claims.next()
                        guard index < total else { break }
                        let query = queries[index]
                        guard query.count == dimension, k > 0 else { continue }
                        slots.buffer[index] = query.withUnsafeBufferPointer { buffer in
                            lockedNearest(buffer.baseAddress!, k: k, efSearch: efSearch, allowedDocuments: allowedDocuments,
                                          strategy: .automatic, scratch: scratch)
                        }
                    }
                }
            }
        }
        return Array(results)
    }

    /// Read lock held.
    private func lockedNearest(_ query: UnsafePointer<Float>, k: Int, efSearch: Int?, allowedDocuments: Set<String>?,
                               strategy: HNSWFilterStrategy, scratch: SearchScratch) -> [VectorMatch] {
        let ef = max(efSearch ?? parameters.efSearch, k)
        return tombstones.withUnsafeBufferPointer { tombstoneBuffer -> [VectorMatch] in
            guard let dead = tombstoneBuffer.baseAddress else { return [] }
            guard let allowedDocuments else {
                graph.search(query, ef: ef, admission: .live(dead), scratch: scratch)
                return drainResults(scratch, k: k)
            }
            var allowedCount = 0
            var documents: [Int32] = []
            documents.reserveCapacity(allowedDocuments.count)
            for name in allowedDocuments {
                guard let document = documentNumbers[name] else { continue }
                documents.append(document)
                allowedCount += nodesOfDocument[Int(document)].count
            }
            guard allowedCount > 0 else { return [] }

            let scan: Bool = switch strategy {
            case .exactScan: true
            case .graphTraversal: false
            case .automatic: allowedCount * allowedCount <= graph.nodeCount * ef * Self.filteredScanFactor
            }
            if scan {
                scratch.prepare(nodeCount: graph.nodeCount)
                _ = scratch.nextVisitGeneration()  // empties the heaps
                for document in documents {
                    for node in nodesOfDocument[Int(document)] {
                        let score = VectorMath.dot(query, graph.vector(node), dimension)
                        if scratch.results.count < k {
                            scratch.results.push(-score, node)
                        } else if score > -scratch.results.topScore {
                            scratch.results.pop()
                            scratch.results.push(-score, node)
                        }
                    }
                }
            } else {
                scratch.prepare(nodeCount: graph.nodeCount)
                let generation = scratch.nextAllowedGeneration()
                for document in documents {
                    for node in nodesOfDocument[Int(document)] { scratch.allowed[Int(node)] = generation }
                }
                graph.search(query, ef: ef, admission: .liveAndAllowed(dead, scratch.allowed, generation), scratch: scratch)
            }
            return drainResults(scratch, k: k)
        }
    }

    /// Turns the worst-on-top result heap into the best `k` matches, best first.
    private func drainResults(_ scratch: SearchScratch, k: Int) -> [VectorMatch] {
        while scratch.results.count > k { scratch.results.pop() }
        var matches = [VectorMatch]()
        matches.reserveCapacity(scratch.results.count)
        while !scratch.results.isEmpty {
            let node = Int(scratch.results.topNode)
            matches.append(VectorMatch(chunkID: chunkIDOfNode[node], documentID: documentNames[Int(documentOfNode[node])],
                                       similarity: -scratch.results.topScore))
            scratch.results.pop()
        }
        matches.reverse()
        return matches
    }
}

/// Hands out increasing integers to worker threads.
final class ClaimCounter: Sendable {
    private let nextValue: Atomic<Int>
    private let finishedCount = Atomic<Int>(0)
    init(start: Int) { nextValue = Atomic(start) }
    func next() -> Int { nextValue.wrappingAdd(1, ordering: .relaxed).oldValue }
    /// Counts a finished item; returns how many are finished.
    func finished() -> Int { finishedCount.wrappingAdd(1, ordering: .relaxed).newValue }
}

/// A buffer whose disjoint elements are written by different threads (each index by exactly one).
struct SendableBuffer<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}
