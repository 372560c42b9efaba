import CSpotterSupport
import Foundation

/// Which nodes a layer search may put into its result set. Every node is still *traversed*: removed and
/// filtered-out nodes keep the graph connected, they are just never returned.
enum HNSWAdmission {
    /// Construction: any node can become a neighbour.
    case everything
    /// Queries: nodes not tombstoned (`tombstones[n] == 0`).
    case live(UnsafePointer<UInt8>)
    /// Filtered queries: live nodes whose allowed tag carries the query's generation.
    case liveAndAllowed(UnsafePointer<UInt8>, UnsafePointer<UInt32>, UInt32)

    @inline(__always)
    func admits(_ node: Int32) -> Bool {
        switch self {
        case .everything: return true
        case .live(let tombstones): return tombstones[Int(node)] == 0
        case .liveAndAllowed(let tombstones, let allowed, let generation):
            return tombstones[Int(node)] == 0 && allowed[Int(node)] == generation
        }
    }
}

/// The navigable small-world graph of Malkov & Yashunin (HNSW), on flat manually managed storage.
///
/// Layout: vectors row-major (`capacity × dimension`); layer-0 adjacency as fixed slots of `1 + 2M` Int32
/// (`[count, n₀, n₁, …]`); for a node of level L > 0 one heap block of `L × (1 + M)` Int32 holding its layers
/// 1…L in the same format. Node numbers are dense Int32 in insertion order and never reused.
///
/// Concurrency: the owner (``HNSWIndex``) serialises structural changes (growth, appending nodes) with its
/// write lock. Linking nodes may run on several threads at once (`concurrent: true`): each adjacency list is
/// only read or written under its node's stripe lock, and the entry point under `entryLock`. Queries run
/// under the owner's read lock with no writer active, so they read adjacency without node locks.
final class HNSWGraph: @unchecked Sendable {
    static let maxLevelCap = 16

    let dimension: Int
    let m: Int
    let maxDegree0: Int
    let efConstruction: Int
    let seed: UInt64
    let levelMultiplier: Double
    let level0Stride: Int
    let upperStride: Int

    private(set) var capacity = 0
    private(set) var nodeCount = 0
    private(set) var vectors: UnsafeMutablePointer<Float>
    private(set) var levels: UnsafeMutablePointer<UInt8>
    private(set) var level0: UnsafeMutablePointer<Int32>
    private(set) var upper: UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>

    /// Entry point and top level; guarded by `entryLock` while linking runs concurrently.
    private(set) var entryPoint: Int32 = -1
    private(set) var maxLevel = -1
    private let entryLock = PThreadMutex()
    private let nodeLocks = StripedLocks()

    init(dimension: Int, m: Int, efConstruction: Int, seed: UInt64) {
        self.dimension = dimension
        self.m = m
        self.maxDegree0 = 2 * m
        self.efConstruction = efConstruction
        self.seed = seed
        self.levelMultiplier = 1 / log(Double(max(m, 2)))
        self.level0Stride = 1 + 2 * m
        self.upperStride = 1 + m
        vectors = .allocate(capacity: 0)
        levels = .allocate(capacity: 0)
        level0 = .allocate(capacity: 0)
        upper = .allocate(capacity: 0)
    }

    deinit {
        for node in 0..<nodeCount { upper[node]?.deallocate() }
        vectors.deallocate()
        levels.deallocate()
        level0.deallocate()
        upper.deallocate()
    }

    // MARK: Storage

    /// Grows storage to hold at least `minimum` nodes. Exclusive access required.
    func reserve(_ minimum: Int) {
        guard minimum > capacity else { return }
        let newCapacity = max(minimum, capacity + capacity / 2, 64)
        func regrow<T>(_ old: UnsafeMutablePointer<T>, _ perNode: Int) -> UnsafeMutablePointer<T> {
            let fresh = UnsafeMutablePointer<T>.allocate(capacity: newCapacity * perNode)
            fresh.moveInitialize(from: old, count: nodeCount * perNode)
            old.deallocate()
            return fresh
        }
        vectors = regrow(vectors, dimension)
        levels = regrow(levels, 1)
        level0 = regrow(level0, level0Stride)
        upper = regrow(upper, 1)
        capacity = newCapacity
    }

    /// Appends an unlinked node: copies the vector, fixes its level, allocates its empty upper layers.
    /// Exclusive access required; link it afterwards with ``link(_:scratch:concurrent:)``.
    func appendNode(_ vector: UnsafePointer<Float>, level: Int) -> Int32 {
        reserve(nodeCount + 1)
        let node = nodeCount
        (vectors + node * dimension).initialize(from: vector, count: dimension)
        (levels + node).initialize(to: UInt8(level))
        (level0 + node * level0Stride).initialize(repeating: 0, count: level0Stride)
        if level > 0 {
            let block = UnsafeMutablePointer<Int32>.allocate(capacity: level * upperStride)
            block.initialize(repeating: 0, count: level * upperStride)
            (upper + node).initialize(to: block)
        } else {
            (upper + node).initialize(to: nil)
        }
        nodeCount += 1
        return Int32(node)
    }

