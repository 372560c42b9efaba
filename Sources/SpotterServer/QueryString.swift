import Foundation
import SpotterCore

/// A URL query string decoded the way HTML forms and `curl` encode it: `&`-separated `name=value` pairs, `+` for
/// space, `%XX` escapes that must form valid UTF-8.
///
/// Hummingbird's own query parameters keep `+` as it is, so `q=hamstring+exercise` would reach the embedder with
/// plus signs; decoding here also lets bad escapes become a clear 400 instead of silently altered text.
public struct QueryString: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    /// Decodes the query and refuses any parameter not in `accepted` with a 400 that lists the accepted ones.
    public init(_ query: String?, accepting accepted: Set<String>) throws(APIError) {
        try self.init(query)
        if let unknown = names.first(where: { !accepted.contains($0) }) {
            let list = accepted.isEmpty ? "none" : accepted.sorted().joined(separator: ", ")
            throw APIError.badParameter("unknown parameter '\(unknown)'; accepted: \(list)")
        }
    }

    public init(_ query: String?) throws(APIError) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(pieces[0])
            let value = pieces.count > 1 ? try Self.decode(pieces[1]) : ""
            pairs.append((name, value))
        }
    }

    /// The value of a parameter that may appear once; 400 if it appears more often.
    public func single(_ name: String) throws(APIError) -> String? {
        let values = all(name)
        guard values.count <= 1 else { throw APIError.badParameter("parameter '\(name)' is given \(values.count) times; give it once") }
        return values.first
    }

    /// A yes-or-no parameter that may appear once (`true`/`false`, `1`/`0`); false when absent, 400 otherwise.
    /// A moment given as a date (`2026-11-01`) or a span back from now (`30d`, `12h`, `45m`); `fallback` when absent.
    public func pointInTime(_ name: String, default fallback: String, now: Date = Date()) throws(APIError) -> Date {
        let text = try single(name) ?? fallback
        guard let date = SpotterConfiguration.pointInTime(text, now: now) else {
            throw APIError.badParameter("\(name) must be a date (2026-11-01) or a span such as \(fallback), 12h or 45m, not '\(text)'")
        }
        return date
    }

    public func flag(_ name: String) throws(APIError) -> Bool {
        guard let text = try single(name) else { return false }
        guard let value = parseBoolean(text) else { throw APIError.badParameter("parameter '\(name)' must be true or false, got '\(text)'") }
        return value
    }

    /// Every value of a parameter that may repeat.
    public func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    public var names: [String] { pairs.map(\.name) }

    private static func decode(_ text: Substring) throws(APIError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw APIError.badParameter("the query string has a '%' that is not followed by two hex digits")
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw APIError.badParameter("the query string does not decode to valid UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
