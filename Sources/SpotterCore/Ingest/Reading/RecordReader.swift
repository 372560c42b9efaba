import Foundation

/// Reads JSON and JSONL files of records.
///
/// - JSON: a top-level array of objects (one document each); or an object holding exactly one array-of-objects
///   field (`{"records": [...]}`) which is read like the array; or any other object, read as one document (its id
///   may then be missing: the key is ""). Malformed JSON → ``ReadError/malformedJSON(path:line:detail:)``.
/// - JSONL: one object per line; blank lines ignored; a malformed line or a non-object is a ``ReadProblem`` with
///   its line number and the other lines go on.
/// - Each record: the id (string or number) from `idField`; the title from `titleField`, else `title`, else
///   `name`, else the id; one paragraph block `Label: value` per present, non-empty text field (the first text
///   field is skipped when it is the title field); metadata copied as-is from `metadataFields` that are present.
///   A record without an id, or with none of the text fields, is a ``ReadProblem`` naming the record and field; a
///   repeated id is a problem for the later record, which is dropped.
/// - A file with no records at all (`[]`, `{}`-less JSONL) → ``ReadError/noRecords(path:)``.
enum RecordReader {
    struct RawRecord {
        var value: JSONValue
        var line: Int?
        /// 1-based position of the record in the file, for messages.
        var number: Int
    }

    static func readJSON(_ text: String, path: String, options: RecordFieldOptions) throws(ReadError) -> ReadResult {
        var parser = IngestJSONParser(text)
        let parsed: (value: JSONValue, elements: [(value: JSONValue, line: Int)]?)
        do {
            parsed = try parser.parseTopLevel()
        } catch {
            throw .malformedJSON(path: path, line: error.line, detail: error.message)
        }
        var raws: [RawRecord] = []
        var problems: [ReadProblem] = []
        var single = false
        if let elements = parsed.elements {
            raws = elements.enumerated().map { RawRecord(value: $1.value, line: $1.line, number: $0 + 1) }
        } else if case .object(let fields) = parsed.value {
            let arrayFields = fields.filter { _, value in
                if case .array(let items) = value, !items.isEmpty, items.allSatisfy({ if case .object = $0 { true } else { false } }) {
                    return true
                }
                return false
            }
            let looksLikeRecord = fields[options.idField] != nil || options.textFields.contains { fields[$0] != nil }
            if arrayFields.count == 1, !looksLikeRecord, case .array(let items) = arrayFields.first!.value {
                raws = items.enumerated().map { RawRecord(value: $1, line: nil, number: $0 + 1) }
            } else {
                raws = [RawRecord(value: parsed.value, line: 1, number: 1)]
                single = true
            }
        } else {
            throw .malformedJSON(path: path, line: 1, detail: "expected an array of objects or an object at the top level")
        }
        if raws.isEmpty { throw .noRecords(path: path) }
        let documents = makeDocuments(raws, path: path, options: options, singleObject: single, problems: &problems)
        return ReadResult(documents: documents, problems: problems)
    }

