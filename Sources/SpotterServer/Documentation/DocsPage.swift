/// `GET /docs`: the OpenAPI document rendered as one self-contained HTML page.
///
/// The document is embedded in the page and rendered by a small inline script: no CDN, no external scripts, styles
/// or fonts, so it works offline and under a strict Content-Security-Policy of `'self' 'unsafe-inline'`.
enum DocsPage {
    static let html: String = template.replacingOccurrences(
        of: "@OPENAPI@", with: OpenAPIDocument.json.replacingOccurrences(of: "</", with: "<\\/"))

    /// `Documentation/docs-page.html`, with `@OPENAPI@` where the document goes.
    private static let template = BundledText.read("docs-page", withExtension: "html")
}
