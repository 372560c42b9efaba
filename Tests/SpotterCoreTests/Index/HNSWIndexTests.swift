import Foundation
import SpotterCore
import Synchronization
import Testing


private let dimension = 384

private func normalised(_ vector: [Float]) -> [Float] {
    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return vector.map { $0 / norm }
}

/// Gaussian blobs around `centres` random unit vectors, like embeddings of documents on a few topics.
private func clusteredVectors(_ count: Int, centres: Int = 50, spread: Float = 0.06, seed: UInt64) -> [[Float]] {
    var random = SplitMix64(seed: seed)
    let centreVectors = (0..<centres).map { _ in normalised((0..<dimension).map { _ in random.gaussian() }) }
    return (0..<count).map { _ in
        let centre = centreVectors[Int.random(in: 0..<centres, using: &random)]
        return normalised(centre.map { $0 + spread * random.gaussian() })
    }
}

private func uniformVectors(_ count: Int, seed: UInt64) -> [[Float]] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in normalised((0..<dimension).map { _ in random.gaussian() }) }
}

/// Ten chunks per document: chunk i belongs to "doc\(i / 10)".
private func embeddings(_ vectors: [[Float]], firstID: Int64 = 0) -> [StoredEmbedding] {
    vectors.enumerated().map { offset, vector in
        let id = firstID + Int64(offset)
        return StoredEmbedding(chunkID: id, documentID: "doc\(id / 10)", vector: vector)
    }
}

/// Mean fraction of the exact top-k that the index found (queries with an empty exact answer are skipped).
private func recall(_ index: some VectorIndex, exact: ExactVectorIndex, queries: [[Float]], k: Int = 10,
                    allowed: Set<String>? = nil) -> Double {
    var found = 0, expected = 0
    for query in queries {
        let truth = Set(exact.nearest(to: query, k: k, allowedDocuments: allowed).map(\.chunkID))
        let answer = index.nearest(to: query, k: k, allowedDocuments: allowed)
        found += answer.filter { truth.contains($0.chunkID) }.count
        expected += truth.count
    }
    return expected == 0 ? 1 : Double(found) / Double(expected)
}

private func isSortedBestFirst(_ matches: [VectorMatch]) -> Bool {
    zip(matches, matches.dropFirst()).allSatisfy { $0.similarity >= $1.similarity }
}

private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hnsw-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Shared fixture: 3,000 clustered vectors, 200 held-out queries, built incrementally on one thread.
private enum Clustered {
    static let vectors = clusteredVectors(3_200, seed: 1)
    static let entries = embeddings(Array(vectors.prefix(3_000)))
    static let queries = Array(vectors.suffix(200))
    static let exact = ExactVectorIndex(dimension: dimension, entries: entries)
    static let index: HNSWIndex = {
        let index = HNSWIndex(dimension: dimension)
        // Several insert calls, to exercise incremental growth.
        for start in stride(from: 0, to: entries.count, by: 1_000) {
            index.insert(Array(entries[start..<min(start + 1_000, entries.count)]))
        }
        return index
    }()
}

