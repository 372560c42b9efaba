import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `docs/configuration.md` is the settings reference; the code is the truth. Every setting the code reads has one
/// row there, and the page names no setting the code does not read.
@Suite("Docs against the code")
struct DocsTests {
    @Test func everySettingHasExactlyOneRowAndNoRowNamesAnUnknownSetting() throws {
        let page = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        // A table row's first cell: "| `SPOTTER_NAME` | …".
        let documented = page.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `SPOTTER_") else { return nil }
            return line.dropFirst(3).prefix { $0 != "`" }.description
        }
        let names = SpotterConfiguration.settingNames
        #expect(documented.count > 40, "the tables were not found")
        let repeated = Dictionary(grouping: documented, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(repeated.isEmpty, "documented more than once: \(repeated)")
        #expect(names.subtracting(documented).sorted() == [], "settings without a row in docs/configuration.md")
        #expect(Set(documented).subtracting(names).sorted() == [], "rows naming no setting the code reads")
    }

    /// docs/architecture.md and the other pages point a newcomer at files; every path they name must exist.
    @Test func everySourcePathTheDocsNameExists() throws {
        let root = TestEnvironment.packageRoot
        let pages = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 } + ["README.md"]
        #expect(pages.contains("docs/architecture.md"))
        let pattern = try Regex(#"(Sources|Tests)/[A-Za-z0-9_+./-]+\.(swift|json|md|txt)"#)
        var named = 0
        for page in pages {
            let text = try String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)
            for match in text.matches(of: pattern) {
                named += 1
                let path = String(text[match.range])
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(page) names \(path), which does not exist")
            }
        }
        #expect(named > 30)
    }
}
