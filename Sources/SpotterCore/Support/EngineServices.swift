import Logging
import ServiceLifecycle

/// Start-up work that runs beside the HTTP server in its service group: every knowledge base's dense index is
/// loaded (or built), then the server is marked ready. Until then `/v1/*` answers 503 `not_ready` and `/healthz`
/// answers, so a load balancer waits instead of sending traffic.
///
/// Run it with `successTerminationBehavior: .ignore`: it returns once the indexes are loaded.
@MemberwiseInit
public struct IndexLoader: Service {
    let engine: LiveEngine
    let readiness: ReadinessState
    let logger: Logger

    public func run() async throws {
        let spotter = engine.current
        do {
            for knowledgeBase in try spotter.store.knowledgeBases() {
                try Task.checkCancellation()
                let action = try spotter.search.indexes.synchronize(knowledgeBase)
                logger.info("dense index ready", metadata: ["kb": "\(knowledgeBase.name)", "action": "\(action)"])
            }
            readiness.setReady()
            logger.notice("ready")
        } catch is CancellationError {
            return
        } catch {
            logger.error("could not load the dense indexes", metadata: ["error": "\(error)"])
            readiness.setNotReady(reason: "the dense indexes could not be loaded: \(error)")
        }
    }
}

/// Follows `spotter index promote` and `rollback` in a running server: checks the store's active embedding model
/// every `interval` and switches the engine when it changed (see ``LiveEngine/switchToActiveModel()``). Stops at
/// the service group's graceful shutdown.
@MemberwiseInit
public struct ModelFollower: Service {
    let engine: LiveEngine
    let interval: Duration

    public func run() async throws {
        let engine = self.engine, interval = self.interval
        await cancelWhenGracefulShutdown { await engine.followPromotions(every: interval) }
    }
}
