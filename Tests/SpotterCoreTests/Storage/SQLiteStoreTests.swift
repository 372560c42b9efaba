import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// What only the SQLite backend promises (WAL files, its error for an unusable folder); what every backend must do
/// is in ``StoreConformanceTests``.
@Suite("SQLite store")
struct SQLiteStoreTests {
    private func chunk(_ ordinal: Int, _ text: String, vector: [Float] = [1, 0, 0]) -> NewChunk {
        NewChunk(ordinal: ordinal, text: text, contextualText: text, headingPath: ["Section"], tokenCount: 3,
                 startOffset: 0, endOffset: text.count, embedding: vector, modelID: "test-model", modelVersion: "v1")
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
