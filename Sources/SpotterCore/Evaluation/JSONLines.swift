import Foundation

/// Reads the JSONL files of the labelled sets (`bench/relevance`, `bench/cache`): one object per line, blank lines
/// allowed, each error naming the file and its line.
package enum JSONLines {
    /// Decodes every non-blank line as `T`; `validate` returns what is wrong with a decoded item, or nil.
    package static func read<T: Decodable>(_ url: URL, expected: String, validate: (T) -> String? = { _ in nil }) throws(EvaluationError) -> [T] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw .unreadable(url.path, reason: "missing or not UTF-8") }
        var items: [T] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let item = try? JSONDecoder().decode(T.self, from: Data(line.utf8)) else {
                throw .malformed(url.path, line: offset + 1, reason: "expected \(expected)")
            }
            if let problem = validate(item) { throw .malformed(url.path, line: offset + 1, reason: problem) }
            items.append(item)
        }
        return items
    }
}
