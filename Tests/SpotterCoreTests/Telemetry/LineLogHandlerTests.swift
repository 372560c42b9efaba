import Foundation
import Logging
import SpotterCore
import Synchronization
import Testing

@Suite("Line log handler")
struct LineLogHandlerTests {
    final class Lines: Sendable, TextOutputStream {
        let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        var all: [String] { lines.withLock { $0 } }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "disk full" }
    }

    /// The line after its timestamp (the two handlers may straddle a second).
    func body(_ line: String) -> Substring { line.drop { $0 != " " } }

    @Test func writesStreamLogHandlersLinesByteForByte() throws {
        let ours = Lines(), theirs = Lines()
        let provider = Logger.MetadataProvider { ["provided": "yes"] }
        var line = Logger(label: "spotter") { LineLogHandler(label: $0, metadataProvider: provider, output: { ours.write($0) }) }
        var stream = Logger(label: "spotter") { StreamLogHandler(label: $0, stream: theirs, metadataProvider: provider) }
        line[metadataKey: "kb"] = "default"
        stream[metadataKey: "kb"] = "default"
        for logger in [line, stream] {
            logger.info("answered", metadata: ["answer_id": "ans_1", "stages": "validate=0.1 cache=0.3", "kb": "other"])
            logger.notice("ready")
            logger.debug("below the level: not written")
            logger.error("could not record", error: Failure(), metadata: ["list": ["a", "b"], "nested": ["k": "v"]])
        }
        var bare = Logger(label: "") { LineLogHandler(label: $0, metadataProvider: nil, output: { ours.write($0) }) }
        var bareStream = Logger(label: "") { StreamLogHandler(label: $0, stream: theirs, metadataProvider: nil) }
        bare.logLevel = .debug
        bareStream.logLevel = .debug
        bare.debug("no label, no metadata")
        bareStream.debug("no label, no metadata")
        // Only the event's metadata (the answer line's usual case), values of every kind.
        for logger in [bare, bareStream] {
            logger.info("answered", metadata: ["tokens_in": "0", "citations": .stringConvertible(6), "list": ["x", "y"],
                                               "nested": ["k": "v"], "answer_id": "ans_2"])
        }

        // Only the handler's metadata (a request id set on a request's logger), written when a line is.
        var tagged = Logger(label: "t") { LineLogHandler(label: $0, metadataProvider: nil, output: { ours.write($0) }) }
        var taggedStream = Logger(label: "t") { StreamLogHandler(label: $0, stream: theirs, metadataProvider: nil) }
        tagged[metadataKey: "request"] = "7"
        taggedStream[metadataKey: "request"] = "7"
        tagged[metadataKey: "request"] = "8"
        taggedStream[metadataKey: "request"] = "8"
        tagged.info("handler metadata only")
        taggedStream.info("handler metadata only")

        #expect(ours.all.count == 6 && theirs.all.count == 6)
        #expect(ours.all.map(body) == theirs.all.map(body))
        #expect(ours.all[0].hasSuffix(" info spotter: answer_id=ans_1 kb=other provided=yes stages=validate=0.1 cache=0.3 [SpotterCoreTests] answered\n"))
        #expect(ours.all[4].hasSuffix(" info: answer_id=ans_2 citations=6 list=[\"x\", \"y\"] nested=[\"k\": \"v\"] tokens_in=0 [SpotterCoreTests] answered\n"))
        #expect(ours.all[5].hasSuffix(" info t: request=8 [SpotterCoreTests] handler metadata only\n"))
        for line in ours.all {
            #expect(line.firstMatch(of: #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} /#) != nil, "\(line)")
        }
    }
}
