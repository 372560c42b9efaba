import Dispatch
import Foundation
import SpotterCore

/// Measures Spotter's HNSW on a vector set: build time, memory, and queries per second against recall@k, with the
/// exact scan as ground truth. The same files feed the peer (hnswlib) so that both see identical data.
public struct IndexBenchmark: Sendable {
    /// Vectors to index and queries to ask, row-major, unit length.
    @MemberwiseInit
    public struct DataSet: Sendable {
        public var name: String
        public var dimension: Int
        public var base: [Float]
        public var queries: [Float]
        public var baseCount: Int { base.count / dimension }
        public var queryCount: Int { queries.count / dimension }
    }

    @SnakeCaseCodingKeys
    public struct Run: Sendable, Codable, Equatable {
        public var efSearch: Int
        public var recall: Double
        public var qps: Double
    }

    @MemberwiseInit @SnakeCaseCodingKeys
    public struct Result: Sendable, Codable, Equatable {
        public var buildSeconds: Double
        public var indexMemoryBytes: Int
        public var peakRSSBytes: Int
        public var runs: [Run]
    }

    /// `count` unit vectors around `clusters` random centres (Gaussian spread), like embeddings of a corpus with
    /// topics; uniform random vectors in 384 dimensions have no neighbourhood structure and are no test of a graph.
    public static func synthetic(count: Int, queries: Int, dimension: Int = 384, clusters: Int = 1_000,
                                 spread: Float = 0.35, seed: UInt64 = 42) -> DataSet {
        var random = SplitMix64(seed: seed)
        func gaussian() -> Float { random.gaussian() }
        func normalised(_ vector: inout ArraySlice<Float>) {
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for i in vector.indices { vector[i] /= norm } }
        }
        var centres = [Float](repeating: 0, count: clusters * dimension)
        for c in 0..<clusters {
            for d in 0..<dimension { centres[c * dimension + d] = gaussian() }
            normalised(&centres[(c * dimension)..<((c + 1) * dimension)])
        }
        func sample(_ n: Int) -> [Float] {
            var out = [Float](repeating: 0, count: n * dimension)
            for row in 0..<n {
                let centre = Int(random.next() % UInt64(clusters))
                for d in 0..<dimension {
                    out[row * dimension + d] = centres[centre * dimension + d] + spread * gaussian() / Float(dimension).squareRoot()
                }
                normalised(&out[(row * dimension)..<((row + 1) * dimension)])
            }
            return out
        }
        let base = sample(count)
        return DataSet(name: "synthetic-\(count)", dimension: dimension, base: base, queries: sample(queries))
    }

    /// The exact top-`k` rows of `base` for every query, by inner product, spread over `threads`.
    public static func groundTruth(_ data: DataSet, k: Int, threads: Int) -> [[Int32]] {
        let entries = (0..<data.baseCount).map { row in
            StoredEmbedding(chunkID: Int64(row), documentID: "", vector: Array(data.base[(row * data.dimension)..<((row + 1) * data.dimension)]))
        }
        let exact = ExactVectorIndex(dimension: data.dimension, entries: entries)
        let results = ResultSlots<[Int32]>(count: data.queryCount)
        let perWorker = (data.queryCount + threads - 1) / max(threads, 1)
        DispatchQueue.concurrentPerform(iterations: max(threads, 1)) { worker in
            let start = worker * perWorker
            let end = min(start + perWorker, data.queryCount)
            guard start < end else { return }
            for query in start..<end {
                let vector = Array(data.queries[(query * data.dimension)..<((query + 1) * data.dimension)])
                results.set(query, exact.nearest(to: vector, k: k, allowedDocuments: nil).map { Int32($0.chunkID) })
            }
        }
        return results.values
    }

    /// Builds the graph with `threads`, then for every efSearch answers all queries (batched over `threads`) for
    /// at least `minimumSeconds`, and scores recall@k against `truth`.
    public static func measure(_ data: DataSet, truth: [[Int32]], parameters: HNSWParameters, efSearch: [Int], k: Int,
                               threads: Int, minimumSeconds: Double = 1) -> Result {
        let entries = (0..<data.baseCount).map { row in
            StoredEmbedding(chunkID: Int64(row), documentID: "d\(row % 1_000)",
                            vector: Array(data.base[(row * data.dimension)..<((row + 1) * data.dimension)]))
        }
        let queries = (0..<data.queryCount).map { Array(data.queries[($0 * data.dimension)..<(($0 + 1) * data.dimension)]) }
        let before = ResidentMemory.current()
        let started = ContinuousClock.now
        let index = HNSWIndex.build(dimension: data.dimension, parameters: parameters, entries: entries, threads: threads)
        let buildSeconds = (ContinuousClock.now - started).inSeconds
        let memory = max(ResidentMemory.current() - before, index.memoryBytes)

        var runs: [Run] = []
        for ef in efSearch {
            _ = index.nearestBatch(Array(queries.prefix(64)), k: k, efSearch: ef, threads: threads)  // warm-up
            var answers: [[VectorMatch]] = []
            var repetitions = 0
            let clock = ContinuousClock.now
            var elapsed = 0.0
            repeat {
                answers = index.nearestBatch(queries, k: k, efSearch: ef, threads: threads)
                repetitions += 1
                elapsed = (ContinuousClock.now - clock).inSeconds
            } while elapsed < minimumSeconds
            var found = 0
            for (answer, expected) in zip(answers, truth) {
                let wanted = Set(expected.prefix(k).map(Int64.init))
                found += answer.filter { wanted.contains($0.chunkID) }.count
            }
            runs.append(Run(efSearch: ef, recall: Double(found) / Double(max(truth.count * k, 1)),
                            qps: Double(queries.count * repetitions) / elapsed))
        }
        return Result(buildSeconds: buildSeconds, indexMemoryBytes: memory,
                      peakRSSBytes: EmbeddingBenchmark.peakResidentSetSize(), runs: runs)
    }

    /// The fastest run that reaches `recall`, or nil.
    public static func fastest(_ runs: [Run], atRecall recall: Double) -> Run? {
        runs.filter { $0.recall >= recall }.max { $0.qps < $1.qps }
    }
}

/// Each worker writes its own slots, which never overlap, so no lock is needed; raw memory, because concurrent
/// writes through an array property would trip Swift's exclusivity check.
final class ResultSlots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Value?>
    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }
    deinit {
        storage.deinitialize()
        storage.deallocate()
    }
    func set(_ index: Int, _ value: Value) { storage[index] = value }
    var values: [Value] { storage.map { $0! } }
}

/// The process's current resident set, from `/proc/self/statm` (0 where that does not exist).
public enum ResidentMemory {
    public static func current() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
