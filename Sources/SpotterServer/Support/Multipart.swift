import Foundation

/// A `multipart/form-data` body (RFC 7578) split into its parts.
///
/// Only what uploads need: each part's `Content-Disposition` name and filename, its `Content-Type`, and its bytes.
/// Anything that does not follow the format is a 400 `malformed_multipart` naming what is wrong.
struct MultipartBody {
    struct Part {
        var name: String?
        var filename: String?
        var contentType: String?
        var data: Data
    }

    var parts: [Part]

    init(_ body: Data, boundary: String) throws(APIError) {
        guard (1...70).contains(boundary.utf8.count) else { throw Self.malformed("the boundary must be 1–70 characters") }
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        // The first delimiter may follow a preamble; later ones follow a CRLF that belongs to the delimiter.
        guard var position = Self.find(delimiter, in: bytes, from: 0) else {
            throw Self.malformed("the body does not contain the boundary given in Content-Type")
        }
        position += delimiter.count
        var parts: [Part] = []
        while true {
            if bytes[position...].starts(with: [45, 45]) { break }  // "--": the closing delimiter
            // Transport padding (spaces, tabs) may follow a delimiter, then CRLF.
            while position < bytes.count, bytes[position] == 32 || bytes[position] == 9 { position += 1 }
            guard bytes[position...].starts(with: crlf) else { throw Self.malformed("a boundary line is not followed by CRLF") }
            position += 2
            // Headers end with an empty line; with no headers at all, that is the line right after the boundary.
            guard let headerEnd = Self.find([13, 10, 13, 10], in: bytes, from: position - 2) else {
                throw Self.malformed("a part's headers do not end with an empty line")
            }
            let headerText = headerEnd > position ? bytes[position..<headerEnd] : []
            guard let headers = String(validating: headerText, as: UTF8.self) else { throw Self.malformed("a part's headers are not UTF-8") }
            let contentStart = headerEnd + 4
            guard let next = Self.find(crlf + delimiter, in: bytes, from: contentStart) else {
                throw Self.malformed("the body ends before the closing boundary '--\(boundary)--'")
            }
            var part = Part(data: Data(bytes[contentStart..<next]))
            try Self.parseHeaders(headers, into: &part)
            parts.append(part)
            position = next + 2 + delimiter.count
            guard position <= bytes.count else { throw Self.malformed("the body ends inside a boundary") }
        }
        self.parts = parts
    }

    private static func parseHeaders(_ text: String, into part: inout Part) throws(APIError) {
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { throw malformed("a part header line has no ':'") }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-disposition":
                let parameters = dispositionParameters(value)
                part.name = parameters["name"]
                part.filename = parameters["filename*"].flatMap(decodeExtendedValue) ?? parameters["filename"]
            case "content-type":
                part.contentType = value
            default:
                continue
            }
        }
    }

    /// `form-data; name="file"; filename="a.md"` → ["name": "file", "filename": "a.md"]; quoted strings may
    /// contain `;` and backslash escapes.
    static func dispositionParameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        var scalars = Substring(value).unicodeScalars[...]
        // Skip the disposition type.
        while let first = scalars.first, first != ";" { scalars = scalars.dropFirst() }
        while !scalars.isEmpty {
            scalars = scalars.drop { $0 == ";" || $0 == " " || $0 == "\t" }
            var name = ""
            while let first = scalars.first, first != "=", first != ";" { name.unicodeScalars.append(first); scalars = scalars.dropFirst() }
            guard scalars.first == "=" else { continue }
            scalars = scalars.dropFirst()
            var parameterValue = ""
            if scalars.first == "\"" {
                scalars = scalars.dropFirst()
                while let first = scalars.first {
                    scalars = scalars.dropFirst()
                    if first == "\"" { break }
                    if first == "\\", let escaped = scalars.first {
                        parameterValue.unicodeScalars.append(escaped)
                        scalars = scalars.dropFirst()
                    } else {
                        parameterValue.unicodeScalars.append(first)
                    }
                }
            } else {
                while let first = scalars.first, first != ";" { parameterValue.unicodeScalars.append(first); scalars = scalars.dropFirst() }
                parameterValue = parameterValue.trimmingCharacters(in: .whitespaces)
            }
            result[name.trimmingCharacters(in: .whitespaces).lowercased()] = parameterValue
        }
        return result
    }

    /// RFC 5987 `UTF-8''na%C3%AFve.md`.
    private static func decodeExtendedValue(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return String(pieces[2]).removingPercentEncoding
    }

    /// The first index of `needle` in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    private static func malformed(_ reason: String) -> APIError {
        APIError(.badRequest, code: "malformed_multipart", message: "the multipart/form-data body is malformed: \(reason)")
    }
}
