import Foundation
import Synchronization

/// Decides whether a question may be served the answer of a cached question that is close in embedding space.
///
/// Sentence embeddings put "calories burned running 30 minutes" and "… walking 30 minutes" side by side, because
/// they share almost every word; the answer differs all the same. After the nearest-neighbour match, this check
/// compares what the two questions *pin down*, slot by slot, and rejects the match when a slot differs:
///
/// - **number**: the quantities, with their units converted (`1 hour` = `60 minutes`, `5k` = `5 km`);
/// - **negation**: how many negation cues each carries (`not`, `n't`, `without`, `non-`, `avoid`, …);
/// - **comparative**: a direction word on a shared axis with the opposite sign (`more`/`less`, `uphill`/`downhill`);
/// - **population**: the people the question is about (`teenagers`, `during pregnancy`, `beginners`, …);
/// - **time frame**: when or how often (`morning`/`evening`, `per day`/`per week`, `before`/`after`);
/// - **entity**: when the two questions are the same sentence with one slot changed ("dumbbell row" / "barbell row",
///   "Is creatine safe?" / "… for my kidneys?"), the changed words must be spelling variants or near-synonyms.
///
/// The entity rule only looks at near-identical questions on purpose: single-word embeddings do not separate
/// synonyms from things of the same kind ("prevent"/"avoid" 0.86, but "dumbbell"/"barbell" 0.76 and "hurt"/"ache"
/// 0.63), so a rephrased question is trusted to the sentence similarity and the slot rules, while a one-slot swap,
/// where a different answer is most likely, needs a near-synonym (cosine ≥ ``synonymSimilarity``). The rules are
/// lexical and domain-general: they name kinds of words, not fitness facts.
@MemberwiseInit
public struct LookalikeCheck: Sendable {
    /// A slot in which two questions differ.
    public enum Difference: String, Sendable, Codable, CaseIterable {
        case number, negation, comparative, population, timeframe, entity
    }

    /// What the comparison found: no differences means the cached answer may be served.
    public struct Verdict: Sendable, Equatable {
        /// Each differing slot with a short human-readable reason ("30 minute ≠ 60 minute").
        public var differences: [(Difference, String)]
        public var passed: Bool { differences.isEmpty }

        public static func == (lhs: Verdict, rhs: Verdict) -> Bool {
            lhs.differences.map { "\($0.0.rawValue):\($0.1)" } == rhs.differences.map { "\($0.0.rawValue):\($0.1)" }
        }

        public var summary: String {
            passed ? "same meaning" : differences.map { "\($0.0.rawValue) (\($0.1))" }.joined(separator: ", ")
        }
    }

    /// Swapped words count as the same at this cosine similarity of their embeddings or above.
    public var synonymSimilarity: Double = 0.85
    /// Questions sharing at least this share of the longer one's words (in order) are "the same sentence".
    public var nearIdenticalShare: Double = 0.5
    /// The kinds of words the rules name, in the questions' language.
    public var lexicon: Lexicon = .english

    /// The words the entity rule needs vectors for (the caller embeds them): the swapped words of near-identical
    /// questions, empty otherwise.
    public func wordsNeedingVectors(_ a: QuestionAnalysis, _ b: QuestionAnalysis) -> Set<String> {
        guard let swap = swap(a, b) else { return [] }
        return Set(swap.onlyA + swap.onlyB)
    }

