import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Low-level pieces the HNSW graph is built from: locks, a binary heap on raw storage,
// per-search scratch buffers and the level PRNG. Everything here is internal to SpotterCore.

enum HNSWMath {
    /// SplitMix64 finaliser: a stateless, well-mixed hash, so a node's level depends only on (seed, node number)
    /// and stays reproducible across incremental inserts and reloads without persisting PRNG state.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Level drawn from the paper's exponential distribution: ⌊−ln(U)·mL⌋ with mL = 1/ln(M), capped.
    static func level(forNode node: Int, seed: UInt64, levelMultiplier: Double) -> Int {
        let bits = mix(seed ^ mix(UInt64(node)))
        // 53 random bits → U in (0, 1]; never 0, so the logarithm is finite.
        let uniform = (Double(bits >> 11) + 1) / 9_007_199_254_740_992.0
        return min(Int(-log(uniform) * levelMultiplier), HNSWGraph.maxLevelCap)
    }
}

/// A pthread mutex at a stable heap address (pthread objects must not move).
final class PThreadMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }
    @inline(__always) func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock(); defer { unlock() }
        return try body()
    }
}

/// Readers–writer lock. On Linux it prefers writers, so a steady stream of queries cannot starve an insert.
/// Not recursive: never take the read side twice on one thread.
final class ReadWriteLock: @unchecked Sendable {
    private let rwlock: UnsafeMutablePointer<pthread_rwlock_t>
    init() {
        rwlock = .allocate(capacity: 1)
        rwlock.initialize(to: pthread_rwlock_t())
        #if os(Linux)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(rwlock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
        #else
        pthread_rwlock_init(rwlock, nil)
        #endif
    }
    deinit {
        pthread_rwlock_destroy(rwlock)
        rwlock.deallocate()
    }
    @inline(__always) func withReadLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_rdlock(rwlock); defer { pthread_rwlock_unlock(rwlock) }
        return try body()
    }
    @inline(__always) func withWriteLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_wrlock(rwlock); defer { pthread_rwlock_unlock(rwlock) }
        return try body()
    }
}

/// A fixed set of mutexes guarding adjacency lists during construction; node `n` uses stripe `n & mask`.
/// Striping bounds memory regardless of index size. A thread holds at most one stripe at a time, so two nodes
/// sharing a stripe can never deadlock.
final class StripedLocks: @unchecked Sendable {
    /// Each mutex gets its own cache line, so two cores locking neighbouring stripes do not bounce a line.
    private static let slotBytes = 64
    private let storage: UnsafeMutableRawPointer
    private let mask: Int
    init(stripes: Int = 4096) {
        precondition(stripes > 0 && stripes & (stripes - 1) == 0, "stripe count must be a power of two")
        precondition(MemoryLayout<pthread_mutex_t>.size <= Self.slotBytes)
        storage = .allocate(byteCount: stripes * Self.slotBytes, alignment: Self.slotBytes)
        mask = stripes - 1
        for index in 0..<stripes {
            let mutex = (storage + index * Self.slotBytes).bindMemory(to: pthread_mutex_t.self, capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
        }
    }
    deinit {
        for index in 0...mask { pthread_mutex_destroy(mutex(index)) }
        storage.deallocate()
    }
    @inline(__always) private func mutex(_ stripe: Int) -> UnsafeMutablePointer<pthread_mutex_t> {
        (storage + stripe * Self.slotBytes).assumingMemoryBound(to: pthread_mutex_t.self)
    }
    @inline(__always) func lock(_ node: Int32) { pthread_mutex_lock(mutex(Int(node) & mask)) }
    @inline(__always) func unlock(_ node: Int32) { pthread_mutex_unlock(mutex(Int(node) & mask)) }
}

/// A binary max-heap of (score, node) on manually managed storage: grows by doubling and is reused across
/// searches, so the search loop never allocates. A min-heap is had by pushing negated scores.
struct ScoredHeap {
    private(set) var scores: UnsafeMutablePointer<Float>
    private(set) var nodes: UnsafeMutablePointer<Int32>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        scores = .allocate(capacity: self.capacity)
        nodes = .allocate(capacity: self.capacity)
    }

    func free() {
        scores.deallocate()
        nodes.deallocate()
    }

    var isEmpty: Bool { count == 0 }
    @inline(__always) var topScore: Float { scores[0] }
    @inline(__always) var topNode: Int32 { nodes[0] }
    @inline(__always) mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func push(_ score: Float, _ node: Int32) {
        if count == capacity { grow() }
        var child = count
        count += 1
        while child > 0 {
            let parent = (child - 1) >> 1
            if scores[parent] >= score { break }
            scores[child] = scores[parent]
            nodes[child] = nodes[parent]
            child = parent
        }
        scores[child] = score
        nodes[child] = node
    }

