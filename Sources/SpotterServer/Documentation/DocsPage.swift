import Crypto
import Foundation

/// `GET /docs`: the OpenAPI document rendered as one self-contained HTML page.
///
/// The document is embedded in the page and rendered by a small inline script: no CDN, no external scripts, styles
/// or fonts, so it works offline and under a strict Content-Security-Policy (``contentSecurityPolicy``).
enum DocsPage {
    static let html: String = template.replacingOccurrences(
        of: "@OPENAPI@", with: OpenAPIDocument.json.replacingOccurrences(of: "</", with: "<\\/"))

    /// Only the page's own inline script runs (by its hash); styles may be inline (the page sets them on elements).
    static let contentSecurityPolicy: String = {
        let start = html.range(of: "<script>")!.upperBound
        let end = html.range(of: "</script>", range: start..<html.endIndex)!.lowerBound
        return "default-src 'none'; script-src \(hash(of: String(html[start..<end]))); style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    }()

    /// A CSP source that lets exactly this inline script run: `'sha256-…'` of its text.
    static func hash(of script: String) -> String {
        "'sha256-" + Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString() + "'"
    }

    /// `Documentation/docs-page.html`, with `@OPENAPI@` where the document goes.
    private static let template = BundledText.read("docs-page", withExtension: "html")
}
