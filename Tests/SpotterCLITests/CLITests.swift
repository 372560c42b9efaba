import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

/// The `spotter` binary as a user runs it, in a temporary data directory.
@Suite("CLI")
struct CLITests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data)
    }

    @Test func ingestSearchListAndRemove() throws {
        let data = try TestEnvironment.temporaryDirectory("cli-data")
        let corpus = try TestEnvironment.temporaryDirectory("cli-corpus")
        try TestEnvironment.write([
            "a.md": "# Romanian deadlift\n\nA hip hinge for the hamstrings with a barbell or dumbbells.",
            "b.html": "<html><head><title>Warm-up</title><script>alert(1)</script></head><body><nav>menu</nav><h1>Warm-up</h1><p>Five minutes of easy cardio, then ramp sets.</p></body></html>",
        ], under: corpus)

        let ingest = try spotter(["ingest", corpus.path, "--json"], data: data)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let summaryLine = try #require(ingest.stdout.split(separator: "\n").last)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: Any])
        #expect(summary["event"] as? String == "summary")
        #expect(summary["added"] as? Int == 2)

        let search = try spotter(["search", "hamstring hinge", "--json", "-k", "1"], data: data)
        #expect(search.status == 0, "\(search.stderr)")
        let response = try #require(try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any])
        let hit = try #require((response["hits"] as? [[String: Any]])?.first)
        #expect(hit["title"] as? String == "Romanian deadlift")

        let list = try spotter(["kb", "ls"], data: data)
        #expect(list.stdout.contains("2 document(s)"))
        let documentID = try #require(hit["document_id"] as? String)
        #expect(try spotter(["kb", "rm", documentID], data: data).status == 0)
        #expect(try spotter(["kb", "ls"], data: data).stdout.contains("1 document(s)"))
        let again = try spotter(["kb", "rm", documentID], data: data)
        #expect(again.status != 0)
        #expect(again.stderr.contains("no document"))
    }

    @Test func skippedFilesMakeTheExitCodeNonZeroAndNameThePath() throws {
        let data = try TestEnvironment.temporaryDirectory("cli-data")
        let corpus = try TestEnvironment.temporaryDirectory("cli-corpus")
        try TestEnvironment.write(["ok.txt": "Walk for thirty minutes most days.", "broken.json": "[{\"id\": 1, \"text\": \"x\"},\n{oops}]"], under: corpus)
        // Not on a terminal, ingest prints JSON lines even without --json: progress, then the summary.
        let result = try spotter(["ingest", corpus.path], data: data)
        #expect(result.status == 1)
        let lines = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let skipped = try #require(lines.first { $0["event"] as? String == "skipped" })
        #expect((skipped["path"] as? String)?.hasSuffix("broken.json") == true)
        #expect(skipped["line"] as? Int == 2)
        let summary = try #require(lines.last)
        #expect(summary["event"] as? String == "summary")
        #expect(summary["added"] as? Int == 1)
        #expect((summary["skipped"] as? [[String: Any]])?.count == 1)
    }

    @Test func badArgumentsGiveClearMessages() throws {
        let data = try TestEnvironment.temporaryDirectory("cli-data")
        let badSize = try spotter(["ingest", "x", "--max-file-size", "lots"], data: data)
        #expect(badSize.status != 0)
        #expect(badSize.stderr.contains("--max-file-size"))
        let unknownKB = try spotter(["search", "squat", "--kb", "nothing-here"], data: data)
        #expect(unknownKB.status != 0)
        #expect(unknownKB.stderr.contains("no knowledge base named 'nothing-here'"))
        let badFilter = try spotter(["search", "squat", "--filter", "level"], data: data)
        #expect(badFilter.status != 0)
        #expect(badFilter.stderr.contains("key=value"))
    }
}
