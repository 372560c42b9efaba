import Foundation
import Synchronization

/// A limit per minute, counted as a token bucket: it holds at most ``perMinute`` units and refills continuously at a
/// sixtieth of that per second, so a caller may spend a minute's allowance in a burst and then one unit at a time
/// at the steady rate.
public struct RateLimit: Sendable, Hashable {
    /// The capacity, and the units added back per minute; at least 1.
    public let perMinute: Int

    /// A limit of `perMinute` (below 1 counts as 1: a key's limits are checked to be at least 1 when it is made).
    public init(perMinute: Int) {
        self.perMinute = max(1, perMinute)
    }
}

/// What a bucket counts: whole requests, or the model's tokens (prompt and completion).
public enum RateLimitKind: String, Sendable, Hashable, CaseIterable {
    case requests
    case tokens
}

/// One bucket's name: what is counted, for whom (`key:k_123`, `tenant:acme`).
public struct RateLimitKey: Sendable, Hashable, CustomStringConvertible {
    public var kind: RateLimitKind
    public var subject: String

    public init(kind: RateLimitKind, subject: String) {
        self.kind = kind
        self.subject = subject
    }

    /// The bucket of one API key.
    public static func key(_ id: String, _ kind: RateLimitKind) -> RateLimitKey {
        RateLimitKey(kind: kind, subject: "key:\(id)")
    }

    /// The bucket that every key and token of a tenant share.
    public static func tenant(_ name: String, _ kind: RateLimitKind) -> RateLimitKey {
        RateLimitKey(kind: kind, subject: "tenant:\(name)")
    }

    public var description: String { "\(subject) \(kind.rawValue)" }
}

/// A bucket's answer, in the units of the HTTP headers it feeds (``httpHeaders``).
@MemberwiseInit
public struct RateLimitDecision: Sendable, Equatable {
    public var allowed: Bool
    /// The bucket's capacity per minute (`X-RateLimit-Limit`).
    public var limit: Int
    /// Whole units left after this call, rounded down; 0 when the bucket is empty or in debt (`X-RateLimit-Remaining`).
    public var remaining: Int
    /// Seconds until the bucket is full again, rounded up (`X-RateLimit-Reset`).
    public var resetSeconds: Int
    /// When refused, seconds until the units asked for are there, rounded up and at least 1 (`Retry-After`); nil
    /// when allowed.
    public var retryAfterSeconds: Int? = nil

    /// The response headers saying this decision, `Retry-After` only on a refusal. The names are written here once.
    public var httpHeaders: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            (name: "X-RateLimit-Limit", value: String(limit)),
            (name: "X-RateLimit-Remaining", value: String(remaining)),
            (name: "X-RateLimit-Reset", value: String(resetSeconds)),
        ]
        if let retryAfterSeconds { headers.append((name: "Retry-After", value: String(retryAfterSeconds))) }
        return headers
    }
}

/// The buckets behind ``RateLimiter``, one per ``RateLimitKey``. ``InMemoryRateLimitCounter`` counts for one server;
/// several replicas need a shared store (PostgreSQL) that conforms, or each would grant the whole limit.
///
/// A key never seen starts full. Every call names the limit, so a changed limit counts from the key's next call
/// (the level is capped at the new capacity). `now` is a parameter so that tests, not the wall clock, decide the time.
///
/// ```swift
/// let counter = InMemoryRateLimitCounter()
/// let decision = await counter.take(1, from: .key("k_123", .requests), limit: RateLimit(perMinute: 60), now: Date())
/// if !decision.allowed { /* 429, Retry-After: decision.retryAfterSeconds */ }
/// ```
public protocol RateLimitCounter: Sendable {
    /// Takes `cost` units if they are all there, else none. A cost larger than the capacity could never be there, so
    /// it is taken from a full bucket, which goes that far below zero: one such request is possible, then the next
    /// waits for the debt to refill; refused, its `Retry-After` is the time until the bucket is full. A cost below 1
    /// takes nothing and answers as ``peek(_:limit:now:)``.
    func take(_ cost: Int, from key: RateLimitKey, limit: RateLimit, now: Date) async -> RateLimitDecision
    /// Takes `cost` units without refusing, below zero if need be: for what is known only afterwards (an answer's
    /// tokens). The debt makes the following requests wait.
    func charge(_ cost: Int, to key: RateLimitKey, limit: RateLimit, now: Date) async
    /// The bucket's state, nothing taken; allowed when at least one unit is there.
    func peek(_ key: RateLimitKey, limit: RateLimit, now: Date) async -> RateLimitDecision
}

