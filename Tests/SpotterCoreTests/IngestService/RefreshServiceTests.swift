import Foundation
import SpotterCore
import SpotterTestSupport
import Synchronization
import Testing

/// `RefreshService`: every source read again with the options it was ingested with, through the real reader,
/// embedder, SQLite store and dense index.
@Suite("Refresh")
struct RefreshServiceTests {
    static let exercises = """
        [{"id": 1, "name": "Goblet squat", "how": "Hold a kettlebell at the chest and squat between the knees."},
         {"id": 2, "name": "Farmer carry", "how": "Walk tall with a heavy weight in each hand."}]
        """

    @Test func refreshReadsChangedAddedAndDeletedSourcesWithTheirOwnOptions() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        let folder = try TestEnvironment.temporaryDirectory("refresh-corpus")
        try TestEnvironment.write([
            "squat.md": "# Squat\n\nSquat until the hip crease is below the knee.",
            "protein.md": "# Protein\n\nActive adults do well with 1.4 to 2.0 g of protein per kg a day.",
            "sleep.md": "# Sleep\n\nMost adults need seven to nine hours of sleep.",
        ], under: folder)
        let catalogue = try TestEnvironment.temporaryDirectory("refresh-records").appendingPathComponent("exercises.json")
        try Data(Self.exercises.utf8).write(to: catalogue)
        _ = try await spotter.ingest.ingest(paths: [folder.path], options: IngestOptions(knowledgeBase: "kb"))
        // The records are read with non-default options; a refresh that forgot them would re-read them differently.
        let recordOptions = IngestOptions(knowledgeBase: "kb", reader: ReaderOptions(
            format: .json, records: RecordFieldOptions(idField: "id", textFields: ["name", "how"], titleField: "name")))
        _ = try await spotter.ingest.ingest(paths: [catalogue.path], options: recordOptions)
        let kb = try #require(try spotter.store.knowledgeBase(named: "kb", create: false))
        #expect(try spotter.store.ingestSources(in: kb).map(\.path) == [catalogue.path, folder.path].sorted())

        let quiet = try await spotter.refresh.service.refresh(knowledgeBase: "kb")
        #expect(quiet.knowledgeBases.map(\.unchanged) == [5])
        #expect(!quiet.changed)

        try TestEnvironment.write(["squat.md": "# Squat\n\nSquat to depth with the heels down and the chest up."], under: folder)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("sleep.md"))
        try TestEnvironment.write(["hydration.md": "# Hydration\n\nDrink to thirst and weigh yourself before and after long sessions."], under: folder)
        // The farmer carry record leaves the file; the goblet squat record stays as it was.
        try Data("""
            [{"id": 1, "name": "Goblet squat", "how": "Hold a kettlebell at the chest and squat between the knees."}]
            """.utf8).write(to: catalogue)

        let events = EventLog()
        let summary = try await spotter.refresh.service.refresh { events.add($0) }
        let result = try #require(summary.knowledgeBases.first { $0.knowledgeBase == "kb" })
        #expect(result.added == 1)
        #expect(result.updated == 1)
        #expect(result.unchanged == 2)  // protein.md and the goblet squat record
        #expect(result.deleted == 2)   // sleep.md, and the farmer carry record
        #expect(result.index.hasPrefix("updated") || result.index.hasPrefix("rebuilt"), "\(result.index)")
        #expect(events.deleted.sorted() == [catalogue.path + "#2", folder.appendingPathComponent("sleep.md").path].sorted())
        #expect(events.sources == 2)
        let titles = try spotter.store.documents(in: kb).map(\.title).sorted()
        #expect(titles == ["Goblet squat", "Hydration", "Protein", "Squat"])

        // The new text is searchable through the dense index the refresh brought in step.
        let hits = try await spotter.search.search(SearchRequest(query: "how do I know I drank enough water", knowledgeBase: "kb", k: 1, mode: .dense))
        #expect(hits.hits.first?.title == "Hydration")
        await spotter.shutdown()
    }

    @Test func aMissingSourceIsReportedAndItsDocumentsKept() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        let folder = try TestEnvironment.temporaryDirectory("refresh-gone")
        try TestEnvironment.write(["a.md": "# A\n\nAlpha text about rowing.", "b.md": "# B\n\nBeta text about cycling."], under: folder)
        _ = try await spotter.ingest.ingest(paths: [folder.path], options: IngestOptions(knowledgeBase: "kb"))
        try FileManager.default.removeItem(at: folder)

        let summary = try await spotter.refresh.service.refresh(knowledgeBase: "kb")
        #expect(summary.knowledgeBases.first?.missingSources == [folder.path])
        #expect(summary.knowledgeBases.first?.deleted == 0)
        let kb = try #require(try spotter.store.knowledgeBase(named: "kb", create: false))
        #expect(try spotter.store.documents(in: kb).count == 2)

        await #expect(throws: RefreshError.self) { try await spotter.refresh.service.refresh(knowledgeBase: "nope") }
        await spotter.shutdown()
    }

    @Test func aFileThatFailsToReadKeepsItsDocuments() async throws {
        let (spotter, _) = try TestEnvironment.spotter()
        let folder = try TestEnvironment.temporaryDirectory("refresh-broken")
        try TestEnvironment.write(["records.jsonl": #"{"id": "r1", "text": "Rowing builds the back."}"#], under: folder)
        _ = try await spotter.ingest.ingest(paths: [folder.path], options: IngestOptions(knowledgeBase: "kb"))
        try TestEnvironment.write(["records.jsonl": #"{"id": "r1", "text": "#], under: folder)  // now unreadable

        let summary = try await spotter.refresh.service.refresh(knowledgeBase: "kb")
        let result = try #require(summary.knowledgeBases.first)
        #expect(!result.problems.isEmpty)
        #expect(result.deleted == 0)
        await spotter.shutdown()
    }
}

/// Collects a refresh's progress events.
final class EventLog: Sendable {
    private let events = Mutex<[RefreshEvent]>([])

    func add(_ event: RefreshEvent) { events.withLock { $0.append(event) } }

    var deleted: [String] {
        events.withLock { $0.compactMap { if case .deleted(let uri) = $0 { return uri } else { return nil } } }
    }

    var sources: Int {
        events.withLock { $0.reduce(0) { if case .source = $1 { return $0 + 1 } else { return $0 } } }
    }
}
