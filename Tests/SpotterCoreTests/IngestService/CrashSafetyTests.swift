import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// A `spotter ingest` killed with SIGKILL mid-batch leaves a sound store with whole documents only.
@Suite("Crash safety")
struct CrashSafetyTests {
    @Test func killedIngestLeavesNoPartialDocument() async throws {
        let corpus = try TestEnvironment.temporaryDirectory("crash-corpus")
        let dataDirectory = try TestEnvironment.temporaryDirectory("crash-data")
        // 60 documents of three chunks each, so that a kill lands between chunks of one document often.
        var files: [String: String] = [:]
        var expectedText: [String: String] = [:]
        for index in 0..<60 {
            let sections = (0..<3).map { section in
                "## Part \(section)\n" + (0..<12).map { "Document \(index) part \(section) sentence \($0) about squats, rows and recovery." }.joined(separator: " ")
            }
            let text = "# Guide \(index)\n\n" + sections.joined(separator: "\n\n")
            files["guide-\(String(format: "%03d", index)).md"] = text
            expectedText["guide-\(String(format: "%03d", index)).md"] = text
        }
        try TestEnvironment.write(files, under: corpus)

        let process = Process()
        process.executableURL = TestEnvironment.spotterBinary
        process.arguments = ["ingest", corpus.path, "--kb", "crash", "--json", "--batch-size", "3",
                             "--data-dir", dataDirectory.path, "--model-dir", TestEnvironment.modelDirectory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Wait until some documents are committed, then kill without warning.
        var stored = 0
        var buffer = Data()
        let deadline = Date().addingTimeInterval(300)
        while stored < 8, Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            buffer.append(data)
            stored = String(decoding: buffer, as: UTF8.self).components(separatedBy: "\"event\":\"document\"").count - 1
        }
        #expect(stored >= 8, "the child stopped before storing documents")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let store = try SQLiteStore(directory: dataDirectory)
        #expect(try store.integrityProblems().isEmpty)
        let kb = try #require(try store.knowledgeBase(named: "crash", create: false))
        let documents = try store.documents(in: kb)
        #expect(documents.count >= 8)
        #expect(documents.count < 60, "the batch finished before the kill; the test proved nothing")

        // Every stored document is whole: re-ingesting it from scratch gives the same chunks.
        let reference = Chunker(options: ChunkingOptions(), tokenCount: { try! TestEnvironment.embedder().tokenCount($0) })
        let embedder = try TestEnvironment.embedder()
        let vectors = try store.embeddings(in: kb, modelID: embedder.modelID, modelVersion: embedder.modelVersion)
        let vectorCount = Dictionary(grouping: vectors, by: \.documentID).mapValues(\.count)
        for document in documents {
            let name = URL(fileURLWithPath: document.sourceURI).lastPathComponent
            let parsed = try DocumentReader.read(URL(fileURLWithPath: document.sourceURI), options: ReaderOptions()).documents
            let expected = reference.chunk(try #require(parsed.first)).count
            #expect(document.chunkCount == expected, "\(name) has \(document.chunkCount) of \(expected) chunks")
            #expect(vectorCount[document.id] == expected, "\(name) lacks embeddings")
            #expect(document.contentSHA256 == IngestService.contentHash(of: parsed[0]))
        }
        // And the interrupted batch can simply be run again.
        let resumed = try await Spotter(configuration: TestEnvironment.configuration(dataDirectory: dataDirectory), embedder: embedder)
            .ingest.ingest(paths: [corpus.path], options: IngestOptions(knowledgeBase: "crash"))
        #expect(resumed.unchanged == documents.count)
        #expect(resumed.added == 60 - documents.count)
    }
}
