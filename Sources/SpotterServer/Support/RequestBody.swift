import Foundation
import Hummingbird
import NIOCore

/// Reading request bodies with a size limit, and the errors every route answers bad bodies with.
public enum RequestBody {
    /// The whole body, refusing more than `limit` bytes with 413 `body_too_large` (before reading anything when
    /// `Content-Length` already says so).
    public static func collect(_ request: Request, limit: Int) async throws(APIError) -> ByteBuffer {
        if let length = request.headers.value(.contentLength).flatMap({ Int($0) }), length > limit {
            throw APIError.bodyTooLarge(limit: limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit: limit)
        } catch {
            throw APIError(.badRequest, code: "bad_request", message: "the request body could not be read: \(error)")
        }
    }
}

extension HTTPFields {
    /// The field's value as `self[name]` gives it, without the joined copy that subscript builds even for the usual
    /// single field (a few microseconds a lookup, on every request).
    public func value(_ name: HTTPFields.Element.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }
}

/// A `Content-Type` value split into its lower-cased media type and parameters (`multipart/form-data; boundary=x`).
///
/// Not Hummingbird's `MediaType`: that keeps one parameter only (a `charset` after a `boundary` is lost), and every
/// chat request passes through here, so the usual `application/json` is recognised without splitting anything.
struct ContentTypeHeader: Sendable, Equatable {
    /// `type/subtype`, lower-cased, without parameters; "" when the header is missing.
    var type: String
    /// Parameter names lower-cased; values unquoted, case kept (boundaries are case-sensitive).
    var parameters: [String: String]

    init(_ header: String?) {
        // The header nearly every JSON client sends, without Foundation's trimming and lower-casing.
        if header == "application/json" {
            type = "application/json"
            parameters = [:]
            return
        }
        let pieces = (header ?? "").split(separator: ";", omittingEmptySubsequences: false)
        type = pieces.first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            parameters[name] = value
        }
        self.parameters = parameters
    }

    /// `application/json` or any `+json` type, with no charset other than UTF-8.
    var isJSON: Bool {
        (type == "application/json" || type.hasSuffix("+json"))
            && (parameters["charset"].map { ["utf-8", "utf8"].contains($0.lowercased()) } ?? true)
    }
}

extension APIError {
    /// 413 `body_too_large`.
    public static func bodyTooLarge(limit: Int?) -> APIError {
        let what = limit.map { "the limit is \(Self.formatBytes($0))" } ?? "it is over the limit"
        return APIError(.contentTooLarge, code: "body_too_large", message: "the request body is too large: \(what)")
    }

    /// 415 `unsupported_media_type`.
    public static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(.unsupportedMediaType, code: "unsupported_media_type", message: message)
    }

    /// 422 `invalid_field`: a field of a well-formed JSON body is missing, of the wrong type or out of range.
    /// `path` names it the way clients write it (`messages[0].role`).
    public static func invalidField(_ path: String, _ problem: String) -> APIError {
        APIError(.unprocessableContent, code: "invalid_field", message: "field '\(path)' \(problem)")
    }

    /// 400 `unknown_field`.
    public static func unknownField(_ path: String, allowed: Set<String>) -> APIError {
        APIError(.badRequest, code: "unknown_field",
                 message: "unknown field '\(path)'; accepted: \(allowed.sorted().joined(separator: ", "))")
    }

    static func formatBytes(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KB" }
        return "\(bytes) bytes"
    }
}