    static func readJSONL(_ text: String, path: String, options: RecordFieldOptions) throws(ReadError) -> ReadResult {
        var raws: [RawRecord] = []
        var problems: [ReadProblem] = []
        var number = 0
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            if line.allSatisfy(\.isWhitespace) { continue }
            number += 1
            var parser = IngestJSONParser(String(line), firstLine: lineNumber)
            do {
                let value = try parser.parseDocument()
                raws.append(RawRecord(value: value, line: lineNumber, number: number))
            } catch {
                problems.append(ReadProblem(path: path, line: lineNumber, reason: "malformed JSON: \(error.message); line skipped"))
            }
        }
        if raws.isEmpty && problems.isEmpty { throw .noRecords(path: path) }
        let documents = makeDocuments(raws, path: path, options: options, singleObject: false, problems: &problems)
        problems.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        return ReadResult(documents: documents, problems: problems)
    }

    static func makeDocuments(
        _ raws: [RawRecord], path: String, options: RecordFieldOptions, singleObject: Bool, problems: inout [ReadProblem]
    ) -> [ParsedDocument] {
        var documents: [ParsedDocument] = []
        var seen: [String: Int] = [:]  // id → record number
        for raw in raws {
            let name = raw.line != nil ? "record \(raw.number)" : "record \(raw.number) (array index \(raw.number - 1))"
            func problem(_ reason: String) {
                problems.append(ReadProblem(path: path, line: raw.line, reason: reason))
            }
            guard case .object(let fields) = raw.value else {
                problem("\(name) is not a JSON object; skipped")
                continue
            }
            var id: String? = nil
            switch fields[options.idField] {
            case .string(let value)? where !value.trimmingCharacters(in: .whitespaces).isEmpty:
                id = value.trimmingCharacters(in: .whitespaces)
            case .number(let value)?:
                id = JSONValue.number(value).displayText
            case nil where singleObject:
                id = ""
            case nil:
                problem("\(name) has no \"\(options.idField)\" field (the id field); skipped")
                continue
            default:
                problem("\(name): the id field \"\(options.idField)\" must be a non-empty string or a number; skipped")
                continue
            }
            let recordID = id!
            let label = recordID.isEmpty ? name : "\(name) (id \"\(recordID)\")"
            if !recordID.isEmpty, let first = seen[recordID] {
                problem("\(label) repeats the id of record \(first); skipped")
                continue
            }

            // Title.
            var titleKey: String? = nil
            var title = ""
            let titleCandidates = options.titleField.map { [$0] } ?? ["title", "name"]
            for key in titleCandidates {
                if let value = fields[key], !Self.render(value).isEmpty {
                    titleKey = key
                    title = IngestText.collapseWhitespace(Self.render(value))
                    break
                }
            }
            if title.isEmpty { title = recordID }

            // Text blocks.
            var blocks: [Block] = []
            var presentTextFields = 0
            var titleBlock: Block? = nil
            for (position, field) in options.textFields.enumerated() {
                guard let value = fields[field] else { continue }
                let rendered = IngestText.normalizeNewlines(render(value)).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !rendered.isEmpty else { continue }
                presentTextFields += 1
                // Labels tell several fields apart; a single text field is the text itself.
                let block = Block.paragraph(options.textFields.count > 1 ? "\(labelFor(field)): \(rendered)" : rendered)
                if position == 0, field == titleKey {
                    titleBlock = block
                    continue
                }
                blocks.append(block)
            }
            if presentTextFields == 0 {
                let list = options.textFields.map { "\"\($0)\"" }.joined(separator: ", ")
                problem("\(label) has none of the text fields (\(list)), or they are all empty; skipped")
                continue
            }
            if blocks.isEmpty, let titleBlock { blocks = [titleBlock] }

            var metadata: [String: JSONValue] = [:]
            for field in options.metadataFields {
                if let value = fields[field] { metadata[field] = value }
            }
            if !recordID.isEmpty { seen[recordID] = raw.number }
            documents.append(
                ParsedDocument(
                    key: recordID, sourceURI: recordID.isEmpty ? path : "\(path)#\(recordID)", title: title, blocks: blocks,
                    metadata: metadata))
        }
        return documents
    }

    /// A field value as text: arrays of sentences joined by spaces, other arrays by ", ".
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .array(let items):
            let texts = items.map(render).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            guard !texts.isEmpty else { return "" }
            let sentences = texts.filter(endsLikeSentence).count
            let averageLength = texts.reduce(0) { $0 + $1.count } / texts.count
            if sentences > 0 && (sentences * 2 >= texts.count || averageLength > 40) {
                return texts.map { endsLikeSentence($0) ? $0 : $0 + "." }.joined(separator: " ")
            }
            return texts.joined(separator: ", ")
        default:
            return value.displayText
        }
    }

    static func endsLikeSentence(_ text: String) -> Bool {
        let trimmed = text.reversed().drop(while: { "\"'”’)]".contains($0) })
        guard let last = trimmed.first else { return false }
        return ".!?。！？…".contains(last)
    }

    /// `primaryMuscles` / `primary_muscles` / `primary-muscles` → "Primary muscles".
    static func labelFor(_ field: String) -> String {
        var words: [String] = []
        var current = ""
        let chars = Array(field)
        for (i, c) in chars.enumerated() {
            if c == "_" || c == "-" || c == " " || c == "." {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            if c.isUppercase, !current.isEmpty {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) {
                    words.append(current)
                    current = ""
                }
            }
            current.append(c)
        }
        if !current.isEmpty { words.append(current) }
        let sentence = words.map { $0.lowercased() }.joined(separator: " ")
        guard let first = sentence.first else { return field }
        return first.uppercased() + sentence.dropFirst()
    }
}
