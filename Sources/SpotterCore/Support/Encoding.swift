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

extension Double {
    /// The number with exactly `digits` decimals ("0.870"), as `String(format: "%.3f")` writes it but without going
    /// through Foundation's formatter, which showed in cache-hit profiles.
    public func fixed(_ digits: Int) -> String {
        guard isFinite, abs(self) < 1e15, (0...9).contains(digits) else { return String(format: "%.\(digits)f", self) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(self) * scale).rounded()
        let whole = Int(scaled / scale), fraction = Int(scaled - Double(whole) * scale)
        let sign = self < 0 && scaled > 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let decimals = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: digits - decimals.count) + decimals
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace and newlines (the standard library's `isWhitespace`, which is cheaper
    /// than Foundation's `trimmingCharacters(in:)` on Linux).
    public var trimmedWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
