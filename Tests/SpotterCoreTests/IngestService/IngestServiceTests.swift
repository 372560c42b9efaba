import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// Ingest through the real reader, chunker, MiniLM embedder and SQLite store.
@Suite("Ingest service")
struct IngestServiceTests {
    static let guides = [
        "guides/squat.md": """
            # Squat basics

            ## Depth
            Squat until the hip crease is below the knee if your mobility allows it. Keep the heels down.

            ## Breathing
            Take a deep breath and brace before each repetition.
            """,
        "guides/protein.md": """
            # Protein

            Most active adults do well with 1.4 to 2.0 grams of protein per kilogram of body weight per day.
            """,
        "notes/rest.txt": "Rest two to three minutes between heavy sets of squats or deadlifts.",
    ]

    @Test func reingestOfUnchangedFolderEmbedsNothing() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        let folder = try TestEnvironment.temporaryDirectory("corpus")
        try TestEnvironment.write(Self.guides, under: folder)
        try TestEnvironment.write([".draft.md": "# Not ready"], under: folder)
        let options = IngestOptions(knowledgeBase: "kb")

        let first = try await spotter.ingest.ingest(paths: [folder.path], options: options)
        #expect(first.added == 3)
        #expect(first.chunksEmbedded >= 3)
        // The hidden draft is mentioned but is not a failure.
        #expect(first.ignored.map(\.path) == [folder.appendingPathComponent(".draft.md").path])
        #expect(first.isClean)

        let second = try await spotter.ingest.ingest(paths: [folder.path], options: options)
        #expect(second.added == 0)
        #expect(second.updated == 0)
        #expect(second.unchanged == 3)
        #expect(second.chunksEmbedded == 0)
    }

    @Test func changedFileReplacesExactlyItsChunks() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        let folder = try TestEnvironment.temporaryDirectory("corpus")
        try TestEnvironment.write(Self.guides, under: folder)
        let options = IngestOptions(knowledgeBase: "kb")
        _ = try await spotter.ingest.ingest(paths: [folder.path], options: options)
        let kb = try #require(try spotter.store.knowledgeBase(named: "kb", create: false))
        let before = Dictionary(uniqueKeysWithValues: try spotter.store.documents(in: kb).map { ($0.sourceURI, $0) })

        try TestEnvironment.write(["notes/rest.txt": "Rest one to two minutes between light sets of lunges."], under: folder)
        let summary = try await spotter.ingest.ingest(paths: [folder.path], options: options)
        #expect(summary.updated == 1)
        #expect(summary.unchanged == 2)

        let after = Dictionary(uniqueKeysWithValues: try spotter.store.documents(in: kb).map { ($0.sourceURI, $0) })
        #expect(after.count == 3)
        let restPath = try #require(after.keys.first { $0.hasSuffix("rest.txt") })
        #expect(after[restPath]!.contentSHA256 != before[restPath]!.contentSHA256)
        #expect(after[restPath]!.id == before[restPath]!.id)
        for (source, document) in after where source != restPath {
            #expect(document == before[source], "unchanged document \(source) was touched")
        }
        let lunges = try spotter.store.keywordSearch("\"lunges\"", in: kb, documentIDs: nil, limit: 5)
        #expect(lunges.map(\.documentID) == [after[restPath]!.id])
        #expect(try spotter.store.keywordSearch("\"deadlifts\"", in: kb, documentIDs: nil, limit: 5).isEmpty)
    }

    @Test func everyStoredChunkFitsTheModelAndCarriesItsHeadingPath() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        let folder = try TestEnvironment.temporaryDirectory("corpus")
        let longSection = (1...120).map { "Sentence \($0) explains progressive overload, rest and recovery in practical terms." }.joined(separator: " ")
        try TestEnvironment.write(["long.md": "# Long guide\n\n## Overload\n\(longSection)\n"], under: folder)
        _ = try await spotter.ingest.ingest(paths: [folder.path], options: IngestOptions(knowledgeBase: "kb"))
        let kb = try #require(try spotter.store.knowledgeBase(named: "kb", create: false))
        let document = try #require(try spotter.store.documents(in: kb).first)
        #expect(document.chunkCount > 3)
        let embeddings = try spotter.store.embeddings(in: kb, modelID: spotter.embedder.modelID, modelVersion: spotter.embedder.modelVersion)
        let chunks = try spotter.store.chunks(ids: embeddings.map(\.chunkID))
        #expect(chunks.count == document.chunkCount)
        for chunk in chunks {
            #expect(chunk.headingPath.last == "Overload")
            #expect(chunk.tokenCount + 2 <= spotter.embedder.maxSequenceLength)
        }
    }

    @Test func badFilesAreReportedByPathAndTheRestIsStored() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        let folder = try TestEnvironment.temporaryDirectory("corpus")
        try TestEnvironment.write([
            "good.md": "# Good\n\nA goblet squat keeps the torso upright.",
            "empty.txt": "",
            "records.jsonl": "{\"id\": \"1\", \"text\": \"Plank for thirty seconds.\"}\n{not json\n{\"text\": \"no id here\"}\n",
        ], under: folder)
        try Data([0x66, 0x6f, 0xff, 0xfe, 0x6f]).write(to: folder.appendingPathComponent("latin1.txt"))
        let summary = try await spotter.ingest.ingest(paths: [folder.path, folder.appendingPathComponent("missing.md").path],
                                                      options: IngestOptions(knowledgeBase: "kb"))
        #expect(summary.added == 2)  // good.md and record 1
        #expect(!summary.isClean)
        let messages = summary.skipped.map(\.description)
        #expect(messages.contains { $0.contains("empty.txt") })
        #expect(messages.contains { $0.contains("latin1.txt") && $0.lowercased().contains("utf-8") })
        #expect(messages.contains { $0.contains("records.jsonl:2") })
        #expect(messages.contains { $0.contains("records.jsonl") && $0.contains("id") && !$0.contains(":2") })
        #expect(messages.contains { $0.contains("missing.md") })
        let kb = try #require(try spotter.store.knowledgeBase(named: "kb", create: false))
        #expect(try spotter.store.documents(in: kb).count == 2)
        #expect(try spotter.store.integrityProblems().isEmpty)
    }

    @Test func invalidKnowledgeBaseNameIsRejectedBeforeAnythingIsWritten() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        await #expect(throws: IngestError.self) {
            _ = try await spotter.ingest.ingest(paths: ["/nonexistent"], options: IngestOptions(knowledgeBase: "../etc"))
        }
        #expect(try spotter.store.knowledgeBases().isEmpty)
    }
}
