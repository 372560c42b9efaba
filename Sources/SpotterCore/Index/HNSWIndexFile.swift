import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an index file says about itself. The caller sets the first four fields when writing; the rest are
/// filled from the index on write and from the file on read.
public struct HNSWFileInfo: Sendable, Equatable {
    public var modelID: String
    public var modelVersion: String
    /// Opaque store-state fingerprint (e.g. hex SHA-256 of the chunk-id set) to tell whether the index is stale.
    public var chunkSetDigest: String
    public var generation: Int64
    public internal(set) var formatVersion: UInt32 = HNSWIndex.fileFormatVersion
    public internal(set) var dimension: Int = 0
    /// Nodes in the file, tombstones included.
    public internal(set) var count: Int = 0
    public internal(set) var liveCount: Int = 0
    public internal(set) var parameters: HNSWParameters = .init()

    public init(modelID: String, modelVersion: String, chunkSetDigest: String, generation: Int64) {
        self.modelID = modelID
        self.modelVersion = modelVersion
        self.chunkSetDigest = chunkSetDigest
        self.generation = generation
    }
}

/// Why an index file could not be written or loaded. In every case rebuilding the index from the store is a
/// safe way out; the descriptions say so.
public enum HNSWFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing
    case unsupportedVersion(found: UInt32, expected: UInt32)
    case corrupt(reason: String)
    case io(String)

    public var description: String {
        switch self {
        case .missing:
            "No vector index file exists yet; build the index (it will be written on completion)."
        case .unsupportedVersion(let found, let expected):
            "The vector index file has format version \(found), but this build reads version \(expected); rebuild the index."
        case .corrupt(let reason):
            "The vector index file is damaged (\(reason)); delete it and rebuild the index."
        case .io(let message):
            "The vector index file could not be accessed: \(message). Check the path, permissions and free disk space."
        }
    }
}

// File layout (all integers little-endian):
//
//   offset  size  field
//        0     8  magic "SPTHNSW\u{1A}"
//        8     4  format version (UInt32, currently 1)
//       12     4  dimension (UInt32)
//       16     4  m, 20: efConstruction, 24: efSearch (UInt32 each)
//       28     4  reserved, zero
//       32     8  seed (UInt64)
//       40     8  generation (Int64)
//       48     8  node count incl. tombstones (UInt64)
//       56     8  live count (UInt64)
//       64     8  document count (UInt64)
//       72     4  entry point (Int32, −1 when empty)
//       76     4  top level (Int32, −1 when empty)
//       80     8  Int32 words in the upper-layer adjacency (UInt64)
//       88        model id, model version, chunk-set digest: each UInt32 byte length + UTF-8
//   payload, in order:
//                 vectors        nodes × dimension × Float32
//                 chunk ids      nodes × Int64
//                 documents      nodes × UInt32 (index into the document table)
//                 tombstones     nodes × UInt8 (0 live, 1 removed)
//                 levels         nodes × UInt8
//                 document table document count × (UInt32 length + UTF-8)
//                 layer 0        nodes × (1 + 2m) × Int32   ([count, neighbours…], unused slots zero)
//                 upper layers   for each node of level L > 0 in node order, L × (1 + m) × Int32
//   trailer:      SHA-256 (32 bytes) of every byte before it
extension HNSWIndex {
    public static let fileFormatVersion: UInt32 = 1
    static let fileMagic: [UInt8] = Array("SPTHNSW\u{1A}".utf8)
    static let fixedHeaderBytes = 88
    static let checksumBytes = 32

