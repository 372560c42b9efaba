import Foundation

/// A value that writes its own canonical JSON: the bytes ``CanonicalJSON`` would produce through `JSONEncoder`
/// (keys in byte order, slashes unescaped, the same escapes and number forms), without the `Codable` machinery.
///
/// Answers, their citations and traces go out on every request and into every answer record; through `JSONEncoder`
/// they were a fifth of a cache hit's CPU. A type conforms only where it is that hot, and a test holds each
/// conformance to `JSONEncoder`'s output byte for byte.
public protocol JSONWritable {
    func write(to json: inout JSONWriter)
}

/// Appends JSON to a byte buffer. Objects are written key by key, in the order given: a conformance lists its keys
/// in byte order, as `JSONEncoder`'s `.sortedKeys` would.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Set when a number was not finite (`JSONEncoder` refuses those); the caller then falls back to it.
    public private(set) var failed = false
    /// Whether the next key or element is the first of its object or array (no comma before it).
    private var first = true

    public init(capacity: Int = 1_024) {
        bytes.reserveCapacity(capacity)
    }

    /// The value's encoding; nil when it holds a number JSON cannot represent.
    public static func encode(_ value: some JSONWritable) -> [UInt8]? {
        var writer = JSONWriter()
        value.write(to: &writer)
        return writer.failed ? nil : writer.bytes
    }

    // MARK: Structure

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        first = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    public mutating func array<Element>(_ elements: some Sequence<Element>, _ write: (inout JSONWriter, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var isFirst = true
        for element in elements {
            if !isFirst { bytes.append(UInt8(ascii: ",")) }
            isFirst = false
            write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// Starts a member of the current object: `"key":`.
    public mutating func key(_ key: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    // MARK: Values

    public mutating func value(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                // Only quotes, backslashes and control characters are escaped; everything else is copied as UTF-8.
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0F)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func value(_ number: Int) {
        bytes.append(contentsOf: String(number).utf8)
    }

    public mutating func value(_ number: Int64) {
        bytes.append(contentsOf: String(number).utf8)
    }

    /// As `JSONEncoder` writes it: the shortest form that reads back the same, without a trailing `.0`.
    public mutating func value(_ number: Double) {
        guard number.isFinite else {
            failed = true
            return bytes.append(contentsOf: "null".utf8)
        }
        var text = number.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func value(_ flag: Bool) {
        bytes.append(contentsOf: flag ? "true".utf8 : "false".utf8)
    }

    public mutating func value(_ writable: some JSONWritable) {
        writable.write(to: &self)
    }

    /// Appends JSON written earlier by a ``JSONWriter`` (a value, whole), as it is.
    package mutating func fragment(_ json: [UInt8]) {
        bytes.append(contentsOf: json)
        first = false
    }

    public mutating func null() {
        bytes.append(contentsOf: "null".utf8)
        first = false
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

extension JSONWriter {
    // Members, as `encode(_:forKey:)` writes them (an absent optional is `null`) and as `encodeIfPresent` does (left
    // out).
    public mutating func member(_ key: StaticString, _ text: String) { self.key(key); value(text) }
    public mutating func member(_ key: StaticString, _ number: Int) { self.key(key); value(number) }
    public mutating func member(_ key: StaticString, _ number: Int64) { self.key(key); value(number) }
    public mutating func member(_ key: StaticString, _ number: Double) { self.key(key); value(number) }
    public mutating func member(_ key: StaticString, _ flag: Bool) { self.key(key); value(flag) }
    public mutating func member(_ key: StaticString, _ writable: some JSONWritable) { self.key(key); value(writable) }

    public mutating func member(_ key: StaticString, _ text: String?) {
        self.key(key)
        if let text { value(text) } else { null() }
    }

    public mutating func member(_ key: StaticString, _ number: Double?) {
        self.key(key)
        if let number { value(number) } else { null() }
    }

    public mutating func member(_ key: StaticString, _ writable: (some JSONWritable)?) {
        self.key(key)
        if let writable { value(writable) } else { null() }
    }

    public mutating func memberIfPresent(_ key: StaticString, _ text: String?) {
        if let text { member(key, text) }
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.array(self) { json, element in element.write(to: &json) }
    }
}