    /// The words outside the longest common subsequence of two near-identical questions (function words left
    /// out); nil when the questions are phrased differently.
    func swap(_ a: QuestionAnalysis, _ b: QuestionAnalysis) -> (onlyA: [String], onlyB: [String], reordered: Bool)? {
        let x = a.tokens.map(lexicon.stem), y = b.tokens.map(lexicon.stem)
        guard !x.isEmpty, !y.isEmpty else { return nil }
        var table = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                table[i][j] = x[i] == y[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        let shared = table[0][0]
        guard Double(shared) >= nearIdenticalShare * Double(max(x.count, y.count)) else { return nil }
        var onlyA: [String] = [], onlyB: [String] = []
        var i = 0, j = 0
        while i < x.count || j < y.count {
            if i < x.count, j < y.count, x[i] == y[j] {
                i += 1; j += 1
            } else if j == y.count || (i < x.count && table[i + 1][j] >= table[i][j + 1]) {
                onlyA.append(a.tokens[i]); i += 1
            } else {
                onlyB.append(b.tokens[j]); j += 1
            }
        }
        let ignored = { (word: String) in lexicon.functionWords.contains(word) || lexicon.topiclessWords.contains(word) && !lexicon.judgedBySlotRules(word) }
        onlyA = onlyA.filter { !ignored($0) }
        onlyB = onlyB.filter { !ignored($0) }
        // "push-up" / "pushup", "warm up" / "warm-up": the same letters split differently.
        if onlyA.joined() == onlyB.joined() { return ([], [], false) }
        // A word that only moved (present on both sides) is not a change, unless two words traded places
        // ("bench … overhead" / "overhead … bench").
        let stemsA = onlyA.map(lexicon.stem), stemsB = onlyB.map(lexicon.stem)
        let movedA = stemsA.filter { stemsB.contains($0) }, movedB = stemsB.filter { stemsA.contains($0) }
        let reordered = Set(movedA).count >= 2 && movedA != movedB
        return (onlyA.filter { !stemsB.contains(lexicon.stem($0)) }, onlyB.filter { !stemsA.contains(lexicon.stem($0)) }, reordered)
    }

    /// Compares two analysed questions; `wordVector` gives the unit vector of a content word (nil when unknown,
    /// which counts as "not similar").
    public func compare(_ a: QuestionAnalysis, _ b: QuestionAnalysis, wordVector: (String) -> [Float]?) -> Verdict {
        var differences: [(Difference, String)] = []

        if a.quantities != b.quantities {
            differences.append((.number, "\(a.quantities.map(\.description).joined(separator: " ")) ≠ \(b.quantities.map(\.description).joined(separator: " "))"))
        }
        if a.negations != b.negations {
            differences.append((.negation, "\(a.negations) ≠ \(b.negations) negations"))
        }
        // A shared axis with no sign in common ("more" / "fewer"), or direction words on unrelated axes only
        // ("faster" / "longer").
        for (axis, signsA) in a.directions {
            guard let signsB = b.directions[axis], signsA.isDisjoint(with: signsB) else { continue }
            differences.append((.comparative, "\(axis): \(signsA.sorted().map(String.init).joined()) ≠ \(signsB.sorted().map(String.init).joined())"))
        }
        let swapped = swap(a, b)
        if let swap = swapped {
            // The same sentence with a direction word changed or added on one side ("too much" / "too little",
            // "run faster" / "run longer").
            for (changed, other) in [(swap.onlyA, b), (swap.onlyB, a)] {
                for word in changed {
                    // A shared axis with opposite signs is reported above; here, words with no counterpart at all.
                    guard let (axis, _) = lexicon.direction(word), other.directions[axis] == nil else { continue }
                    differences.append((.comparative, "'\(word)' has no counterpart"))
                }
            }
        }
        if a.population != b.population {
            differences.append((.population, "\(a.population.sorted()) ≠ \(b.population.sorted())"))
        }
        if a.timeFrames != b.timeFrames {
            differences.append((.timeframe, "\(a.timeFrames.sorted()) ≠ \(b.timeFrames.sorted())"))
        }

        // Entities: the same sentence with a slot changed; each changed word needs a variant or a near-synonym.
        // Slot words the rules above judged are left to them.
        if let swap = swapped {
            if swap.reordered { differences.append((.entity, "words traded places")) }
            let judged = lexicon.judgedBySlotRules
            let changedA = swap.onlyA.filter { !judged($0) }, changedB = swap.onlyB.filter { !judged($0) }
            let unmatchedA = changedA.filter { word in !changedB.contains { same(word, $0, wordVector) } }
            let unmatchedB = changedB.filter { word in !changedA.contains { same(word, $0, wordVector) } }
            if !unmatchedA.isEmpty || !unmatchedB.isEmpty {
                differences.append((.entity, "\(unmatchedA) ≠ \(unmatchedB)"))
            }
        }
        return Verdict(differences: differences)
    }

    /// Spelling variants ("push-up"/"pushup", "manuever"/"maneuver") or near-synonyms by embedding.
    private func same(_ x: String, _ y: String, _ wordVector: (String) -> [Float]?) -> Bool {
        if lexicon.stem(x) == lexicon.stem(y) { return true }
        if min(x.count, y.count) >= 5, EditDistance.between(x, y) <= 2 { return true }
        guard let u = wordVector(x), let v = wordVector(y) else { return false }
        return Double(VectorMath.dot(u, v)) >= synonymSimilarity
    }
}

/// The slots of one question that decide its answer, extracted once and compared by ``LookalikeCheck``.
public struct QuestionAnalysis: Sendable, Equatable {
    /// Quantities in base units, sorted (`30 minute` is `1800 s`).
    public var quantities: [Quantity]
    public var negations: Int
    /// Direction words per axis: the signs seen (+1 / -1).
    public var directions: [String: Set<Int>]
    public var population: Set<String>
    public var timeFrames: Set<String>
    /// Every word, in order (for the near-identical test).
    public var tokens: [String]

