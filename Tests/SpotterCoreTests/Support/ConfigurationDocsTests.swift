import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// `docs/configuration.md` is the settings reference; the code is the truth. Every setting the code reads has one
/// row there, and the page names no setting the code does not read.
@Suite("Configuration reference")
struct ConfigurationDocsTests {
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
}