/// The counters of one server, in a dictionary behind a lock.
///
/// Memory stays bounded: when a new key would make more than ``maxTrackedKeys``, the full buckets are forgotten
/// (a key never seen starts full, so no answer changes); if that leaves more than three quarters of the bound, the
/// longest-idle buckets go too, which forgives what they had used. Pruning to three quarters rather than just
/// under the bound keeps it rare, so its scan costs little per call.
public final class InMemoryRateLimitCounter: RateLimitCounter {
    /// The default ``maxTrackedKeys``: far more keys and tenants than one server has callers in a minute.
    public static let defaultMaxTrackedKeys = 10_000

    /// The most buckets remembered at once.
    public let maxTrackedKeys: Int
    private let buckets = Mutex<[RateLimitKey: Bucket]>([:])

    public init(maxTrackedKeys: Int = InMemoryRateLimitCounter.defaultMaxTrackedKeys) {
        self.maxTrackedKeys = max(1, maxTrackedKeys)
    }

    /// How many buckets are remembered now.
    public var trackedKeys: Int {
        buckets.withLock { $0.count }
    }

    public func take(_ cost: Int, from key: RateLimitKey, limit: RateLimit, now: Date) async -> RateLimitDecision {
        let bound = maxTrackedKeys
        return buckets.withLock { table in
            var bucket = InMemoryRateLimitCounter.current(key, limit: limit, now: now, in: &table, bound: bound)
            let decision = bucket.take(cost)
            table[key] = bucket
            return decision
        }
    }

    public func charge(_ cost: Int, to key: RateLimitKey, limit: RateLimit, now: Date) async {
        guard cost > 0 else { return }
        let bound = maxTrackedKeys
        buckets.withLock { table in
            var bucket = InMemoryRateLimitCounter.current(key, limit: limit, now: now, in: &table, bound: bound)
            bucket.level -= Double(cost)
            table[key] = bucket
        }
    }

    public func peek(_ key: RateLimitKey, limit: RateLimit, now: Date) async -> RateLimitDecision {
        buckets.withLock { table in
            // Not stored: a key only looked at needs no bucket, and refilling is the same whenever it is done.
            var bucket = table[key] ?? Bucket(fullOf: limit, at: now)
            bucket.refill(to: now, limit: limit)
            return bucket.peek()
        }
    }

    /// One key's bucket, refilled to `now`: the remembered one, or a full one (pruning first when the table is at
    /// its bound). The caller stores it back.
    private static func current(_ key: RateLimitKey, limit: RateLimit, now: Date, in table: inout [RateLimitKey: Bucket],
                                bound: Int) -> Bucket {
        if var bucket = table[key] {
            bucket.refill(to: now, limit: limit)
            return bucket
        }
        if table.count >= bound { prune(&table, now: now, bound: bound) }
        return Bucket(fullOf: limit, at: now)
    }

    private static func prune(_ table: inout [RateLimitKey: Bucket], now: Date, bound: Int) {
        table = table.filter { !$0.value.isFull(at: now) }
        let keep = bound * 3 / 4
        guard table.count > keep else { return }
        // Still crowded, so many callers are active at once: failing open for the longest idle is better than
        // memory without end.
        let idlest = table.sorted { $0.value.updated < $1.value.updated }.prefix(table.count - keep)
        for (key, _) in idlest { table[key] = nil }
    }

