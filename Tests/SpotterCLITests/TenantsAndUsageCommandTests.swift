import Foundation
import SpotterTestSupport
import Testing

/// `spotter tenants` and `spotter usage` end to end on a store of their own.
@Suite("tenants and usage commands")
struct TenantsAndUsageCommandTests {
    func spotter(_ arguments: [String], data: URL) throws -> ProcessOutput {
        try ProcessRunner.spotter(arguments, data: data, environment: ["SPOTTER_LOG_LEVEL": "error"])
    }

    func json(_ output: ProcessOutput) -> [[String: Any]] {
        output.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func tenantsSetChangesOnlyWhatIsGivenAndRefusesBadLimits() throws {
        let data = try TestEnvironment.temporaryDirectory("tenants-cli")
        let set = try spotter(["tenants", "set", "acme", "--daily-tokens", "1000", "--on-exhausted", "degrade", "--rpm", "60", "--json"], data: data)
        #expect(set.status == 0, "\(set.stderr)")
        let first = try #require(json(set).first)
        #expect(first["daily_tokens"] as? Int == 1000 && first["on_exhausted"] as? String == "degrade" && first["requests_per_minute"] as? Int == 60)
        #expect(first["daily_usd"] is NSNull, "an unset budget is written as null")
        let changed = try #require(json(try spotter(["tenants", "set", "acme", "--rpm", "off", "--daily-usd", "2.5", "--json"], data: data)).first)
        #expect(changed["requests_per_minute"] is NSNull && changed["daily_usd"] as? Double == 2.5 && changed["daily_tokens"] as? Int == 1000)
        let listed = json(try spotter(["tenants", "ls", "--json"], data: data))
        #expect(listed.map { $0["name"] as? String } == ["acme"])
        for (arguments, mentions) in [(["acme", "--daily-tokens", "0"], "--daily-tokens"), (["acme", "--daily-usd", "-1"], "--daily-usd"),
                                      (["bad tenant", "--rpm", "5"], "bad tenant"), (["acme", "--on-exhausted", "sometimes"], "sometimes"),
                                      (["acme", "--tpm", "many"], "many")] {
            let refused = try spotter(["tenants", "set"] + arguments, data: data)
            #expect(refused.status != 0 && refused.stderr.contains(mentions), "\(arguments): \(refused.stderr)")
        }
        // Nothing refused was stored.
        let after = try #require(json(try spotter(["tenants", "ls", "--json"], data: data)).first)
        #expect(after["daily_tokens"] as? Int == 1000 && after["daily_usd"] as? Double == 2.5)
    }

    @Test func usageReportsTheAnswersInEachFormat() throws {
        let data = try TestEnvironment.temporaryDirectory("usage-cli")
        #expect(try spotter(["ingest", TestEnvironment.demoGuides.path, "--kb", "default"], data: data).status == 0)
        #expect(try spotter(["chat", "How long should I rest between sets?"], data: data).status == 0)
        #expect(try spotter(["chat", "How long should I rest between sets?"], data: data).status == 0)
        let byModel = json(try spotter(["usage", "--by", "model", "--json"], data: data))
        let offline = try #require(byModel.first { $0["group"] as? String == "offline" })
        #expect(offline["requests"] as? Int == 2 && offline["tenant"] as? String == "default")
        #expect(offline["prompt_tokens"] as? Int == 0, "the offline answerer spends no model tokens")
        let csv = try spotter(["usage", "--csv"], data: data)
        #expect(csv.stdout.hasPrefix("tenant,day,requests,cache_hits,prompt_tokens,completion_tokens,cost_usd,saved_tokens,saved_usd\n"))
        #expect(csv.stdout.split(separator: "\n").count == 2)
        #expect(json(try spotter(["usage", "--tenant", "other", "--json"], data: data)).isEmpty)
        for arguments in [["--since", "soon"], ["--json", "--csv"], ["--by", "week"], ["--tenant", "no way"]] {
            #expect(try spotter(["usage"] + arguments, data: data).status != 0, "\(arguments)")
        }
    }
}
