import SpotterServer
import Testing

@Suite("Query string decoding")
struct QueryStringTests {
    @Test func plusIsSpaceAndEscapesAreDecoded() throws {
        let query = try QueryString("q=hamstring+exercise%20with%2Bkettlebell&filter=level%3Dbeginner&filter=a=b=c&flag")
        #expect(try query.single("q") == "hamstring exercise with+kettlebell")
        #expect(query.all("filter") == ["level=beginner", "a=b=c"])
        #expect(try query.single("flag") == "")
        #expect(try query.single("missing") == nil)
        #expect(query.names == ["q", "filter", "filter", "flag"])
    }

    @Test(arguments: ["q=50%", "q=%G1", "q=%F", "q=%FF%FE", "q=%C3"])
    func badEscapesAreRejectedWithAMessage(text: String) {
        #expect {
            _ = try QueryString(text)
        } throws: { error in
            (error as? APIError)?.status == .badRequest && (error as? APIError)?.code == "invalid_parameter"
        }
    }

    @Test func repeatedSingleParameterIsRejected() throws {
        let query = try QueryString("q=a&q=b")
        #expect(throws: APIError.self) { try query.single("q") }
    }

    @Test func emptyAndMissingQueriesHaveNoPairs() throws {
        #expect(try QueryString(nil).names.isEmpty)
        #expect(try QueryString("").names.isEmpty)
        #expect(try QueryString("&&").names.isEmpty)
    }
}
