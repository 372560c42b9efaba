import Foundation
import Hummingbird
import SpotterCore

/// A `Decodable` request body that refuses keys it does not know: `JSONRequest.decode` answers such a body with
/// 400 `unknown_field` naming the key, so a typo (`"sesion_id"`) is not silently ignored.
///
/// ```swift
/// struct ChatRequest: StrictDecodable {
///     static let allowedKeys: Set<String> = ["message", "session_id", "kb", "filters", "stream", "assistant"]
///     var message: String
///     ...
/// }
/// ```
///
/// The check covers the top-level object. For nested objects that must be strict too, call
/// ``Swift/Decoder/rejectUnknownKeys(allowed:)`` at the start of their `init(from:)`.
public protocol StrictDecodable: Decodable {
    /// Every key the JSON object may hold.
    static var allowedKeys: Set<String> { get }
}

/// A body that can also be read from a ``FlatJSONObject`` (every value a string or a boolean), the quick way.
/// `init(members:)` returns nil for anything it does not accept as it is (an unknown key, a value of the wrong
/// type, a required field missing): the body is then decoded with `JSONDecoder`, which reports the problem.
public protocol FlatJSONDecodable: Decodable {
    init?(members: [String: FlatJSONObject.Value])
}

/// A key outside the allowed set, found while decoding; ``JSONRequest`` turns it into 400 `unknown_field`.
public struct UnknownFieldError: Error, Sendable {
    public var path: String
    public var allowed: Set<String>
}

extension Decoder {
    /// Throws ``UnknownFieldError`` when the object being decoded holds a key outside `allowed`. Call it first in
    /// a custom `init(from:)`.
    public func rejectUnknownKeys(allowed: Set<String>) throws {
        let container = try container(keyedBy: AnyKey.self)
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw UnknownFieldError(path: JSONRequest.path(codingPath + [AnyKey(stringValue: unknown)]), allowed: allowed)
        }
    }
}

