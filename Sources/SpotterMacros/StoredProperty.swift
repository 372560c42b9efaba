import SwiftSyntax

/// A stored property of a type, as the macros see it: what the initialiser takes and the coding key writes.
struct StoredProperty {
    var name: String
    /// Absent where the type is inferred from the initial value (`var index = "unchanged"`).
    var type: TypeSyntax?
    /// The property's own initial value, which becomes the initialiser's default.
    var initialValue: ExprSyntax?
    /// A `let` with an initial value is fixed; Swift's own memberwise initialiser leaves it out, and so do these.
    var isFixed: Bool
    /// The key named by `@WireKey("…")`, when the snake-case spelling is not the wire's.
    var keyOverride: String?
    /// `@NotCoded`: kept in memory, never written or read.
    var isCoded: Bool

    /// The stored properties of `declaration`, in the order they are declared: computed and static ones left out.
    static func all(of declaration: some DeclGroupSyntax) -> [StoredProperty] {
        declaration.memberBlock.members.flatMap { member -> [StoredProperty] in
            guard let variable = member.decl.as(VariableDeclSyntax.self),
                  !variable.modifiers.contains(where: { ["static", "class", "lazy"].contains($0.name.text) })
            else { return [] }
            let attributes = variable.attributes.compactMap { $0.as(AttributeSyntax.self) }
            let keyOverride = attributes.first { $0.attributeName.trimmedDescription == "WireKey" }
                .flatMap { $0.arguments?.as(LabeledExprListSyntax.self)?.first?.expression.as(StringLiteralExprSyntax.self) }
                .map { $0.segments.trimmedDescription }
            let isCoded = !attributes.contains { $0.attributeName.trimmedDescription == "NotCoded" }
            let isLet = variable.bindingSpecifier.tokenKind == .keyword(.let)
            return variable.bindings.compactMap { binding in
                guard let name = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.trimmedDescription
                else { return nil }
                if let accessor = binding.accessorBlock {
                    // Only observers (`didSet`, `willSet`) keep a property stored.
                    guard case .accessors(let list) = accessor.accessors,
                          list.allSatisfy({ ["didSet", "willSet"].contains($0.accessorSpecifier.text) })
                    else { return nil }
                }
                return StoredProperty(
                    name: name, type: binding.typeAnnotation?.type.trimmed, initialValue: binding.initializer?.value.trimmed,
                    isFixed: isLet && binding.initializer != nil, keyOverride: keyOverride, isCoded: isCoded)
            }
        }
    }

    /// The key on the wire: `@CodingKey`'s, or the name in snake case with acronyms kept whole
    /// (`entryID` → `entry_id`, `savedCostUSD` → `saved_cost_usd`, `p50` → `p50`).
    var key: String {
        if let keyOverride { return keyOverride }
        var words: [String] = []
        var current = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            let previous = index > 0 ? characters[index - 1] : nil
            if character.isUppercase, let previous {
                // A word starts at an upper-case letter after a lower-case one or a digit, or at the last capital of an
                // acronym followed by a lower-case letter (`URLPath` → `url`, `path`).
                let startsWord = previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true)
                if startsWord, !current.isEmpty { words.append(current); current = "" }
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }.joined(separator: "_")
    }

    var isOptional: Bool {
        guard let type else { return false }
        return type.is(OptionalTypeSyntax.self) || type.is(ImplicitlyUnwrappedOptionalTypeSyntax.self)
            || type.as(IdentifierTypeSyntax.self)?.name.text == "Optional"
    }
}

extension DeclGroupSyntax {
    /// The access a generated member needs so that it is as visible as the type (`public`, `package` or none).
    var visibleAccess: String {
        for modifier in modifiers {
            switch modifier.name.text {
            case "public", "open": return "public "
            case "package": return "package "
            default: continue
            }
        }
        return ""
    }
}
