import Foundation

/// A light Markdown reader: front matter, ATX and setext headings, paragraphs, fenced code, lists kept as text.
///
/// - Front matter: `---` on the first line up to the next `---`/`...` line; `key: value` lines become string
///   metadata (`[a, b]` becomes an array of strings); other lines in it are ignored. Without a closing line the
///   `---` is an ordinary line.
/// - Fenced code (```` ``` ```` or `~~~`) is one paragraph, verbatim (no markup stripping, `#` is not a heading,
///   blank lines inside do not split it); an unclosed fence runs to the end of the file.
/// - Inline markup is stripped lightly: `[text](url)` → `text`, images dropped, emphasis markers and inline-code
///   backticks dropped, HTML tags and comments dropped, `<https://…>` autolinks kept as the address.
/// - Blockquote markers are removed, thematic breaks and table separator rows dropped, link reference
///   definitions dropped.
/// - Title: front matter `title`, else the first H1, else the file name without extension.
enum MarkdownReader {
    struct Output {
        var title: String
        var blocks: [Block]
        var metadata: [String: JSONValue]
    }

    static func parse(_ text: String, fallbackTitle: String) -> Output {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { IngestText.trimTrailing($0) }
        var metadata: [String: JSONValue] = [:]
        var index = 0

        // Front matter.
        if let first = lines.first, first.trimmingCharacters(in: .whitespaces) == "---" {
            var end: Int? = nil
            for j in 1..<max(lines.count, 1) where lines[j] == "---" || lines[j] == "..." {
                end = j
                break
            }
            if let end {
                for line in lines[1..<end] { parseFrontMatterLine(line, into: &metadata) }
                index = end + 1
            }
        }

        var blocks: [Block] = []
        var paragraph: [Substring] = []

        func flushParagraph() {
            defer { paragraph.removeAll() }
            let text = paragraph.map { stripInline(String($0)) }
                .joined(separator: "\n")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { blocks.append(.paragraph(text)) }
        }

        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            index += 1

            if let fence = fenceOpening(line) {
                flushParagraph()
                var code: [Substring] = []
                while index < lines.count {
                    let candidate = lines[index]
                    index += 1
                    if isFenceClosing(candidate, fence: fence) { break }
                    code.append(candidate)
                }
                while let first = code.first, first.allSatisfy(\.isWhitespace) { code.removeFirst() }
                while let last = code.last, last.allSatisfy(\.isWhitespace) { code.removeLast() }
                if !code.isEmpty { blocks.append(.paragraph(code.joined(separator: "\n"))) }
                continue
            }
            if trimmed.isEmpty {
                flushParagraph()
                continue
            }
            if trimmed.hasPrefix("<!--") {
                flushParagraph()
                var current = trimmed
                while !current.contains("-->") && index < lines.count {
                    current = String(lines[index])
                    index += 1
                }
                continue
            }
            if let heading = atxHeading(line) {
                flushParagraph()
                let text = stripInline(heading.text).trimmingCharacters(in: .whitespaces)
                if !text.isEmpty { blocks.append(.heading(text, level: heading.level)) }
                continue
            }
            if !paragraph.isEmpty, let level = setextLevel(trimmed), !looksLikeListItem(paragraph.last!) {
                let text = IngestText.collapseWhitespace(paragraph.map { stripInline(String($0)) }.joined(separator: " "))
                paragraph.removeAll()
                if !text.isEmpty { blocks.append(.heading(text, level: level)) }
                continue
            }
            if isThematicBreak(trimmed) || isTableSeparator(trimmed) {
                if isThematicBreak(trimmed) { flushParagraph() }
                continue
            }
            if paragraph.isEmpty, isLinkReferenceDefinition(trimmed) { continue }
            paragraph.append(stripBlockquote(line))
        }
        flushParagraph()

