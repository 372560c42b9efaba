import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

@Suite("SQLite store")
struct SQLiteStoreTests {
    private func chunk(_ ordinal: Int, _ text: String, vector: [Float] = [1, 0, 0]) -> NewChunk {
        NewChunk(ordinal: ordinal, text: text, contextualText: text, headingPath: ["Section"], tokenCount: 3,
                 startOffset: 0, endOffset: text.count, embedding: vector, modelID: "test-model", modelVersion: "v1")
    }

    @Test func replacingADocumentSwapsAllItsChunksAndKeepsItsID() throws {
        let directory = try TestEnvironment.temporaryDirectory()
        let store = try SQLiteStore(directory: directory)
        let kb = try #require(try store.knowledgeBase(named: "kb", create: true))
        let document = NewDocument(sourceURI: "/docs/a.md", title: "A", contentSHA256: "hash1", metadata: ["level": .string("beginner")])
        let firstID = try store.replaceDocument(document, chunks: [chunk(0, "squat depth"), chunk(1, "bench press")], in: kb)
        #expect(try store.documents(in: kb).map(\.chunkCount) == [2])

        var changed = document
        changed.contentSHA256 = "hash2"
        let secondID = try store.replaceDocument(changed, chunks: [chunk(0, "deadlift hinge")], in: kb)
        #expect(firstID == secondID)
        let listed = try store.documents(in: kb)
        #expect(listed.count == 1)
        #expect(listed[0].chunkCount == 1)
        #expect(listed[0].contentSHA256 == "hash2")
        #expect(listed[0].metadata["level"] == .string("beginner"))
        // The keyword index follows: the old chunk's words are gone, the new ones are found.
        #expect(try store.keywordSearch("\"squat\"", in: kb, documentIDs: nil, limit: 10).isEmpty)
        #expect(try store.keywordSearch("\"deadlift\"", in: kb, documentIDs: nil, limit: 10).count == 1)
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test func deletingADocumentRemovesChunksEmbeddingsAndKeywordEntries() throws {
        let store = try SQLiteStore(directory: try TestEnvironment.temporaryDirectory())
        let kb = try #require(try store.knowledgeBase(named: "kb", create: true))
        let id = try store.replaceDocument(NewDocument(sourceURI: "s", title: "T", contentSHA256: "h", metadata: [:]),
                                           chunks: [chunk(0, "kettlebell swing")], in: kb)
        let before = try store.generation(of: kb)
        #expect(try store.deleteDocument(id: id))
        #expect(try store.generation(of: kb) > before)
        #expect(try !store.deleteDocument(id: id))
        #expect(try store.documents(in: kb).isEmpty)
        #expect(try store.embeddings(in: kb, modelID: "test-model", modelVersion: "v1").isEmpty)
        #expect(try store.keywordSearch("\"kettlebell\"", in: kb, documentIDs: nil, limit: 10).isEmpty)
    }

    @Test func embeddingsRoundTripExactlyAndAreScopedByModelVersion() throws {
        let store = try SQLiteStore(directory: try TestEnvironment.temporaryDirectory())
        let kb = try #require(try store.knowledgeBase(named: "kb", create: true))
        let vector: [Float] = [0.25, -1.5, .leastNonzeroMagnitude, 3.0e-8]
        try store.replaceDocument(NewDocument(sourceURI: "s", title: "T", contentSHA256: "h", metadata: [:]),
                                  chunks: [chunk(0, "text", vector: vector)], in: kb)
        #expect(try store.embeddings(in: kb, modelID: "test-model", modelVersion: "v1").map(\.vector) == [vector])
        #expect(try store.embeddings(in: kb, modelID: "test-model", modelVersion: "v2").isEmpty)
    }

    @Test func knowledgeBasesAreSeparate() throws {
        let store = try SQLiteStore(directory: try TestEnvironment.temporaryDirectory())
        let first = try #require(try store.knowledgeBase(named: "one", create: true))
        let second = try #require(try store.knowledgeBase(named: "two", create: true))
        try store.replaceDocument(NewDocument(sourceURI: "s", title: "T", contentSHA256: "h", metadata: [:]),
                                  chunks: [chunk(0, "rowing machine")], in: first)
        #expect(try store.keywordSearch("\"rowing\"", in: second, documentIDs: nil, limit: 10).isEmpty)
        #expect(try store.knowledgeBase(named: "three", create: false) == nil)
        #expect(try store.knowledgeBases().map(\.name) == ["one", "two"])
    }

    @Test func storeUsesWALAndReopensWithItsData() throws {
        let directory = try TestEnvironment.temporaryDirectory()
        do {
            let store = try SQLiteStore(directory: directory)
            let kb = try #require(try store.knowledgeBase(named: "kb", create: true))
            try store.replaceDocument(NewDocument(sourceURI: "s", title: "T", contentSHA256: "h", metadata: [:]),
                                      chunks: [chunk(0, "plank")], in: kb)
        }
        let reopened = try SQLiteStore(directory: directory)
        let kb = try #require(try reopened.knowledgeBase(named: "kb", create: false))
        #expect(try reopened.documents(in: kb).count == 1)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("spotter.sqlite-wal").path))
    }

    @Test func unwritableDataDirectoryGivesAnActionableError() throws {
        let file = try TestEnvironment.temporaryDirectory().appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: file)
        #expect {
            _ = try SQLiteStore(directory: file)
        } throws: { error in
            "\(error)".contains("SPOTTER_DATA_DIR")
        }
    }
}