    /// Installs a node whose adjacency comes from a file. Exclusive access required.
    func appendLoadedNode(vector: UnsafeRawPointer, level: Int, level0Links: UnsafeRawPointer, upperLinks: UnsafeRawPointer?) {
        reserve(nodeCount + 1)
        let node = nodeCount
        UnsafeMutableRawPointer(vectors + node * dimension).copyMemory(from: vector, byteCount: dimension * 4)
        (levels + node).initialize(to: UInt8(level))
        UnsafeMutableRawPointer(level0 + node * level0Stride).copyMemory(from: level0Links, byteCount: level0Stride * 4)
        if level > 0, let upperLinks {
            let block = UnsafeMutablePointer<Int32>.allocate(capacity: level * upperStride)
            UnsafeMutableRawPointer(block).copyMemory(from: upperLinks, byteCount: level * upperStride * 4)
            (upper + node).initialize(to: block)
        } else {
            (upper + node).initialize(to: nil)
        }
        nodeCount += 1
    }

    func setEntryPoint(_ node: Int32, level: Int) {
        entryPoint = node
        maxLevel = level
    }

    func level(ofNode node: Int) -> Int { Int(levels[node]) }

    @inline(__always)
    func vector(_ node: Int32) -> UnsafePointer<Float> { UnsafePointer(vectors + Int(node) * dimension) }

    /// `[count, n₀, …]` of `node` at `level` (which must be ≤ the node's level).
    @inline(__always)
    func links(_ node: Int32, _ level: Int) -> UnsafeMutablePointer<Int32> {
        level == 0 ? level0 + Int(node) * level0Stride : upper[Int(node)]! + (level - 1) * upperStride
    }

    @inline(__always)
    func maxDegree(_ level: Int) -> Int { level == 0 ? maxDegree0 : m }

    /// Bytes held by the graph (vectors, adjacency, levels).
    var memoryBytes: Int {
        var upperBlocks = 0
        for node in 0..<nodeCount { upperBlocks += Int(levels[node]) * upperStride * 4 }
        return capacity * (dimension * 4 + level0Stride * 4 + 1 + MemoryLayout<Int>.size) + upperBlocks
    }

    // MARK: Construction (paper, Algorithm 1)

    /// Links an appended node into every layer up to its level. With `concurrent`, other threads may be
    /// linking other nodes at the same time.
    func link(_ node: Int32, scratch: SearchScratch, concurrent: Bool) {
        let nodeLevel = Int(levels[Int(node)])
        let query = vector(node)

        if concurrent { entryLock.lock() }
        let entry = entryPoint, topLevel = maxLevel
        if entry < 0 {
            entryPoint = node
            maxLevel = nodeLevel
            if concurrent { entryLock.unlock() }
            return
        }
        if concurrent { entryLock.unlock() }

        scratch.prepare(nodeCount: nodeCount)
        var current = entry
        if topLevel > nodeLevel {
            current = greedyDescent(query, from: entry, topLevel: topLevel, downTo: nodeLevel + 1, concurrent: concurrent, scratch: scratch)
        }
        scratch.entries.removeAll(keepingCapacity: true)
        scratch.entries.append(current)

        var level = min(topLevel, nodeLevel)
        while level >= 0 {
            searchLayer(query, level: level, ef: efConstruction, admission: .everything, concurrent: concurrent, scratch: scratch)
            // Drain the worst-on-top result heap into `selection`, then flip it to best first.
            scratch.selection.removeAll(keepingCapacity: true)
            scratch.entries.removeAll(keepingCapacity: true)
            while !scratch.results.isEmpty {
                let candidate = scratch.results.topNode
                let score = -scratch.results.topScore
                scratch.results.pop()
                scratch.entries.append(candidate)
                if candidate != node { scratch.selection.append((candidate, score)) }
            }
            scratch.selection.reverse()
            selectNeighbours(from: scratch.selection, limit: m, into: &scratch.selected)

            setOwnLinks(node, level: level, scratch: scratch, concurrent: concurrent)
            for neighbour in scratch.selected {
                addLink(from: neighbour, to: node, level: level, scratch: scratch, concurrent: concurrent)
            }
            level -= 1
        }

        if nodeLevel > topLevel {
            if concurrent { entryLock.lock() }
            if nodeLevel > maxLevel {
                entryPoint = node
                maxLevel = nodeLevel
            }
            if concurrent { entryLock.unlock() }
        }
    }