        let title: String
        if case .string(let value)? = metadata["title"], !value.isEmpty {
            title = value
        } else if let h1 = blocks.first(where: { $0.kind == .heading(level: 1) }) {
            title = h1.text
        } else {
            title = fallbackTitle
        }
        return Output(title: title, blocks: blocks, metadata: metadata)
    }

    // MARK: - Front matter

    static func parseFrontMatterLine(_ line: Substring, into metadata: inout [String: JSONValue]) {
        guard let colon = line.firstIndex(of: ":"), !line.hasPrefix(" "), !line.hasPrefix("-"), !line.hasPrefix("#")
        else { return }
        let key = line[..<colon].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !key.contains(" ") else { return }
        var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if value.isEmpty { return }
        if value.hasPrefix("["), value.hasSuffix("]") {
            let items = value.dropFirst().dropLast().split(separator: ",")
                .map { unquote($0.trimmingCharacters(in: .whitespaces)) }
                .filter { !$0.isEmpty }
            metadata[key] = .array(items.map(JSONValue.string))
            return
        }
        value = unquote(value)
        metadata[key] = .string(value)
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, let f = value.first, let l = value.last, f == l, f == "\"" || f == "'" {
            return String(value.dropFirst().dropLast())
        }
        return value
    }

    // MARK: - Block syntax

    struct Fence {
        var marker: Character
        var length: Int
    }

    static func leadingSpaces(_ line: Substring) -> Int {
        line.prefix(while: { $0 == " " }).count
    }

    static func fenceOpening(_ line: Substring) -> Fence? {
        let indent = leadingSpaces(line)
        guard indent <= 3 else { return nil }
        let rest = line.dropFirst(indent)
        guard let marker = rest.first, marker == "`" || marker == "~" else { return nil }
        let length = rest.prefix(while: { $0 == marker }).count
        guard length >= 3 else { return nil }
        if marker == "`", rest.dropFirst(length).contains("`") { return nil }
        return Fence(marker: marker, length: length)
    }

    static func isFenceClosing(_ line: Substring, fence: Fence) -> Bool {
        let indent = leadingSpaces(line)
        guard indent <= 3 else { return false }
        let rest = line.dropFirst(indent)
        let length = rest.prefix(while: { $0 == fence.marker }).count
        return length >= fence.length && rest.dropFirst(length).allSatisfy(\.isWhitespace)
    }

    static func atxHeading(_ line: Substring) -> (level: Int, text: String)? {
        let indent = leadingSpaces(line)
        guard indent <= 3 else { return nil }
        let rest = line.dropFirst(indent)
        let level = rest.prefix(while: { $0 == "#" }).count
        guard (1...6).contains(level) else { return nil }
        var content = rest.dropFirst(level)
        if let first = content.first, first != " " && first != "\t" { return nil }
        content = Substring(content.trimmingCharacters(in: .whitespaces))
        // Optional closing sequence: " ##".
        if content.allSatisfy({ $0 == "#" }) {
            content = ""
        } else if content.last == "#" {
            let withoutHashes = content.reversed().drop(while: { $0 == "#" })
            if withoutHashes.first == " " || withoutHashes.first == "\t" {
                content = Substring(String(withoutHashes.reversed()).trimmingCharacters(in: .whitespaces))
            }
        }
        return (level, String(content))
    }

    static func setextLevel(_ trimmed: String) -> Int? {
        guard let first = trimmed.first, first == "=" || first == "-" else { return nil }
        guard trimmed.allSatisfy({ $0 == first }) else { return nil }
        return first == "=" ? 1 : 2
    }

    static func isThematicBreak(_ trimmed: String) -> Bool {
        let compact = trimmed.filter { $0 != " " && $0 != "\t" }
        guard compact.count >= 3, let first = compact.first, first == "-" || first == "*" || first == "_" else {
            return false
        }
        return compact.allSatisfy { $0 == first }
    }

    static func isTableSeparator(_ trimmed: String) -> Bool {
        trimmed.contains("-") && trimmed.contains("|")
            && trimmed.allSatisfy { $0 == "|" || $0 == "-" || $0 == ":" || $0 == " " }
    }

    static func looksLikeListItem(_ line: Substring) -> Bool {
        let trimmed = line.drop(while: { $0 == " " })
        if trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") || trimmed.hasPrefix("+ ") { return true }
        let digits = trimmed.prefix(while: \.isASCII).prefix(while: \.isNumber)
        if !digits.isEmpty {
            let after = trimmed.dropFirst(digits.count)
            return after.hasPrefix(". ") || after.hasPrefix(") ")
        }
        return false
    }

    static func isLinkReferenceDefinition(_ trimmed: String) -> Bool {
        guard trimmed.hasPrefix("["), let close = trimmed.range(of: "]:") else { return false }
        return !trimmed[trimmed.index(after: trimmed.startIndex)..<close.lowerBound].isEmpty
    }

    static func stripBlockquote(_ line: Substring) -> Substring {
        var rest = line.drop(while: { $0 == " " })
        guard rest.hasPrefix(">") else { return line }
        while rest.hasPrefix(">") {
            rest = rest.dropFirst()
            if rest.hasPrefix(" ") { rest = rest.dropFirst() }
        }
        return rest
    }

    // MARK: - Inline markup

    /// Strips inline markup lightly; see the type's documentation.
    static func stripInline(_ text: String) -> String {
        guard text.contains(where: { "[]!*_`<\\&".contains($0) }) else { return text }
        let chars = Array(text)
        var out = ""
        var i = 0
        let n = chars.count

        func find(_ c: Character, from start: Int) -> Int? {
            var j = start
            while j < n {
                if chars[j] == c { return j }
                j += 1
            }
            return nil
        }
        /// Index of the `)` closing a `(` at `open`, allowing nested parentheses.
        func closingParen(from open: Int) -> Int? {
            var depth = 0
            var j = open
            while j < n {
                if chars[j] == "(" { depth += 1 }
                if chars[j] == ")" {
                    depth -= 1
                    if depth == 0 { return j }
                }
                j += 1
            }
            return nil
        }
        /// For `[` at `open`: the `]` index and the index after the link target, if it is a link.
        func link(at open: Int) -> (close: Int, end: Int)? {
            var depth = 0
            var j = open
            var close: Int? = nil
            while j < n {
                if chars[j] == "\\" { j += 2; continue }
                if chars[j] == "[" { depth += 1 }
                if chars[j] == "]" {
                    depth -= 1
                    if depth == 0 { close = j; break }
                }
                j += 1
            }
            guard let close else { return nil }
            let after = close + 1
            if after < n, chars[after] == "(", let end = closingParen(from: after) { return (close, end + 1) }
            if after < n, chars[after] == "[", let end = find("]", from: after) { return (close, end + 1) }
            return nil
        }

        while i < n {
            let c = chars[i]
            switch c {
            case "\\" where i + 1 < n && chars[i + 1].isPunctuationOrSymbolASCII:
                out.append(chars[i + 1])
                i += 2
            case "!" where i + 1 < n && chars[i + 1] == "[":
                if let l = link(at: i + 1) {
                    i = l.end  // images are dropped
                } else {
                    out.append(c)
                    i += 1
                }
            case "[":
                if let l = link(at: i) {
                    out += stripInline(String(chars[(i + 1)..<l.close]))
                    i = l.end
                } else {
                    out.append(c)
                    i += 1
                }
            case "`":
                let run = chars[i...].prefix(while: { $0 == "`" }).count
                var j = i + run
                var closeAt: Int? = nil
                while j < n {
                    if chars[j] == "`" {
                        let r = chars[j...].prefix(while: { $0 == "`" }).count
                        if r == run { closeAt = j; break }
                        j += r
                    } else {
                        j += 1
                    }
                }
                if let closeAt {
                    out += String(chars[(i + run)..<closeAt]).trimmingCharacters(in: .whitespaces)
                    i = closeAt + run
                } else {
                    out += String(chars[i..<(i + run)])
                    i += run
                }
            case "<":
                if let close = find(">", from: i + 1) {
                    let inner = String(chars[(i + 1)..<close])
                    if inner.hasPrefix("http://") || inner.hasPrefix("https://") || inner.hasPrefix("mailto:") {
                        out += inner
                        i = close + 1
                        continue
                    }
                    if let first = inner.first, first.isLetter || first == "/" || first == "!", !inner.contains("<") {
                        i = close + 1  // inline HTML tag or comment
                        continue
                    }
                }
                out.append(c)
                i += 1
            case "*", "_":
                let run = chars[i...].prefix(while: { $0 == c }).count
                let before: Character? = i > 0 ? chars[i - 1] : nil
                let after: Character? = i + run < n ? chars[i + run] : nil
                let beforeSpace = before.map(\.isWhitespace) ?? true
                let afterSpace = after.map(\.isWhitespace) ?? true
                let intraword = (before?.isLetter == true || before?.isNumber == true)
                    && (after?.isLetter == true || after?.isNumber == true)
                var isMarker = !(beforeSpace && afterSpace)  // " * " is a bullet or an operator
                if c == "_" && intraword { isMarker = false }  // snake_case
                if before?.isNumber == true && after?.isNumber == true { isMarker = false }  // 2*3
                if !isMarker { out += String(repeating: c, count: run) }
                i += run
            default:
                out.append(c)
                i += 1
            }
        }
        return out
    }
}

extension Character {
    fileprivate var isPunctuationOrSymbolASCII: Bool {
        isASCII && (isPunctuation || isSymbol)
    }
}
