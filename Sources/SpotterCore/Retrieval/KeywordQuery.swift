/// Turns free text into an FTS5 query that cannot fail to parse.
///
/// Users type quotes, `AND`, `NEAR`, `*`, `-` and unbalanced parentheses; FTS5 would read those as its own syntax
/// and reject or misread the query. Here the text is split into words (letters and digits only), the lexicon's stop
/// words are dropped (they carry no ranking signal and slow the query), and each remaining word becomes a quoted string,
/// joined with `OR` so that documents matching more of the words rank higher through BM25.
public struct KeywordQuery: Sendable, Equatable {
    /// The words searched for, lower-cased, in order of first appearance.
    public let terms: [String]

    public init(_ text: String, lexicon: Lexicon = .english) {
        var words: [String] = []
        var seen = Set<String>()
        var current = ""
        func flush() {
            if !current.isEmpty, !seen.contains(current) {
                seen.insert(current)
                words.append(current)
            }
            current = ""
        }
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.unicodeScalars.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        let content = words.filter { !lexicon.searchStopWords.contains($0) }
        // A query made only of stop words ("to be or not to be") still searches for them.
        terms = content.isEmpty ? words : content
    }

    /// The FTS5 `MATCH` expression, or nil when there is nothing to search for.
    public var expression: String? {
        guard !terms.isEmpty else { return nil }
        return terms.map { "\"\($0)\"" }.joined(separator: " OR ")
    }

}
