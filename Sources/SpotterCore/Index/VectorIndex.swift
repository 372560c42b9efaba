/// Nearest-neighbour search over L2-normalised vectors by inner product (cosine similarity).
///
/// The exact scan (``ExactVectorIndex``) is the reference implementation; an approximate index can take its place
/// behind this protocol without changing search.
public protocol VectorIndex: Sendable {
    /// How many vectors the index holds.
    var count: Int { get }
    /// The `k` entries most similar to `query`, best first; `allowedDocuments` restricts the candidates when not nil.
    func nearest(to query: [Float], k: Int, allowedDocuments: Set<String>?) -> [VectorMatch]
}

/// One result of a vector search.
@MemberwiseInit
public struct VectorMatch: Sendable, Equatable {
    public var chunkID: Int64
    public var documentID: String
    /// Cosine similarity (inner product of unit vectors), in [-1, 1].
    public var similarity: Float
}

/// Scans every vector: exact, and fast enough for tens of thousands of chunks.
public struct ExactVectorIndex: VectorIndex {
    public let dimension: Int
    private let vectors: [Float]          // row-major, `count × dimension`
    private let chunkIDs: [Int64]
    private let documentIDs: [String]

    public var count: Int { chunkIDs.count }

    /// Builds the index from stored embeddings; vectors whose length is not `dimension` are left out.
    public init(dimension: Int, entries: [StoredEmbedding]) {
        self.dimension = dimension
        let usable = entries.filter { $0.vector.count == dimension }
        var flat = [Float]()
        flat.reserveCapacity(usable.count * dimension)
        for entry in usable { flat.append(contentsOf: entry.vector) }
        vectors = flat
        chunkIDs = usable.map(\.chunkID)
        documentIDs = usable.map(\.documentID)
    }

    public func nearest(to query: [Float], k: Int, allowedDocuments: Set<String>?) -> [VectorMatch] {
        guard query.count == dimension, k > 0, count > 0 else { return [] }
        let best = VectorMath.nearestRows(to: query, in: vectors, rows: count, dimension: dimension, k: k) { row in
            allowedDocuments?.contains(documentIDs[row]) ?? true
        }
        return best.map { VectorMatch(chunkID: chunkIDs[$0.item], documentID: documentIDs[$0.item], similarity: $0.score) }
    }
}

/// The inner product of unit vectors (cosine similarity), shared by the exact scan, the HNSW graph and MMR.
package enum VectorMath {
    /// Inner product with four independent SIMD8 accumulators so the FMA latency chain does not bound throughput
    /// (one accumulator is about 3× slower at 384 dimensions). Every vector search and MMR use this one.
    @inline(__always)
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var index = 0
        while index + 32 <= count {
            let offset = index * 4
            s0.addProduct(ra.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self),
                          rb.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
            s1.addProduct(ra.loadUnaligned(fromByteOffset: offset + 32, as: SIMD8<Float>.self),
                          rb.loadUnaligned(fromByteOffset: offset + 32, as: SIMD8<Float>.self))
            s2.addProduct(ra.loadUnaligned(fromByteOffset: offset + 64, as: SIMD8<Float>.self),
                          rb.loadUnaligned(fromByteOffset: offset + 64, as: SIMD8<Float>.self))
            s3.addProduct(ra.loadUnaligned(fromByteOffset: offset + 96, as: SIMD8<Float>.self),
                          rb.loadUnaligned(fromByteOffset: offset + 96, as: SIMD8<Float>.self))
            index += 32
        }
        while index + 8 <= count {
            s0.addProduct(ra.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self),
                          rb.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self))
            index += 8
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while index < count {
            sum += a[index] * b[index]
            index += 1
        }
        return sum
    }

    /// The `k` rows of a row-major matrix most similar to `query`, best first, among the rows `include` accepts:
    /// the exact scan behind ``ExactVectorIndex`` and the semantic cache.
    static func nearestRows(to query: [Float], in matrix: [Float], rows: Int, dimension: Int, k: Int,
                            include: (Int) -> Bool = { _ in true }) -> [(item: Int, score: Float)] {
        var best = TopK<Int>(capacity: k)
        matrix.withUnsafeBufferPointer { matrix in
            query.withUnsafeBufferPointer { q in
                for row in 0..<rows where include(row) {
                    best.insert(row, score: dot(matrix.baseAddress! + row * dimension, q.baseAddress!, dimension))
                }
            }
        }
        return best.sorted()
    }

    /// The inner product of two equally long vectors.
    package static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of different dimensions")
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa.baseAddress!, pb.baseAddress!, a.count) } }
    }
}

/// Keeps the `capacity` highest-scoring items seen, cheaply for small `capacity`.
struct TopK<Item> {
    let capacity: Int
    private(set) var entries: [(item: Item, score: Float)] = []

    init(capacity: Int) { self.capacity = capacity }

    mutating func insert(_ item: Item, score: Float) {
        if entries.count == capacity, let last = entries.last, last.score >= score { return }
        // Binary search for the slot; entries stay sorted by descending score.
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].score >= score { low = mid + 1 } else { high = mid }
        }
        entries.insert((item, score), at: low)
        if entries.count > capacity { entries.removeLast() }
    }

    func sorted() -> [(item: Item, score: Float)] { entries }
}
