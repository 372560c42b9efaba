import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

@Suite("BEIR datasets")
struct BEIRDatasetTests {
    func folder(_ files: [String: String]) throws -> URL {
        let directory = try TestEnvironment.temporaryDirectory("beir")
        try TestEnvironment.write(files, under: directory)
        return directory
    }

    @Test func readsQueriesAndGradedJudgementsAndSkipsTheHeader() throws {
        let directory = try folder([
            "corpus.jsonl": #"{"_id": "d1", "title": "T", "text": "x"}"# + "\n",
            "queries.jsonl": #"{"_id": "1", "text": "first"}"# + "\n" + #"{"_id": 2, "text": "second"}"# + "\n\n",
            "qrels/test.tsv": "query-id\tcorpus-id\tscore\n1\td1\t2\n1\td2\t0\n2\td1\t1\n3\td1\t1\n",
        ])
        let dataset = try BEIRDataset(directory: directory)
        #expect(dataset.queries == ["1": "first", "2": "second"])
        #expect(dataset.judgements == ["1": ["d1": 2, "d2": 0], "2": ["d1": 1]])
        #expect(dataset.queriesWithoutText == ["3"])
    }

    @Test func namesTheMissingFileAndTheBadLine() throws {
        let missing = try folder(["corpus.jsonl": "", "queries.jsonl": ""])
        #expect { try BEIRDataset(directory: missing) } throws: { "\($0)".contains("qrels/test.tsv") }
        #expect { try BEIRDataset(directory: missing.appendingPathComponent("nope")) } throws: { "\($0)".contains("no dataset folder") }

        let malformed = try folder([
            "corpus.jsonl": "", "queries.jsonl": #"{"_id": "1", "text": "q"}"#,
            "qrels/test.tsv": "query-id\tcorpus-id\tscore\n1\td1\t1\n1 d2 one\n",
        ])
        #expect { try BEIRDataset(directory: malformed) } throws: { "\($0)".contains("test.tsv:3") }

        let badQuery = try folder(["corpus.jsonl": "", "queries.jsonl": "{\"_id\": \"1\"}\n", "qrels/test.tsv": "1\td1\t1\n"])
        #expect { try BEIRDataset(directory: badQuery) } throws: { "\($0)".contains("queries.jsonl:1") }

        let nothingJudged = try folder(["corpus.jsonl": "", "queries.jsonl": #"{"_id": "9", "text": "q"}"#, "qrels/test.tsv": "1\td1\t1\n"])
        #expect { try BEIRDataset(directory: nothingJudged) } throws: { "\($0)".contains("nothing to evaluate") }
    }
}