/// Decodes JSON request bodies with the API's limits and error mapping, so every JSON route fails the same way.
///
/// ```swift
/// router.post("/v1/chat") { request, context in
///     let chat = try await JSONRequest.decode(ChatRequest.self, from: request, context: context, limit: spotter.configuration.maximumChatBody)
///     ...
/// }
/// ```
///
/// | problem | status | code |
/// |---|---|---|
/// | body over `limit` bytes | 413 | `body_too_large` |
/// | `Content-Type` not `application/json` (or `+json`, UTF-8) | 415 | `unsupported_media_type` |
/// | empty body, invalid UTF-8, not JSON, nested too deep | 400 | `malformed_json` (with line/column or byte offset) |
/// | a key outside ``StrictDecodable/allowedKeys`` | 400 | `unknown_field` |
/// | missing field, wrong type, null, number out of range | 422 | `invalid_field` (with the field path) |
///
/// An ``APIError`` thrown from a type's `init(from:)` (a range check, say) reaches the client unchanged.
public enum JSONRequest {
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext,
                                            limit: Int) async throws(APIError) -> T {
        let contentType = request.headers.value(.contentType)
        guard ContentTypeHeader(contentType).isJSON else {
            let given = contentType.map { "'\($0)'" } ?? "none"
            throw APIError.unsupportedMediaType("send the body as JSON with 'Content-Type: application/json' (got \(given))")
        }
        let buffer = try await RequestBody.collect(request, limit: limit)
        // Read where it arrived when it is all ASCII (so valid UTF-8, the one check the whole way makes first).
        if let flat = type as? any FlatJSONDecodable.Type, let body = buffer.withUnsafeReadableBytes({ bytes in
            bytes.reduce(0, |) < 0x80 ? flatBody(flat, from: bytes) : nil
        }) {
            return body as! T
        }
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    /// The quick way for the usual body: a flat object that the type accepts as it is. Nil sends the body the whole
    /// way, which also finds and words any problem.
    private static func flatBody(_ type: any FlatJSONDecodable.Type, from bytes: UnsafeRawBufferPointer) -> (any FlatJSONDecodable)? {
        FlatJSONObject.parse(bytes: bytes).flatMap { type.init(members: $0) }
    }

    /// Decodes `data` with the same checks and errors as a request body.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(APIError) -> T {
        guard !data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw APIError(.badRequest, code: "malformed_json", message: "the request body is empty; send a JSON object")
        }
        if String(validating: data, as: UTF8.self) == nil {
            let offset = UTF8Text.firstInvalidByteOffset(data) ?? 0
            throw APIError(.badRequest, code: "malformed_json", message: "the request body is not valid UTF-8 (first bad byte at offset \(offset))")
        }
        if let flat = type as? any FlatJSONDecodable.Type, let body = data.withUnsafeBytes({ flatBody(flat, from: $0) }) {
            return body as! T
        }
        let decoder = JSONDecoder()
        do {
            if let strict = type as? any StrictDecodable.Type {
                // Opened to a generic, so that the keys are checked in the same pass over the JSON as the decode.
                return try decodeStrict(strict, decoder: decoder, data: data) as! T
            }
            return try decoder.decode(type, from: data)
        } catch let error as APIError {
            throw error
        } catch let error as UnknownFieldError {
            throw APIError.unknownField(error.path, allowed: error.allowed)
        } catch let error as DecodingError {
            throw map(error, data: data)
        } catch {
            throw APIError.invalidField("(body)", "could not be decoded: \(error)")
        }
    }

    static func map(_ error: DecodingError, data: Data) -> APIError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            guard let detail = syntaxDetail(data) else {
                // Valid JSON, yet Foundation's decoder failed without a path: on Linux that is how a number that does
                // not fit its field (a fraction or an out-of-range value for a whole number) is reported.
                return APIError.invalidField("(body)", "holds a value that does not fit its field: "
                    + "a number with a fraction or out of range where a whole number is expected (\(clean(context.debugDescription)))")
            }
            return APIError(.badRequest, code: "malformed_json", message: "the request body is not valid JSON: \(clean(detail))")
        case .dataCorrupted(let context):
            return APIError.invalidField(path(context.codingPath), "is not valid: \(clean(context.debugDescription))")
        case .keyNotFound(let key, let context):
            return APIError.invalidField(path(context.codingPath + [key]), "is required")
        case .valueNotFound(let type, let context):
            return APIError.invalidField(path(context.codingPath), "must be \(describe(type)), not null")
        case .typeMismatch(let type, let context) where context.codingPath.isEmpty:
            return APIError.invalidField("(body)", "must be \(describe(type))")
        case .typeMismatch(let type, let context):
            return APIError.invalidField(path(context.codingPath), "must be \(describe(type))")
        @unknown default:
            return APIError.invalidField("(body)", "could not be decoded: \(error)")
        }
    }

    /// `messages[0].role` for a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        let text = CodingPathText.describe(codingPath)
        return text.isEmpty ? "(body)" : text
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        default:
            String(describing: type).hasPrefix("Array") ? "an array"
                : String(describing: type).hasPrefix("Dictionary") ? "an object" : "a \(String(describing: type))"
        }
    }

    /// Where the JSON breaks, when Foundation says (`Too many nested arrays or dictionaries around character 518.`);
    /// `JSONDecoder` on Linux reports only that the data is not valid JSON.
    private static func syntaxDetail(_ data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        }
    }

    /// Decoder messages without Foundation's boilerplate, on one line.
    private static func clean(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ")
    }
}

/// The keys of the top-level object, to check them against an allowed set.
/// A ``StrictDecodable`` body whose top-level keys are checked before its fields are decoded (an unknown key is
/// reported before a missing or wrong field).
private struct StrictBody<Body: StrictDecodable>: Decodable {
    var body: Body

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Body.allowedKeys)
        body = try Body(from: decoder)
    }
}

private func decodeStrict<Body: StrictDecodable>(_: Body.Type, decoder: JSONDecoder, data: Data) throws -> Body {
    try decoder.decode(StrictBody<Body>.self, from: data).body
}

/// Any string or integer key.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
