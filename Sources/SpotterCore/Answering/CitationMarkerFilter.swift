/// The output check on a stream of text: passes `[n]` markers that name a passage the model was given, drops the
/// others, and notes which passages were cited.
///
/// A `[` is held back until its marker is complete (or turns out not to be one), so that an invalid marker never
/// reaches the user, whatever the chunk boundaries.
public struct CitationMarkerFilter: Sendable {
    public let valid: Set<Int>
    public private(set) var cited: Set<Int> = []
    public private(set) var removed = 0
    private var pending = ""

    public init(valid: Set<Int>) {
        self.valid = valid
    }

    /// The text that is safe to show now.
    public mutating func feed(_ text: String) -> String {
        var output = ""
        for character in text {
            if pending.isEmpty {
                if character == "[" { pending = "[" } else { output.append(character) }
                continue
            }
            pending.append(character)
            if character == "]" {
                output += resolve(pending)
                pending = ""
            } else if !(character.isNumber || character == "," || character == " ") || pending.count > 16 {
                // Not a citation marker after all ("[see below]"): show it as written.
                let held = pending
                pending = ""
                output += String(held.dropLast())
                output += feed(String(held.last!))
            }
        }
        return output
    }

    /// What is still held back, at the end of the text.
    public mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }

    private mutating func resolve(_ marker: String) -> String {
        let numbers = marker.dropFirst().dropLast().split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.isEmpty else { return marker }
        let kept = numbers.filter { valid.contains($0) }
        removed += numbers.count - kept.count
        cited.formUnion(kept)
        return kept.isEmpty ? "" : "[" + kept.map(String.init).joined(separator: ", ") + "]"
    }
}
