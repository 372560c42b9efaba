/// A quick reading of the commonest request body: one JSON object whose values are all strings or booleans
/// (`{"message": "…", "session_id": "…", "stream": true}`).
///
/// `JSONDecoder` costs more than the rest of a cached answer's pipeline on such a body. This reader takes only what
/// it is sure of and returns nil for anything else (a number, a nested value, `null`, a duplicate key, an escaped
/// key, a bad escape, any syntax error), so that the caller decodes that body the usual way, with the usual errors:
/// it changes how fast a valid body is read, never what a body means or how a bad one is refused.
public enum FlatJSONObject {
    public enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)
    }

    /// The members by key, or nil when the body is not such an object (or is, in a way this reader leaves alone).
    public static func parse(_ bytes: some Collection<UInt8>) -> [String: Value]? {
        let result = bytes.withContiguousStorageIfAvailable { parse(buffer: $0) }
        return result ?? parse(buffer: Array(bytes))
    }

    /// The same, over bytes in memory (a request body as it arrived), without going through a generic collection.
    public static func parse(bytes: UnsafeRawBufferPointer) -> [String: Value]? {
        parse(buffer: bytes.assumingMemoryBound(to: UInt8.self))
    }

    private static func parse(buffer: [UInt8]) -> [String: Value]? {
        buffer.withUnsafeBufferPointer { parse(buffer: $0) }
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> [String: Value]? {
        var reader = Reader(bytes: buffer)
        reader.skipWhitespace()
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        var members: [String: Value] = [:]
        reader.skipWhitespace()
        if reader.take(UInt8(ascii: "}")) { return reader.atEndAfterWhitespace() ? members : nil }
        while true {
            reader.skipWhitespace()
            guard let key = reader.string(allowEscapes: false) else { return nil }
            reader.skipWhitespace()
            guard reader.take(UInt8(ascii: ":")) else { return nil }
            reader.skipWhitespace()
            let value: Value
            switch reader.peek {
            case UInt8(ascii: "\""):
                guard let text = reader.string(allowEscapes: true) else { return nil }
                value = .string(text)
            case UInt8(ascii: "t"):
                guard reader.take(literal: "true") else { return nil }
                value = .bool(true)
            case UInt8(ascii: "f"):
                guard reader.take(literal: "false") else { return nil }
                value = .bool(false)
            default:
                return nil
            }
            guard members.updateValue(value, forKey: key) == nil else { return nil }
            reader.skipWhitespace()
            if reader.take(UInt8(ascii: ",")) { continue }
            guard reader.take(UInt8(ascii: "}")) else { return nil }
            return reader.atEndAfterWhitespace() ? members : nil
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            position += 1
            return true
        }

        mutating func take(literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard position + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] { return false }
            position += count
            return true
        }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func atEndAfterWhitespace() -> Bool {
            skipWhitespace()
            return position == bytes.count
        }

        /// A string at the position (the bytes are valid UTF-8: the caller checked). Raw control characters are
        /// refused, as JSON requires.
        mutating func string(allowEscapes: Bool) -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = position
            // The plain run first: most strings have no escape at all.
            while let byte = peek, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                guard byte >= 0x20 else { return nil }
                position += 1
            }
            guard let stop = peek else { return nil }
            if stop == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position - 1]), as: UTF8.self)
            }
            guard allowEscapes else { return nil }
            var text = Array(bytes[start..<position])
            while let byte = peek {
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: text, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard JSONStringEscape.decode(bytes, at: &position, into: &text) == .decoded else { return nil }
                default:
                    guard byte >= 0x20 else { return nil }
                    text.append(byte)
                }
            }
            return nil
        }
    }
}
