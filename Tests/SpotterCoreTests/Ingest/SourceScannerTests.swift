import Foundation
import SpotterCore
import Testing

@Suite("Source scanner")
struct SourceScannerTests {
    @Test func walksFoldersSortedSkippingHiddenUnsupportedAndBinary() throws {
        let dir = try IngestTempDir()
        try dir.write("docs/b.md", "# B")
        try dir.write("docs/a.txt", "a")
        try dir.write("docs/sub/c.html", "<p>c</p>")
        try dir.write("docs/sub/d.jsonl", "{\"id\":1,\"text\":\"d\"}")
        try dir.write("docs/.hidden.md", "secret")
        try dir.write("docs/.git/config.md", "git")
        try dir.write("docs/image.png", Data([0x89, 0x50, 0x4E, 0x47, 0x00]))
        try dir.write("docs/Makefile", "all:")
        try dir.write("docs/blob.txt", Data([0x41, 0x00, 0x42]))
        try dir.write("docs/manual.pdf", Data([0x25, 0x50, 0x44, 0x46, 0x00]))  // PDFs may hold NULs

        let (files, skipped) = SourceScanner.scan([dir.path("docs")], format: .auto)
        #expect(files.map(\.path) == ["a.txt", "b.md", "manual.pdf", "sub/c.html", "sub/d.jsonl"].map { dir.path("docs/" + $0) })
        for file in files { #expect(file.url.path == file.path) }
        #expect(!files.contains { $0.path.contains("/.") })

        let reasons = Dictionary(uniqueKeysWithValues: skipped.map { ($0.path, $0.reason) })
        #expect(reasons.count == 5)
        // Hidden entries are mentioned once each (the hidden folder is not walked) and marked as deliberate.
        #expect(Set(skipped.filter(\.isDeliberate).map(\.path)) == [dir.path("docs/.hidden.md"), dir.path("docs/.git")])
        #expect(reasons[dir.path("docs/.git")]?.contains("hidden") == true)
        #expect(reasons[dir.path("docs/image.png")]?.contains("unsupported type") == true)
        #expect(reasons[dir.path("docs/image.png")]?.contains(".png") == true)
        #expect(reasons[dir.path("docs/Makefile")]?.contains("unsupported type") == true)
        #expect(reasons[dir.path("docs/blob.txt")]?.contains("binary file") == true)
        for skip in skipped {
            #expect(skip.description.contains(skip.path))
            #expect(skip.description.contains(skip.reason))
        }
    }

    @Test func explicitFilesAreKeptEvenHiddenAndMissingPathsAreReported() throws {
        let dir = try IngestTempDir()
        try dir.write(".notes.md", "# Hidden but named")
        try dir.write("a.md", "# A")
        let missing = dir.path("nope")
        let (files, skipped) = SourceScanner.scan([dir.path(".notes.md"), missing, dir.path("a.md"), dir.path("a.md")], format: .auto)
        #expect(files.map(\.path) == [dir.path(".notes.md"), dir.path("a.md")])
        #expect(skipped == [SkippedPath(path: missing, reason: "no such file or folder")])
        #expect(skipped[0].description.contains(missing))
        #expect(skipped[0].description.contains("no such file or folder"))
        let doc = try #require(try DocumentReader.read(files[0], options: .init()).documents.first)
        #expect(doc.title == "Hidden but named")
    }

    @Test func forcedFormatAcceptsAnyExtensionInFolders() throws {
        let dir = try IngestTempDir()
        try dir.write("logs/one.log", "line")
        try dir.write("logs/two.out", "line")
        let (files, skipped) = SourceScanner.scan([dir.path("logs")], format: .txt)
        #expect(files.count == 2)
        #expect(skipped.isEmpty)
    }

    @Test func symlinkLoopsDoNotHang() throws {
        let dir = try IngestTempDir()
        try dir.write("root/a.md", "# A")
        try dir.write("root/inner/b.md", "# B")
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: dir.path("root/inner/loop"), withDestinationPath: dir.path("root"))
        try fm.createSymbolicLink(atPath: dir.path("root/self"), withDestinationPath: dir.path("root/self"))
        try fm.createSymbolicLink(atPath: dir.path("root/alias.md"), withDestinationPath: dir.path("root/a.md"))
        let (files, skipped) = SourceScanner.scan([dir.path("root"), dir.path("root")], format: .auto)
        #expect(files.map(\.path) == [dir.path("root/a.md"), dir.path("root/inner/b.md")])
        #expect(skipped.map(\.path) == [dir.path("root/self")])
        #expect(skipped.first?.reason.contains("symbolic link") == true)
    }

    @Test func pathsAreStandardisedButStayRelative() throws {
        let dir = try IngestTempDir()
        try dir.write("d/x.md", "# X")
        let (files, _) = SourceScanner.scan([dir.path("d") + "//./"], format: .auto)
        #expect(files.map(\.path) == [dir.path("d/x.md")])
        let cwd = FileManager.default.currentDirectoryPath
        let (none, skipped) = SourceScanner.scan(["./no/such//thing.md"], format: .auto)
        #expect(none.isEmpty)
        #expect(skipped == [SkippedPath(path: "no/such/thing.md", reason: "no such file or folder")])
        #expect(FileManager.default.currentDirectoryPath == cwd)
    }
}
