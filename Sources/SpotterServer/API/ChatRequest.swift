import Foundation
import SpotterCore

/// The body of `POST /v1/chat` (the `ChatRequest` schema); `spotter chat --url` sends it too.
package struct ChatRequest: StrictDecodable, FlatJSONDecodable, Encodable, Sendable {
    package static let allowedKeys = Set(CodingKeys.allCases.map(\.rawValue))

    package var message: String
    package var sessionID: String?
    package var kb: String?
    package var filters: [String: FilterValue]?
    package var stream: Bool?
    package var assistant: String?
    /// false: neither served from nor stored in the semantic cache.
    package var cache: Bool?
    /// The assistant's variant to use instead of the sticky assignment (testing a variant).
    package var variant: String?
    /// An opaque end-user id: keeps the user on one variant, and is passed upstream.
    package var user: String?

    package init(message: String, sessionID: String? = nil, kb: String? = nil, filters: [String: FilterValue]? = nil,
                 stream: Bool? = nil, assistant: String? = nil, cache: Bool? = nil, variant: String? = nil, user: String? = nil) {
        self.message = message
        self.sessionID = sessionID
        self.kb = kb
        self.filters = filters
        self.stream = stream
        self.assistant = assistant
        self.cache = cache
        self.variant = variant
        self.user = user
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case message, kb, filters, stream, assistant, cache, variant, user
        case sessionID = "session_id"
    }

    /// `"value"` or `["a", "b"]` (any of them).
    package enum FilterValue: Codable, Sendable {
        case one(String), any([String])

        package init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .one(text); return }
            self = .any(try container.decode([String].self))
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .one(let value): try container.encode(value)
            case .any(let values): try container.encode(values)
            }
        }

        package var values: [String] {
            switch self {
            case .one(let value): [value]
            case .any(let values): values
            }
        }
    }

    /// The usual body (`{"message": "…", "session_id": "…", "stream": true}`) without `JSONDecoder`.
    package init?(members: [String: FlatJSONObject.Value]) {
        guard case .string(let message)? = members["message"] else { return nil }
        self.message = message
        for (key, value) in members {
            switch (key, value) {
            case ("message", _): continue
            case ("session_id", .string(let text)): sessionID = text
            case ("kb", .string(let text)): kb = text
            case ("assistant", .string(let text)): assistant = text
            case ("variant", .string(let text)): variant = text
            case ("user", .string(let text)): user = text
            case ("stream", .bool(let flag)): stream = flag
            case ("cache", .bool(let flag)): cache = flag
            default: return nil
            }
        }
    }

    var metadataFilters: [MetadataFilter] {
        (filters ?? [:]).sorted { $0.key < $1.key }.flatMap { key, value in value.values.map { MetadataFilter(key: key, value: $0) } }
    }
}
