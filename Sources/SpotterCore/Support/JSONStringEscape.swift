/// The escapes inside a JSON string (RFC 8259 §7), shared by Spotter's two JSON readers: the ingest parser
/// (`IngestJSONParser`, which reports line numbers) and the quick request-body reader (``FlatJSONObject``).
enum JSONStringEscape {
    enum Outcome: Equatable {
        /// The escape's bytes were appended.
        case decoded
        /// A `\u` surrogate without its other half (read and skipped, nothing appended).
        case loneSurrogate
        /// A backslash followed by something that is no escape (the byte), or the bytes ran out.
        case invalidEscape(UInt8?)
        /// `\u` not followed by four hexadecimal digits; the bytes after `\u` that were there.
        case invalidUnicode([UInt8])
    }

    /// Reads the escape whose backslash was the byte before `index`, appends what it stands for as UTF-8 to `out`,
    /// and moves `index` past it.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int, into out: inout [UInt8]) -> Outcome {
        guard index < bytes.count else { return .invalidEscape(nil) }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            guard let code = hex4(bytes, at: &index) else { return .invalidUnicode(Array(bytes[index..<min(index + 4, bytes.count)])) }
            let scalar: Unicode.Scalar?
            switch code {
            case 0xD800...0xDBFF:
                // A high surrogate needs `\u` and a low one right after it.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    return .loneSurrogate
                }
                index += 2
                guard let low = hex4(bytes, at: &index) else { return .invalidUnicode(Array(bytes[index..<min(index + 4, bytes.count)])) }
                guard (0xDC00...0xDFFF).contains(low) else { return .loneSurrogate }
                scalar = Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
            case 0xDC00...0xDFFF:
                return .loneSurrogate
            default:
                scalar = Unicode.Scalar(code)
            }
            guard let scalar else { return .loneSurrogate }
            out.append(contentsOf: String(Character(scalar)).utf8)
        default:
            return .invalidEscape(escape)
        }
        return .decoded
    }

    /// Four hexadecimal digits at `index` (moved past them), or nil (`index` unmoved).
    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }
}
