import Foundation
import SpotterCore
import Testing

/// Request and token limits as token buckets, with the clock given to every call (no sleeping).
@Suite("Rate limits")
struct RateLimiterTests {
    static let start = Date(timeIntervalSinceReferenceDate: 800_000_000)

    static func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    @Test func aBucketOfThreeAllowsThreeThenAsksTheFourthToWaitTwentySeconds() async {
        let limiter = RateLimiter(counter: InMemoryRateLimitCounter())
        let caller = RateLimitedCaller(tenant: "acme", keyID: "k1", keyRequestsPerMinute: 3)
        #expect(await limiter.admit(caller, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 2, resetSeconds: 20))
        #expect(await limiter.admit(caller, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 1, resetSeconds: 40))
        #expect(await limiter.admit(caller, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 0, resetSeconds: 60))
        let fourth = await limiter.admit(caller, now: Self.start)
        #expect(fourth == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20))
        #expect(await limiter.admit(caller, now: Self.at(19)).map(\.allowed) == false, "a unit is not there before 20 s")
        #expect(await limiter.admit(caller, now: Self.at(20)) == RateLimitDecision(allowed: true, limit: 3, remaining: 0, resetSeconds: 60))
        #expect(await limiter.admit(caller, now: Self.at(20))?.retryAfterSeconds == 20, "and the next waits again")
    }

    @Test func resetSecondsCountTheTimeUntilTheBucketIsFull() async {
        let counter = InMemoryRateLimitCounter()
        let key = RateLimitKey.key("k1", .requests)
        let limit = RateLimit(perMinute: 3)
        #expect(await counter.take(1, from: key, limit: limit, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 2, resetSeconds: 20))
        // 5 s refill a quarter unit: 1.25 left after the second, 1.75 missing at 20 s each.
        #expect(await counter.take(1, from: key, limit: limit, now: Self.at(5)) == RateLimitDecision(allowed: true, limit: 3, remaining: 1, resetSeconds: 35))
        #expect(await counter.peek(key, limit: limit, now: Self.at(5)) == RateLimitDecision(allowed: true, limit: 3, remaining: 1, resetSeconds: 35))
        #expect(await counter.peek(key, limit: limit, now: Self.at(60)) == RateLimitDecision(allowed: true, limit: 3, remaining: 3, resetSeconds: 0))
        #expect(await counter.take(3, from: key, limit: limit, now: Self.at(60)).allowed)
        // 0.25 refilled at 65 s: the next unit is 15 s away.
        #expect(await counter.take(1, from: key, limit: limit, now: Self.at(65)) == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 55, retryAfterSeconds: 15))
    }

