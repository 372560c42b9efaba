import Foundation
import Logging
import Metrics
import Synchronization

/// What a tenant may spend: its rate limits and daily budgets, as `spotter tenants set` stores them. A tenant
/// without settings has no limits of its own.
@MemberwiseInit
@SnakeCaseCodingKeys(writesNulls: true)
public struct TenantSettings: Sendable, Equatable, Codable {
    public var name: String
    /// Model tokens (prompt and completion) the tenant's answers may use per UTC day.
    public var dailyTokens: Int? = nil
    /// USD the tenant's answers may cost per UTC day (priced by `SPOTTER_LLM_PRICES`).
    @WireKey("daily_usd") public var dailyUSD: Double? = nil
    /// What happens once a daily budget is spent.
    public var onExhausted: BudgetExhaustion = .block
    /// Requests and model tokens per minute that every key and token of the tenant share.
    public var requestsPerMinute: Int? = nil
    public var tokensPerMinute: Int? = nil
    public var updatedAt: Date = Date()

    /// The most a setting may be: far above any real budget, well inside what SQLite and Double keep exactly.
    public static let maximumLimit = 1_000_000_000_000

    /// Why these settings cannot be stored; nil when they can.
    public var problem: AccessError? {
        guard APIKeyService.isValidTenant(name) else { return .invalidTenant(name) }
        for (flag, value) in [("--daily-tokens", dailyTokens), ("--rpm", requestsPerMinute), ("--tpm", tokensPerMinute)] {
            if let value, !(1...Self.maximumLimit).contains(value) { return .invalidLimit(flag, value) }
        }
        if let usd = dailyUSD, !(usd > 0 && usd <= Double(Self.maximumLimit)) {
            return .invalidBudget("--daily-usd", usd)
        }
        return nil
    }
}

/// What a tenant's answers become once a daily budget is spent.
public enum BudgetExhaustion: String, Sendable, Codable, CaseIterable {
    /// 429 `budget_exhausted` until the next UTC day.
    case block
    /// Answers from the cache and the offline answerer only: nothing more is spent.
    case degrade
}

/// Model tokens and cost spent in a period.
@MemberwiseInit
public struct Spending: Sendable, Equatable {
    public var tokens: Int = 0
    public var costUSD: Double = 0
}

/// Where tenants' settings and their answers' spending are kept.
public protocol TenantStore: Sendable {
    func tenantSettings(_ name: String) throws(StoreError) -> TenantSettings?
    /// Every tenant with settings, by name.
    func allTenantSettings() throws(StoreError) -> [TenantSettings]
    /// Creates or replaces a tenant's settings.
    func saveTenantSettings(_ settings: TenantSettings) throws(StoreError)
    /// What the tenant's answers by a remote model spent since `start` (cached and offline answers spend nothing).
    func spending(tenant: String, since start: Date) throws(StoreError) -> Spending
    /// Requests, tokens, cost and what the cache saved, grouped as `query` asks.
    func usage(_ query: UsageQuery) throws(StoreError) -> [UsageRow]
}

/// Where a tenant stands against its daily budgets.
public enum BudgetStatus: Sendable, Equatable {
    case within
    /// A budget is spent; `reason` names which, for the caller.
    case exhausted(BudgetExhaustion, reason: String)
}

/// The limits every answer passes: rate limits per key and per tenant (token buckets, ``RateLimiter``) and daily
/// budgets per tenant, with a warning when 80% of a budget is spent.
///
/// A tenant's settings are read from the store on each request (one lookup by primary key), so a
/// `spotter tenants set` takes effect at once. The day's spending is read from the answer records once per tenant
/// and day, then kept up to date from the answers this process charges: the records are written behind the answers,
/// so reading them for every request would lag.
///
/// ```swift
/// if let decision = try await limits.admit(principal), !decision.allowed { /* 429 rate_limited */ }
/// switch try limits.budget(for: "acme") { case .exhausted(.block, let reason): … }
/// await limits.charge(answer, caller: caller)
/// ```
public final class UsageLimits: Sendable {
    /// The share of a budget that sends the warning.
    public static let warningShare = 0.8

    public let store: any TenantStore
    public let limiter: RateLimiter
    let webhook: DriftWebhook?
    let logger: Logger
    private let warnings: MetricsFactory
    private let days = Mutex<[String: DaySpending]>([:])

    /// One tenant's spending on one UTC day, and the budgets already warned about.
    private struct DaySpending {
        var day: Date
        var spent: Spending
        var warned: Set<String> = []
    }

    public init(store: any TenantStore, counter: any RateLimitCounter = InMemoryRateLimitCounter(), webhook: DriftWebhook? = nil,
                logger: Logger = Logger(label: "spotter.limits"), metrics: any MetricsFactory = MetricsSystem.factory) {
        self.store = store
        limiter = RateLimiter(counter: counter)
        self.webhook = webhook
        self.logger = logger
        warnings = metrics
    }

