import AsyncHTTPClient
import Logging
import Metrics

/// Builds the model chain the pipeline answers with: the primary remote model, the secondary, then the offline
/// answerer, each remote one with retries and its own circuit breaker.
public enum ChatModelChain {
    /// `primary (resilient) → secondary (resilient) → offline` in a ``FallbackChatModel``; with no configuration,
    /// `offline` alone.
    ///
    /// - Parameter httpClient: shared by the remote models and owned by the caller, ideally made with
    ///   ``LanguageModelConfiguration/httpClientConfiguration``.
    public static func make(configuration: LanguageModelConfiguration?, offline: any ChatModel,
                            httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "spotter.llm"),
                            metrics: any MetricsFactory = MetricsSystem.factory) -> any ChatModel {
        guard let configuration else { return offline }
        var chain: [any ChatModel] = []
        for endpoint in [configuration.primary] + (configuration.secondary.map { [$0] } ?? []) {
            // A secondary on the same host and model still needs its own name: breakers and metrics key on it.
            let defaultName = OpenAICompatibleChatModel.defaultName(for: endpoint)
            let name = chain.contains { $0.name == defaultName } ? defaultName + "#2" : nil
            let model = OpenAICompatibleChatModel(endpoint: endpoint, name: name, timeouts: configuration.timeouts,
                                                  httpClient: httpClient, logger: logger)
            let breaker = CircuitBreaker(upstream: model.name, failureThreshold: configuration.breakerFailures,
                                         coolDown: configuration.breakerCoolDown, logger: logger, metrics: metrics)
            chain.append(ResilientChatModel(upstream: model, retry: configuration.retry, breaker: breaker, logger: logger,
                                            metrics: metrics))
        }
        chain.append(offline)
        return FallbackChatModel(chain)
    }
}
