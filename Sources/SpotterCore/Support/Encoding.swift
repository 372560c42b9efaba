import Crypto
import Foundation

/// The one JSON encoding Spotter writes everywhere (store columns, content hashes, CLI `--json`, HTTP bodies):
/// keys sorted, slashes unescaped, dates in ISO 8601, so that equal values give equal bytes.
public enum CanonicalJSON {
    public static func data(_ value: some Encodable) throws -> Data {
        // The hot types write themselves (see JSONWritable); the same bytes, several times faster.
        if let writable = value as? any JSONWritable, let bytes = JSONWriter.encode(writable) { return Data(bytes) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    /// The same bytes for a type that writes itself, with no conformance to look up at run time and no `Data` copy
    /// (responses and the answer writer's JSON columns, on every answer).
    public static func bytes(_ value: some Encodable & JSONWritable) throws -> [UInt8] {
        if let bytes = JSONWriter.encode(value) { return bytes }
        return Array(try data(value))  // a non-finite number: JSONEncoder's error, as for any type
    }

    /// Reads what ``data(_:)`` wrote (dates in ISO 8601): a client of Spotter's own API, such as the CLI.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }

    /// The encoding as text; `fallback` when the value cannot be encoded (a non-finite number, say).
    public static func string(_ value: some Encodable, fallback: String = "null") -> String {
        (try? String(decoding: data(value), as: UTF8.self)) ?? fallback
    }
}

extension Duration {
    /// The duration in seconds, as reports and JSON fields show it.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits a byte: digests as Spotter stores and shows them. (`String(format:)` per
    /// byte costs more than the hash itself.)
    public var hexadecimal: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// SHA-256 of a text's UTF-8 bytes in lowercase hexadecimal: how a chunk's text is fingerprinted, so that a cached
/// answer can tell whether a passage it cited has changed.
public func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).hexadecimal
}

extension Double {
    /// The number with exactly `digits` decimals ("0.870"), as `String(format: "%.3f")` writes it but without going
    /// through Foundation's formatter, which showed in cache-hit profiles.
    public func fixed(_ digits: Int) -> String {
        guard isFinite, abs(self) < 1e15, (0...9).contains(digits) else { return String(format: "%.\(digits)f", self) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(self) * scale).rounded()
        let whole = Int(scaled / scale), fraction = Int(scaled - Double(whole) * scale)
        let negative = self < 0 && scaled > 0
        // Written into one buffer: a line of five stage timings built this way was a visible part of every answer.
        return String(unsafeUninitializedCapacity: 32) { text in
            var count = 0
            if negative {
                text[0] = UInt8(ascii: "-")
                count = 1
            }
            count = Self.writeDigits(of: whole, minimumWidth: 1, into: text, at: count)
            guard digits > 0 else { return count }
            text[count] = UInt8(ascii: ".")
            return Self.writeDigits(of: fraction, minimumWidth: digits, into: text, at: count + 1)
        }
    }

    /// Writes a non-negative number's decimal digits (zero-padded to `minimumWidth`) at `start`; returns the end.
    private static func writeDigits(of number: Int, minimumWidth: Int, into text: UnsafeMutableBufferPointer<UInt8>,
                                    at start: Int) -> Int {
        var width = 1, power = 10
        while power <= number && width < 16 {
            width += 1
            power *= 10
        }
        width = max(width, minimumWidth)
        var rest = number
        for position in stride(from: start + width - 1, through: start, by: -1) {
            text[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        return start + width
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace and newlines (the standard library's `isWhitespace`, which is cheaper
    /// than Foundation's `trimmingCharacters(in:)` on Linux).
    public var trimmedWhitespace: String {
        // Most text starts and ends with an ASCII character that is not a space: nothing to trim, and no scan.
        if let head = first, let tail = last, head.isASCII, tail.isASCII, !head.isWhitespace, !tail.isWhitespace {
            return String(self)
        }
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