    @inline(__always)
    mutating func pop() {
        count -= 1
        guard count > 0 else { return }
        let score = scores[count], node = nodes[count]
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count && scores[child + 1] > scores[child] { child += 1 }
            if scores[child] <= score { break }
            scores[parent] = scores[child]
            nodes[parent] = nodes[child]
            parent = child
        }
        scores[parent] = score
        nodes[parent] = node
    }

    private mutating func grow() {
        let newCapacity = capacity * 2
        let newScores = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity)
        let newNodes = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        newScores.update(from: scores, count: count)
        newNodes.update(from: nodes, count: count)
        scores.deallocate()
        nodes.deallocate()
        scores = newScores
        nodes = newNodes
        capacity = newCapacity
    }
}

/// Buffers one search needs. Owned by exactly one thread between `ScratchPool.take` and `give`, which is
/// why the unchecked Sendable is sound.
final class SearchScratch: @unchecked Sendable {
    /// `visited[n] == visitGeneration` ⇔ node n was seen in the current layer search; bumping the generation
    /// forgets every mark at once, so nothing is cleared per search.
    private(set) var visited: UnsafeMutablePointer<UInt32>
    private(set) var visitGeneration: UInt32 = 0
    /// Same trick for a filtered query's allowed-node set (its own counter: it must outlive layer changes).
    private(set) var allowed: UnsafeMutablePointer<UInt32>
    private(set) var allowedGeneration: UInt32 = 0
    private(set) var tagCapacity: Int
    /// Max-heap of similarities: the frontier, best first.
    var candidates = ScoredHeap(capacity: 256)
    /// Max-heap of negated similarities: the current best `ef`, worst on top.
    var results = ScoredHeap(capacity: 256)
    /// Neighbour ids copied out under a node lock during parallel construction.
    let neighbourBuffer: UnsafeMutablePointer<Int32>
    /// Entry points carried from one layer down to the next.
    var entries: [Int32] = []
    /// Neighbour selection for the node being inserted: candidates best first, and the kept ones.
    var selection: [(node: Int32, score: Float)] = []
    var selected: [Int32] = []
    /// Separate buffers for shrinking a neighbour's list, which happens while `selected` is being iterated.
    var pruneCandidates: [(node: Int32, score: Float)] = []
    var pruneKept: [Int32] = []

    init(nodeCapacity: Int, maxDegree: Int) {
        tagCapacity = max(nodeCapacity, 1024)
        visited = .allocate(capacity: tagCapacity)
        visited.initialize(repeating: 0, count: tagCapacity)
        allowed = .allocate(capacity: tagCapacity)
        allowed.initialize(repeating: 0, count: tagCapacity)
        neighbourBuffer = .allocate(capacity: maxDegree + 2)
        entries.reserveCapacity(512)
        selection.reserveCapacity(512)
        selected.reserveCapacity(maxDegree + 1)
        pruneCandidates.reserveCapacity(maxDegree + 2)
        pruneKept.reserveCapacity(maxDegree + 2)
    }

    deinit {
        visited.deallocate()
        allowed.deallocate()
        neighbourBuffer.deallocate()
        candidates.free()
        results.free()
    }

    /// Makes the tag arrays cover `nodeCount` nodes (call once per query, before any generation is taken).
    func prepare(nodeCount: Int) {
        guard nodeCount > tagCapacity else { return }
        let newCapacity = max(nodeCount, tagCapacity * 2)
        visited.deallocate()
        allowed.deallocate()
        visited = .allocate(capacity: newCapacity)
        allowed = .allocate(capacity: newCapacity)
        visited.initialize(repeating: 0, count: newCapacity)
        allowed.initialize(repeating: 0, count: newCapacity)
        tagCapacity = newCapacity
        visitGeneration = 0
        allowedGeneration = 0
    }

    /// A fresh visited set; also empties both heaps.
    @inline(__always)
    func nextVisitGeneration() -> UInt32 {
        if visitGeneration == UInt32.max {
            visited.update(repeating: 0, count: tagCapacity)
            visitGeneration = 0
        }
        visitGeneration += 1
        candidates.removeAll()
        results.removeAll()
        return visitGeneration
    }

    /// A fresh (empty) allowed set.
    func nextAllowedGeneration() -> UInt32 {
        if allowedGeneration == UInt32.max {
            allowed.update(repeating: 0, count: tagCapacity)
            allowedGeneration = 0
        }
        allowedGeneration += 1
        return allowedGeneration
    }
}

/// Recycles scratch buffers so a query allocates nothing in the steady state.
final class ScratchPool: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var idle: [SearchScratch] = []   // guarded by `lock`
    private let maxDegree: Int

    init(maxDegree: Int) { self.maxDegree = maxDegree }

    func take(nodeCount: Int) -> SearchScratch {
        if let scratch = lock.withLock({ idle.popLast() }) { return scratch }
        return SearchScratch(nodeCapacity: nodeCount, maxDegree: maxDegree)
    }

    func give(_ scratch: SearchScratch) {
        lock.withLock {
            // Keep a handful; more than the core count is just memory.
            if idle.count < 16 { idle.append(scratch) }
        }
    }

    func withScratch<R>(nodeCount: Int, _ body: (SearchScratch) throws -> R) rethrows -> R {
        let scratch = take(nodeCount: nodeCount)
        defer { give(scratch) }
        return try body(scratch)
    }
}
