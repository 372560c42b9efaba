import Foundation

/// A self-contained HTML page (inline SVG, no scripts, no external assets) for an answer evaluation: the summary
/// as bars, each metric's spread over the questions as dots, and one row per question.
public enum AnswerReportPage {
    static let metrics: [(name: String, summary: @Sendable (AnswerEvaluationReport.Summary) -> Double?, row: @Sendable (AnswerEvaluationRow) -> Double?)] = [
        ("context precision", { $0.contextPrecision }, { $0.contextPrecision }),
        ("context recall", { $0.contextRecall }, { $0.contextRecall }),
        ("faithfulness", { $0.faithfulness }, { $0.faithfulness }),
        ("answer relevance", { $0.answerRelevance }, { $0.answerRelevance }),
        ("citation correctness", { $0.citationCorrectness }, { $0.citationCorrectness }),
        ("reference similarity", { $0.referenceSimilarity }, { $0.referenceSimilarity }),
    ]

    public static func html(_ report: AnswerEvaluationReport) -> String {
        let s = report.summary
        let escape = ReportPage.escape
        func cell(_ value: Double?) -> String { "<td>\(value.map(ReportPage.format) ?? "–")</td>" }
        var rows = ""
        for (number, row) in report.rows.enumerated() {
            let expected = row.answerable.map { $0 ? "answerable" : "unanswerable" } ?? ""
            let verdict = row.refused ? "refused" : "answered"
            let wrong = row.answerable.map { $0 == row.refused } ?? false
            rows += "<tr\(wrong ? " class=\"wrong\"" : "")><td>\(number + 1)</td><td class=\"text\">\(escape(row.question))</td>"
                + "<td>\(verdict)<br><small>\(expected)</small></td>"
                + metrics.map { cell($0.row(row)) }.joined()
                + "<td>\(row.citations)</td><td>\(String(format: "%.0f", row.latencyMilliseconds))</td>"
                + "<td class=\"text\"><details><summary>\(escape(String(row.answer.prefix(80))))…</summary>\(escape(row.answer))</details></td></tr>\n"
        }
        let title = "Answer evaluation: \(report.knowledgeBase)"
        let style = """
            td, th { border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; vertical-align: top; }
            td.text { text-align: left; max-width: 28rem; }
            tr.wrong { background: #fbe9e7; }
            """
        return ReportPage.document(title: title, style: style, body: """
            <p>\(s.questions) questions, model <code>\(escape(report.model))</code>. Refusals: \(pct(s.refusalRate)) of all answers\
            \(s.answeredWhenAnswerable.map { "; answered \(pct($0)) of the answerable" } ?? "")\
            \(s.refusedWhenUnanswerable.map { "; refused \(pct($0)) of the unanswerable" } ?? ""). \
            Latency p50 \(String(format: "%.0f", s.latencyP50Milliseconds)) ms, p95 \(String(format: "%.0f", s.latencyP95Milliseconds)) ms; \
            cost \(s.totalCostUSD.map { String(format: "$%.4f", $0) } ?? "not priced").</p>
            <p><small>Faithfulness: \(escape(report.faithfulnessMethod)).</small></p>
            \(summaryChart(report))
            \(spreadChart(report))
            <table><thead><tr><th>#</th><th>question</th><th>outcome</th>\(metrics.map { "<th>\($0.name)</th>" }.joined())<th>citations</th><th>ms</th><th>answer</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            """)
    }

    static func pct(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }

    /// One bar per metric (its mean), on a 0–1 axis.
    static func summaryChart(_ report: AnswerEvaluationReport) -> String {
        let width = 760.0, height = 260.0, left = 40.0, bottom = 40.0, top = 20.0
        let plotHeight = height - bottom - top
        let slot = (width - left) / Double(metrics.count)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"mean of each metric\">\n"
        svg += ReportPage.axis(width: width, left: left, top: top, plotHeight: plotHeight)
        for (index, metric) in metrics.enumerated() {
            let x = left + Double(index) * slot + slot * 0.2
            if let value = metric.summary(report.summary) {
                let barHeight = plotHeight * min(max(value, 0), 1)
                svg += "<rect x=\"\(x)\" y=\"\(top + plotHeight - barHeight)\" width=\"\(slot * 0.6)\" height=\"\(barHeight)\" fill=\"#3a78c2\"><title>\(metric.name) \(ReportPage.format(value))</title></rect>"
                svg += "<text x=\"\(x + slot * 0.3)\" y=\"\(top + plotHeight - barHeight - 3)\" font-size=\"10\" text-anchor=\"middle\">\(ReportPage.format(value))</text>\n"
            }
            svg += "<text x=\"\(x + slot * 0.3)\" y=\"\(height - bottom + 16)\" font-size=\"11\" text-anchor=\"middle\">\(metric.name)</text>\n"
        }
        return svg + "</svg>"
    }

    /// Each question's value of each metric as a dot, so that a few bad answers stand out from the mean.
    static func spreadChart(_ report: AnswerEvaluationReport) -> String {
        let width = 760.0, height = 260.0, left = 40.0, bottom = 40.0, top = 20.0
        let plotHeight = height - bottom - top
        let slot = (width - left) / Double(metrics.count)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"each question's metrics\">\n"
        svg += ReportPage.axis(width: width, left: left, top: top, plotHeight: plotHeight)
        for (index, metric) in metrics.enumerated() {
            let centre = left + Double(index) * slot + slot / 2
            for (number, row) in report.rows.enumerated() {
                guard let value = metric.row(row) else { continue }
                // Spread the dots sideways by question number so that equal values do not hide each other.
                let x = centre + (Double(number % 15) - 7) * slot * 0.04
                let y = top + plotHeight * (1 - min(max(value, 0), 1))
                svg += "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"3\" fill=\"#3b9b5a\" fill-opacity=\"0.6\"><title>#\(number + 1) \(ReportPage.format(value))</title></circle>"
            }
            svg += "\n<text x=\"\(centre)\" y=\"\(height - bottom + 16)\" font-size=\"11\" text-anchor=\"middle\">\(metric.name)</text>\n"
        }
        return svg + "</svg>"
    }
}
