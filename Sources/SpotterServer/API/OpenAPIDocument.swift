import Foundation

/// The OpenAPI 3.1 description of the whole API, the contract's one home: `API/openapi.json`, bundled with the
/// server, served at `GET /openapi.json` and rendered at `GET /docs`.
///
/// Every path and method in it must be routed, every example must match its schema, and every wire type's keys
/// must match its schema: `OpenAPITests` and `WireTypeSchemaTests` check all three. Add a route here when you add
/// one to the router.
enum OpenAPIDocument {
    static let json: String = BundledText.read("openapi", withExtension: "json")
}

/// A text file bundled with the server module, read once.
enum BundledText {
    /// Reads `name.ext` from the module's resources; a build that lost them cannot serve its contract, so this stops
    /// with a message saying which file is missing rather than serving an empty document.
    static func read(_ name: String, withExtension ext: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("\(name).\(ext) is missing from SpotterServer's bundled resources; rebuild with `swift build`")
        }
        return text
    }
}
