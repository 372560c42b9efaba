import Foundation

/// A small strict JSON parser (RFC 8259) that reports the line of an error and of each top-level array element.
/// Foundation's parsers do not reliably give a line number, which users need to fix a big file.
struct IngestJSONParser {
    struct Failure: Error {
        var line: Int
        var message: String
    }

    private let bytes: [UInt8]
    private var index = 0
    private(set) var line = 1
    private var depth = 0
    private static let maxDepth = 512

    init(_ text: String, firstLine: Int = 1) {
        bytes = Array(text.utf8)
        line = firstLine
    }

    /// Parses a whole document that must hold exactly one JSON value.
    mutating func parseDocument() throws(Failure) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        try expectEnd()
        return value
    }

    /// Parses a whole document; when it is an array, returns each element with the line it starts on.
    mutating func parseTopLevel() throws(Failure) -> (value: JSONValue, elements: [(value: JSONValue, line: Int)]?) {
        skipWhitespace()
        guard peek == UInt8(ascii: "[") else {
            let value = try parseValue()
            try expectEnd()
            return (value, nil)
        }
        let elements = try parseElements()
        try expectEnd()
        return (.array(elements.map(\.value)), elements)
    }

    // MARK: - Internals

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func fail(_ message: String) -> Failure { Failure(line: line, message: message) }

    private func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "the end of the input" }
        if byte >= 0x20 && byte < 0x7F { return "`\(Character(Unicode.Scalar(byte)))`" }
        return String(format: "byte 0x%02X", byte)
    }

    private mutating func expectEnd() throws(Failure) {
        skipWhitespace()
        if let byte = peek { throw fail("unexpected \(describe(byte)) after the end of the JSON value") }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A: line += 1
            case 0x20, 0x09, 0x0D: break
            default: return
            }
            index += 1
        }
    }

    private mutating func parseValue() throws(Failure) -> JSONValue {
        skipWhitespace()
        guard let byte = peek else { throw fail("unexpected end of the input (a value is missing)") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected \(describe(byte)) where a value should start")
        }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nested more than \(Self.maxDepth) levels deep") }
    }

    private mutating func parseObject() throws(Failure) -> JSONValue {
        try enter()
        index += 1
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(fields)
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else {
                throw fail(peek == nil ? "the object is not closed (missing `}`)" : "expected a quoted field name, found \(describe(peek))")
            }
            let key = try parseString()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw fail("expected `:` after field name \"\(key)\", found \(describe(peek))") }
            index += 1
            fields[key] = try parseValue()
            if try closes("}", after: "a field", missing: "the object is not closed (missing `}`)") { break }
        }
        depth -= 1
        return .object(fields)
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        .array(try parseElements().map(\.value))
    }

    /// An array's elements, from its `[` to its `]`, each with the line it starts on.
    private mutating func parseElements() throws(Failure) -> [(value: JSONValue, line: Int)] {
        try enter()
        index += 1
        var elements: [(value: JSONValue, line: Int)] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                let startLine = line
                elements.append((try parseValue(), startLine))
                if try closes("]", after: "an array element", missing: "the array is not closed (missing `]`)") { break }
            }
        }
        depth -= 1
        return elements
    }

    /// After a member: true at the closing bracket, false at a `,` (both consumed); anything else is an error.
    private mutating func closes(_ closer: Unicode.Scalar, after member: String, missing: String) throws(Failure) -> Bool {
        skipWhitespace()
        switch peek {
        case UInt8(ascii: ","):
            index += 1
            return false
        case UInt8(ascii: closer):
            index += 1
            return true
        case nil:
            throw fail(missing)
        default:
            throw fail("expected `,` or `\(Character(closer))` after \(member), found \(describe(peek))")
        }
    }

    private mutating func parseLiteral(_ word: String, _ value: JSONValue) throws(Failure) -> JSONValue {
        let utf8 = Array(word.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else {
            throw fail("invalid literal (expected `\(word)`)")
        }
        index += utf8.count
        return value
    }

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = index
        func digits() -> Int {
            let s = index
            while let b = peek, b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { index += 1 }
            return index - s
        }
        if peek == UInt8(ascii: "-") { index += 1 }
        let intStart = index
        let intDigits = digits()
        guard intDigits > 0 else { throw fail("invalid number (no digits)") }
        if intDigits > 1 && bytes[intStart] == UInt8(ascii: "0") { throw fail("invalid number (leading zero)") }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw fail("invalid number (no digits after `.`)") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("invalid number (no digits in the exponent)") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text) else { throw fail("invalid number `\(text)`") }
        return .number(value)
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard let byte = peek else { throw fail("unterminated string (missing closing `\"`)") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                var position = index
                let outcome = bytes.withUnsafeBufferPointer { JSONStringEscape.decode($0, at: &position, into: &out) }
                index = position
                switch outcome {
                case .decoded: break
                // Kept readable: a broken surrogate becomes U+FFFD, as a bad byte does in text files.
                case .loneSurrogate: out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                case .invalidEscape(nil): throw fail("unterminated string (missing closing `\"`)")
                case .invalidEscape(let escape?): throw fail("invalid escape `\\\(Character(Unicode.Scalar(escape)))` in a string")
                case .invalidUnicode(let digits): throw fail("invalid \\u escape `\\u\(String(decoding: digits, as: UTF8.self))`")
                }
            case 0x0A:
                throw fail("unterminated string (a line break inside a string must be written as \\n)")
            case 0x00..<0x20:
                throw fail("control character \(describe(byte)) inside a string (escape it)")
            default:
                out.append(byte)
            }
        }
    }
}
