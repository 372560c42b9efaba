import Foundation

/// The language data the engine reads about words: kinds of words (numbers, units, negation, directions, people,
/// time, stop words), not domain facts.
///
/// It is loaded from a folder of small text files (`Resources/lexicon/en/` is the built-in English one), so a
/// knowledge base in another language can bring its own folder with the same file names. Each file is UTF-8 text
/// with `#` comments; the formats are written at the top of each built-in file.
public struct Lexicon: Sendable {
    public var numberWords: [String: Double]
    public var ordinals: [String: Double]
    /// Unit word → (dimension, factor to the dimension's base unit).
    public var units: [String: (dimension: String, factor: Double)]
    /// Units that name an amount on their own ("a pound", "per tablespoon"), unlike "day" or "week", which the
    /// time-frame rule judges.
    public var countableUnits: [String: (dimension: String, factor: Double)]
    /// Words that turn a statement around.
    public var negations: Set<String>
    /// Direction words: an axis and a sign. Two questions that both use an axis must agree on its sign.
    public var directions: [String: (axis: String, sign: Int)]
    /// The people a question is about: word → group.
    public var population: [String: String]
    /// When or how often: word → frame.
    public var timeFrames: [String: String]
    /// Words dropped from keyword queries.
    public var searchStopWords: Set<String>
    /// Words that carry no topic of a question (the search stop words and more).
    public var topiclessWords: Set<String>
    /// Words whose change never alters what is asked.
    public var functionWords: Set<String>
    /// Irregular forms and their stems ("children" → "child").
    public var irregularStems: [String: String]

    /// The built-in English lexicon, read once.
    public static let english: Lexicon = {
        do {
            guard let folder = Bundle.module.url(forResource: "lexicon", withExtension: nil)?.appendingPathComponent("en") else {
                throw LexiconError.missingFolder("lexicon/en in SpotterCore's bundled resources")
            }
            return try Lexicon(folder: folder)
        } catch {
            // The built-in files ship with the binary and are checked by the tests; a build without them cannot
            // judge a cache hit or a keyword query, so it stops saying what is missing.
            fatalError("the built-in lexicon cannot be read: \(error); rebuild with `swift build`")
        }
    }()

    /// Reads a lexicon folder; every file must be there.
    public init(folder: URL) throws(LexiconError) {
        let file = LexiconFile(folder: folder)
        numberWords = try file.values("numbers.txt")
        ordinals = try file.values("ordinals.txt")
        var units: [String: (dimension: String, factor: Double)] = [:]
        for (key, words) in try file.groups("units.txt") {
            let parts = key.split(separator: " ")
            guard parts.count == 2, let factor = Double(parts[1]) else { throw .malformed("units.txt", key) }
            for word in words { units[word] = (String(parts[0]), factor) }
        }
        self.units = units
        let uncountable = try file.words("uncountable-units.txt")
        // Units of time are judged by the time-frame rule, never as an amount.
        countableUnits = units.filter { name, unit in unit.dimension != "s" && !uncountable.contains(name) }
        negations = try file.words("negations.txt")
        var directions: [String: (axis: String, sign: Int)] = [:]
        for (axis, words) in try file.groups("directions.txt") {
            guard let divider = words.firstIndex(of: "|") else { throw .malformed("directions.txt", axis) }
            for word in words[..<divider] { directions[word] = (axis, 1) }
            for word in words[(divider + 1)...] { directions[word] = (axis, -1) }
        }
        self.directions = directions
        population = try file.membership("population.txt")
        timeFrames = try file.membership("time-frames.txt")
        searchStopWords = try file.words("search-stop-words.txt")
        topiclessWords = try searchStopWords.union(file.words("topicless-words.txt"))
        functionWords = try file.words("function-words.txt")
        irregularStems = try file.pairs("irregular-stems.txt")
    }

    /// The direction a word (or its stem) points along an axis, if any.
    func direction(_ word: String) -> (axis: String, sign: Int)? {
        directions[word] ?? directions[stem(word)]
    }