    /// Writes the index atomically: to a temporary file in the same directory, fsynced, then renamed over
    /// `url` (and the directory fsynced), so a crash leaves either the old file or the complete new one.
    /// Queries may run meanwhile; writers wait.
    public func write(to url: URL, header info: HNSWFileInfo) throws(HNSWFileError) {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw .io("cannot create \(temporary.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            var sink = ChecksummedSink(handle: handle)
            try lock.withReadLock { try writePayload(into: &sink, info: info) }
            try sink.flush()
            try handle.write(contentsOf: Data(sink.hasher.finalize()))
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .io("writing \(temporary.path) failed: \(error)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .io("cannot move the new index into place at \(url.path): \(reason)")
        }
        // Make the rename itself durable; best effort (not every file system allows fsync on a directory).
        let directoryDescriptor = open(directory.path, O_RDONLY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Read lock held.
    private func writePayload(into sink: inout ChecksummedSink, info: HNSWFileInfo) throws {
        let nodes = graph.nodeCount
        var upperWords = 0
        for node in 0..<nodes { upperWords += graph.level(ofNode: node) * graph.upperStride }

        sink.append(bytes: Self.fileMagic)
        sink.append(Self.fileFormatVersion)
        sink.append(UInt32(dimension))
        sink.append(UInt32(parameters.m))
        sink.append(UInt32(parameters.efConstruction))
        sink.append(UInt32(parameters.efSearch))
        sink.append(UInt32(0))
        sink.append(parameters.seed)
        sink.append(info.generation)
        sink.append(UInt64(nodes))
        sink.append(UInt64(nodeOfChunk.count))
        sink.append(UInt64(documentNames.count))
        sink.append(graph.entryPoint)
        sink.append(Int32(graph.maxLevel))
        sink.append(UInt64(upperWords))
        sink.append(string: info.modelID)
        sink.append(string: info.modelVersion)
        sink.append(string: info.chunkSetDigest)
        try sink.flush()

        // Bulk arrays go out as raw memory: the in-memory layout is the file layout on little-endian hosts.
        try sink.write(raw: UnsafeRawBufferPointer(start: graph.vectors, count: nodes * dimension * 4))
        try chunkIDOfNode.withUnsafeBytes { try sink.write(raw: $0) }
        try documentOfNode.withUnsafeBytes { try sink.write(raw: $0) }
        try tombstones.withUnsafeBytes { try sink.write(raw: $0) }
        try sink.write(raw: UnsafeRawBufferPointer(start: graph.levels, count: nodes))
        for name in documentNames {
            sink.append(string: name)
            if sink.pending.count >= ChecksummedSink.flushThreshold { try sink.flush() }
        }
        try sink.flush()
        try sink.write(raw: UnsafeRawBufferPointer(start: graph.level0, count: nodes * graph.level0Stride * 4))
        for node in 0..<nodes where graph.level(ofNode: node) > 0 {
            try sink.write(raw: UnsafeRawBufferPointer(start: graph.links(Int32(node), 1),
                                                       count: graph.level(ofNode: node) * graph.upperStride * 4))
        }
    }

    /// Loads an index written by ``write(to:header:)``. Magic, version, every length and the checksum are
    /// verified, and every stored id range-checked, before anything is built; a bad file throws, never traps.
    public static func read(from url: URL) throws(HNSWFileError) -> (HNSWIndex, HNSWFileInfo) {
        let data = try mappedFile(url)
        // `Data.withUnsafeBytes` only rethrows untyped errors, so the typed error travels out in a Result.
        return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Result<(HNSWIndex, HNSWFileInfo), HNSWFileError> in
          Result { () throws(HNSWFileError) -> (HNSWIndex, HNSWFileInfo) in
            try verifyPrefix(bytes)
            guard bytes.count >= fixedHeaderBytes + checksumBytes else { throw .corrupt(reason: "file is truncated") }
            let body = UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - checksumBytes)])
            let stored = UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - checksumBytes)...])
            guard SHA256.hash(data: body).elementsEqual(stored) else {
                throw .corrupt(reason: "checksum mismatch; the file was modified or only partly written")
            }
            var reader = BoundedReader(bytes: body)
            let header = try parseHeader(&reader)
            return try buildIndex(header: header, reader: &reader)
          }
        }.get()
    }

    /// The header of an index file, checking magic and version but not the checksum: a cheap staleness check
    /// before deciding whether to load or rebuild.
    public static func readInfo(from url: URL) throws(HNSWFileError) -> HNSWFileInfo {
        let data = try mappedFile(url)
        return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Result<HNSWFileInfo, HNSWFileError> in
            Result { () throws(HNSWFileError) -> HNSWFileInfo in
                try verifyPrefix(bytes)
                var reader = BoundedReader(bytes: bytes)
                return try parseHeader(&reader).info
            }
        }.get()
    }

    private static func mappedFile(_ url: URL) throws(HNSWFileError) -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else { throw .missing }
        do {
            return try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw .io("reading \(url.path) failed: \(error.localizedDescription)")
        }
    }

    private static func verifyPrefix(_ bytes: UnsafeRawBufferPointer) throws(HNSWFileError) {
        guard bytes.count >= 12 else { throw .corrupt(reason: "file is truncated (\(bytes.count) bytes)") }
        guard bytes.prefix(8).elementsEqual(fileMagic) else {
            throw .corrupt(reason: "not a Spotter HNSW index (bad magic bytes)")
        }
        let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == fileFormatVersion else { throw .unsupportedVersion(found: version, expected: fileFormatVersion) }
    }

    private struct FileHeader {
        var info: HNSWFileInfo
        var documentCount: Int
        var entryPoint: Int32
        var maxLevel: Int
        var upperWords: Int
    }

    private static func parseHeader(_ reader: inout BoundedReader) throws(HNSWFileError) -> FileHeader {
        try reader.skip(12)  // magic and version, checked already
        let dimension = Int(try reader.read(UInt32.self))
        let m = Int(try reader.read(UInt32.self))
        let efConstruction = Int(try reader.read(UInt32.self))
        let efSearch = Int(try reader.read(UInt32.self))
        _ = try reader.read(UInt32.self)
        let seed = try reader.read(UInt64.self)
        let generation = try reader.read(Int64.self)
        let nodeCount = try reader.readCount()
        let liveCount = try reader.readCount()
        let documentCount = try reader.readCount()
        let entryPoint = try reader.read(Int32.self)
        let maxLevel = Int(try reader.read(Int32.self))
        let upperWords = try reader.readCount()
        let modelID = try reader.readString()
        let modelVersion = try reader.readString()
        let digest = try reader.readString()

        guard dimension > 0, dimension <= 1 << 16 else { throw .corrupt(reason: "implausible dimension \(dimension)") }
        let parameters: HNSWParameters
        do {
            parameters = try HNSWParameters(m: m, efConstruction: efConstruction, efSearch: efSearch, seed: seed)
        } catch {
            throw .corrupt(reason: "invalid parameters: \(error.description)")
        }
        guard liveCount <= nodeCount, nodeCount < Int(Int32.max), documentCount <= nodeCount else {
            throw .corrupt(reason: "inconsistent counts (nodes \(nodeCount), live \(liveCount), documents \(documentCount))")
        }
        var info = HNSWFileInfo(modelID: modelID, modelVersion: modelVersion, chunkSetDigest: digest, generation: generation)
        info.dimension = dimension
        info.count = nodeCount
        info.liveCount = liveCount
        info.parameters = parameters
        return FileHeader(info: info, documentCount: documentCount, entryPoint: entryPoint, maxLevel: maxLevel, upperWords: upperWords)
    }

    private static func buildIndex(header: FileHeader, reader: inout BoundedReader) throws(HNSWFileError) -> (HNSWIndex, HNSWFileInfo) {
        let info = header.info
        let nodes = info.count, dimension = info.dimension, m = info.parameters.m
        let level0Stride = 1 + 2 * m, upperStride = 1 + m

        // Locate every section first; any length that does not add up is reported before allocating.
        let vectors = try reader.slice(nodes, times: dimension * 4)
        let chunkIDs = try reader.slice(nodes, times: 8)
        let documents = try reader.slice(nodes, times: 4)
        let tombstones = try reader.slice(nodes, times: 1)
        let levels = try reader.slice(nodes, times: 1)
        var documentNames: [String] = []
        documentNames.reserveCapacity(header.documentCount)
        for _ in 0..<header.documentCount { documentNames.append(try reader.readString()) }
        let level0 = try reader.slice(nodes, times: level0Stride * 4)
        let upper = try reader.slice(header.upperWords, times: 4)
        guard reader.remaining == 0 else { throw .corrupt(reason: "\(reader.remaining) unexpected bytes after the adjacency lists") }

        // Structural checks: everything the graph will index into must be in range.
        var expectedUpperWords = 0
        for node in 0..<nodes {
            let level = Int(levels[node])
            guard level <= HNSWGraph.maxLevelCap else { throw .corrupt(reason: "node \(node) has level \(level)") }
            guard tombstones[node] <= 1 else { throw .corrupt(reason: "bad tombstone flag at node \(node)") }
            let document = UInt32(littleEndian: documents.loadUnaligned(fromByteOffset: node * 4, as: UInt32.self))
            guard Int(document) < header.documentCount else { throw .corrupt(reason: "node \(node) names a missing document") }
            expectedUpperWords += level * upperStride
        }
        guard expectedUpperWords == header.upperWords else { throw .corrupt(reason: "upper-layer adjacency size disagrees with levels") }
        func checkList(_ list: UnsafeRawBufferPointer, at byteOffset: Int, limit: Int, owner: Int) throws(HNSWFileError) {
            let count = Int(Int32(littleEndian: list.loadUnaligned(fromByteOffset: byteOffset, as: Int32.self)))
            guard count >= 0, count <= limit else { throw .corrupt(reason: "node \(owner) has \(count) links") }
            for slot in 0..<count {
                let neighbour = Int32(littleEndian: list.loadUnaligned(fromByteOffset: byteOffset + 4 * (1 + slot), as: Int32.self))
                guard neighbour >= 0, Int(neighbour) < nodes else { throw .corrupt(reason: "node \(owner) links to missing node \(neighbour)") }
            }
        }
        var upperOffset = 0
        for node in 0..<nodes {
            try checkList(level0, at: node * level0Stride * 4, limit: 2 * m, owner: node)
            for _ in 0..<Int(levels[node]) {
                try checkList(upper, at: upperOffset, limit: m, owner: node)
                upperOffset += upperStride * 4
            }
        }
        if nodes == 0 {
            guard header.entryPoint == -1 else { throw .corrupt(reason: "empty index with an entry point") }
        } else {
            guard header.entryPoint >= 0, Int(header.entryPoint) < nodes,
                  header.maxLevel == Int(levels[Int(header.entryPoint)]) else {
                throw .corrupt(reason: "entry point \(header.entryPoint) or top level \(header.maxLevel) is inconsistent")
            }
        }

        // Build.
        let index = HNSWIndex(dimension: dimension, parameters: info.parameters)
        index.graph.reserve(nodes)
        var seenLiveChunks = Set<Int64>(minimumCapacity: info.liveCount)
        var upperCursor = 0
        for node in 0..<nodes {
            let level = Int(levels[node])
            let upperLinks: UnsafeRawPointer? = level > 0 ? upper.baseAddress! + upperCursor : nil
            upperCursor += level * upperStride * 4
            index.graph.appendLoadedNode(vector: vectors.baseAddress! + node * dimension * 4, level: level,
                                         level0Links: level0.baseAddress! + node * level0Stride * 4, upperLinks: upperLinks)
            let chunkID = Int64(littleEndian: chunkIDs.loadUnaligned(fromByteOffset: node * 8, as: Int64.self))
            let document = Int(UInt32(littleEndian: documents.loadUnaligned(fromByteOffset: node * 4, as: UInt32.self)))
            index.appendMetadata(node: Int32(node), chunkID: chunkID, documentID: documentNames[document])
            if tombstones[node] == 1 {
                index.tombstones[node] = 1
                index.nodeOfChunk[chunkID] = index.nodeOfChunk[chunkID] == Int32(node) ? nil : index.nodeOfChunk[chunkID]
                index.nodesOfDocument[Int(index.documentOfNode[node])].removeLast()
            } else {
                guard seenLiveChunks.insert(chunkID).inserted else { throw .corrupt(reason: "chunk \(chunkID) is live twice") }
            }
        }
        guard seenLiveChunks.count == info.liveCount else { throw .corrupt(reason: "live count disagrees with tombstones") }
        if nodes > 0 { index.graph.setEntryPoint(header.entryPoint, level: header.maxLevel) }
        var result = info
        result.formatVersion = fileFormatVersion
        return (index, result)
    }
}

