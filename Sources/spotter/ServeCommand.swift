import ArgumentParser
import Foundation
import Metrics
import SpotterCore
import SpotterServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the HTTP API (chat, OpenAI-compatible completions, sessions, search, health) until SIGTERM or SIGINT.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (default: $SPOTTER_HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default: $SPOTTER_PORT or 8080; 0 picks a free port).")
    var port: Int?

    func run() async throws {
        var configuration = try common.configuration()
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        let logger = common.logger(configuration)
        // A line per answer: written a few milliseconds behind, many to a system call (see DeferredStandardError).
        DeferredStandardError.shared.enable()
        defer { DeferredStandardError.shared.flush() }
        if let languageModel = configuration.languageModel {
            logger.info("language model", metadata: ["models": "\(languageModel)"])
        } else {
            logger.info("no language model configured (SPOTTER_LLM_BASE_URL): answering offline with the extractive answerer")
        }
        // Before the store is opened: a wrong certificate or key is the first thing said.
        let tls = try configuration.tls.map { files throws(TLSSetupError) in try TLSCredentials(files: files) }
        logger.info("loading", metadata: ["data_dir": "\(configuration.dataDirectory.path)", "model_dir": "\(configuration.modelDirectory.path)"])
        let spotter = try Spotter(configuration: configuration, logger: logger)
        // Libraries that record through swift-metrics' process-wide factory land in the same registry.
        MetricsSystem.bootstrap(spotter.metrics.factory)
        // Listen at once, answering 503 `not_ready` on /v1/* while every knowledge base's dense index is loaded (or
        // built) beside it; /healthz answers meanwhile, /readyz says when it is done.
        let readiness = ReadinessState(ready: false, reason: "loading the dense indexes")
        let engine = LiveEngine(spotter, logger: logger)
        let access = try AccessControl.make(configuration: configuration, store: spotter.store, host: configuration.host)
        if access.mode == .required, try spotter.store.apiKeys(tenant: nil).allSatisfy({ $0.revokedAt != nil }) {
            logger.warning("no active API key: every request but /healthz, /readyz and /docs gets 401 until `spotter keys create` makes one")
        }
        try await SpotterHTTPServer(engine: engine, logger: logger, readiness: readiness, access: access, tls: tls)
            .run(host: configuration.host, port: configuration.port, gracePeriod: configuration.shutdownGracePeriod,
                 modelPollInterval: configuration.modelPollInterval > 0 ? .milliseconds(Int64(configuration.modelPollInterval * 1000)) : nil,
                 background: [IndexLoader(engine: engine, readiness: readiness, logger: logger)])
    }
}
