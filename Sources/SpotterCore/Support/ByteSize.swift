import Foundation

/// Sizes written as `50MB`, `500KB`, `1GB` or a plain byte count (`--max-file-size`, `SPOTTER_MAX_UPLOAD_SIZE`).
public enum ByteSize {
    /// The number of bytes, or nil when `text` is not a positive size.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number > 0 else { return nil }
            return Int(number * Double(factor))
        }
        guard let bytes = Int(trimmed), bytes > 0 else { return nil }
        return bytes
    }
}