    @Test func tokensChargedIntoDebtRefuseTheNextRequestUntilRefilled() async {
        let counter = InMemoryRateLimitCounter()
        let limiter = RateLimiter(counter: counter)
        let caller = RateLimitedCaller(tenant: "acme", keyID: "k1", keyRequestsPerMinute: 100, keyTokensPerMinute: 60)
        #expect(await limiter.admit(caller, now: Self.start) == RateLimitDecision(allowed: true, limit: 100, remaining: 99, resetSeconds: 1))
        await limiter.recordTokens(90, for: caller, now: Self.start)
        // 60 - 90 = 30 in debt; one token a second, so 31 s until one is there.
        #expect(await limiter.admit(caller, now: Self.start) == RateLimitDecision(allowed: false, limit: 60, remaining: 0, resetSeconds: 90, retryAfterSeconds: 31))
        let requests = await counter.peek(.key("k1", .requests), limit: RateLimit(perMinute: 100), now: Self.start)
        #expect(requests.remaining == 99, "a request refused for its tokens takes no request unit")
        #expect(await limiter.admit(caller, now: Self.at(30)) == RateLimitDecision(allowed: false, limit: 60, remaining: 0, resetSeconds: 60, retryAfterSeconds: 1))
        #expect(await limiter.admit(caller, now: Self.at(31)) == RateLimitDecision(allowed: true, limit: 60, remaining: 1, resetSeconds: 59),
                "the token bucket, a sixtieth full, is the most restrictive")
    }

    @Test func aCostAboveTheCapacityIsTakenOnlyFromAFullBucket() async {
        let counter = InMemoryRateLimitCounter()
        let key = RateLimitKey.tenant("acme", .tokens)
        let limit = RateLimit(perMinute: 3)
        #expect(await counter.take(5, from: key, limit: limit, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 0, resetSeconds: 100))
        #expect(await counter.take(1, from: key, limit: limit, now: Self.start) == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 100, retryAfterSeconds: 60))
        #expect(await counter.take(5, from: key, limit: limit, now: Self.at(100)).allowed, "full again after 100 s")
        // At 120 s the level is -1: five more wait for a full bucket, 80 s.
        #expect(await counter.take(5, from: key, limit: limit, now: Self.at(120)) == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 80, retryAfterSeconds: 80))
    }

    @Test func theTenantLimitBindsAcrossTheKeysOfOneTenant() async {
        let counter = InMemoryRateLimitCounter()
        let limiter = RateLimiter(counter: counter)
        let first = RateLimitedCaller(tenant: "acme", keyID: "k1", keyRequestsPerMinute: 10, tenantRequestsPerMinute: 3)
        let second = RateLimitedCaller(tenant: "acme", keyID: "k2", keyRequestsPerMinute: 10, tenantRequestsPerMinute: 3)
        #expect(await limiter.admit(first, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 2, resetSeconds: 20))
        #expect(await limiter.admit(second, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 1, resetSeconds: 40))
        #expect(await limiter.admit(first, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 0, resetSeconds: 60))
        #expect(await limiter.admit(second, now: Self.start) == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20))
        let keyRemaining = { (id: String) in await counter.peek(.key(id, .requests), limit: RateLimit(perMinute: 10), now: Self.start).remaining }
        #expect(await keyRemaining("k1") == 8)
        #expect(await keyRemaining("k2") == 8, "the key refused by its tenant's bucket has spent a unit (documented on admit)")
        let other = RateLimitedCaller(tenant: "globex", keyID: "k3", keyRequestsPerMinute: 10, tenantRequestsPerMinute: 3)
        #expect(await limiter.admit(other, now: Self.start) == RateLimitDecision(allowed: true, limit: 3, remaining: 2, resetSeconds: 20))
    }

    @Test func differentTenantsDoNotShareBuckets() async {
        let limiter = RateLimiter(counter: InMemoryRateLimitCounter())
        let acme = RateLimitedCaller(tenant: "acme", tenantRequestsPerMinute: 1, tenantTokensPerMinute: 100)
        let globex = RateLimitedCaller(tenant: "globex", tenantRequestsPerMinute: 1, tenantTokensPerMinute: 100)
        #expect(await limiter.admit(acme, now: Self.start)?.allowed == true)
        #expect(await limiter.admit(acme, now: Self.start)?.retryAfterSeconds == 60)
        #expect(await limiter.admit(globex, now: Self.start) == RateLimitDecision(allowed: true, limit: 1, remaining: 0, resetSeconds: 60))
        await limiter.recordTokens(1_000, for: acme, now: Self.at(60))
        #expect(await limiter.admit(acme, now: Self.at(60))?.limit == 100, "acme waits for its tokens")
        #expect(await limiter.admit(globex, now: Self.at(60))?.allowed == true, "globex's tokens are its own")
    }

    @Test func noLimitSetGivesNil() async {
        let counter = InMemoryRateLimitCounter()
        let limiter = RateLimiter(counter: counter)
        #expect(await limiter.admit(RateLimitedCaller(tenant: "acme", keyID: "k1"), now: Self.start) == nil)
        let keyLimitsWithoutKey = RateLimitedCaller(tenant: "acme", keyRequestsPerMinute: 1, keyTokensPerMinute: 1)
        #expect(await limiter.admit(keyLimitsWithoutKey, now: Self.start) == nil, "key limits without a key count against nothing")
        await limiter.recordTokens(100, for: keyLimitsWithoutKey, now: Self.start)
        #expect(counter.trackedKeys == 0)
    }

    @Test func remainingIsNeverNegative() async {
        let counter = InMemoryRateLimitCounter()
        let limit = RateLimit(perMinute: 3)
        let key = RateLimitKey.key("k1", .tokens)
        // A full bucket of 3 charged 1,000 is 997 in debt: 998 units (19,960 s) until one is there.
        await counter.charge(1_000, to: key, limit: limit, now: Self.start)
        #expect(await counter.peek(key, limit: limit, now: Self.start) == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 20_000, retryAfterSeconds: 19_960))
        #expect(await counter.take(1, from: key, limit: limit, now: Self.start) == RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 20_000, retryAfterSeconds: 19_960))

        // A mixed run of takes, charges and peeks at uneven times keeps every answer in range.
        var time = Self.start
        for step in 0..<500 {
            time = time.addingTimeInterval(Double(step % 7) * 0.7)
            let busy = RateLimitKey.key("k\(step % 3)", .requests)
            if step.isMultiple(of: 5) { await counter.charge(step % 11, to: busy, limit: limit, now: time) }
            let decision: RateLimitDecision
            if step.isMultiple(of: 2) {
                decision = await counter.take(step % 9, from: busy, limit: limit, now: time)
            } else {
                decision = await counter.peek(busy, limit: limit, now: time)
            }
            #expect((0...3).contains(decision.remaining), "step \(step)")
            #expect(decision.resetSeconds >= 0, "step \(step)")
            if decision.allowed {
                #expect(decision.retryAfterSeconds == nil, "step \(step)")
            } else {
                #expect((decision.retryAfterSeconds ?? 0) >= 1, "step \(step)")
            }
        }
    }

    @Test func fullBucketsIdleForLongAreForgottenPastTheBound() async {
        let counter = InMemoryRateLimitCounter()
        let limit = RateLimit(perMinute: 3)
        for index in 0..<InMemoryRateLimitCounter.defaultMaxTrackedKeys {
            _ = await counter.take(1, from: .key("k\(index)", .requests), limit: limit, now: Self.start)
        }
        #expect(counter.trackedKeys == 10_000)
        let later = Self.at(3_600)
        #expect(await counter.take(1, from: .key("new", .requests), limit: limit, now: later) == RateLimitDecision(allowed: true, limit: 3, remaining: 2, resetSeconds: 20))
        #expect(counter.trackedKeys == 1, "the buckets full again after an hour are dropped")
        #expect(await counter.take(3, from: .key("k0", .requests), limit: limit, now: later).allowed, "a forgotten bucket starts full, as it would have been")
    }

    @Test func busyBucketsStillStayWithinTheBound() async {
        let counter = InMemoryRateLimitCounter()
        let limit = RateLimit(perMinute: 1)
        for index in 0...10_000 {
            _ = await counter.take(1, from: .key("k\(index)", .requests), limit: limit, now: Self.start)
        }
        #expect(counter.trackedKeys <= counter.maxTrackedKeys && counter.trackedKeys > 0)
        let last = await counter.take(1, from: .key("k10000", .requests), limit: limit, now: Self.start)
        #expect(last == RateLimitDecision(allowed: false, limit: 1, remaining: 0, resetSeconds: 60, retryAfterSeconds: 60),
                "the bucket made after pruning is kept")
    }

    @Test func aPrincipalsKeyLimitsAndTheHeadersOfADecision() {
        let principal = Principal(tenant: "acme", scopes: [.chat], keyID: "k1", requestsPerMinute: 5, tokensPerMinute: 100)
        #expect(RateLimitedCaller(principal, tenantRequestsPerMinute: 50)
            == RateLimitedCaller(tenant: "acme", keyID: "k1", keyRequestsPerMinute: 5, keyTokensPerMinute: 100, tenantRequestsPerMinute: 50))
        let refused = RateLimitDecision(allowed: false, limit: 3, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20)
        #expect(refused.httpHeaders.map { "\($0.name): \($0.value)" }
            == ["X-RateLimit-Limit: 3", "X-RateLimit-Remaining: 0", "X-RateLimit-Reset: 60", "Retry-After: 20"])
        let allowed = RateLimitDecision(allowed: true, limit: 3, remaining: 2, resetSeconds: 20)
        #expect(allowed.httpHeaders.map(\.name) == ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"])
    }
}