    /// The paper's neighbour-selection heuristic (Algorithm 4, without candidate extension): walking candidates
    /// best first, keep one only if it is more similar to the base than to every already kept neighbour.
    /// This spreads links across directions, which keeps clustered data navigable.
    @inline(__always)
    private func selectNeighbours(from candidates: [(node: Int32, score: Float)], limit: Int, into kept: inout [Int32]) {
        kept.removeAll(keepingCapacity: true)
        if candidates.count <= limit {
            for candidate in candidates { kept.append(candidate.node) }
            return
        }
        for candidate in candidates {
            if kept.count >= limit { break }
            let candidateVector = vector(candidate.node)
            var diverse = true
            for other in kept where VectorMath.dot(candidateVector, vector(other), dimension) > candidate.score {
                diverse = false
                break
            }
            if diverse { kept.append(candidate.node) }
        }
    }

    /// Writes the new node's own list. Under concurrency another thread may already have linked to this node
    /// at this level (it found the node through an upper layer); those links are merged, not overwritten.
    private func setOwnLinks(_ node: Int32, level: Int, scratch: SearchScratch, concurrent: Bool) {
        if concurrent { nodeLocks.lock(node) }
        defer { if concurrent { nodeLocks.unlock(node) } }
        let list = links(node, level)
        let existing = Int(list[0])
        if existing == 0 {
            for (slot, neighbour) in scratch.selected.enumerated() { list[1 + slot] = neighbour }
            list[0] = Int32(scratch.selected.count)
            return
        }
        let base = vector(node)
        scratch.pruneCandidates.removeAll(keepingCapacity: true)
        for slot in 0..<existing { scratch.pruneCandidates.append((list[1 + slot], 0)) }
        for neighbour in scratch.selected where !scratch.pruneCandidates.contains(where: { $0.node == neighbour }) {
            scratch.pruneCandidates.append((neighbour, 0))
        }
        for index in scratch.pruneCandidates.indices {
            scratch.pruneCandidates[index].score = VectorMath.dot(base, vector(scratch.pruneCandidates[index].node), dimension)
        }
        Self.sortBestFirst(&scratch.pruneCandidates)
        selectNeighbours(from: scratch.pruneCandidates, limit: maxDegree(level), into: &scratch.pruneKept)
        for (slot, neighbour) in scratch.pruneKept.enumerated() { list[1 + slot] = neighbour }
        list[0] = Int32(scratch.pruneKept.count)
    }

    /// Adds the back link `from → to`; a full list is shrunk with the same heuristic.
    private func addLink(from owner: Int32, to newcomer: Int32, level: Int, scratch: SearchScratch, concurrent: Bool) {
        if concurrent { nodeLocks.lock(owner) }
        defer { if concurrent { nodeLocks.unlock(owner) } }
        let list = links(owner, level)
        let count = Int(list[0])
        for slot in 0..<count where list[1 + slot] == newcomer { return }
        let limit = maxDegree(level)
        if count < limit {
            list[1 + count] = newcomer
            list[0] = Int32(count + 1)
            return
        }
        let base = vector(owner)
        scratch.pruneCandidates.removeAll(keepingCapacity: true)
        for slot in 0..<count {
            let neighbour = list[1 + slot]
            scratch.pruneCandidates.append((neighbour, VectorMath.dot(base, vector(neighbour), dimension)))
        }
        scratch.pruneCandidates.append((newcomer, VectorMath.dot(base, vector(newcomer), dimension)))
        Self.sortBestFirst(&scratch.pruneCandidates)
        selectNeighbours(from: scratch.pruneCandidates, limit: limit, into: &scratch.pruneKept)
        for (slot, neighbour) in scratch.pruneKept.enumerated() { list[1 + slot] = neighbour }
        list[0] = Int32(scratch.pruneKept.count)
    }

    /// Insertion sort: lists here hold at most 2M + 1 entries, and unlike `sort` it never allocates.
    private static func sortBestFirst(_ items: inout [(node: Int32, score: Float)]) {
        guard items.count > 1 else { return }
        for index in 1..<items.count {
            let item = items[index]
            var slot = index
            while slot > 0 && items[slot - 1].score < item.score {
                items[slot] = items[slot - 1]
                slot -= 1
            }
            items[slot] = item
        }
    }

    // MARK: Search (paper, Algorithms 2 and 5)

    /// Greedy walk (ef = 1) from `topLevel` down to `lowestLevel`, returning the closest node found.
    @inline(__always)
    private func greedyDescent(_ query: UnsafePointer<Float>, from start: Int32, topLevel: Int, downTo lowestLevel: Int,
                               concurrent: Bool, scratch: SearchScratch) -> Int32 {
        var current = start
        var currentScore = VectorMath.dot(query, vector(start), dimension)
        var level = topLevel
        while level >= lowestLevel {
            var improved = true
            while improved {
                improved = false
                let (neighbours, count) = readLinks(current, level, concurrent: concurrent, scratch: scratch)
                for slot in 0..<count {
                    let neighbour = neighbours[slot]
                    let score = VectorMath.dot(query, vector(neighbour), dimension)
                    if score > currentScore {
                        currentScore = score
                        current = neighbour
                        improved = true
                    }
                }
            }
            level -= 1
        }
        return current
    }

