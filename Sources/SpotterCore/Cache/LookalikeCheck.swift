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
    public var synonymSimilarity: Double
    /// Questions sharing at least this share of the longer one's words (in order) are "the same sentence".
    public var nearIdenticalShare: Double

    public init(synonymSimilarity: Double = 0.85, nearIdenticalShare: Double = 0.5) {
        self.synonymSimilarity = synonymSimilarity
        self.nearIdenticalShare = nearIdenticalShare
    }

    /// The words the entity rule needs vectors for (the caller embeds them): the swapped words of near-identical
    /// questions, empty otherwise.
    public func wordsNeedingVectors(_ a: QuestionAnalysis, _ b: QuestionAnalysis) -> Set<String> {
        guard let swap = swap(a, b) else { return [] }
        return Set(swap.onlyA + swap.onlyB)
    }

    /// The words outside the longest common subsequence of two near-identical questions (function words left
    /// out); nil when the questions are phrased differently.
    func swap(_ a: QuestionAnalysis, _ b: QuestionAnalysis) -> (onlyA: [String], onlyB: [String], reordered: Bool)? {
        let x = a.tokens.map(Stemmer.stem), y = b.tokens.map(Stemmer.stem)
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
        let ignored = { (word: String) in Lexicon.functionWords.contains(word) || Lexicon.stopWords.contains(word) && !Lexicon.slotWords(word) }
        onlyA = onlyA.filter { !ignored($0) }
        onlyB = onlyB.filter { !ignored($0) }
        // "push-up" / "pushup", "warm up" / "warm-up": the same letters split differently.
        if onlyA.joined() == onlyB.joined() { return ([], [], false) }
        // A word that only moved (present on both sides) is not a change, unless two words traded places
        // ("bench … overhead" / "overhead … bench").
        let stemsA = onlyA.map(Stemmer.stem), stemsB = onlyB.map(Stemmer.stem)
        let movedA = stemsA.filter { stemsB.contains($0) }, movedB = stemsB.filter { stemsA.contains($0) }
        let reordered = Set(movedA).count >= 2 && movedA != movedB
        return (onlyA.filter { !stemsB.contains(Stemmer.stem($0)) }, onlyB.filter { !stemsA.contains(Stemmer.stem($0)) }, reordered)
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
                    guard let (axis, _) = Lexicon.direction(word), other.directions[axis] == nil else { continue }
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
            let judged = Lexicon.slotWords
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
        if Stemmer.stem(x) == Stemmer.stem(y) { return true }
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

    public init(_ question: String) {
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
            if let (value, inlineUnit) = Self.number(word) {
                // A number takes the unit written against it ("5k", "30min") or the next word ("30 minutes").
                var unit = inlineUnit
                var scale = 1.0
                if let inlineUnit, let known = Lexicon.units[inlineUnit] {
                    (unit, scale) = known
                } else if index + 2 < words.count, ["a", "an"].contains(words[index + 1]), let known = Lexicon.units[words[index + 2]] {
                    // "half an hour"
                    (unit, scale) = known
                    index += 2
                } else if index + 1 < words.count {
                    let next = words[index + 1]
                    if let known = Lexicon.units[next] {
                        (unit, scale) = known
                        index += 1
                    } else if let known = Lexicon.units[Stemmer.stem(next)] {
                        (unit, scale) = known
                        index += 1
                    }
                }
                quantities.append(Quantity(value: value * scale, unit: unit ?? ""))
                continue
            }
            // "a pound of fat", "per tablespoon": a unit with no number is one of it.
            if index > 0, ["a", "an", "per", "each"].contains(words[index - 1]), let (unit, scale) = Lexicon.countableUnits[word] {
                quantities.append(Quantity(value: scale, unit: unit))
                continue
            }
            // "too much" / "too little": the amount is the question.
            if index > 0, words[index - 1] == "too", let sign = ["much": 1, "many": 1, "little": -1, "few": -1][word] {
                directions["amount", default: []].insert(sign)
                continue
            }
            if let ordinal = Lexicon.ordinals[word] {
                quantities.append(Quantity(value: ordinal, unit: "ordinal"))
                continue
            }
            if Lexicon.negations.contains(word) || word.hasSuffix("n't") {
                negations += 1
                continue
            }
            let stem = Stemmer.stem(word)
            if let (axis, sign) = Lexicon.directions[word] ?? Lexicon.directions[stem] {
                directions[axis, default: []].insert(sign)
                continue
            }
            if let group = Lexicon.population[word] ?? Lexicon.population[stem] {
                population.insert(group)
                continue
            }
            if let frame = Lexicon.timeFrames[word] ?? Lexicon.timeFrames[stem] {
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
    static func number(_ word: String) -> (Double, String?)? {
        if let value = Lexicon.numberWords[word] { return (value, nil) }
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

/// A light suffix stripper: enough to make "squats"/"squat", "running"/"run", "stretches"/"stretch" equal.
enum Stemmer {
    static func stem(_ word: String) -> String {
        var w = word
        guard w.count > 3, w.allSatisfy(\.isLetter) else { return w }
        if let irregular = irregulars[w] { return irregular }
        for (suffix, replacement) in [("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x")] where w.hasSuffix(suffix) {
            return String(w.dropLast(suffix.count)) + replacement
        }
        if w.hasSuffix("ing"), w.count > 5 {
            w = String(w.dropLast(3))
            return undouble(w)
        }
        if w.hasSuffix("ed"), w.count > 4, !w.hasSuffix("eed") {
            w = String(w.dropLast(2))
            return undouble(w)
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

    private static let irregulars: [String: String] = [
        "children": "child", "women": "woman", "men": "man", "feet": "foot", "teeth": "tooth", "people": "person",
        "ran": "run", "ate": "eat", "eaten": "eat", "slept": "sleep", "lost": "lose", "burnt": "burn",
    ]
}

/// The word lists behind ``QuestionAnalysis``: kinds of words (numbers, units, negation, directions, people, time),
/// not domain facts.
enum Lexicon {
    static let numberWords: [String: Double] = [
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
        "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
        "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
        "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
        "half": 0.5, "quarter": 0.25, "dozen": 12, "once": 1, "twice": 2,
    ]

    static let ordinals: [String: Double] = [
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
        "ninth": 9, "tenth": 10,
    ]

    /// Unit word → (dimension, factor to the base unit).
    static let units: [String: (String, Double)] = {
        var table: [String: (String, Double)] = [:]
        func add(_ names: [String], _ dimension: String, _ factor: Double) { for name in names { table[name] = (dimension, factor) } }
        add(["s", "sec", "secs", "second", "seconds"], "s", 1)
        add(["min", "mins", "minute", "minutes", "minut"], "s", 60)
        add(["h", "hr", "hrs", "hour", "hours"], "s", 3600)
        add(["day", "days", "d"], "s", 86_400)
        add(["week", "weeks", "wk", "wks"], "s", 604_800)
        add(["month", "months", "mo"], "s", 2_592_000)
        add(["year", "years", "yr", "yrs"], "s", 31_536_000)
        add(["mg", "milligram", "milligrams"], "g", 0.001)
        add(["g", "gram", "grams", "gr"], "g", 1)
        add(["kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"], "g", 1000)
        add(["lb", "lbs", "pound", "pounds"], "g", 453.6)
        add(["oz", "ounce", "ounces"], "g", 28.35)
        add(["m", "meter", "meters", "metre", "metres"], "m", 1)
        add(["k", "km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"], "m", 1000)
        add(["mi", "mile", "miles"], "m", 1609)
        add(["cal", "cals", "calorie", "calories", "kcal", "kcals"], "kcal", 1)
        add(["ml", "milliliter", "milliliters", "millilitre", "millilitres"], "l", 0.001)
        add(["tsp", "teaspoon", "teaspoons"], "l", 0.005)
        add(["tbsp", "tablespoon", "tablespoons"], "l", 0.015)
        add(["cup", "cups"], "l", 0.24)
        add(["l", "liter", "liters", "litre", "litres"], "l", 1)
        add(["percent", "pct"], "%", 1)
        add(["rep", "reps", "repetition", "repetitions"], "rep", 1)
        add(["set", "sets"], "set", 1)
        add(["time", "times", "x"], "times", 1)
        add(["bpm"], "bpm", 1)
        return table
    }()

    /// Units that name an amount on their own ("a pound", "per tablespoon"), unlike "day" or "week", which the
    /// time-frame rule judges.
    static let countableUnits: [String: (String, Double)] = units.filter { name, unit in
        unit.0 != "s" && !["set", "sets", "rep", "reps", "repetition", "repetitions", "time", "times", "x", "m", "k", "l", "g", "s", "h", "d", "mi", "mo"].contains(name)
    }

    /// Words that turn a statement around.
    static let negations: Set<String> = [
        "not", "no", "n't", "never", "without", "none", "nothing", "nobody", "neither", "nor", "non", "cannot",
        "avoid", "avoiding", "skip", "skipping", "skipped", "instead", "lack",
    ]

    /// Direction words: an axis and a sign. Two questions that both use an axis must agree on its sign.
    static let directions: [String: (String, Int)] = {
        var table: [String: (String, Int)] = [:]
        func add(_ axis: String, _ up: [String], _ down: [String]) {
            for word in up { table[word] = (axis, 1) }
            for word in down { table[word] = (axis, -1) }
        }
        add("amount", ["more", "most", "increase", "increas", "extra", "maximum", "max", "maximize", "maximise"],
            ["less", "least", "fewer", "fewest", "little", "decrease", "decreas", "reduce", "reduc", "minimum", "minimize", "minimise", "cut"])
        add("size", ["bigger", "biggest", "larger", "largest", "big", "large", "grow", "wider", "thicker"],
            ["smaller", "smallest", "small", "tiny", "shrink", "narrower", "thinner", "slimmer"])
        add("level", ["higher", "highest", "high", "raise", "rais", "elevated", "elevate", "upper", "top"],
            ["lower", "lowest", "low", "drop", "bottom"])
        add("speed", ["faster", "fastest", "fast", "quicker", "quickest", "quick", "sprint"], ["slower", "slowest", "slow"])
        add("load", ["heavier", "heaviest", "heavy"], ["lighter", "lightest", "light"])
        add("length", ["longer", "longest"], ["shorter", "shortest", "short"])
        add("quality", ["better", "best", "good", "healthier", "healthiest", "safer", "safest", "benefit", "benefits"],
            ["worse", "worst", "bad", "unhealthy", "harmful", "dangerous", "risk", "risks", "downside", "downsides"])
        add("weight", ["gain", "bulk", "bulking", "fatten"], ["lose", "loss", "losing", "slim", "cutting", "shed"])
        add("slope", ["uphill", "incline", "inclined"], ["downhill", "decline", "declined"])
        add("effort", ["harder", "hardest", "hard", "intense", "vigorous"], ["easier", "easiest", "easy", "gentle", "moderate"])
        add("temperature", ["hot", "hotter", "warm", "warmer", "heat"], ["cold", "colder", "cool", "cooler", "ice", "icy"])
        add("earliness", ["early", "earlier", "earliest"], ["late", "later", "latest"])
        add("frequency", ["often", "frequent", "frequently"], ["rarely", "seldom", "occasionally"])
        add("strength", ["strong", "stronger", "strongest"], ["weak", "weaker", "weakest"])
        add("pushpull", ["push", "pushing"], ["pull", "pulling"])
        add("position", ["inner", "inside"], ["outer", "outside"])
        add("intake", ["eat", "eating", "drink", "drinking"], ["fasting", "fasted"])
        return table
    }()

    /// The people a question is about.
    static let population: [String: String] = {
        var table: [String: String] = [:]
        func add(_ group: String, _ words: [String]) { for word in words { table[word] = group } }
        add("young", ["teen", "teens", "teenager", "teenagers", "adolescent", "adolescents", "kid", "kids", "child", "children", "youth", "junior", "juniors", "young"])
        add("adult", ["adult", "adults", "grown"])
        add("older", ["senior", "seniors", "elderly", "older", "old", "aging", "ageing", "retiree", "retirees"])
        add("pregnancy", ["pregnant", "pregnancy", "trimester", "expecting", "prenatal"])
        add("postpartum", ["postpartum", "postnatal", "breastfeeding", "nursing"])
        add("menopause", ["menopause", "menopausal", "perimenopause"])
        add("female", ["woman", "women", "female", "females", "girl", "girls", "she", "her"])
        add("male", ["man", "men", "male", "males", "guy", "guys", "boy", "boys", "he", "his"])
        add("novice", ["beginner", "beginners", "novice", "novices", "newbie", "starter"])
        add("experienced", ["advanced", "experienced", "veteran", "elite", "professional"])
        add("athlete", ["athlete", "athletes", "athletic"])
        add("vegan", ["vegan", "vegans", "plant-based"])
        add("vegetarian", ["vegetarian", "vegetarians"])
        add("diabetes", ["diabetes", "diabetic", "diabetics", "prediabetes"])
        add("heart", ["cardiac", "hypertension", "hypertensive"])
        add("overweight", ["overweight", "obese", "obesity"])
        add("asthma", ["asthma", "asthmatic"])
        add("arthritis", ["arthritis", "arthritic", "osteoporosis"])
        add("rehabilitation", ["rehab", "rehabilitation", "surgery", "postoperative"])
        add("disabled", ["disabled", "disability", "wheelchair"])
        return table
    }()

    /// When or how often.
    static let timeFrames: [String: String] = {
        var table: [String: String] = [:]
        func add(_ frame: String, _ words: [String]) { for word in words { table[word] = frame } }
        add("morning", ["morning", "mornings", "breakfast", "sunrise", "wake", "waking"])
        add("evening", ["evening", "evenings", "night", "nights", "nighttime", "bedtime", "bed", "pm", "dinner", "late-night"])
        add("midday", ["afternoon", "lunch", "noon", "midday"])
        add("day", ["day", "days", "daily", "everyday", "today", "per-day"])
        add("week", ["week", "weeks", "weekly"])
        add("month", ["month", "months", "monthly"])
        add("year", ["year", "years", "yearly", "annual", "annually"])
        add("weekend", ["weekend", "weekends"])
        add("before", ["before", "pre", "prior", "beforehand"])
        add("after", ["after", "post", "afterwards", "afterward"])
        add("season", ["winter", "summer", "autumn"])
        add("longterm", ["long-term", "longterm", "chronic", "permanent", "permanently"])
        add("shortterm", ["short-term", "acute", "temporary", "temporarily"])
        return table
    }()

    /// Words that carry no topic: function words, question words, and generic asking verbs.
    static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "if", "so", "of", "to", "in", "on", "at", "for", "by", "with", "from",
        "into", "onto", "about", "as", "than", "then", "that", "this", "these", "those", "it", "its", "is", "are",
        "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "done", "have", "has", "had", "having",
        "can", "could", "should", "would", "will", "shall", "may", "might", "must", "need", "needs", "needed",
        "i", "me", "my", "mine", "myself", "we", "us", "our", "you", "your", "yours", "yourself", "they", "them",
        "their", "someone", "somebody", "anyone", "one", "what", "which", "who", "whom", "whose", "why", "how", "when",
        "where", "whether", "there", "here", "any", "some", "all", "each", "every", "much", "many", "very", "really",
        "just", "actually", "exactly", "ok", "okay", "please", "hey", "hi", "coach", "thanks", "tip", "tips", "way",
        "ways", "get", "getting", "got", "go", "going", "make", "making", "know", "tell", "explain", "say", "mean",
        "means", "meaning", "thing", "things", "idea", "good", "right", "proper", "properly", "correct", "correctly",
        "normal", "ok", "fine", "safe", "safely", "recommend", "recommended", "advice", "help", "want", "like",
        "also", "too", "still", "even", "ever", "s", "t", "d", "ll", "re", "ve", "im", "whats", "hows", "possible",
        "realistically", "really", "typically", "usually", "generally", "best", "other", "else", "something",
        "anything", "kind", "sort", "type", "amount", "number", "lot", "lots", "bit", "enough", "should've",
        "difference", "between", "versus", "vs", "per", "each", "different", "same", "use", "using", "used",
        "work", "works", "out",
        // Generic words of asking about a topic, not the topic itself.
        "form", "technique", "routine", "session", "sign", "signs", "cause", "causes", "reason", "reasons", "ideas",
        "suggest", "define", "definition", "teach", "show", "give", "perform", "consider", "considered", "roughly",
        "approximately", "about", "aim", "goal", "target", "spend", "stand", "matter", "important", "actual",
        "actually", "ideal", "optimal", "guide", "overview", "basics", "info", "information", "hours", "minutes",
        "seconds", "times",
    ]

    /// Words whose change never alters what is asked (articles, pronouns, auxiliaries, question words, politeness).
    static let functionWords: Set<String> = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "by", "with", "is", "are", "was", "were",
        "be", "do", "does", "did", "i", "me", "my", "we", "our", "you", "your", "it", "its", "this", "that", "what",
        "which", "how", "why", "when", "where", "who", "can", "could", "should", "would", "will", "shall", "may",
        "might", "must", "please", "hey", "hi", "coach", "thanks", "really", "actually", "exactly", "just", "so",
        "some", "any", "there", "here", "s", "t", "ok", "okay", "properly", "proper", "correctly", "correct", "right",
        "best", "good", "way", "ways", "tips", "tip", "get", "am", "im", "ive", "let", "lets", "need", "want",
    ]

    static func direction(_ word: String) -> (String, Int)? {
        directions[word] ?? directions[Stemmer.stem(word)]
    }

    /// Whether the slot rules (numbers, negation, directions, people, time) already judge this word.
    static func slotWords(_ word: String) -> Bool {
        let stem = Stemmer.stem(word)
        return QuestionAnalysis.number(word) != nil || ordinals[word] != nil || negations.contains(word) || word.hasSuffix("n't")
            || directions[word] != nil || directions[stem] != nil || population[word] != nil || population[stem] != nil
            || timeFrames[word] != nil || timeFrames[stem] != nil || units[word] != nil
    }
}

/// Levenshtein distance, for spelling variants.
enum EditDistance {
    static func between(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var previous = Array(0...y.count)
        var current = Array(repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
