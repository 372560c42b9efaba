import Foundation

/// A tolerant, dependency-free HTML-to-text reader.
///
/// - Dropped with their content: `script`, `style`, `noscript`, `template`, `svg`, `iframe`, `nav`, `aside`, and
///   `header`/`footer` outside `article`/`main` (a page banner, not an article's own header); comments,
///   doctype and processing instructions. An unclosed `script`/`style` drops the rest of the file (as browsers
///   do); other unclosed dropped elements are ignored (their content is kept) so a stray `<nav>` cannot swallow
///   the page.
/// - `h1`…`h6` become heading blocks; block-level tags (`p`, `div`, `li`, `br`, `tr`, `td`, `pre`,
///   `blockquote`, `section`, …) end the current block. Any block boundary also ends an unclosed heading.
/// - Entities: common named ones, `&#…;` and `&#x…;` (invalid code points → U+FFFD); unknown ones stay as they are.
/// - Whitespace collapses to single spaces, except inside `pre`, where line breaks are kept.
/// - A `<` that does not start a tag is text; an unterminated tag at the end of the file is text.
/// - Title: `<title>`, else the first `h1`, else the file name without extension.
enum HTMLReader {
    struct Output {
        var title: String
        var blocks: [Block]
    }

    static let droppedRaw: Set<String> = ["script", "style", "noscript", "template", "svg", "iframe", "textarea", "object", "math"]
    static let droppedContainers: Set<String> = ["nav", "aside", "header", "footer"]
    static let blockTags: Set<String> = [
        "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table", "thead", "tbody", "tfoot",
        "caption", "pre", "blockquote", "section", "article", "main", "figure", "figcaption", "hr", "form",
        "fieldset", "legend", "address", "details", "summary", "body", "html", "head", "h1", "h2", "h3", "h4", "h5",
        "h6", "center", "dialog", "hgroup", "option", "select", "menu", "nav", "aside",
    ]

    static func parse(_ text: String, fallbackTitle: String) -> Output {
        var parser = Parser(Array(text.unicodeScalars))
        parser.run()
        let title = parser.title.flatMap { $0.isEmpty ? nil : $0 } ?? parser.firstH1 ?? fallbackTitle
        return Output(title: title, blocks: parser.blocks)
    }

    struct Tag {
        var name: String
        var isEnd: Bool
        var selfClosing: Bool
        var end: Int  // index after '>'
    }

    struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        var blocks: [Block] = []
        var buffer = String.UnicodeScalarView()
        var headingLevel: Int? = nil
        var preDepth = 0
        var articleDepth = 0
        var title: String? = nil
        var firstH1: String? = nil

        init(_ scalars: [Unicode.Scalar]) { s = scalars }

        mutating func run() {
            let n = s.count
            while i < n {
                let c = s[i]
                if c == "<" {
                    handleMarkup()
                } else if c == "&" {
                    let (decoded, next) = HTMLReader.decodeEntity(s, at: i)
                    buffer.append(contentsOf: decoded.unicodeScalars)
                    i = next
                } else {
                    buffer.append(c)
                    i += 1
                }
            }
            flush()
        }

        func hasPrefix(_ prefix: String, at index: Int) -> Bool {
            var j = index
            for p in prefix.unicodeScalars {
                guard j < s.count, HTMLReader.lower(s[j]) == p else { return false }
                j += 1
            }
            return true
        }

        /// Index of the first occurrence of `needle` (ASCII, lowercase) at or after `from`, case-insensitively.
        func find(_ needle: String, from: Int) -> Int? {
            guard let first = needle.unicodeScalars.first else { return nil }
            var j = from
            while j < s.count {
                if HTMLReader.lower(s[j]) == first && hasPrefix(needle, at: j) { return j }
                j += 1
            }
            return nil
        }

        mutating func handleMarkup() {
            if hasPrefix("<!--", at: i) {
                i = find("-->", from: i + 4).map { $0 + 3 } ?? s.count
                return
            }
            if hasPrefix("<![cdata[", at: i) {
                let end = find("]]>", from: i + 9) ?? s.count
                buffer.append(contentsOf: s[(i + 9)..<end])
                i = min(end + 3, s.count)
                return
            }
            if i + 1 < s.count, s[i + 1] == "!" || s[i + 1] == "?" {
                i = find(">", from: i + 1).map { $0 + 1 } ?? s.count
                return
            }
            guard let tag = parseTag(at: i) else {
                buffer.append("<")
                i += 1
                return
            }
            i = tag.end
            handle(tag)
        }

