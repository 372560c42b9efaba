import ArgumentParser
import Foundation
import SpotterCore

/// A limit given on the command line: a whole number, or `off` to remove it.
enum LimitArgument<Value: LosslessStringConvertible & Sendable>: ExpressibleByArgument, Sendable {
    case value(Value)
    case off

    init?(argument: String) {
        if argument.lowercased() == "off" { self = .off } else if let value = Value(argument) { self = .value(value) } else { return nil }
    }

    /// The setting after this argument: the new value, nil for `off`, `current` when not given.
    static func apply(_ argument: LimitArgument?, to current: Value?) -> Value? {
        switch argument {
        case .none: current
        case .off?: nil
        case .value(let value)?: value
        }
    }
}

struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants",
        abstract: "Tenants' daily budgets and shared rate limits.",
        discussion: """
            A budget counts the model tokens and cost of a tenant's answers per UTC day (cached and offline answers \
            spend nothing). At 80% a warning is logged, counted (spotter_budget_warnings_total) and sent to \
            SPOTTER_DRIFT_WEBHOOK; at 100% answers get 429 budget_exhausted (block) or come from the cache and the \
            offline answerer only (degrade). A running server applies a change from its next request.
            """,
        subcommands: [Set.self, List.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a tenant's budgets and limits (options not given stay as they are).")

        @OptionGroup var common: CommonOptions

        @Argument(help: "The tenant.")
        var tenant: String

        @Option(help: ArgumentHelp("Model tokens per UTC day, or off.", valueName: "n|off"))
        var dailyTokens: LimitArgument<Int>?

        @Option(help: ArgumentHelp("USD per UTC day (priced by SPOTTER_LLM_PRICES), or off.", valueName: "x|off"))
        var dailyUsd: LimitArgument<Double>?

        @Option(help: "What a spent budget does: block (429 budget_exhausted) or degrade (cache and offline answers only).")
        var onExhausted: BudgetExhaustion?

        @Option(help: ArgumentHelp("Requests per minute all the tenant's keys and tokens share, or off.", valueName: "n|off"))
        var rpm: LimitArgument<Int>?

        @Option(help: ArgumentHelp("Model tokens per minute all the tenant's keys and tokens share, or off.", valueName: "n|off"))
        var tpm: LimitArgument<Int>?

        @Flag(help: "Print the tenant's settings as one JSON line.")
        var json = false

        func validate() throws {
            guard APIKeyService.isValidTenant(tenant) else { throw ValidationError(AccessError.invalidTenant(tenant).description) }
            if let problem = settings(from: TenantSettings(name: tenant)).problem { throw ValidationError(problem.description) }
        }

        func settings(from current: TenantSettings) -> TenantSettings {
            var settings = current
            settings.dailyTokens = LimitArgument.apply(dailyTokens, to: current.dailyTokens)
            settings.dailyUSD = LimitArgument.apply(dailyUsd, to: current.dailyUSD)
            settings.requestsPerMinute = LimitArgument.apply(rpm, to: current.requestsPerMinute)
            settings.tokensPerMinute = LimitArgument.apply(tpm, to: current.tokensPerMinute)
            if let onExhausted { settings.onExhausted = onExhausted }
            settings.updatedAt = Date()
            return settings
        }

        func run() async throws {
            let store = try Spotter.openStore(try common.configuration())
            defer { store.close() }
            let updated = settings(from: try store.tenantSettings(tenant) ?? TenantSettings(name: tenant))
            if let problem = updated.problem { throw ValidationError(problem.description) }
            try store.saveTenantSettings(updated)
            CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: tenant, action: .tenantChanged, target: tenant,
                                     detail: ["settings": TenantsCommand.summary(updated)]), in: store)
            if json { return JSONLine.print(updated) }
            printError("tenant '\(tenant)': \(TenantsCommand.summary(updated))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the tenants that have budgets or limits.")

        @OptionGroup var common: CommonOptions

        @Flag(help: "Print one JSON line per tenant.")
        var json = false

        func run() async throws {
            let store = try Spotter.openStore(try common.configuration())
            defer { store.close() }
            let tenants = try store.allTenantSettings()
            if json { return tenants.forEach { JSONLine.print($0) } }
            guard !tenants.isEmpty else { return printError("no tenant has budgets or limits; `spotter tenants set T --daily-tokens N` sets one") }
            for tenant in tenants { print("\(tenant.name)\t\(TenantsCommand.summary(tenant))") }
        }
    }

    static func summary(_ settings: TenantSettings) -> String {
        var parts: [String] = []
        parts.append("daily tokens \(settings.dailyTokens.map(String.init) ?? "unlimited")")
        parts.append("daily USD \(settings.dailyUSD.map { String(format: "%.2f", $0) } ?? "unlimited")")
        parts.append("when spent: \(settings.onExhausted.rawValue)")
        parts.append("rpm \(settings.requestsPerMinute.map(String.init) ?? "unlimited")")
        parts.append("tpm \(settings.tokensPerMinute.map(String.init) ?? "unlimited")")
        return parts.joined(separator: ", ")
    }
}

extension BudgetExhaustion: ExpressibleByArgument {}

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Requests, model tokens, cost and what the cache saved, from the answer records.",
        discussion: "Cached answers spend no tokens; their saved columns are what their answers took when first written.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Only this tenant (default: every tenant).")
    var tenant: String?

    @Option(help: "From this date (2026-11-01) or this far back (30d, 12h).")
    var since: String = "30d"

    @Option(help: "Group by day, model or key.")
    var by: UsageGrouping = .day

    @Flag(help: "Print one JSON line per group.")
    var json = false

    @Flag(help: "Print CSV with a header line.")
    var csv = false

    func validate() throws {
        if let tenant, !APIKeyService.isValidTenant(tenant) { throw ValidationError(AccessError.invalidTenant(tenant).description) }
        guard SpotterConfiguration.pointInTime(since, now: Date()) != nil else {
            throw ValidationError("--since '\(since)' is not a date (2026-11-01) or a span back (30d, 12h, 45m)")
        }
        guard !(json && csv) else { throw ValidationError("--json and --csv are two formats: give one") }
    }

    func run() async throws {
        let store = try Spotter.openStore(try common.configuration())
        defer { store.close() }
        let rows = try store.usage(UsageQuery(tenant: tenant, since: SpotterConfiguration.pointInTime(since, now: Date())!, by: by))
        if json { return rows.forEach { JSONLine.print($0) } }
        if csv { return print(UsageRow.csv(rows, groupedBy: by), terminator: "") }
        guard !rows.isEmpty else { return printError("no answers since \(since)") }
        print(["tenant", by.rawValue, "requests", "cache hits", "tokens in", "tokens out", "cost USD", "saved tokens", "saved USD"]
            .joined(separator: "\t"))
        for row in rows {
            print([row.tenant, row.group, String(row.requests), String(row.cacheHits), String(row.promptTokens),
                   String(row.completionTokens), String(format: "%.4f", row.costUSD), String(row.savedTokens),
                   String(format: "%.4f", row.savedUSD)].joined(separator: "\t"))
        }
    }
}

extension UsageGrouping: ExpressibleByArgument {}
