import Foundation
import SpotterCore

/// Validates JSON values against the subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that Spotter's API
/// description uses: `type` (a name or a list, so `["number", "null"]` is nullable), `enum`, `required`,
/// `properties`, `additionalProperties` (false or a schema), `items`, `minItems`, `minLength`, `maxLength`,
/// `minimum`, `maximum`, `oneOf` and `$ref` to `#/components/schemas/...`. Other keywords are ignored.
///
/// ```swift
/// let validator = JSONSchemaSubset(document: openAPI)
/// let problems = validator.validate(example, against: schema)   // [] when it conforms
/// ```
public struct JSONSchemaSubset: Sendable {
    /// The whole document, for resolving `$ref`.
    public let document: JSONValue

    public init(document: JSONValue) {
        self.document = document
    }

    /// Every way `value` breaks `schema`, each with the JSON path where it happens; empty when it conforms.
    public func validate(_ value: JSONValue, against schema: JSONValue, path: String = "$") -> [String] {
        guard case .object(let rules) = schema else { return schema == .bool(false) ? ["\(path): no value is allowed here"] : [] }
        if case .string(let reference)? = rules["$ref"] {
            guard let target = resolve(reference) else { return ["\(path): $ref \(reference) does not resolve"] }
            return validate(value, against: target, path: path)
        }
        if case .array(let options)? = rules["oneOf"] {
            let results = options.map { validate(value, against: $0, path: path) }
            let passing = results.filter(\.isEmpty).count
            if passing != 1 {
                return passing == 0
                    ? ["\(path): matches none of oneOf (" + results.map { $0.joined(separator: "; ") }.joined(separator: " | ") + ")"]
                    : ["\(path): matches \(passing) of oneOf, not exactly one"]
            }
        }
        var problems: [String] = []
        if let type = rules["type"] {
            let allowed: [String] = switch type {
            case .string(let name): [name]
            case .array(let names): names.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: []
            }
            guard allowed.contains(where: { Self.matches(value, type: $0) }) else {
                return ["\(path): expected \(allowed.joined(separator: " or ")), got \(Self.typeName(value))"]
            }
        }
        if case .array(let options)? = rules["enum"], !options.contains(value) {
            problems.append("\(path): \(CanonicalJSON.string(value)) is not one of \(CanonicalJSON.string(JSONValue.array(options)))")
        }
        switch value {
        case .object(let fields):
            if case .array(let required)? = rules["required"] {
                for case .string(let name) in required where fields[name] == nil {
                    problems.append("\(path): required field '\(name)' is missing")
                }
            }
            let properties: [String: JSONValue] = if case .object(let properties)? = rules["properties"] { properties } else { [:] }
            for (name, fieldValue) in fields.sorted(by: { $0.key < $1.key }) {
                if let fieldSchema = properties[name] {
                    problems += validate(fieldValue, against: fieldSchema, path: "\(path).\(name)")
                } else if let additional = rules["additionalProperties"] {
                    if additional == .bool(false) {
                        problems.append("\(path): field '\(name)' is not allowed")
                    } else {
                        problems += validate(fieldValue, against: additional, path: "\(path).\(name)")
                    }
                }
            }
        case .array(let elements):
            if case .number(let minimum)? = rules["minItems"], Double(elements.count) < minimum {
                problems.append("\(path): needs at least \(Int(minimum)) elements")
            }
            if let items = rules["items"] {
                for (index, element) in elements.enumerated() {
                    problems += validate(element, against: items, path: "\(path)[\(index)]")
                }
            }
        case .string(let text):
            if case .number(let minimum)? = rules["minLength"], Double(text.count) < minimum {
                problems.append("\(path): shorter than \(Int(minimum)) characters")
            }
            if case .number(let maximum)? = rules["maxLength"], Double(text.count) > maximum {
                problems.append("\(path): longer than \(Int(maximum)) characters")
            }
        case .number(let number):
            if case .number(let minimum)? = rules["minimum"], number < minimum { problems.append("\(path): \(number) is below \(minimum)") }
            if case .number(let maximum)? = rules["maximum"], number > maximum { problems.append("\(path): \(number) is above \(maximum)") }
        case .bool, .null:
            break
        }
        return problems
    }

    /// The schema a `#/...` reference points to.
    public func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var current = document
        for component in reference.dropFirst(2).split(separator: "/") {
            let key = component.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard case .object(let fields) = current, let next = fields[key] else { return nil }
            current = next
        }
        return current
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number && number.isFinite
        default: false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .bool: "boolean"
        case .null: "null"
        case .number(let number): number.rounded() == number ? "integer" : "number"
        }
    }
}
