/// A cheap token count for text when the upstream reports none: about four characters per token for English,
/// and never fewer tokens than words.
public enum TokenEstimator {
    public static func estimate(_ text: String) -> Int {
        guard !text.isEmpty else { return 0 }
        let words = text.split(whereSeparator: { $0.isWhitespace }).count
        return max(words, (text.utf8.count + 3) / 4)
    }
}