@Suite("HNSW index")
struct HNSWIndexTests {
    @Test func parametersAreValidated() throws {
        #expect(throws: HNSWParameterError.invalidM(1)) { try HNSWParameters(m: 1) }
        #expect(throws: HNSWParameterError.invalidEfConstruction(0)) { try HNSWParameters(m: 8, efConstruction: 0) }
        #expect(throws: HNSWParameterError.invalidEfSearch(0)) { try HNSWParameters(m: 8, efSearch: 0) }
        let parameters = try HNSWParameters(m: 12, efConstruction: 100, efSearch: 40, seed: 9)
        let decoded = try JSONDecoder().decode(HNSWParameters.self, from: JSONEncoder().encode(parameters))
        #expect(decoded == parameters)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(HNSWParameters.self, from: Data(#"{"m":1,"efConstruction":1,"efSearch":1,"seed":0}"#.utf8))
        }
    }

    @Test func recallOnClusteredData() {
        let index = Clustered.index
        #expect(index.count == 3_000)
        #expect(index.tombstoneCount == 0)
        #expect(recall(index, exact: Clustered.exact, queries: Clustered.queries) >= 0.95)
        let answer = index.nearest(to: Clustered.queries[0], k: 10, allowedDocuments: nil)
        #expect(answer.count == 10)
        #expect(isSortedBestFirst(answer))
    }

    @Test func recallOnUniformData() {
        let vectors = uniformVectors(2_200, seed: 2)
        let entries = embeddings(Array(vectors.prefix(2_000)))
        let index = HNSWIndex.build(dimension: dimension, entries: entries, threads: 1)
        let exact = ExactVectorIndex(dimension: dimension, entries: entries)
        // Uniform 384-d data has no structure to navigate by; a wider search keeps recall up.
        var found = 0
        for query in vectors.suffix(200) {
            let truth = Set(exact.nearest(to: query, k: 10, allowedDocuments: nil).map(\.chunkID))
            found += index.nearest(to: query, k: 10, efSearch: 128, allowedDocuments: nil).filter { truth.contains($0.chunkID) }.count
        }
        #expect(Double(found) / 2_000 >= 0.95)
    }

    @Test func multiThreadedBuildRecall() {
        let progressCalls = Atomic<Int>(0)
        let index = HNSWIndex.build(dimension: dimension, entries: Clustered.entries, threads: 2) { done, total in
            #expect(done <= total)
            progressCalls.add(1, ordering: .relaxed)
        }
        #expect(index.count == 3_000)
        #expect(progressCalls.load(ordering: .relaxed) > 0)
        #expect(recall(index, exact: Clustered.exact, queries: Clustered.queries) >= 0.95)
        let batch = index.nearestBatch(Clustered.queries, k: 10, efSearch: 64, threads: 2)
        #expect(batch.count == Clustered.queries.count)
        for (query, answer) in zip(Clustered.queries, batch) {
            #expect(answer.map(\.chunkID) == index.nearest(to: query, k: 10, efSearch: 64, allowedDocuments: nil).map(\.chunkID))
        }
    }

    @Test(arguments: [0.01, 0.3])
    func filteredSearch(fraction: Double) {
        var random = SplitMix64(seed: 3)
        let allowed = Set((0..<300).filter { _ in Double.random(in: 0..<1, using: &random) < fraction }.map { "doc\($0)" })
        #expect(!allowed.isEmpty)
        for strategy in [HNSWFilterStrategy.automatic, .exactScan, .graphTraversal] {
            var found = 0, expected = 0
            for query in Clustered.queries {
                let truth = Set(Clustered.exact.nearest(to: query, k: 10, allowedDocuments: allowed).map(\.chunkID))
                let answer = Clustered.index.nearest(to: query, k: 10, efSearch: nil, allowedDocuments: allowed, strategy: strategy)
                #expect(answer.allSatisfy { allowed.contains($0.documentID) })
                #expect(isSortedBestFirst(answer))
                found += answer.filter { truth.contains($0.chunkID) }.count
                expected += truth.count
            }
            #expect(Double(found) / Double(expected) >= 0.95, "strategy \(strategy)")
        }
        #expect(Clustered.index.nearest(to: Clustered.queries[0], k: 10, allowedDocuments: ["no such document"]).isEmpty)
    }

    @Test func insertRemoveReplaceCompactAndReload() throws {
        let vectors = clusteredVectors(1_100, seed: 4)
        let index = HNSWIndex(dimension: dimension)
        index.insert(embeddings(Array(vectors.prefix(1_000))))
        let queries = Array(vectors.suffix(50))

        let removed = Set((0..<1_000).filter { $0 % 5 == 0 }.map(Int64.init))
        #expect(index.remove(chunkIDs: removed) == removed.count)
        #expect(index.remove(chunkIDs: [99_999]) == 0)
        #expect(index.count == 800)
        #expect(index.tombstoneCount == 200)

        // Replace chunk 1 with a new vector and document: the old node becomes a tombstone.
        let replacement = StoredEmbedding(chunkID: 1, documentID: "moved", vector: queries[0])
        index.insert([replacement])
        #expect(index.count == 800)
        #expect(index.tombstoneCount == 201)
        let top = index.nearest(to: queries[0], k: 1, allowedDocuments: nil)
        #expect(top.first?.chunkID == 1 && top.first?.documentID == "moved")
        #expect(index.nearest(to: queries[0], k: 5, allowedDocuments: ["doc0"]).allSatisfy { $0.chunkID != 1 && $0.chunkID != 0 })

        var live = Set((0..<1_000).map(Int64.init)).subtracting(removed)
        #expect(index.chunkIDs == live)
        for query in queries {
            #expect(index.nearest(to: query, k: 20, allowedDocuments: nil).allSatisfy { live.contains($0.chunkID) })
        }

        // Reload gives identical answers.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("index.hnsw")
        let info = HNSWFileInfo(modelID: "all-MiniLM-L6-v2", modelVersion: "1", chunkSetDigest: "abc123", generation: 42)
        try index.write(to: file, header: info)
        let (loaded, loadedInfo) = try HNSWIndex.read(from: file)
        #expect(loadedInfo.modelID == info.modelID && loadedInfo.modelVersion == info.modelVersion)
        #expect(loadedInfo.chunkSetDigest == "abc123" && loadedInfo.generation == 42)
        #expect(loadedInfo.dimension == dimension && loadedInfo.count == 1_001 && loadedInfo.liveCount == 800)
        #expect(loadedInfo.parameters == index.parameters && loadedInfo.formatVersion == HNSWIndex.fileFormatVersion)
        #expect(try HNSWIndex.readInfo(from: file).chunkSetDigest == "abc123")
        #expect(loaded.count == 800 && loaded.tombstoneCount == 201 && loaded.chunkIDs == live)
        for query in queries {
            #expect(loaded.nearest(to: query, k: 10, allowedDocuments: nil) == index.nearest(to: query, k: 10, allowedDocuments: nil))
            #expect(loaded.nearest(to: query, k: 10, allowedDocuments: ["doc3", "moved"])
                    == index.nearest(to: query, k: 10, allowedDocuments: ["doc3", "moved"]))
        }

        // The reloaded index keeps accepting inserts and removals.
        loaded.insert(embeddings(Array(vectors[1_000..<1_050]), firstID: 5_000))
        loaded.remove(chunkIDs: [2, 3])
        live.formUnion((5_000..<5_050).map(Int64.init))
        live.subtract([2, 3])
        #expect(loaded.chunkIDs == live)

        // Compaction drops tombstones, keeps the live set and recall.
        let compact = loaded.compacted(threads: 2)
        #expect(compact.tombstoneCount == 0 && compact.chunkIDs == live)
        let liveEntries = embeddings(Array(vectors.prefix(1_000))).filter { live.contains($0.chunkID) && $0.chunkID != 1 }
            + [replacement] + embeddings(Array(vectors[1_000..<1_050]), firstID: 5_000)
        let exact = ExactVectorIndex(dimension: dimension, entries: liveEntries)
        #expect(recall(compact, exact: exact, queries: queries) >= 0.95)
        #expect(recall(loaded, exact: exact, queries: queries) >= 0.95)
    }

    @Test func emptyIndexAndBadQueries() throws {
        let index = HNSWIndex(dimension: dimension)
        #expect(index.nearest(to: Clustered.queries[0], k: 10, allowedDocuments: nil).isEmpty)
        #expect(Clustered.index.nearest(to: [1, 2, 3], k: 10, allowedDocuments: nil).isEmpty)
        #expect(Clustered.index.nearest(to: Clustered.queries[0], k: 0, allowedDocuments: nil).isEmpty)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("empty.hnsw")
        try index.write(to: file, header: HNSWFileInfo(modelID: "m", modelVersion: "v", chunkSetDigest: "", generation: 0))
        let (loaded, _) = try HNSWIndex.read(from: file)
        #expect(loaded.count == 0)
    }

    @Test func corruptFilesAreRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("index.hnsw")
        let index = HNSWIndex.build(dimension: dimension, entries: Array(Clustered.entries.prefix(300)))
        try index.write(to: file, header: HNSWFileInfo(modelID: "m", modelVersion: "v", chunkSetDigest: "d", generation: 1))
        let good = try Data(contentsOf: file)

        func isCorrupt(_ bytes: Data) -> Bool {
            let damaged = directory.appendingPathComponent("damaged-\(UUID().uuidString).hnsw")
            try? bytes.write(to: damaged)
            do {
                _ = try HNSWIndex.read(from: damaged)
                return false
            } catch {
                if case .corrupt = error { return true }
                return false
            }
        }
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        #expect(isCorrupt(flipped))
        var flippedChecksum = good
        flippedChecksum[good.count - 1] ^= 0x01
        #expect(isCorrupt(flippedChecksum))
        #expect(isCorrupt(good.prefix(good.count - 100)))
        #expect(isCorrupt(good.prefix(40)))
        #expect(isCorrupt(good.prefix(5)))
        #expect(isCorrupt(Data()))
        var badMagic = good
        badMagic[0] = UInt8(ascii: "X")
        #expect(isCorrupt(badMagic))

        var future = good
        future[8] = 2
        let futureFile = directory.appendingPathComponent("future.hnsw")
        try future.write(to: futureFile)
        #expect(throws: HNSWFileError.unsupportedVersion(found: 2, expected: HNSWIndex.fileFormatVersion)) {
            try HNSWIndex.read(from: futureFile)
        }

        let absent = directory.appendingPathComponent("absent.hnsw")
        #expect(throws: HNSWFileError.missing) { try HNSWIndex.read(from: absent) }
        // A torn write leaves only a temporary file; it must never be picked up as the index.
        try good.prefix(good.count / 2).write(to: directory.appendingPathComponent(".absent.hnsw.tmp-1-2"))
        #expect(throws: HNSWFileError.missing) { try HNSWIndex.read(from: absent) }
        // Nor disturb a good index next to it.
        try good.prefix(good.count / 2).write(to: directory.appendingPathComponent(".index.hnsw.tmp-1-2"))
        #expect(try HNSWIndex.read(from: file).0.count == 300)

        #expect(HNSWFileError.missing.description.contains("build"))
        #expect(HNSWFileError.corrupt(reason: "x").description.contains("rebuild"))
    }

    @Test func concurrentReadersDuringWrites() throws {
        let vectors = clusteredVectors(3_050, seed: 5)
        let initial = embeddings(Array(vectors.prefix(2_000)))
        let added = embeddings(Array(vectors[2_000..<3_000]), firstID: 2_000)
        let queries = Array(vectors.suffix(50))
        let index = HNSWIndex.build(dimension: dimension, entries: initial, threads: 2)

        // Removal order is fixed; `removalsCompleted` counts how many of them finished.
        let removalOrder = (0..<2_000).filter { $0 % 4 == 1 }.map(Int64.init)
        let removalsCompleted = Atomic<Int>(0)
        let writerDone = Atomic<Bool>(false)
        let violations = Atomic<Int>(0)
        let queriesRun = Atomic<Int>(0)
        let removalPosition = Dictionary(uniqueKeysWithValues: removalOrder.enumerated().map { ($1, $0) })

        let finished = DispatchGroup()
        for reader in 0..<4 {
            finished.enter()
            Thread {
                var step = reader
                while !writerDone.load(ordering: .acquiring) {
                    let removedBefore = removalsCompleted.load(ordering: .acquiring)
                    let answer = index.nearest(to: queries[step % queries.count], k: 10, allowedDocuments: nil)
                    let valid = isSortedBestFirst(answer) && answer.allSatisfy { match in
                        guard match.chunkID >= 0, match.chunkID < 3_000 else { return false }
                        if let position = removalPosition[match.chunkID], position < removedBefore { return false }
                        return true
                    }
                    if !valid { violations.add(1, ordering: .relaxed) }
                    queriesRun.add(1, ordering: .relaxed)
                    step += 1
                }
                finished.leave()
            }.start()
        }
        finished.enter()
        Thread {
            for batch in 0..<20 {
                index.insert(Array(added[(batch * 50)..<(batch * 50 + 50)]))
                let removals = removalOrder[(batch * 25)..<min(batch * 25 + 25, removalOrder.count)]
                index.remove(chunkIDs: removals)
                removalsCompleted.store(batch * 25 + removals.count, ordering: .releasing)
            }
            writerDone.store(true, ordering: .releasing)
            finished.leave()
        }.start()
        finished.wait()

        #expect(violations.load(ordering: .relaxed) == 0)
        #expect(queriesRun.load(ordering: .relaxed) > 0)
        let removed = Set(removalOrder)
        let finalEntries = (initial + added).filter { !removed.contains($0.chunkID) }
        #expect(index.count == finalEntries.count)
        #expect(index.chunkIDs == Set(finalEntries.map(\.chunkID)))
        let exact = ExactVectorIndex(dimension: dimension, entries: finalEntries)
        #expect(recall(index, exact: exact, queries: queries) >= 0.95)
    }
}