    /// Whether the slot rules (numbers, negation, directions, people, time) already judge this word.
    func judgedBySlotRules(_ word: String) -> Bool {
        let stem = stem(word)
        return QuestionAnalysis.number(word, lexicon: self) != nil || ordinals[word] != nil || negations.contains(word) || word.hasSuffix("n't")
            || directions[word] != nil || directions[stem] != nil || population[word] != nil || population[stem] != nil
            || timeFrames[word] != nil || timeFrames[stem] != nil || units[word] != nil
    }

    /// A light suffix stripper: enough to make "squats"/"squat", "running"/"run", "stretches"/"stretch" equal.
    func stem(_ word: String) -> String {
        var w = word
        guard w.count > 3, w.allSatisfy(\.isLetter) else { return w }
        if let irregular = irregularStems[w] { return irregular }
        for (suffix, replacement) in [("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x")] where w.hasSuffix(suffix) {
            return String(w.dropLast(suffix.count)) + replacement
        }
        if w.hasSuffix("ing"), w.count > 5 {
            w = String(w.dropLast(3))
            return Self.undouble(w)
        }
        if w.hasSuffix("ed"), w.count > 4, !w.hasSuffix("eed") {
            w = String(w.dropLast(2))
            return Self.undouble(w)
        }
        if w.hasSuffix("s"), !w.hasSuffix("ss"), !w.hasSuffix("us"), !w.hasSuffix("is") { w.removeLast() }
        return w
    }

    /// "running" → "runn" → "run".
    private static func undouble(_ word: String) -> String {
        guard word.count >= 3, let last = word.last, !"aeiouls".contains(last),
              word.dropLast().last == last else { return word }
        return String(word.dropLast())
    }
}

/// Why a lexicon folder could not be read.
public enum LexiconError: Error, Sendable, CustomStringConvertible {
    case missingFolder(String)
    case unreadable(file: String, reason: String)
    case malformed(String, String)

    public var description: String {
        switch self {
        case .missingFolder(let what): "the lexicon folder is missing: \(what)"
        case .unreadable(let file, let reason): "cannot read lexicon file \(file): \(reason)"
        case .malformed(let file, let line): "lexicon file \(file) has a line it cannot read: '\(line)' (see the format at the top of the built-in file)"
        }
    }
}

/// The line formats of a lexicon folder's files.
private struct LexiconFile {
    let folder: URL

    /// The lines of a file without comments and blank lines.
    func lines(_ name: String) throws(LexiconError) -> [Substring] {
        let text: String
        do {
            text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        } catch {
            throw .unreadable(file: folder.appendingPathComponent(name).path, reason: error.localizedDescription)
        }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces)[...] }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// Whitespace-separated words, any number a line.
    func words(_ name: String) throws(LexiconError) -> Set<String> {
        Set(try lines(name).flatMap { $0.split(separator: " ").map(String.init) })
    }

    /// `word other`, one pair a line.
    func pairs(_ name: String) throws(LexiconError) -> [String: String] {
        var table: [String: String] = [:]
        for line in try lines(name) {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { throw .malformed(name, String(line)) }
            table[String(parts[0])] = String(parts[1])
        }
        return table
    }

    /// `word number`, one a line.
    func values(_ name: String) throws(LexiconError) -> [String: Double] {
        var table: [String: Double] = [:]
        for (word, text) in try pairs(name) {
            guard let value = Double(text) else { throw .malformed(name, "\(word) \(text)") }
            table[word] = value
        }
        return table
    }

    /// `key: words`, in file order (a word named twice belongs to the later line).
    func groups(_ name: String) throws(LexiconError) -> [(String, [String])] {
        try lines(name).map { line throws(LexiconError) in
            guard let colon = line.firstIndex(of: ":") else { throw .malformed(name, String(line)) }
            let words = line[line.index(after: colon)...].split(separator: " ").map(String.init)
            return (line[..<colon].trimmingCharacters(in: .whitespaces), words)
        }
    }

    /// `group: words` as word → group.
    func membership(_ name: String) throws(LexiconError) -> [String: String] {
        var table: [String: String] = [:]
        for (group, words) in try groups(name) { for word in words { table[word] = group } }
        return table
    }
}
