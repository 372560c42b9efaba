import Foundation

/// The one JSON encoding Spotter writes everywhere (store columns, content hashes, CLI `--json`, HTTP bodies):
/// keys sorted, slashes unescaped, dates in ISO 8601, so that equal values give equal bytes.
public enum CanonicalJSON {
    public static func data(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
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
