import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

@Suite struct VariantTests {
    @Test func proportionTestsMatchTheirFormulas() {
        // 30/100 against 20/100: pooled 0.25, z = 0.1 / sqrt(0.25·0.75·0.02) = 1.633, one-sided p = 0.0512.
        #expect(abs(Proportions.oneSidedGreaterPValue(successes: 30, of: 100, against: 20, of: 100) - 0.0512) < 0.0005)
        // The other way round the p-value is the complement.
        #expect(abs(Proportions.oneSidedGreaterPValue(successes: 20, of: 100, against: 30, of: 100) - 0.9488) < 0.0005)
        #expect(Proportions.oneSidedGreaterPValue(successes: 5, of: 10, against: 5, of: 10) == 0.5)
        // Wilson 95% for 0/10: (0, 0.278); for 5/10: (0.237, 0.763).
        let none = Proportions.wilson(0, of: 10)
        #expect(none.low == 0 && abs(none.high - 0.2775) < 0.0005)
        let half = Proportions.wilson(5, of: 10)
        #expect(abs(half.low - 0.2366) < 0.0005 && abs(half.high - 0.7634) < 0.0005)
    }

    @Test func meanAndQuantileIntervalsMatchTheirFormulas() throws {
        // Mean of 1…5 is 3, standard deviation sqrt(2.5): 3 ± 1.96·sqrt(2.5/5) = 3 ± 1.386.
        let mean = try #require(Proportions.meanInterval([1, 2, 3, 4, 5]))
        #expect(mean.mean == 3 && abs(mean.low - 1.614) < 0.001 && abs(mean.high - 4.386) < 0.001)
        #expect(Proportions.meanInterval([]) == nil)
        #expect(try #require(Proportions.meanInterval([7])) == (7, 7, 7))
        // Median of 1…100: ranks 50 ∓ 1.96·5 → 40 and 61 (1-based), so values 40 and 61.
        let sample = (1...100).map(Double.init)
        let median = try #require(Proportions.quantileInterval(sample, 0.5))
        #expect(median == (40, 61))
        // p95 of 1…100: ranks 95 ∓ 1.96·sqrt(4.75) → 90 and 100 (clamped).
        let tail = try #require(Proportions.quantileInterval(sample, 0.95))
        #expect(tail == (90, 100))
        // More samples, a narrower interval around the same median.
        let larger = try #require(Proportions.quantileInterval((1...10_000).map { Double($0) / 100 }, 0.5))
        #expect(larger.low > 45 && larger.high < 55 && larger.high - larger.low < median.high - median.low)
        #expect(Proportions.quantileInterval([], 0.5) == nil)
        #expect(try #require(Proportions.quantileInterval([4], 0.5)) == (4, 4))
    }

    static func registry(_ json: String) throws -> Result<PromptRegistry, PromptRegistryError> {
        let folder = try TestEnvironment.temporaryDirectory("registry")
        try TestEnvironment.write(["a.md": "Prompt A.", "b.md": "Prompt B.", "registry.json": json], under: folder)
        return Result { () throws(PromptRegistryError) in try PromptRegistry.load(folder: folder) }
    }

    @Test func variantsAreReadAndBadOnesAreRefused() throws {
        let prompts = #""prompts": [{"id": "a", "version": "1", "file": "a.md"}, {"id": "b", "version": "2", "file": "b.md"}]"#
        let good = try Self.registry(#"{\#(prompts), "assistants": [{"name": "x", "prompt": "a", "variants": [{"name": "control", "weight": 9}, {"name": "b", "weight": 1, "prompt": "b", "mmr": 0.4, "canary": true}]}]}"#).get()
        let assistant = try #require(good.assistant(named: "x"))
        #expect(assistant.variants.map(\.name) == ["control", "b"])
        #expect(assistant.applying(assistant.variants[1]).prompt.reference == "b@2")
        #expect(assistant.applying(assistant.variants[1]).mmr == 0.4 && assistant.applying(assistant.variants[1]).passages == 6)
        let plain = try Self.registry(#"{\#(prompts), "assistants": [{"name": "x", "prompt": "a"}]}"#).get()
        #expect(plain.defaultAssistant.variants.map(\.name) == ["control"])

        for (variants, mentions) in [
            (#"[{"name": "control", "weight": 1, "canary": true}]"#, "control"),
            (#"[{"name": "c", "weight": 0}]"#, "add up to 0"),
            (#"[{"name": "c", "weight": 1}, {"name": "c", "weight": 1}]"#, "share a name"),
            (#"[{"name": "c", "weight": 1}, {"name": "d", "weight": 1, "prompt": "zzz"}]"#, "zzz"),
            (#"[{"name": "c", "weight": -1}]"#, "weight"),
            (#"[]"#, "at least one"),
        ] {
            let result = try Self.registry(#"{\#(prompts), "assistants": [{"name": "x", "prompt": "a", "variants": \#(variants)}]}"#)
            guard case .failure(let error) = result else {
                Issue.record("\(variants) was accepted")
                continue
            }
            #expect(error.description.contains(mentions), "\(error)")
        }
    }

    @Test func assignmentIsStickyAndFollowsTheWeights() throws {
        let prompts = #""prompts": [{"id": "a", "version": "1", "file": "a.md"}]"#
        let registry = try Self.registry(#"{\#(prompts), "assistants": [{"name": "x", "prompt": "a", "variants": [{"name": "control", "weight": 9}, {"name": "canary", "weight": 1}]}]}"#).get()
        let router = VariantRouter(store: nil)
        let assistant = registry.defaultAssistant
        var canary = 0
        for user in 0..<10_000 {
            let first = try router.choose(for: assistant, key: "user-\(user)", requested: nil).name
            #expect(try router.choose(for: assistant, key: "user-\(user)", requested: nil).name == first)
            if first == "canary" { canary += 1 }
        }
        // 10% expected; the hash is fixed, so this is a property of the assignment, not a matter of luck each run.
        #expect((850...1_150).contains(canary), "\(canary)")
        #expect(try router.choose(for: assistant, key: "anyone", requested: "canary").name == "canary")
        #expect(throws: AnswerError.self) { try router.choose(for: assistant, key: "anyone", requested: "nope") }
    }
}

@Suite struct FixedDecimalTests {
    @Test func fixedDecimalsMatchPrintfWithinTheLastDigit() {
        #expect(0.87.fixed(3) == "0.870")
        #expect(1.0.fixed(3) == "1.000")
        #expect((-2.5).fixed(1) == "-2.5")
        #expect(12.0.fixed(0) == "12")
        #expect(0.9996.fixed(3) == "1.000")
        // Values spread over ±1000 with every kind of fraction (fixed, so that a failure repeats).
        for step in 0..<2_000 {
            let value = Double(step) * 0.999_173 - 1_000 + Double(step % 97) * 0.000_013_7
            for digits in [1, 2, 3, 4] {
                let ours = Double(value.fixed(digits))!, printf = Double(String(format: "%.\(digits)f", value))!
                var unit = 1.0
                for _ in 0..<digits { unit /= 10 }
                #expect(abs(ours - printf) <= unit * 1.0001, "\(value) to \(digits): \(value.fixed(digits)) vs \(String(format: "%.\(digits)f", value))")
            }
        }
    }
}