    /// A node's neighbours: in place when no one can write them, else copied out under the node's lock.
    @inline(__always)
    private func readLinks(_ node: Int32, _ level: Int, concurrent: Bool, scratch: SearchScratch) -> (UnsafePointer<Int32>, Int) {
        let list = links(node, level)
        guard concurrent else { return (UnsafePointer(list + 1), Int(list[0])) }
        nodeLocks.lock(node)
        let count = Int(list[0])
        scratch.neighbourBuffer.update(from: list + 1, count: count)
        nodeLocks.unlock(node)
        return (UnsafePointer(scratch.neighbourBuffer), count)
    }

    /// Best-first search of one layer from `scratch.entries`; leaves up to `ef` admitted nodes in
    /// `scratch.results` (negated scores, worst on top).
    ///
    /// When admission is restricted the result set fills more slowly, and the search keeps expanding until it
    /// holds `ef` admitted nodes or the reachable graph is exhausted: the "widen ef as needed" behaviour of
    /// filtered search comes from this stopping rule.
    func searchLayer(_ query: UnsafePointer<Float>, level: Int, ef: Int, admission: HNSWAdmission,
                     concurrent: Bool, scratch: SearchScratch) {
        let generation = scratch.nextVisitGeneration()
        // Hot state in locals: class properties would pay a dynamic exclusivity check on every access.
        let visited = scratch.visited
        let vectors = UnsafePointer(self.vectors), dimension = self.dimension
        var candidates = scratch.candidates, results = scratch.results
        defer {
            scratch.candidates = candidates
            scratch.results = results
        }
        for entry in scratch.entries where visited[Int(entry)] != generation {
            visited[Int(entry)] = generation
            let score = VectorMath.dot(query, vectors + Int(entry) * dimension, dimension)
            candidates.push(score, entry)
            if admission.admits(entry) {
                results.push(-score, entry)
                if results.count > ef { results.pop() }
            }
        }
        // Layer 0 of a query (the bulk of all work) reads adjacency in place.
        let inPlace = level == 0 && !concurrent
        let level0 = UnsafePointer(self.level0), level0Stride = self.level0Stride
        while !candidates.isEmpty {
            let candidateScore = candidates.topScore
            if results.count >= ef && candidateScore < -results.topScore { break }
            let candidate = candidates.topNode
            candidates.pop()
            let neighbours: UnsafePointer<Int32>, count: Int
            if inPlace {
                let list = level0 + Int(candidate) * level0Stride
                (neighbours, count) = (list + 1, Int(list[0]))
            } else {
                (neighbours, count) = readLinks(candidate, level, concurrent: concurrent, scratch: scratch)
            }
            // Start loading the first neighbour's vector; in the loop, always the next one's, so that memory
            // latency overlaps with the current dot product.
            if count > 0 { spotter_prefetch(vectors + Int(neighbours[0]) * dimension) }
            for slot in 0..<count {
                let neighbour = neighbours[slot]
                if slot + 1 < count { spotter_prefetch(vectors + Int(neighbours[slot + 1]) * dimension) }
                if visited[Int(neighbour)] == generation { continue }
                visited[Int(neighbour)] = generation
                let score = VectorMath.dot(query, vectors + Int(neighbour) * dimension, dimension)
                if results.count < ef || score > -results.topScore {
                    candidates.push(score, neighbour)
                    if admission.admits(neighbour) {
                        results.push(-score, neighbour)
                        if results.count > ef { results.pop() }
                    }
                }
            }
        }
    }

    /// k-NN query (Algorithm 5): greedy through the upper layers, then an `ef`-wide search of layer 0.
    /// Results stay in `scratch.results`. Caller holds the owner's read lock.
    func search(_ query: UnsafePointer<Float>, ef: Int, admission: HNSWAdmission, scratch: SearchScratch) {
        scratch.prepare(nodeCount: nodeCount)
        guard entryPoint >= 0 else {
            _ = scratch.nextVisitGeneration()
            return
        }
        let start = maxLevel > 0
            ? greedyDescent(query, from: entryPoint, topLevel: maxLevel, downTo: 1, concurrent: false, scratch: scratch)
            : entryPoint
        scratch.entries.removeAll(keepingCapacity: true)
        scratch.entries.append(start)
        searchLayer(query, level: 0, ef: ef, admission: admission, concurrent: false, scratch: scratch)
    }
}
