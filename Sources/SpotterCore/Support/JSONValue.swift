/// A JSON value, used for document metadata and filter values.
///
/// Metadata comes from many formats (JSON records, front matter, the CLI's `--filter key=value`), so it is kept as
/// plain JSON rather than a fixed schema.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value as it reads in text: strings as they are, numbers without a trailing `.0`, arrays comma-joined.
    public var displayText: String {
        switch self {
        case .null: return ""
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        case .string(let value): return value
        case .array(let values): return values.map(\.displayText).filter { !$0.isEmpty }.joined(separator: ", ")
        case .object(let fields):
            return fields.keys.sorted().map { "\($0): \(fields[$0]!.displayText)" }.joined(separator: "; ")
        }
    }

    /// Whether this value matches a filter value given as text (`--filter level=beginner`).
    /// An array matches when any of its elements does; comparison ignores case.
    public func matches(_ text: String) -> Bool {
        switch self {
        case .array(let values): return values.contains { $0.matches(text) }
        case .null, .object: return false
        default: return displayText.caseInsensitiveCompare(text) == .orderedSame
        }
    }
}