    /// One token bucket: its level (below zero when in debt) as of `updated`.
    private struct Bucket: Sendable {
        var level: Double
        var updated: Date
        /// The limit of the last call, by which pruning judges whether the bucket is full.
        var limit: RateLimit

        init(fullOf limit: RateLimit, at now: Date) {
            level = limit.capacity
            updated = now
            self.limit = limit
        }

        mutating func refill(to now: Date, limit: RateLimit) {
            self.limit = limit
            let elapsed = now.timeIntervalSince(updated)
            // A clock stepped back refills nothing, and the later time is kept so that no interval counts twice.
            if elapsed > 0 {
                level += limit.units(in: elapsed)
                updated = now
            }
            level = min(level, limit.capacity)
        }

        func isFull(at now: Date) -> Bool {
            var later = self
            later.refill(to: now, limit: limit)
            return later.level + RateLimit.slack >= limit.capacity
        }

        mutating func take(_ cost: Int) -> RateLimitDecision {
            guard cost > 0 else { return peek() }
            let units = Double(cost)
            let capacity = limit.capacity
            if level + RateLimit.slack >= units || (units > capacity && level + RateLimit.slack >= capacity) {
                level -= units
                return decision(needing: nil)
            }
            return decision(needing: min(units, capacity))
        }

        func peek() -> RateLimitDecision {
            level + RateLimit.slack >= 1 ? decision(needing: nil) : decision(needing: 1)
        }

        /// The decision at this level: allowed when `needed` is nil, else refused until the level reaches `needed`.
        func decision(needing needed: Double?) -> RateLimitDecision {
            RateLimitDecision(
                allowed: needed == nil, limit: limit.perMinute,
                remaining: Int(max(0, level + RateLimit.slack).rounded(.down)),
                resetSeconds: limit.seconds(toAdd: limit.capacity - level),
                retryAfterSeconds: needed.map { max(1, limit.seconds(toAdd: $0 - level)) })
        }
    }
}

extension RateLimit {
    /// What floating-point noise may leave a whole level short of (0.999999999 for 1), so that it is not read as a
    /// unit missing or a second more to wait.
    fileprivate static let slack = 1e-9

    fileprivate var capacity: Double { Double(perMinute) }

    /// The units refilled in `seconds`; multiplied before dividing, so whole numbers stay exact (20 s of 3/min is 1).
    fileprivate func units(in seconds: TimeInterval) -> Double {
        seconds * capacity / 60
    }

    /// Whole seconds, rounded up, until `units` more are refilled; 0 when none are missing.
    fileprivate func seconds(toAdd units: Double) -> Int {
        guard units > 0 else { return 0 }
        // Capped so that a huge debt still converts to an Int (10^12 s is some 30,000 years).
        return Int(min((units * 60 / capacity - RateLimit.slack).rounded(.up), 1e12))
    }
}

/// Whose limits a request counts against: its API key's (when it came with one) and its tenant's. A limit left nil
/// is not counted.
@MemberwiseInit
public struct RateLimitedCaller: Sendable, Hashable {
    public var tenant: String
    /// The API key; nil for a token or an open server, whose key limits are then not counted.
    public var keyID: String? = nil
    public var keyRequestsPerMinute: Int? = nil
    public var keyTokensPerMinute: Int? = nil
    public var tenantRequestsPerMinute: Int? = nil
    public var tenantTokensPerMinute: Int? = nil

    /// The caller authentication established, with its key's limits, and the tenant's limits.
    public init(_ principal: Principal, tenantRequestsPerMinute: Int? = nil, tenantTokensPerMinute: Int? = nil) {
        self.init(tenant: principal.tenant, keyID: principal.keyID, keyRequestsPerMinute: principal.requestsPerMinute,
                  keyTokensPerMinute: principal.tokensPerMinute, tenantRequestsPerMinute: tenantRequestsPerMinute,
                  tenantTokensPerMinute: tenantTokensPerMinute)
    }