    /// The buckets a principal's requests count against: its key's limits and its tenant's.
    public func caller(_ principal: Principal) throws(StoreError) -> RateLimitedCaller {
        let tenant = try store.tenantSettings(principal.tenant)
        return RateLimitedCaller(principal, tenantRequestsPerMinute: tenant?.requestsPerMinute,
                                 tenantTokensPerMinute: tenant?.tokensPerMinute)
    }

    /// Whether the caller may make a request now (one unit of its request buckets is taken); nil when no limit applies.
    public func admit(_ caller: RateLimitedCaller, now: Date = Date()) async -> RateLimitDecision? {
        await limiter.admit(caller, now: now)
    }

    /// Where `tenant` stands against its daily budgets today.
    public func budget(for tenant: String, now: Date = Date()) throws(StoreError) -> BudgetStatus {
        guard let settings = try store.tenantSettings(tenant), settings.dailyTokens != nil || settings.dailyUSD != nil else {
            return .within
        }
        let spent = try today(tenant, now: now)
        if let tokens = settings.dailyTokens, spent.tokens >= tokens {
            return .exhausted(settings.onExhausted, reason: "tenant '\(tenant)' has used its \(tokens) model tokens for today (UTC)")
        }
        if let usd = settings.dailyUSD, spent.costUSD >= usd {
            return .exhausted(settings.onExhausted, reason: "tenant '\(tenant)' has spent its \(Self.dollars(usd)) for today (UTC)")
        }
        return .within
    }

    /// Counts an answer against the caller's token buckets and its tenant's day; warns once a day per budget when
    /// 80% of it is spent. Cached and offline answers spend nothing.
    public func charge(_ answer: Answer, caller: RateLimitedCaller?, tenant: String, now: Date = Date()) async {
        guard Self.spends(answer) else { return }
        if let caller { await limiter.recordTokens(answer.usage.totalTokens, for: caller, now: now) }
        let settings = try? store.tenantSettings(tenant)
        let spent = Spending(tokens: answer.usage.totalTokens, costUSD: answer.costUSD ?? 0)
        let crossed: [BudgetWarning] = days.withLock { table in
            guard var entry = table[tenant], entry.day == Self.day(of: now) else { return [] }
            entry.spent.tokens += spent.tokens
            entry.spent.costUSD += spent.costUSD
            var crossed: [BudgetWarning] = []
            if let limit = settings?.dailyTokens, Double(entry.spent.tokens) >= Double(limit) * Self.warningShare,
               entry.warned.insert("daily_tokens").inserted {
                crossed.append(BudgetWarning(tenant: tenant, budget: "daily_tokens", used: Double(entry.spent.tokens), limit: Double(limit), at: now))
            }
            if let limit = settings?.dailyUSD, entry.spent.costUSD >= limit * Self.warningShare,
               entry.warned.insert("daily_usd").inserted {
                crossed.append(BudgetWarning(tenant: tenant, budget: "daily_usd", used: entry.spent.costUSD, limit: limit, at: now))
            }
            table[tenant] = entry
            return crossed
        }
        for warning in crossed { await warn(warning) }
    }

    /// Whether an answer spent model tokens: a fresh answer by a remote model.
    static func spends(_ answer: Answer) -> Bool {
        !answer.cached && !["offline", "none"].contains(answer.model)
    }

    /// The tenant's spending today: read from the records on first use of the day, then kept in memory.
    private func today(_ tenant: String, now: Date) throws(StoreError) -> Spending {
        let day = Self.day(of: now)
        if let entry = days.withLock({ $0[tenant] }), entry.day == day { return entry.spent }
        let spent = try store.spending(tenant: tenant, since: day)
        return days.withLock { table in
            // Another request may have read it meanwhile; the first reading counts, charges since then are in it.
            if let entry = table[tenant], entry.day == day { return entry.spent }
            table[tenant] = DaySpending(day: day, spent: spent)
            return spent
        }
    }

    private func warn(_ warning: BudgetWarning) async {
        logger.warning("budget 80% spent", metadata: [
            "tenant": "\(warning.tenant)", "budget": "\(warning.budget)", "used": "\(warning.used)", "limit": "\(warning.limit)",
        ])
        Counter(label: "spotter_budget_warnings_total", dimensions: [("tenant", warning.tenant), ("budget", warning.budget)],
                factory: warnings).increment()
        if let webhook {
            await webhook.deliver(warning, describedAs: ["event": "budget_warning", "tenant": "\(warning.tenant)"])
        }
    }

    /// The UTC day `date` falls in, as its first moment.
    static func day(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }

    static func dollars(_ value: Double) -> String {
        "$" + String(format: "%.2f", value)
    }
}

/// The webhook's body when a tenant has spent 80% of a daily budget.
@SnakeCaseCodingKeys
public struct BudgetWarning: Sendable, Equatable, Codable {
    public var event = "budget_warning"
    public var tenant: String
    /// `daily_tokens` or `daily_usd`.
    public var budget: String
    public var used: Double
    public var limit: Double
    public var at: Date

    public init(tenant: String, budget: String, used: Double, limit: Double, at: Date) {
        self.tenant = tenant
        self.budget = budget
        self.used = used
        self.limit = limit
        self.at = at
    }
}
