import Foundation

/// A reader of the safetensors format: an 8-byte little-endian header length, a JSON header mapping tensor names to
/// `{dtype, shape, data_offsets}`, then the raw little-endian tensor bytes. Only `F32` tensors can be read as floats.
public struct SafetensorsFile: Sendable {
    public struct TensorInfo: Sendable, Equatable {
        public let dtype: String
        public let shape: [Int]
        /// Byte range inside the data section (after the header).
        public let dataRange: Range<Int>
        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let path: String
    /// The whole file.
    public let data: Data
    public let headerLength: Int
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]

    public init(url: URL) throws {
        path = url.path
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw EmbeddingError.missingFile(
                directory: url.deletingLastPathComponent().path, file: url.lastPathComponent)
        }
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw EmbeddingError.unreadableFile(url.path, String(describing: error))
        }
        let (headerLength, tensors, metadata) = try Self.parseHeader(data, path: url.path)
        self.headerLength = headerLength
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file offset at which the tensor data section starts.
    public var dataStart: Int { 8 + headerLength }

    static func parseHeader(_ data: Data, path: String) throws -> (Int, [String: TensorInfo], [String: String]) {
        guard data.count >= 8 else { throw EmbeddingError.invalidSafetensors(path, "the file is shorter than 8 bytes") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard n > 0, n <= UInt64(data.count - 8), n < 100_000_000 else {
            throw EmbeddingError.invalidSafetensors(path, "header length \(n) does not fit a file of \(data.count) bytes")
        }
        let headerLength = Int(n)
        let header = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw EmbeddingError.invalidSafetensors(path, "the header is not a JSON object")
        }
        let dataSize = data.count - 8 - headerLength
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                if let m = value as? [String: Any] {
                    for (k, v) in m { metadata[k] = "\(v)" }
                }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2
            else { throw EmbeddingError.invalidSafetensors(path, "the header entry of \(name) is malformed") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw EmbeddingError.invalidSafetensors(path, "tensor \(name) lies outside the file (truncated download?)")
            }
            if let size = Self.byteSize(of: dtype) {
                guard shape.reduce(1, *) * size == end - begin else {
                    throw EmbeddingError.invalidSafetensors(path, "tensor \(name) has \(end - begin) bytes for shape \(shape)")
                }
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, dataRange: begin..<end)
        }
        return (headerLength, tensors, metadata)
    }

    static func byteSize(of dtype: String) -> Int? {
        switch dtype {
        case "F64", "I64", "U64": return 8
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": return 1
        default: return nil
        }
    }

    /// The tensor named `name` (or `prefix + name` for one of the `prefixes`), checked to be F32 of `shape`.
    public func floats(_ name: String, shape: [Int], prefixes: [String] = ["", "bert."]) throws -> [Float] {
        var found: (String, TensorInfo)? = nil
        for p in prefixes { if let t = tensors[p + name] { found = (p + name, t); break } }
        guard let (fullName, info) = found else {
            throw EmbeddingError.invalidTensor(name: name, reason: "is missing")
        }
        guard info.dtype == "F32" else {
            throw EmbeddingError.invalidTensor(name: fullName, reason: "has dtype \(info.dtype), expected F32")
        }
        guard info.shape == shape else {
            throw EmbeddingError.invalidTensor(name: fullName, reason: "has shape \(info.shape), expected \(shape)")
        }
        let count = info.elementCount
        var out = [Float](repeating: 0, count: count)
        let start = data.startIndex + dataStart + info.dataRange.lowerBound
        out.withUnsafeMutableBytes { dst in
            data.copyBytes(to: dst.bindMemory(to: UInt8.self), from: start..<(start + count * 4))
        }
        #if _endian(big)
        for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
        #endif
        return out
    }
}
