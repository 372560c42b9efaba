import Hummingbird
import SpotterCore

/// `GET /healthz` (the process answers) and `GET /readyz` (the store answers and the model is loaded).
struct HealthRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }
    let readiness: ReadinessState

    func register(on router: SpotterRoutes) {
        router.get("/healthz") { _, _ in
            JSONBody.response(["status": "ok"])
        }
        router.get("/readyz") { _, _ -> Response in
            if let reason = readiness.notReadyReason { throw readiness.notReadyError(reason) }
            do {
                try spotter.store.ping()
            } catch {
                throw APIError(.serviceUnavailable, code: "not_ready", message: "\(error)")
            }
            return JSONBody.response(Readiness(
                status: "ready", model: spotter.embedder.modelID, modelVersion: spotter.embedder.modelVersion,
                knowledgeBases: (try? spotter.store.knowledgeBases(tenant: Principal.defaultTenant).map(\.name)) ?? []))
        }
    }
}
