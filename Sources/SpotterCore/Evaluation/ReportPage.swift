import Foundation

/// What the evaluation pages share: the document around a report, its style, the 0–1 axis of the charts, and
/// escaping and number formats. Self-contained: inline CSS and SVG, no scripts, no external assets.
enum ReportPage {
    /// A whole page: `style` adds rules to the common ones, `body` follows the page's `<h1>`.
    static func document(title: String, style: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
        table { border-collapse: collapse; margin: 1rem 0; }
        \(style)
        small { color: #666; }
        </style></head><body>
        <h1>\(escape(title))</h1>
        \(body)
        </body></html>

        """
    }

    /// Grid lines and labels at 0, 0.2, … 1 of a chart whose plot starts at `top` and is `plotHeight` high.
    static func axis(width: Double, left: Double, top: Double, plotHeight: Double) -> String {
        var svg = ""
        for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
            let y = top + plotHeight * (1 - tick)
            svg += "<line x1=\"\(left)\" x2=\"\(width)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#e3e3e3\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" font-size=\"11\" text-anchor=\"end\">\(String(format: "%.1f", tick))</text>\n"
        }
        return svg
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
