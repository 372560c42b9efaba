import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// POSTs each drift change as JSON (``DriftChange``) to the configured URL, retrying failures with backoff.
///
/// A delivery is retried on connection errors, timeouts, 429 and 5xx, up to ``attempts`` times (0.5 s, 1 s, 2 s apart);
/// another 4xx is the receiver refusing the body, not retried. Failures are logged and counted
/// (`spotter_drift_webhook_failures_total`); they never hold up drift detection.
public struct DriftWebhook: Sendable {
    public let url: URL
    let client: HTTPClient
    let logger: Logger
    let failures: Counter
    let attempts: Int
    let firstBackoff: Duration

    public init(url: URL, client: HTTPClient, logger: Logger, metrics: any MetricsFactory, attempts: Int = 4,
                firstBackoff: Duration = .milliseconds(500)) {
        self.url = url
        self.client = client
        self.logger = logger
        failures = Counter(label: "spotter_drift_webhook_failures_total", factory: metrics)
        self.attempts = attempts
        self.firstBackoff = firstBackoff
    }

    /// Delivers `change`; returns whether the receiver accepted it (2xx).
    @discardableResult
    public func deliver(_ change: DriftChange) async -> Bool {
        await deliver(change, describedAs: ["signal": "\(change.signal.rawValue)", "state": "\(change.state.rawValue)"])
    }

    /// Delivers any event the operator is alerted to (drift changes, budget warnings) to the same receiver;
    /// `description` names it in the log line of a failed delivery.
    @discardableResult
    public func deliver(_ event: some Encodable & Sendable, describedAs description: Logger.Metadata) async -> Bool {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? encoder.encode(event) else { return false }
        var backoff = firstBackoff
        var lastProblem = ""
        for attempt in 1...max(1, attempts) {
            do {
                var request = HTTPClientRequest(url: url.absoluteString)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "spotter-drift")
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                let code = Int(response.status.code)
                if (200..<300).contains(code) { return true }
                lastProblem = "HTTP \(code)"
                if (400..<500).contains(code), code != 429 { break }
            } catch {
                lastProblem = "\(error)"
            }
            if attempt < attempts {
                try? await Task.sleep(for: backoff)
                backoff *= 2
            }
        }
        failures.increment()
        var metadata = description
        metadata["url"] = "\(url.absoluteString)"
        metadata["problem"] = "\(lastProblem)"
        logger.error("webhook not delivered", metadata: metadata)
        return false
    }
}

/// Runs a signal's actions when it changes: the alert (its webhook), a refresh, a gap report.
///
/// The monitor already logged and counted the change. Actions run in the background, so that drift detection goes on.
public struct DriftResponder: Sendable {
    let settings: DriftSettings
    let webhook: DriftWebhook?
    let refresh: RefreshCoordinator
    let gaps: @Sendable () async -> KnowledgeGapReport?
    let logger: Logger

    public init(settings: DriftSettings, webhook: DriftWebhook?, refresh: RefreshCoordinator,
                gaps: @escaping @Sendable () async -> KnowledgeGapReport?, logger: Logger) {
        self.settings = settings
        self.webhook = webhook
        self.refresh = refresh
        self.gaps = gaps
        self.logger = logger
    }

    public func respond(to change: DriftChange) {
        let actions = settings.actions[change.signal] ?? []
        if actions.contains(.alert), let webhook {
            Task.detached(priority: .utility) { await webhook.deliver(change) }
        }
        // Refreshing and reporting are for a signal that starts drifting, not for its warnings or recovery.
        guard change.state == .drifting, change.previousState != .drifting else { return }
        if actions.contains(.refresh) {
            let status = refresh.start(trigger: "drift:\(change.signal.rawValue)")
            logger.notice("refresh asked by drift", metadata: ["signal": "\(change.signal.rawValue)", "refresh_id": "\(status.id)"])
        }
        if actions.contains(.gaps) {
            let logger = logger
            Task.detached(priority: .utility) { [gaps] in
                guard let report = await gaps() else { return }
                for gap in report.gaps.prefix(5) {
                    logger.notice("knowledge gap", metadata: [
                        "questions": "\(gap.count)", "representative": "\(gap.representative)",
                        "examples": "\(gap.examples.joined(separator: " | "))",
                    ])
                }
            }
        }
    }
}
