import SwiftCompilerPlugin
import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// `@MemberwiseInit`: the initialiser Swift writes for a struct, but as visible as the type (Swift's own is internal),
/// so that a value another module builds needs no hand-written list of `self.x = x`.
/// Parameters follow the stored properties in order; a property's initial value, or `nil` for an optional `var`,
/// is the parameter's default, as in Swift's own.
public struct MemberwiseInitMacro: MemberMacro {
    public static func expansion(
        of node: AttributeSyntax, providingMembersOf declaration: some DeclGroupSyntax,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        let properties = StoredProperty.all(of: declaration).filter { !$0.isFixed }
        let parameters = try properties.map { property -> String in
            guard let type = property.type else { throw MacroUsageError(message: "@MemberwiseInit: give '\(property.name)' a type annotation") }
            let escaping = type.is(FunctionTypeSyntax.self) ? "@escaping " : ""
            var parameter = "\(property.name): \(escaping)\(type.trimmedDescription)"
            if let value = property.initialValue {
                parameter += " = \(value.trimmedDescription)"
            } else if property.isOptional {
                parameter += " = nil"
            }
            return parameter
        }
        let assignments = properties.map { "self.\($0.name) = \($0.name)" }
        return ["""
            \(raw: declaration.visibleAccess)init(\(raw: parameters.joined(separator: ", "))) {
                \(raw: assignments.joined(separator: "\n"))
            }
            """]
    }
}

/// `@SnakeCaseCodingKeys`: the `CodingKeys` of a type whose wire keys are its property names in snake case
/// (`@WireKey("kb")` names the exceptions, `@NotCoded` leaves a property out). With `writesNulls: true` it also
/// writes `encode(to:)`, which puts an absent optional down as `null` where Swift's own would leave the key out:
/// the API's schemas list every key as required.
public struct SnakeCaseCodingKeysMacro: MemberMacro {
    public static func expansion(
        of node: AttributeSyntax, providingMembersOf declaration: some DeclGroupSyntax,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        let properties = StoredProperty.all(of: declaration).filter(\.isCoded)
        let cases = properties.map { "case \($0.name) = \"\($0.key)\"" }
        var members: [DeclSyntax] = ["""
            enum CodingKeys: String, CodingKey {
                \(raw: cases.joined(separator: "\n"))
            }
            """]
        let writesNulls = node.arguments?.as(LabeledExprListSyntax.self)?.contains {
            $0.label?.text == "writesNulls" && $0.expression.trimmedDescription == "true"
        } ?? false
        if writesNulls {
            let writes = properties.map { "try container.encode(\($0.name), forKey: .\($0.name))" }
            members.append("""
                \(raw: declaration.visibleAccess)func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    \(raw: writes.joined(separator: "\n"))
                }
                """)
        }
        return members
    }
}

/// `@WireKey("…")` and `@NotCoded` only mark a property for `@SnakeCaseCodingKeys`; they add nothing themselves.
public struct PropertyMarkerMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol, in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] { [] }
}

/// A macro put where it cannot expand; the compiler shows the message at the attribute.
struct MacroUsageError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

@main
struct SpotterMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [MemberwiseInitMacro.self, SnakeCaseCodingKeysMacro.self, PropertyMarkerMacro.self]
}
