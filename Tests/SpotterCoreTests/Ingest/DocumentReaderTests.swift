import Foundation
import SpotterCore
import Testing

@Suite("Document readers")
struct DocumentReaderTests {
    typealias H = IngestTestHelpers

    // MARK: - Markdown

    @Test func markdownFrontMatterFencesHeadingsAndInlineMarkup() throws {
        let dir = try IngestTempDir()
        let file = try dir.write(
            "guide.md",
            """
            ---
            title: "Squat guide"
            level: beginner
            tags: [legs, strength]
            ---
            # Squats

            The **squat** is a [compound lift](https://example.com/squat) ![diagram](img.png) for `legs`.
            It uses snake_case_names and 2*3 sets.

            ## Setup
            Text right under the heading.

            ```swift
            # not a heading

            let reps = 5
            ```

            - feet shoulder width
            - brace *hard*

            Depth
            -----

            Break parallel.
            """)
        let docs = H.documents(file)
        #expect(docs.count == 1)
        let doc = try #require(docs.first)
        #expect(doc.title == "Squat guide")
        #expect(doc.key == "")
        #expect(doc.sourceURI == file.path)
        #expect(doc.metadata["level"] == .string("beginner"))
        #expect(doc.metadata["tags"] == .array([.string("legs"), .string("strength")]))
        #expect(doc.blocks == [
            .heading("Squats", level: 1),
            .paragraph("The squat is a compound lift  for legs.\nIt uses snake_case_names and 2*3 sets."),
            .heading("Setup", level: 2),
            .paragraph("Text right under the heading."),
            .paragraph("# not a heading\n\nlet reps = 5"),
            .paragraph("- feet shoulder width\n- brace hard"),
            .heading("Depth", level: 2),
            .paragraph("Break parallel."),
        ])
        #expect(doc.text.hasPrefix("Squats\n\nThe squat is"))
    }

    @Test func markdownTitleFallsBackToH1ThenFileName() throws {
        let dir = try IngestTempDir()
        let withH1 = try dir.write("a.md", "intro\n\n# Real title\n\nbody ##\n")
        #expect(H.documents(withH1).first?.title == "Real title")
        let without = try dir.write("notes-on-rest.markdown", "## Only h2\n\nbody\n")
        #expect(H.documents(without).first?.title == "notes-on-rest")
    }

    @Test func markdownUnclosedFenceAndUnclosedFrontMatter() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("odd.md", "---\nnot front matter\n\n# Head\n\n```\ncode # x\n\nmore code")
        let doc = try #require(H.documents(file).first)
        #expect(doc.metadata.isEmpty)
        #expect(doc.blocks.last == .paragraph("code # x\n\nmore code"))
        #expect(doc.blocks.contains(.heading("Head", level: 1)))
    }

    @Test func crlfIsNormalised() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("win.md", "# Title\r\n\r\nLine one\r\nline two\r\n\r\nSecond\rpara\r\n")
        let doc = try #require(H.documents(file).first)
        #expect(!doc.text.contains("\r"))
        #expect(doc.blocks == [.heading("Title", level: 1), .paragraph("Line one\nline two"), .paragraph("Second\npara")])
        H.checkChunks(doc)
    }

    // MARK: - Plain text

    @Test func plainTextParagraphs() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("notes.txt", "\u{FEFF}First para\nstill first   \n   \n\n\nSecond # not heading\n")
        let doc = try #require(H.documents(file).first)
        #expect(doc.title == "notes")
        #expect(doc.blocks == [.paragraph("First para\nstill first"), .paragraph("Second # not heading")])
    }

    // MARK: - HTML

    @Test func htmlDropsChromeAndKeepsHeadings() throws {
        let dir = try IngestTempDir()
        let file = try dir.write(
            "page.html",
            """
            <!DOCTYPE html>
            <html><head><title>Deadlift &amp; Friends</title>
            <style>body { color: red; }</style>
            <script>var x = "<p>not text</p>";</script></head>
            <body>
            <header><div class="logo">Site Logo</div></header>
            <nav><ul><li>Home</li><li>About</li></ul></nav>
            <!-- a comment -->
            <main>
            <article><header><h1>The   Deadlift</h1></header>
            <p>Hinge at the hips&nbsp;&mdash; keep a <b>neutral</b>
               spine. &#8220;Brace&#x201D; &lt;hard&gt; &unknown; AT&T</p>
            <h2>Cues</h2>
            <ul><li>Push the floor</li><li>Lock out</li></ul>
            <pre>line 1
              line 2</pre>
            <noscript>Enable JS</noscript>
            <table><tr><td>Sets</td><td>5</td></tr></table>
            First<br>Second
            </article>
            <aside>Related posts</aside>
            </main>
            <footer>© 2024</footer>
            </body></html>
            """)
        let doc = try #require(H.documents(file).first)
        #expect(doc.title == "Deadlift & Friends")
        #expect(doc.blocks == [
            .heading("The Deadlift", level: 1),
            .paragraph("Hinge at the hips — keep a neutral spine. “Brace” <hard> &unknown; AT&T"),
            .heading("Cues", level: 2),
            .paragraph("Push the floor"),
            .paragraph("Lock out"),
            .paragraph("line 1\n  line 2"),
            .paragraph("Sets"),
            .paragraph("5"),
            .paragraph("First"),
            .paragraph("Second"),
        ])
        for dropped in ["Site Logo", "Home", "not text", "color", "comment", "Enable JS", "Related", "2024"] {
            #expect(!doc.text.contains(dropped), "\(dropped) should be dropped")
        }
    }

    @Test func malformedHTMLIsTolerated() throws {
        let dir = try IngestTempDir()
        let file = try dir.write(
            "bad.htm",
            """
            <h1>Unclosed heading
            <p>First para with a stray < sign and 3 <4 comparisons
            <div class="x>Broken attr</div>
            <p>Second <b>bold <i>nested</p>
            <nav>never closed nav
            <p>After the nav.
            <p>&#0; &#xFFFFFF; &#65 &#x41;
            <span
            """)
        let result = try DocumentReader.read(file, options: .init())
        let doc = try #require(result.documents.first)
        #expect(doc.title == "Unclosed heading")
        #expect(doc.blocks.first == .heading("Unclosed heading", level: 1))
        #expect(doc.blocks.filter(\.isHeading).count == 1)
        #expect(doc.text.contains("stray < sign and 3 <4 comparisons"))
        #expect(doc.text.contains("Second bold nested"))
        #expect(doc.text.contains("After the nav."))
        #expect(doc.text.contains("\u{FFFD} \u{FFFD} A A"))
        H.checkChunks(doc)
    }

    @Test func htmlWithoutTitleUsesH1ThenFileName() throws {
        let dir = try IngestTempDir()
        #expect(H.documents(try dir.write("x.html", "<h2>Sub</h2><h1>Main</h1><p>t</p>")).first?.title == "Main")
        #expect(H.documents(try dir.write("y.html", "<p>just text</p>")).first?.title == "y")
        #expect(H.readError(try dir.write("z.html", "<script>only()</script>")) == nil)
    }

    // MARK: - JSON / JSONL

    static let exerciseOptions = ReaderOptions(
        records: RecordFieldOptions(
            idField: "id",
            textFields: ["name", "category", "level", "equipment", "primaryMuscles", "secondaryMuscles", "force", "mechanic", "instructions"],
            titleField: "name",
            metadataFields: ["category", "level", "equipment", "primaryMuscles", "secondaryMuscles", "force", "mechanic"]))

    @Test func jsonArrayGivesOneDocumentPerRecord() throws {
        let dir = try IngestTempDir()
        let file = try dir.write(
            "ex.json",
            """
            [
              {"id": "swing", "name": "Kettlebell Swing", "equipment": "kettlebells", "primaryMuscles": ["hamstrings"],
               "secondaryMuscles": ["glutes", "lower back"], "mechanic": null, "category": "strength",
               "instructions": ["Hinge at the hips.", "Snap the hips forward!", "Let it float"]},
              {"id": 42, "name": "Plank", "level": "beginner", "secondaryMuscles": [], "instructions": "Hold it."}
            ]
            """)
        let result = try DocumentReader.read(file, options: Self.exerciseOptions)
        #expect(result.problems.isEmpty)
        #expect(result.documents.count == 2)
        let swing = result.documents[0]
        #expect(swing.key == "swing")
        #expect(swing.sourceURI == file.path + "#swing")
        #expect(swing.title == "Kettlebell Swing")
        #expect(swing.blocks == [
            .paragraph("Category: strength"),
            .paragraph("Equipment: kettlebells"),
            .paragraph("Primary muscles: hamstrings"),
            .paragraph("Secondary muscles: glutes, lower back"),
            .paragraph("Instructions: Hinge at the hips. Snap the hips forward! Let it float."),
        ])
        #expect(swing.metadata["equipment"] == .string("kettlebells"))
        #expect(swing.metadata["primaryMuscles"] == .array([.string("hamstrings")]))
        #expect(swing.metadata["mechanic"] == .null)
        #expect(swing.metadata["level"] == nil)
        let plank = result.documents[1]
        #expect(plank.key == "42")
        #expect(plank.sourceURI == file.path + "#42")
        #expect(plank.blocks == [.paragraph("Level: beginner"), .paragraph("Instructions: Hold it.")])
    }

    @Test func jsonDefaultFieldsAndTitleFallbacks() throws {
        let dir = try IngestTempDir()
        let file = try dir.write(
            "notes.json", #"[{"id":"a","title":"Alpha","text":"Body A"},{"id":"b","name":"Beta","text":"Body B"},{"id":"c","text":"Body C"}]"#)
        let docs = H.documents(file)
        #expect(docs.map(\.title) == ["Alpha", "Beta", "c"])
        #expect(docs.map(\.text) == ["Body A", "Body B", "Body C"])  // one text field: no label
    }

    @Test func jsonSingleObjectAndWrappedArray() throws {
        let dir = try IngestTempDir()
        let single = try dir.write("one.json", #"{"title": "Solo", "text": "Only one."}"#)
        let doc = try #require(H.documents(single).first)
        #expect(doc.key == "")
        #expect(doc.sourceURI == single.path)
        #expect(doc.title == "Solo")
        let wrapped = try dir.write("wrapped.json", #"{"records": [{"id": 1, "text": "x"}, {"id": 2, "text": "y"}], "version": 3}"#)
        #expect(H.documents(wrapped).map(\.key) == ["1", "2"])
    }

    @Test func jsonStringEscapesAreDecodedAndBrokenOnesNamed() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("esc.json", #"{"title": "Say \"quotes\" \u00e9 \ud83d\udcaa", "text": "lone \ud83d then \udcaa, slash \/"}"#)
        let doc = try #require(H.documents(file).first)
        #expect(doc.title == "Say \"quotes\" é 💪")
        // A surrogate without its other half is kept readable as U+FFFD.
        #expect(doc.text == "lone \u{FFFD} then \u{FFFD}, slash /")
        for (name, body, expected) in [("bad-escape.json", #"{"text": "a\qb"}"#, "invalid escape `\\q`"),
                                       ("bad-hex.json", #"{"text": "a\u12G4"}"#, "invalid \\u escape `\\u12G4`")] {
            guard case .malformedJSON(_, let line, let detail)? = H.readError(try dir.write(name, body)) else {
                Issue.record("expected malformedJSON for \(name)")
                continue
            }
            #expect(line == 1)
            #expect(detail.contains(expected), "\(detail)")
        }
    }

    @Test func malformedJSONReportsTheLine() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("bad.json", "[\n  {\"id\": \"a\", \"text\": \"x\"},\n  {\"id\": \"b\" \"text\": \"y\"}\n]\n")
        let error = try #require(H.readError(file))
        guard case .malformedJSON(let path, let line, _) = error else {
            Issue.record("expected malformedJSON, got \(error)")
            return
        }
        #expect(path == file.path)
        #expect(line == 3)
        #expect(error.description.contains(file.path))
        #expect(error.description.contains(":3:"))
        #expect(error.description.contains("malformed JSON"))
        let truncated = try dir.write("trunc.json", "[\n{\"id\": \"a\",\n")
        if case .malformedJSON(_, let l, let detail)? = H.readError(truncated) {
            #expect(l == 3)
            #expect(detail.contains("end of the input") || detail.contains("not closed"))
        } else {
            Issue.record("expected malformedJSON")
        }
    }

    @Test func jsonlWithAMalformedLineKeepsTheOthers() throws {
        let dir = try IngestTempDir()
        let file = try dir.write(
            "data.jsonl",
            """
            {"id": "a", "text": "first"}

            {"id": "b", "text": "second"
            {"id": "c", "text": "third"}
            [1, 2]
            """)
        let result = try DocumentReader.read(file, options: .init())
        #expect(result.documents.map(\.key) == ["a", "c"])
        #expect(result.problems.count == 2)
        #expect(result.problems[0].line == 3)
        #expect(result.problems[0].path == file.path)
        #expect(result.problems[0].reason.contains("malformed JSON"))
        #expect(result.problems[0].description.hasPrefix("\(file.path):3: "))
        #expect(result.problems[1].line == 5)
        #expect(result.problems[1].reason.contains("not a JSON object"))
    }

    @Test func missingIdAndTextFieldsAreProblems() throws {
        let dir = try IngestTempDir()
        let file = try dir.write(
            "recs.jsonl",
            """
            {"text": "no id"}
            {"id": "t1", "body": "wrong field"}
            {"id": true, "text": "bad id"}
            {"id": "ok", "text": "fine"}
            {"id": "empty", "text": "   "}
            """)
        let result = try DocumentReader.read(file, options: .init())
        #expect(result.documents.map(\.key) == ["ok"])
        #expect(result.problems.map(\.line) == [1, 2, 3, 5])
        #expect(result.problems[0].reason.contains("record 1"))
        #expect(result.problems[0].reason.contains("\"id\""))
        #expect(result.problems[1].reason.contains("\"t1\""))
        #expect(result.problems[1].reason.contains("\"text\""))
        #expect(result.problems[2].reason.contains("id field"))
        for problem in result.problems { #expect(problem.description.contains(file.path)) }
    }

    @Test func duplicateIdsAreProblemsForTheLaterRecords() throws {
        let dir = try IngestTempDir()
        let file = try dir.write(
            "dups.json", "[\n{\"id\": \"x\", \"text\": \"one\"},\n{\"id\": \"y\", \"text\": \"two\"},\n{\"id\": \"x\", \"text\": \"three\"}\n]")
        let result = try DocumentReader.read(file, options: .init())
        #expect(result.documents.map(\.text) == ["one", "two"])
        #expect(result.problems.count == 1)
        #expect(result.problems[0].line == 4)
        #expect(result.problems[0].reason.contains("record 3"))
        #expect(result.problems[0].reason.contains("\"x\""))
        #expect(result.problems[0].reason.contains("repeats"))
    }

    @Test func emptyArrayIsNoRecords() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("none.json", "[ ]")
        let error = H.readError(file)
        #expect(error == .noRecords(path: file.path))
        #expect(error?.description.contains(file.path) == true)
    }

    @Test func fieldLabels() {
        // Exercised through a record: camelCase, snake_case and acronyms become sentence-case labels.
        let dir = try? IngestTempDir()
        guard let dir, let file = try? dir.write("labels.json", #"[{"id": 1, "primaryMuscles": "a", "rest_time_sec": 90, "maxHRZone": "b"}]"#) else {
            Issue.record("could not write")
            return
        }
        let options = ReaderOptions(records: RecordFieldOptions(textFields: ["primaryMuscles", "rest_time_sec", "maxHRZone"]))
        #expect(H.documents(file, options).first?.blocks == [
            .paragraph("Primary muscles: a"), .paragraph("Rest time sec: 90"), .paragraph("Max hr zone: b"),
        ])
    }

    @Test func demoExercisesReadSensibly() throws {
        let url = URL(fileURLWithPath: "/work/shared/data/fitness/exercises.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let result = try DocumentReader.read(url, options: Self.exerciseOptions)
        #expect(result.problems.isEmpty)
        #expect(result.documents.count > 800)
        let texts = result.documents.map(\.text)
        #expect(texts.contains { $0.contains("Equipment: kettlebells") })
        #expect(texts.contains { $0.contains("Primary muscles: hamstrings") })
        #expect(!texts.contains { $0.contains("Name: ") })
        let situp = try #require(result.documents.first { $0.key == "3_4_Sit-Up" })
        #expect(situp.title == "3/4 Sit-Up")
        #expect(situp.sourceURI == url.path + "#3_4_Sit-Up")
        #expect(situp.metadata["level"] == .string("beginner"))
        #expect(situp.blocks.last?.text.hasPrefix("Instructions: Lie down on the floor") == true)
        let chunker = Chunker(tokenCount: IngestTestTokens.count)
        var total = 0
        for document in result.documents {
            let chunks = chunker.chunk(document)
            #expect(!chunks.isEmpty)
            #expect(chunks.allSatisfy { $0.tokenCount <= 254 })
            total += chunks.count
        }
        #expect(total >= result.documents.count)
    }

    // MARK: - Whole-file failures

    @Test func invalidUTF8IsRefused() throws {
        let dir = try IngestTempDir()
        var bytes = Data("line one\nline two caf".utf8)
        bytes.append(0xE9)  // Latin-1 é
        bytes.append(contentsOf: Data(" au lait\n".utf8))
        let file = try dir.write("latin1.txt", bytes)
        let error = try #require(H.readError(file))
        #expect(error == .notUTF8(path: file.path, line: 2, byteOffset: 21))
        #expect(error.description.contains(file.path))
        #expect(error.description.contains("UTF-8"))
        #expect(error.description.contains("line 2"))
    }

    @Test func binaryFileIsRefused() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("blob.md", Data([0x23, 0x20, 0x41, 0x00, 0x01, 0x02, 0xFF]))
        let error = try #require(H.readError(file))
        #expect(error == .binary(path: file.path))
        #expect(error.description.contains(file.path))
        #expect(error.description.contains("binary"))
    }

    @Test func emptyAndWhitespaceFilesAreRefused() throws {
        let dir = try IngestTempDir()
        for (name, content) in [("empty.md", ""), ("blank.txt", " \n\t\r\n  "), ("blank.json", "\n\n"), ("zero.pdf", "")] {
            let file = try dir.write(name, content)
            let error = try #require(H.readError(file))
            #expect(error == .empty(path: file.path))
            #expect(error.description.contains(file.path))
            #expect(error.description.contains("empty"))
        }
    }

    @Test func oversizeFileIsRefusedBeforeReading() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("big.txt", String(repeating: "lift heavy things\n", count: 100))
        let error = try #require(H.readError(file, ReaderOptions(maxFileBytes: 1000)))
        #expect(error == .tooLarge(path: file.path, bytes: 1800, limit: 1000))
        #expect(error.description.contains(file.path))
        #expect(error.description.contains("--max-file-size"))
        #expect(error.description.contains("too large"))
        #expect(H.readError(file, ReaderOptions(maxFileBytes: 1800)) == nil)
    }

    @Test func unsupportedExtensionIsRefused() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("photo.PNG2", "text")
        let error = try #require(H.readError(file))
        #expect(error == .unsupportedType(path: file.path, ext: "png2"))
        #expect(error.description.contains(file.path))
        #expect(error.description.contains(".png2"))
        #expect(error.description.contains(".md"))
        #expect(error.description.contains(".pdf"))
        // A forced format reads it anyway.
        #expect(H.documents(file, ReaderOptions(format: .txt)).first?.text == "text")
        let noExt = try dir.write("README", "hello")
        #expect(H.readError(noExt)?.description.contains("no file extension") == true)
    }

    @Test func missingFileAndFolderAreUnreadable() throws {
        let dir = try IngestTempDir()
        let missing = dir.url.appendingPathComponent("gone.md")
        let error = try #require(H.readError(missing))
        guard case .unreadable(let path, let reason) = error else {
            Issue.record("expected unreadable, got \(error)")
            return
        }
        #expect(path == missing.path)
        #expect(reason.contains("no such file"))
        #expect(error.description.contains(missing.path))
        let folder = dir.url.appendingPathComponent("folder.md")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        #expect(H.readError(folder)?.description.contains("folder") == true)
    }

    @Test func unreadableFileReportsPermission() throws {
        guard getuid() != 0 else { return }  // root can read anything
        let dir = try IngestTempDir()
        let file = try dir.write("secret.md", "# hidden")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: file.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path) }
        let error = try #require(H.readError(file))
        #expect(error == .unreadable(path: file.path, reason: "permission denied"))
        #expect(error.description.contains(file.path))
    }

    @Test func relativePathsStayRelativeAndStandardised() throws {
        let dir = try IngestTempDir()
        try dir.write("sub/a.md", "# A\n\ntext")
        let previous = FileManager.default.currentDirectoryPath
        // Read through a relative URL (as the CLI would build from `spotter ingest ./sub//a.md`).
        let url = URL(fileURLWithPath: "./sub//a.md", relativeTo: URL(fileURLWithPath: dir.url.path, isDirectory: true))
        let doc = try #require(H.documents(url).first)
        #expect(doc.sourceURI == "sub/a.md")
        #expect(FileManager.default.currentDirectoryPath == previous)
    }

    // MARK: - PDF

    @Test func pdfIsReadWithPdftotext() throws {
        let installed = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext", "/opt/homebrew/bin/pdftotext"]
            .contains { FileManager.default.isExecutableFile(atPath: $0) }
        guard installed else { return }
        let dir = try IngestTempDir()
        let file = try dir.write(
            "guide.pdf",
            H.minimalPDF(pages: [["Squat Guide", "Keep your back straight."], ["Page two text about deadlifts."]]))
        let result = try DocumentReader.read(file, options: .init())
        let doc = try #require(result.documents.first)
        #expect(doc.title == "Squat Guide")
        #expect(doc.sourceURI == file.path)
        #expect(doc.text.contains("Keep your back straight."))
        #expect(doc.text.contains("Page two text about deadlifts."))
        #expect(doc.metadata["pages"] == .number(2))
        H.checkChunks(doc)
    }

    @Test func brokenPDFFails() throws {
        let dir = try IngestTempDir()
        let file = try dir.write("broken.pdf", "this is not a pdf at all")
        let error = try #require(H.readError(file))
        switch error {
        case .pdfFailed(let path, _):
            #expect(path == file.path)
            #expect(error.description.contains(file.path))
        case .pdftotextMissing(let path):
            #expect(path == file.path)
            #expect(error.description.contains("apt-get install -y poppler-utils"))
        default:
            Issue.record("unexpected \(error)")
        }
    }

    @Test func errorMessagesNameThePathAndTheFix() {
        let path = "docs/x.pdf"
        let all: [ReadError] = [
            .unreadable(path: path, reason: "permission denied"), .empty(path: path), .binary(path: path),
            .notUTF8(path: path, line: 3, byteOffset: 10), .tooLarge(path: path, bytes: 60_000_000, limit: 52_428_800),
            .unsupportedType(path: path, ext: "doc"), .malformedJSON(path: path, line: 7, detail: "expected `,`"),
            .pdftotextMissing(path: path), .pdfFailed(path: path, detail: "exit 1"), .noRecords(path: path),
        ]
        for error in all {
            #expect(error.description.contains(path), "\(error)")
            #expect(error.path == path)
        }
        #expect(ReadError.pdftotextMissing(path: path).description.contains("apt-get install -y poppler-utils"))
        #expect(ReadError.tooLarge(path: path, bytes: 60_000_000, limit: 52_428_800).description.contains("57.2 MB"))
    }
}