    /// The buckets of one kind that are limited, the key's first.
    func limits(of kind: RateLimitKind) -> [(key: RateLimitKey, limit: RateLimit)] {
        var limits: [(key: RateLimitKey, limit: RateLimit)] = []
        let keyPerMinute = kind == .requests ? keyRequestsPerMinute : keyTokensPerMinute
        if let keyID, let keyPerMinute {
            limits.append((key: RateLimitKey.key(keyID, kind), limit: RateLimit(perMinute: keyPerMinute)))
        }
        let tenantPerMinute = kind == .requests ? tenantRequestsPerMinute : tenantTokensPerMinute
        if let tenantPerMinute {
            limits.append((key: RateLimitKey.tenant(tenant, kind), limit: RateLimit(perMinute: tenantPerMinute)))
        }
        return limits
    }
}

/// The policy over the buckets: a request takes one unit from its key's and its tenant's request buckets, and waits
/// while either token bucket is in debt; an answer's tokens are charged afterwards, when they are known.
///
/// ```swift
/// let limiter = RateLimiter(counter: InMemoryRateLimitCounter())
/// let caller = RateLimitedCaller(principal, tenantRequestsPerMinute: 600)
/// if let decision = await limiter.admit(caller), !decision.allowed { /* 429 with decision.httpHeaders */ }
/// // … answer …
/// await limiter.recordTokens(usage.totalTokens, for: caller)
/// ```
public struct RateLimiter: Sendable {
    public let counter: any RateLimitCounter

    public init(counter: any RateLimitCounter) {
        self.counter = counter
    }

    /// Whether the caller may make a request now; nil when none of its limits is set.
    ///
    /// The token buckets are looked at first, so a caller waiting for its tokens spends no request unit. Then the
    /// key's request unit is taken, then the tenant's: a refusal by the tenant's bucket has then cost the key one
    /// unit, which is accepted (the counters have no give-back) and in this order falls on the caller refused,
    /// not on the tenant's other keys. The answer is the most restrictive bucket's: the longest refusal if any
    /// refuses, else the bucket with the smallest share of its limit left.
    public func admit(_ caller: RateLimitedCaller, now: Date = Date()) async -> RateLimitDecision? {
        var tokenDecisions: [RateLimitDecision] = []
        for (key, limit) in caller.limits(of: .tokens) {
            let decision = await counter.peek(key, limit: limit, now: now)
            tokenDecisions.append(decision)
        }
        if tokenDecisions.contains(where: { !$0.allowed }) { return Self.mostRestrictive(tokenDecisions) }
        var requestDecisions: [RateLimitDecision] = []
        for (key, limit) in caller.limits(of: .requests) {
            let decision = await counter.take(1, from: key, limit: limit, now: now)
            requestDecisions.append(decision)
            if !decision.allowed { break }
        }
        // Requests first, so that of two buckets equally near empty the one counted in requests is reported.
        return Self.mostRestrictive(requestDecisions + tokenDecisions)
    }

    /// Charges an answer's tokens to the caller's token buckets, into debt if need be.
    public func recordTokens(_ tokens: Int, for caller: RateLimitedCaller, now: Date = Date()) async {
        guard tokens > 0 else { return }
        for (key, limit) in caller.limits(of: .tokens) {
            await counter.charge(tokens, to: key, limit: limit, now: now)
        }
    }

    /// The decision to report of several: a refusal if any refuses (the longest wait, as the caller must wait for
    /// every bucket), else the bucket with the smallest share of its limit left (a share, because request and token
    /// buckets count different units); nil for none.
    static func mostRestrictive(_ decisions: [RateLimitDecision]) -> RateLimitDecision? {
        if let refusal = decisions.filter({ !$0.allowed }).max(by: { ($0.retryAfterSeconds ?? 0) < ($1.retryAfterSeconds ?? 0) }) {
            return refusal
        }
        return decisions.min { Double($0.remaining) / Double($0.limit) < Double($1.remaining) / Double($1.limit) }
    }
}
