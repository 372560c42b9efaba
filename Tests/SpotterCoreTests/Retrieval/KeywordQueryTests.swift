import SpotterCore
import Testing

@Suite("Keyword query escaping")
struct KeywordQueryTests {
    @Test func operatorsAndQuotesBecomePlainTerms() {
        let query = KeywordQuery(#"squat AND "deadlift" NEAR(bench*) -curl (("#)
        #expect(query.terms == ["squat", "deadlift", "near", "bench", "curl"])
        #expect(query.expression == #""squat" OR "deadlift" OR "near" OR "bench" OR "curl""#)
    }

    @Test func stopWordsAreDroppedUnlessNothingElseRemains() {
        #expect(KeywordQuery("what is the best warm up").terms == ["best", "warm", "up"])
        #expect(KeywordQuery("to be or not").terms == ["to", "be", "or", "not"])
    }

    @Test func emptyAndPunctuationOnlyQueriesHaveNoExpression() {
        #expect(KeywordQuery("").expression == nil)
        #expect(KeywordQuery(#"  "" ** -- () ^ "#).expression == nil)
    }

    @Test func unicodeWordsAreKept() {
        #expect(KeywordQuery("Übung für Bäuche 深蹲").terms == ["übung", "für", "bäuche", "深蹲"])
    }
}
