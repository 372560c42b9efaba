// The declaration boilerplate of value types, written once (Sources/SpotterMacros says what each generates).

/// A memberwise initialiser as visible as the type: `public` for a public type, `package` for a package one.
@attached(member, names: named(init))
public macro MemberwiseInit() = #externalMacro(module: "SpotterMacros", type: "MemberwiseInitMacro")

/// `CodingKeys` spelling each stored property in snake case; with `writesNulls`, an `encode(to:)` that writes
/// absent optionals as `null`.
@attached(member, names: named(CodingKeys), named(encode(to:)))
public macro SnakeCaseCodingKeys(writesNulls: Bool = false) = #externalMacro(module: "SpotterMacros", type: "SnakeCaseCodingKeysMacro")

/// The wire key of a property, where its snake-case name is not it.
@attached(peer)
public macro WireKey(_ key: String) = #externalMacro(module: "SpotterMacros", type: "PropertyMarkerMacro")

/// A stored property `@SnakeCaseCodingKeys` leaves out of the coding keys.
@attached(peer)
public macro NotCoded() = #externalMacro(module: "SpotterMacros", type: "PropertyMarkerMacro")