    public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var value: Double
        /// The dimension: `s`, `g`, `m`, `kcal`, `%`, `ordinal`, or the word that followed the number.
        public var unit: String

        public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
            (lhs.unit, lhs.value) < (rhs.unit, rhs.value)
        }

        public static func == (lhs: Quantity, rhs: Quantity) -> Bool {
            // Converted units are compared with 2% tolerance: 1 mile is 1609 m and "1.6 km" 1600 m.
            lhs.unit == rhs.unit && abs(lhs.value - rhs.value) <= 0.02 * max(abs(lhs.value), abs(rhs.value))
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(unit) }

        public var description: String {
            let shown = value.rounded() == value ? String(Int(value)) : String(format: "%.2f", value)
            return unit.isEmpty ? shown : "\(shown) \(unit)"
        }
    }

    public init(_ question: String, lexicon: Lexicon = .english) {
        let words = Self.words(question)
        var quantities: [Quantity] = []
        var negations = 0
        var directions: [String: Set<Int>] = [:]
        var population: Set<String> = []
        var timeFrames: Set<String> = []

        var index = 0
        while index < words.count {
            let word = words[index]
            defer { index += 1 }
            if let (value, inlineUnit) = Self.number(word, lexicon: lexicon) {
                // A number takes the unit written against it ("5k", "30min") or the next word ("30 minutes").
                var unit = inlineUnit
                var scale = 1.0
                if let inlineUnit, let known = lexicon.units[inlineUnit] {
                    (unit, scale) = known
                } else if index + 2 < words.count, ["a", "an"].contains(words[index + 1]), let known = lexicon.units[words[index + 2]] {
                    // "half an hour"
                    (unit, scale) = known
                    index += 2
                } else if index + 1 < words.count {
                    let next = words[index + 1]
                    if let known = lexicon.units[next] {
                        (unit, scale) = known
                        index += 1
                    } else if let known = lexicon.units[lexicon.stem(next)] {
                        (unit, scale) = known
                        index += 1
                    }
                }
                quantities.append(Quantity(value: value * scale, unit: unit ?? ""))
                continue
            }
            // "a pound of fat", "per tablespoon": a unit with no number is one of it.
            if index > 0, ["a", "an", "per", "each"].contains(words[index - 1]), let (unit, scale) = lexicon.countableUnits[word] {
                quantities.append(Quantity(value: scale, unit: unit))
                continue
            }
            // "too much" / "too little": the amount is the question.
            if index > 0, words[index - 1] == "too", let sign = ["much": 1, "many": 1, "little": -1, "few": -1][word] {
                directions["amount", default: []].insert(sign)
                continue
            }
            if let ordinal = lexicon.ordinals[word] {
                quantities.append(Quantity(value: ordinal, unit: "ordinal"))
                continue
            }
            if lexicon.negations.contains(word) || word.hasSuffix("n't") {
                negations += 1
                continue
            }
            let stem = lexicon.stem(word)
            if let (axis, sign) = lexicon.directions[word] ?? lexicon.directions[stem] {
                directions[axis, default: []].insert(sign)
                continue
            }
            if let group = lexicon.population[word] ?? lexicon.population[stem] {
                population.insert(group)
                continue
            }
            if let frame = lexicon.timeFrames[word] ?? lexicon.timeFrames[stem] {
                timeFrames.insert(frame)
                continue
            }
        }
        self.quantities = quantities.sorted()
        self.negations = negations
        self.directions = directions
        self.population = population
        self.timeFrames = timeFrames
        tokens = words
    }

    /// Lower-cased words; contractions split so that "don't" yields "do" and "n't", hyphens split ("non-training").
    static func words(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        func flush() {
            guard !current.isEmpty else { return }
            if current.hasSuffix("n't"), current.count > 3 {
                let stem = String(current.dropLast(3))
                result.append(stem == "ca" ? "can" : stem == "wo" ? "will" : stem)
                result.append("n't")
            } else if let apostrophe = current.firstIndex(of: "'") {
                // "beginner's" → "beginner", "what's" → "what", "i'm" → "i"
                result.append(String(current[..<apostrophe]))
            } else {
                result.append(current)
            }
            current = ""
        }
        let lowered = text.lowercased().replacingOccurrences(of: "’", with: "'")
        var previous: Character = " "
        for character in lowered {
            if character.isLetter || character.isNumber {
                // "16:8" and "2-3" split; "1.5" and "5k" stay whole.
                current.append(character)
            } else if character == "'" && !current.isEmpty {
                current.append(character)
            } else if character == ".", previous.isNumber {
                current.append(character)
            } else {
                if current.hasSuffix(".") { current.removeLast() }
                flush()
            }
            previous = character
        }
        if current.hasSuffix(".") { current.removeLast() }
        flush()
        return result.filter { !$0.isEmpty }
    }

    /// The question's words joined by single spaces: the form in which two questions count as the same text.
    public static func normalised(_ text: String) -> String {
        if let known = normalisedForms.withLock({ $0[text] }) { return known }
        let form = words(text).joined(separator: " ")
        normalisedForms.withLock { forms in
            // A question is normalised several times per answer (cache key, bypass rules, the match); bounded.
            if forms.count >= 20_000 { forms.removeAll(keepingCapacity: true) }
            forms[text] = form
        }
        return form
    }

    private static let normalisedForms = Mutex<[String: String]>([:])

    /// A number written in digits (with an optional unit glued to it) or in words.
    static func number(_ word: String, lexicon: Lexicon = .english) -> (Double, String?)? {
        if let value = lexicon.numberWords[word] { return (value, nil) }
        guard let first = word.first, first.isNumber else { return nil }
        let digits = word.prefix { $0.isNumber || $0 == "." }
        guard let value = Double(digits) else { return nil }
        let rest = String(word.dropFirst(digits.count))
        if rest.isEmpty { return (value, nil) }
        // "1st", "3rd": ordinals; "5k", "30min", "100g": a unit glued on; "1rm": an abbreviation, kept as a unit.
        if ["st", "nd", "rd", "th"].contains(rest) { return (value, "ordinal") }
        return (value, rest)
    }
}