        /// Parses `<name attr="…">` or `</name>` at `start`; nil when it is not a tag.
        func parseTag(at start: Int) -> Tag? {
            var j = start + 1
            var isEnd = false
            if j < s.count, s[j] == "/" {
                isEnd = true
                j += 1
            }
            guard j < s.count, s[j].properties.isAlphabetic, s[j].isASCII else { return nil }
            var name = String.UnicodeScalarView()
            while j < s.count, s[j].isASCII, s[j].properties.isAlphabetic || ("0"..."9").contains(s[j]) || s[j] == "-" || s[j] == ":" {
                name.append(HTMLReader.lower(s[j]))
                j += 1
            }
            var quote: Unicode.Scalar? = nil
            var selfClosing = false
            while j < s.count {
                let c = s[j]
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == ">" {
                    if j > start, s[j - 1] == "/" { selfClosing = true }
                    return Tag(name: String(name), isEnd: isEnd, selfClosing: selfClosing, end: j + 1)
                } else if c == "<" {
                    // A new tag starts before this one closed: treat this one as ending here.
                    return Tag(name: String(name), isEnd: isEnd, selfClosing: false, end: j)
                }
                j += 1
            }
            return nil
        }

        /// For a dropped container opened just before `from`: the index after its matching end tag.
        func matchingEnd(of name: String, from: Int) -> Int? {
            var depth = 1
            var j = from
            while j < s.count {
                guard s[j] == "<" else {
                    j += 1
                    continue
                }
                if hasPrefix("<!--", at: j) {
                    j = find("-->", from: j + 4).map { $0 + 3 } ?? s.count
                    continue
                }
                if let tag = parseTag(at: j), tag.name == name {
                    if tag.isEnd {
                        depth -= 1
                        if depth == 0 { return tag.end }
                    } else if !tag.selfClosing {
                        depth += 1
                    }
                    j = tag.end
                    continue
                }
                j += 1
            }
            return nil
        }

        mutating func handle(_ tag: Tag) {
            let name = tag.name
            if !tag.isEnd && HTMLReader.droppedRaw.contains(name) {
                if tag.selfClosing { return }
                if let close = find("</" + name, from: i) {
                    i = find(">", from: close).map { $0 + 1 } ?? s.count
                } else if name == "script" || name == "style" {
                    i = s.count
                }
                return
            }
            if name == "title" && !tag.isEnd {
                let close = find("</title", from: i) ?? (find("<", from: i) ?? s.count)
                let raw = String(String.UnicodeScalarView(s[i..<close]))
                if title == nil { title = IngestText.collapseWhitespace(HTMLReader.decodeEntities(raw)) }
                i = close
                if hasPrefix("</title", at: i) { i = find(">", from: i).map { $0 + 1 } ?? s.count }
                return
            }
            if !tag.isEnd && HTMLReader.droppedContainers.contains(name) && !tag.selfClosing {
                let pageLevel = name == "nav" || name == "aside" || articleDepth == 0
                if pageLevel, let end = matchingEnd(of: name, from: i) {
                    flush()
                    i = end
                    return
                }
            }
            if name == "article" || name == "main" {
                articleDepth = max(0, articleDepth + (tag.isEnd ? -1 : 1))
            }
            if name.count == 2, name.first == "h", let level = Int(String(name.last!)), (1...6).contains(level) {
                flush()
                headingLevel = tag.isEnd ? nil : level
                return
            }
            if name == "br" && preDepth > 0 {
                buffer.append("\n")
                return
            }
            if name == "pre" {
                flush()
                headingLevel = nil
                if !tag.selfClosing { preDepth = max(0, preDepth + (tag.isEnd ? -1 : 1)) }
                return
            }
            if HTMLReader.blockTags.contains(name) || HTMLReader.droppedContainers.contains(name) {
                flush()
                headingLevel = nil
            }
        }

