import Foundation

/// A retrieval test collection in BEIR's layout: `corpus.jsonl` (`{_id, title, text}` per line), `queries.jsonl`
/// (`{_id, text}` per line) and `qrels/<split>.tsv` (`query-id  corpus-id  score`, with a header line).
public struct BEIRDataset: Sendable {
    public let directory: URL
    public let split: String
    /// Query text by query id, for the queries that have judgements in the split.
    public let queries: [String: String]
    /// Relevance grade by corpus id, by query id.
    public let judgements: [String: [String: Int]]
    /// Judged queries missing from `queries.jsonl` (they are left out; reported so that nobody is surprised).
    public let queriesWithoutText: [String]

    public var name: String { directory.lastPathComponent }
    public var corpusFile: URL { directory.appendingPathComponent("corpus.jsonl") }

    /// Loads the queries and judgements of `split`; the corpus is read by ingest.
    public init(directory: URL, split: String = "test") throws(EvaluationError) {
        self.directory = directory
        self.split = split
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .datasetNotFound(directory.path)
        }
        let qrelsFile = directory.appendingPathComponent("qrels").appendingPathComponent("\(split).tsv")
        for required in [directory.appendingPathComponent("corpus.jsonl"), directory.appendingPathComponent("queries.jsonl"), qrelsFile]
        where !fileManager.fileExists(atPath: required.path) {
            throw .missingFile(required.path, expected: "a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/\(split).tsv")
        }

        let judgements = try Self.readQrels(qrelsFile)
        let allQueries = try Self.readQueries(directory.appendingPathComponent("queries.jsonl"))
        var queries: [String: String] = [:]
        var missing: [String] = []
        for id in judgements.keys.sorted() {
            if let text = allQueries[id] { queries[id] = text } else { missing.append(id) }
        }
        guard !queries.isEmpty else { throw .noJudgedQueries(qrelsFile.path) }
        self.queries = queries
        self.judgements = judgements.filter { queries[$0.key] != nil }
        self.queriesWithoutText = missing
    }

    static func readQrels(_ file: URL) throws(EvaluationError) -> [String: [String: Int]] {
        let text = try readText(file)
        var judgements: [String: [String: Int]] = [:]
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if fields.allSatisfy(\.isEmpty) { continue }
            // The header, when present, is the first line and has a non-numeric score column.
            if index == 0, fields.count >= 3, Int(fields[2]) == nil { continue }
            guard fields.count >= 3, !fields[0].isEmpty, !fields[1].isEmpty, let grade = Int(fields[2]) else {
                throw .malformed(file.path, line: index + 1, reason: "expected 'query-id<TAB>corpus-id<TAB>score' with a whole-number score")
            }
            judgements[fields[0], default: [:]][fields[1]] = grade
        }
        return judgements
    }

    /// Every query of a `queries.jsonl` file, by id.
    public static func readQueries(_ file: URL) throws(EvaluationError) -> [String: String] {
        let text = try readText(file)
        var queries: [String: String] = [:]
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw .malformed(file.path, line: index + 1, reason: "not a JSON object")
            }
            let id: String? = switch object["_id"] {
            case let string as String: string
            case let number as NSNumber: number.stringValue
            default: nil
            }
            guard let id, !id.isEmpty, let query = object["text"] as? String else {
                throw .malformed(file.path, line: index + 1, reason: "needs \"_id\" and \"text\"")
            }
            queries[id] = query
        }
        return queries
    }

    private static func readText(_ file: URL) throws(EvaluationError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw .unreadable(file.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .malformed(file.path, line: nil, reason: "not UTF-8") }
        return text
    }
}

/// Why an evaluation could not run.
public enum EvaluationError: Error, Sendable, CustomStringConvertible {
    case datasetNotFound(String)
    case missingFile(String, expected: String)
    case unreadable(String, reason: String)
    case malformed(String, line: Int?, reason: String)
    case noJudgedQueries(String)
    case ingest(String)
    case search(String)

    public var description: String {
        switch self {
        case .datasetNotFound(let path): "no dataset folder at \(path)"
        case .missingFile(let path, let expected): "missing \(path) (\(expected))"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .malformed(let path, let line, let reason): "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)"
        case .noJudgedQueries(let path): "no judged query in \(path) has a text in queries.jsonl; nothing to evaluate"
        case .ingest(let reason): "ingesting the corpus failed: \(reason)"
        case .search(let reason): "a search failed: \(reason)"
        }
    }
}
