import Foundation
import MultipartKit
import NIOCore

/// A `multipart/form-data` body (RFC 7578) split into its parts.
///
/// The framing (boundaries, header lines, part bodies) is multipart-kit's parser. Only what uploads need is kept:
/// each part's `Content-Disposition` name and filename, its `Content-Type`, and its bytes. Anything that does not
/// follow the format is a 400 `malformed_multipart` naming what is wrong.
struct MultipartBody {
    struct Part {
        var name: String?
        var filename: String?
        var contentType: String?
        var data: Data
    }

    var parts: [Part]

    init(_ body: ByteBuffer, boundary: String) throws(APIError) {
        guard (1...70).contains(boundary.utf8.count) else { throw Self.malformed("the boundary must be 1–70 characters") }
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var current: Part?
        var headerProblem: APIError?
        parser.onHeader = { name, value in
            if current == nil { current = Part(data: Data()) }
            do throws(APIError) { try Self.apply(header: name, value: value, to: &current!) } catch { headerProblem = headerProblem ?? error }
        }
        parser.onBody = { buffer in
            if current == nil { current = Part(data: Data()) }
            current!.data.append(contentsOf: buffer.readableBytesView)
        }
        parser.onPartComplete = {
            parts.append(current ?? Part(data: Data()))
            current = nil
        }
        do {
            try parser.execute(body)
        } catch {
            throw Self.malformed("a part's headers or a boundary line do not follow the format")
        }
        if let headerProblem { throw headerProblem }
        // The parser stops quietly wherever the body ends; a part it did not finish means no closing boundary.
        if current != nil { throw Self.malformed("the body ends before the closing boundary '--\(boundary)--'") }
        if parts.isEmpty, !body.readableBytesView.starts(with: Array("--\(boundary)".utf8)),
           body.readableBytesView.firstRange(of: Array("\r\n--\(boundary)".utf8)) == nil {
            throw Self.malformed("the body does not contain the boundary given in Content-Type")
        }
        self.parts = parts
    }

    private static func apply(header name: String, value: String, to part: inout Part) throws(APIError) {
        switch name.lowercased() {
        case "content-disposition":
            let parameters = dispositionParameters(value)
            part.name = parameters["name"]
            part.filename = parameters["filename*"].flatMap(decodeExtendedValue) ?? parameters["filename"]
        case "content-type":
            part.contentType = value
        default:
            break
        }
    }

    // multipart-kit reads a Content-Disposition parameter by splitting on ';' and '=', so a quoted file name holding
    // either is cut short, and it has no RFC 5987 `filename*`; both are read here instead.
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

    private static func malformed(_ reason: String) -> APIError {
        APIError(.badRequest, code: "malformed_multipart", message: "the multipart/form-data body is malformed: \(reason)")
    }
}
