import SpotterCore
import Testing

@Suite("Server-sent events")
struct ServerSentEventParserTests {
    func parse(_ text: String) -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        return parser.feed(Array(text.utf8))
    }

    @Test func dataLinesAreJoinedWithLineFeeds() {
        #expect(parse("data: one\ndata: two\ndata:three\n\n") == [ServerSentEvent(data: "one\ntwo\nthree")])
    }

    @Test func anEventIsDispatchedOnlyOnABlankLine() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: a\n".utf8)).isEmpty)
        #expect(parser.feed(Array("data: b\n".utf8)).isEmpty)
        #expect(parser.feed(Array("\n".utf8)) == [ServerSentEvent(data: "a\nb")])
    }

    @Test func aPendingEventAtTheEndOfTheStreamIsNotDispatched() {
        #expect(parse("data: complete\n\ndata: never finished\n") == [ServerSentEvent(data: "complete")])
    }

    @Test func commentLinesAreIgnored() {
        #expect(parse(": keep-alive\ndata: x\n: another\n\n") == [ServerSentEvent(data: "x")])
        #expect(parse(": only a comment\n\n").isEmpty)
    }

    @Test func crlfCrAndLfAllEndLines() {
        let expected = [ServerSentEvent(data: "a\nb"), ServerSentEvent(data: "c")]
        #expect(parse("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n") == expected)
        #expect(parse("data: a\rdata: b\r\rdata: c\r\r") == expected)
        #expect(parse("data: a\ndata: b\n\ndata: c\n\n") == expected)
        #expect(parse("data: a\r\ndata: b\r\rdata: c\n\r\n") == expected)
    }

    @Test func aCarriageReturnAndLineFeedSplitAcrossChunksEndOneLine() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: a\r".utf8)).isEmpty)
        // Were the LF a second line end, this would be the blank line that dispatches.
        #expect(parser.feed(Array("\ndata: b\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\n\r".utf8)) == [ServerSentEvent(data: "a\nb")])
    }

    @Test func onlyOneLeadingSpaceIsStripped() {
        #expect(parse("data:  two spaces\n\n") == [ServerSentEvent(data: " two spaces")])
        #expect(parse("data:none\n\n") == [ServerSentEvent(data: "none")])
        #expect(parse("data: trailing \n\n") == [ServerSentEvent(data: "trailing ")])
    }

    @Test func aFieldWithoutAColonHasAnEmptyValue() {
        // `data` alone appends an empty line: two of them make "\n".
        #expect(parse("data\ndata\n\n") == [ServerSentEvent(data: "\n")])
        #expect(parse("data\n\n") == [ServerSentEvent(data: "")])
        #expect(parse("event\ndata: x\n\n") == [ServerSentEvent(event: "message", data: "x")])
    }

    @Test func eventTypeAppliesToOneEventAndDefaultsToMessage() {
        #expect(parse("event: update\ndata: 1\n\ndata: 2\n\n") == [
            ServerSentEvent(event: "update", data: "1"), ServerSentEvent(event: "message", data: "2"),
        ])
    }

    @Test func anEventWithoutDataIsNotDispatched() {
        #expect(parse("event: ping\n\n").isEmpty)
        #expect(parse("id: 7\n\ndata: x\n\n") == [ServerSentEvent(data: "x", id: "7")])
    }

    @Test func idsPersistAcrossEventsAndIdsWithNullAreIgnored() {
        #expect(parse("id: 1\ndata: a\n\ndata: b\n\nid: 2\u{0}\ndata: c\n\nid\ndata: d\n\n") == [
            ServerSentEvent(data: "a", id: "1"), ServerSentEvent(data: "b", id: "1"),
            ServerSentEvent(data: "c", id: "1"), ServerSentEvent(data: "d", id: ""),
        ])
    }

    @Test func retryIsParsedOnlyFromDigits() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("retry: 1500\ndata: a\n\n".utf8)) == [ServerSentEvent(data: "a", retry: 1500)])
        #expect(parser.reconnectionTime == 1500)
        #expect(parser.feed(Array("retry: 2s\ndata: b\n\nretry:\ndata: c\n\n".utf8)) == [
            ServerSentEvent(data: "b"), ServerSentEvent(data: "c"),
        ])
        #expect(parser.reconnectionTime == 1500)
        _ = parser.feed(Array("retry: 250\n\n".utf8))
        #expect(parser.reconnectionTime == 250)
    }

    @Test func unknownFieldsAreIgnoredAndALeadingByteOrderMarkIsDropped() {
        #expect(parse("\u{FEFF}data: a\nfoo: bar\n\n") == [ServerSentEvent(data: "a")])
    }

    @Test func multiByteCharactersSplitAcrossChunksDecode() {
        let bytes = Array("data: héllo wörld 🚀 日本\n\n".utf8)
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in bytes { events += parser.feed([byte]) }
        #expect(events == [ServerSentEvent(data: "héllo wörld 🚀 日本")])
    }

    static let openAIStream = """
        : OPENROUTER PROCESSING\r
        \r
        data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\r
        \r
        data: {"choices":[{"delta":{"content":"Grüße, "}}]}\n\nid: 42\nevent: chunk\ndata: {"choices":[{"delta":{"content":"🌍"}}]}\r\rretry: 3000\r\ndata: multi\ndata: line\n\ndata\n\ndata: [DONE]\n\n
        """

    @Test func oneByteAtATimeAndRandomSplitsGiveTheSameEvents() {
        let bytes = Array(Self.openAIStream.utf8)
        let whole = { () -> [ServerSentEvent] in
            var parser = ServerSentEventParser()
            return parser.feed(bytes)
        }()
        #expect(whole.count == 6)
        #expect(whole.last == ServerSentEvent(data: "[DONE]", id: "42"))
        #expect(whole[2] == ServerSentEvent(event: "chunk", data: #"{"choices":[{"delta":{"content":"🌍"}}]}"#, id: "42"))

        var parser = ServerSentEventParser()
        var byteByByte: [ServerSentEvent] = []
        for byte in bytes { byteByByte += parser.feed(CollectionOfOne(byte)) }
        #expect(byteByByte == whole)

        var generator = SplitMix64(seed: 2026)
        for _ in 0..<200 {
            var parser = ServerSentEventParser()
            var events: [ServerSentEvent] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...9, using: &generator))
                events += parser.feed(bytes[start..<end])
                start = end
            }
            #expect(events == whole)
        }
    }
}