        mutating func flush() {
            defer { buffer.removeAll() }
            let raw = String(buffer)
            let text: String
            if preDepth > 0 {
                text = IngestText.paragraphs(raw.replacingOccurrences(of: "\u{A0}", with: " "))
                    .joined(separator: "\n")
            } else {
                text = IngestText.collapseWhitespace(raw)
            }
            guard !text.isEmpty else { return }
            if let level = headingLevel {
                blocks.append(.heading(text, level: level))
                if level == 1 && firstH1 == nil { firstH1 = text }
            } else {
                blocks.append(.paragraph(text))
            }
        }
    }

    // MARK: - Entities

    static func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(c) ? Unicode.Scalar(c.value + 32)! : c
    }

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if s[i] == "&" {
                let (decoded, next) = decodeEntity(s, at: i)
                out.append(contentsOf: decoded.unicodeScalars)
                i = next
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(out)
    }

    /// Decodes the entity starting with `&` at `start`; returns the text and the index after it.
    /// Something that is not an entity decodes to a literal `&`.
    static func decodeEntity(_ s: [Unicode.Scalar], at start: Int) -> (String, Int) {
        var j = start + 1
        if j < s.count, s[j] == "#" {
            j += 1
            var hex = false
            if j < s.count, s[j] == "x" || s[j] == "X" {
                hex = true
                j += 1
            }
            let digitsStart = j
            while j < s.count, j - digitsStart < 8,
                hex ? s[j].properties.isASCIIHexDigit : ("0"..."9").contains(s[j])
            {
                j += 1
            }
            guard j > digitsStart else { return ("&", start + 1) }
            let digits = String(String.UnicodeScalarView(s[digitsStart..<j]))
            if j < s.count, s[j] == ";" { j += 1 }
            let value = UInt32(digits, radix: hex ? 16 : 10) ?? 0xFFFD
            if let mapped = windows1252[value] { return (mapped, j) }
            guard value != 0, let scalar = Unicode.Scalar(value) else { return ("\u{FFFD}", j) }
            return (String(Character(scalar)), j)
        }
        let nameStart = j
        while j < s.count, j - nameStart < 32, s[j].isASCII, s[j].properties.isAlphabetic || ("0"..."9").contains(s[j]) {
            j += 1
        }
        guard j > nameStart else { return ("&", start + 1) }
        let name = String(String.UnicodeScalarView(s[nameStart..<j]))
        let terminated = j < s.count && s[j] == ";"
        if let value = namedEntities[name], terminated || ["amp", "lt", "gt", "quot", "nbsp"].contains(name) {
            return (value, terminated ? j + 1 : j)
        }
        return ("&", start + 1)
    }

    static let windows1252: [UInt32: String] = [
        128: "€", 130: "‚", 132: "„", 133: "…", 145: "‘", 146: "’", 147: "“", 148: "”", 149: "•", 150: "–", 151: "—",
        153: "™",
    ]

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "ensp": " ", "emsp": " ",
        "thinsp": " ", "shy": "", "zwnj": "\u{200C}", "zwj": "\u{200D}", "copy": "©", "reg": "®", "trade": "™",
        "hellip": "…", "mdash": "—", "ndash": "–", "minus": "−", "lsquo": "‘", "rsquo": "’", "sbquo": "‚",
        "ldquo": "“", "rdquo": "”", "bdquo": "„", "laquo": "«", "raquo": "»", "lsaquo": "‹", "rsaquo": "›",
        "bull": "•", "middot": "·", "deg": "°", "times": "×", "divide": "÷", "plusmn": "±", "frac12": "½",
        "frac14": "¼", "frac34": "¾", "sup2": "²", "sup3": "³", "micro": "µ", "para": "¶", "sect": "§",
        "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "iexcl": "¡", "iquest": "¿", "larr": "←",
        "rarr": "→", "uarr": "↑", "darr": "↓", "harr": "↔", "le": "≤", "ge": "≥", "ne": "≠", "asymp": "≈",
        "infin": "∞", "check": "✓", "dagger": "†", "Dagger": "‡", "prime": "′", "Prime": "″", "permil": "‰",
        "aacute": "á", "Aacute": "Á", "agrave": "à", "Agrave": "À", "acirc": "â", "Acirc": "Â", "auml": "ä",
        "Auml": "Ä", "atilde": "ã", "aring": "å", "Aring": "Å", "aelig": "æ", "AElig": "Æ", "ccedil": "ç",
        "Ccedil": "Ç", "eacute": "é", "Eacute": "É", "egrave": "è", "Egrave": "È", "ecirc": "ê", "Ecirc": "Ê",
        "euml": "ë", "iacute": "í", "Iacute": "Í", "igrave": "ì", "icirc": "î", "iuml": "ï", "ntilde": "ñ",
        "Ntilde": "Ñ", "oacute": "ó", "Oacute": "Ó", "ograve": "ò", "ocirc": "ô", "ouml": "ö", "Ouml": "Ö",
        "otilde": "õ", "oslash": "ø", "Oslash": "Ø", "szlig": "ß", "uacute": "ú", "Uacute": "Ú", "ugrave": "ù",
        "ucirc": "û", "uuml": "ü", "Uuml": "Ü", "yacute": "ý", "yuml": "ÿ", "alpha": "α", "beta": "β",
        "gamma": "γ", "delta": "δ", "Delta": "Δ", "mu": "μ", "pi": "π", "sigma": "σ", "Sigma": "Σ",
        "omega": "ω", "Omega": "Ω",
    ]
}