/// Bounds-checked cursor over the mapped file: every read says how much it needs and fails as `.corrupt`.
private struct BoundedReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    var remaining: Int { bytes.count - offset }

    mutating func skip(_ count: Int) throws(HNSWFileError) {
        guard count <= remaining else { throw .corrupt(reason: "file is truncated") }
        offset += count
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(HNSWFileError) -> T {
        guard MemoryLayout<T>.size <= remaining else { throw .corrupt(reason: "file is truncated") }
        defer { offset += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A UInt64 count that must fit comfortably in memory arithmetic.
    mutating func readCount() throws(HNSWFileError) -> Int {
        let value = try read(UInt64.self)
        guard value <= UInt64(Int32.max) * 64 else { throw .corrupt(reason: "implausible count \(value)") }
        return Int(value)
    }

    mutating func readString() throws(HNSWFileError) -> String {
        let length = Int(try read(UInt32.self))
        guard length <= remaining else { throw .corrupt(reason: "file is truncated (string)") }
        defer { offset += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
    }

    /// The next `count × size` bytes, with overflow-checked length arithmetic.
    mutating func slice(_ count: Int, times size: Int) throws(HNSWFileError) -> UnsafeRawBufferPointer {
        let (length, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, length <= remaining else { throw .corrupt(reason: "file is truncated") }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }
}

/// Buffers small writes, hashes everything that passes through, and writes big arrays straight through.
private struct ChecksummedSink {
    static let flushThreshold = 1 << 20
    let handle: FileHandle
    var hasher = SHA256()
    var pending: [UInt8] = []

    init(handle: FileHandle) {
        self.handle = handle
        pending.reserveCapacity(Self.flushThreshold + 4096)
    }

    mutating func append(bytes: [UInt8]) { pending.append(contentsOf: bytes) }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { pending.append(contentsOf: $0) }
    }

    mutating func append(string: String) {
        let utf8 = Array(string.utf8)
        append(UInt32(utf8.count))
        pending.append(contentsOf: utf8)
    }

    mutating func flush() throws {
        guard !pending.isEmpty else { return }
        hasher.update(data: pending)
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes in 4 MB pieces so a large index does not need a second in-memory copy.
    mutating func write(raw: UnsafeRawBufferPointer) throws {
        try flush()
        var start = 0
        while start < raw.count {
            let end = min(start + (4 << 20), raw.count)
            let piece = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            hasher.update(bufferPointer: piece)
            try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: piece.baseAddress!),
                                              count: piece.count, deallocator: .none))
            start = end
        }
    }
}
