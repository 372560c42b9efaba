import Foundation

/// A self-contained HTML page (inline SVG, no scripts, no external assets) plotting an evaluation's metrics per mode.
public enum RetrievalReportPage {
    static let metrics: [(name: String, value: @Sendable (RetrievalScores) -> Double)] = [
        ("nDCG@10", { $0.ndcgAt10 }), ("Recall@10", { $0.recallAt10 }), ("Recall@100", { $0.recallAt100 }),
        ("MRR@10", { $0.mrrAt10 }), ("P@10", { $0.precisionAt10 }),
    ]
    static let colours: [SearchMode: String] = [.bm25: "#d08c2e", .dense: "#3a78c2", .hybrid: "#3b9b5a"]

    public static func html(_ report: RetrievalEvaluationReport) -> String {
        let title = "Retrieval evaluation: \(report.dataset) (\(report.split))"
        var rows = ""
        for mode in report.modes {
            let cells = metrics.map { "<td>\(ReportPage.format($0.value(mode.scores)))</td>" }.joined()
            rows += "<tr><td>\(ReportPage.escape(mode.mode.rawValue))\(mode.fusion.map { " <small>\(ReportPage.escape($0))</small>" } ?? "")</td>"
                + cells + "<td>\(String(format: "%.1f", mode.latencyP50Milliseconds))</td>"
                + "<td>\(String(format: "%.1f", mode.latencyP95Milliseconds))</td></tr>\n"
        }
        let style = """
            td, th { border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }
            td:first-child, th:first-child { text-align: left; }
            """
        return ReportPage.document(title: title, style: style, body: """
            <p>Knowledge base <code>\(ReportPage.escape(report.knowledgeBase))</code>: \(report.documents) documents, \(report.chunks) chunks, \
            model <code>\(ReportPage.escape(report.model))</code>\(report.exact ? ", exact vector scan" : ", HNSW index")\(report.wholeDocuments ? ", one chunk per document" : "")\
            \(report.skippedDocuments > 0 ? "; \(report.skippedDocuments) corpus records skipped" : "").
            Queries: \(report.modes.first?.queries ?? 0).</p>
            \(chart(report))
            <table><thead><tr><th>mode</th>\(metrics.map { "<th>\($0.name)</th>" }.joined())<th>p50 ms</th><th>p95 ms</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            """)
    }

    /// Grouped bars: one group per metric, one bar per mode, on a 0–1 axis.
    static func chart(_ report: RetrievalEvaluationReport) -> String {
        let width = 760.0, height = 320.0, left = 40.0, bottom = 40.0, top = 20.0
        let plotHeight = height - bottom - top
        let groupWidth = (width - left) / Double(metrics.count)
        let barWidth = min(36, (groupWidth - 20) / Double(max(report.modes.count, 1)))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height + 24))\" role=\"img\" aria-label=\"metrics per mode\">\n"
        svg += ReportPage.axis(width: width, left: left, top: top, plotHeight: plotHeight)
        for (group, metric) in metrics.enumerated() {
            let groupLeft = left + Double(group) * groupWidth + 10
            for (index, mode) in report.modes.enumerated() {
                let value = min(max(metric.value(mode.scores), 0), 1)
                let x = groupLeft + Double(index) * barWidth
                let barHeight = plotHeight * value
                let colour = colours[mode.mode] ?? "#888"
                svg += "<rect x=\"\(x)\" y=\"\(top + plotHeight - barHeight)\" width=\"\(barWidth - 3)\" height=\"\(barHeight)\" fill=\"\(colour)\">"
                svg += "<title>\(mode.mode.rawValue) \(metric.name) \(ReportPage.format(value))</title></rect>"
                svg += "<text x=\"\(x + (barWidth - 3) / 2)\" y=\"\(top + plotHeight - barHeight - 3)\" font-size=\"10\" text-anchor=\"middle\">\(ReportPage.format(value))</text>\n"
            }
            svg += "<text x=\"\(groupLeft + Double(report.modes.count) * barWidth / 2)\" y=\"\(height - bottom + 16)\" font-size=\"12\" text-anchor=\"middle\">\(metric.name)</text>\n"
        }
        for (index, mode) in report.modes.enumerated() {
            let x = left + Double(index) * 110
            svg += "<rect x=\"\(x)\" y=\"\(height - 6)\" width=\"12\" height=\"12\" fill=\"\(colours[mode.mode] ?? "#888")\"/>"
            svg += "<text x=\"\(x + 16)\" y=\"\(height + 5)\" font-size=\"12\">\(mode.mode.rawValue)</text>\n"
        }
        return svg + "</svg>"
    }
}
