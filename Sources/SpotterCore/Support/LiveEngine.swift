import Foundation
import Logging
import Metrics
import Synchronization

/// The engine a running server answers with, switched to another embedding model when `spotter index promote` or
/// `spotter index rollback` changes the store's active model: the new engine is built beside the serving one (the
/// model loaded, the indexes opened) and then replaces it in one step, so that each request runs wholly on one model.
///
/// ```swift
/// let engine = LiveEngine(try Spotter(configuration: configuration))
/// async let _ = engine.followPromotions(every: .seconds(5))
/// let spotter = engine.current   // per request
/// ```
public final class LiveEngine: Sendable {
    private struct State {
        var current: Spotter
        /// Engines replaced by a switch; their pending writes are flushed at shutdown.
        var retired: [Spotter] = []
        /// A promoted model that failed to load, so that the failure is logged once and not retried every poll.
        var failedTag: String?
    }

    private let state: Mutex<State>
    private let logger: Logger
    /// Loads the active model's weights; a parameter so that tests can count loads.
    private let loadEmbedder: @Sendable (SpotterConfiguration) throws -> any Embedder

    public init(_ spotter: Spotter, logger: Logger = Logger(label: "spotter.engine"),
                loadEmbedder: @escaping @Sendable (SpotterConfiguration) throws -> any Embedder = { try Spotter.activeEmbedder(configuration: $0) }) {
        state = Mutex(State(current: spotter))
        self.logger = logger
        self.loadEmbedder = loadEmbedder
    }

    /// The engine to answer the next request with.
    public var current: Spotter { state.withLock { $0.current } }

    /// What a check for a promoted model did.
    public enum SwitchOutcome: Sendable, Equatable {
        /// The serving model is the store's active one (or nothing was ever promoted).
        case unchanged
        /// The engine now serves with this model (`id@version`).
        case switched(to: String)
        /// The active model could not be loaded; the engine keeps serving with its model.
        case failed(String)
    }

    /// Compares the serving model with the store's active one and switches when they differ.
    @discardableResult
    public func switchToActiveModel() async -> SwitchOutcome {
        let serving = current
        let active: EmbeddingModelRecord?
        do {
            active = try serving.store.embeddingModel(.active)
        } catch {
            logger.warning("could not read the active embedding model", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        guard let active, active.tag != "\(serving.embedder.modelID)@\(serving.embedder.modelVersion)" else { return .unchanged }
        if state.withLock({ $0.failedTag }) == active.tag { return .failed("already failed to load \(active.tag)") }
        let embedder: any Embedder
        do {
            embedder = try loadEmbedder(serving.configuration)
        } catch {
            state.withLock { $0.failedTag = active.tag }
            logger.error("the promoted embedding model cannot be loaded; still serving with the previous one",
                         metadata: ["model": "\(active.tag)", "error": "\(error)"])
            return .failed("\(error)")
        }
        let next = serving.switchingEmbedder(to: embedder)
        // Open each knowledge base's index for the new model now, so that the first searches after the switch do not.
        for knowledgeBase in (try? next.store.knowledgeBases()) ?? [] {
            _ = try? next.search.indexes.synchronize(knowledgeBase)
        }
        let replaced = state.withLock { state in
            let replaced = state.current
            state.current = next
            state.retired.append(replaced)
            state.failedTag = nil
            return replaced
        }
        Counter(label: "spotter_embedding_model_switches_total", factory: serving.metrics.factory).increment()
        logger.notice("switched the embedding model", metadata: [
            "from": "\(replaced.embedder.modelID)@\(replaced.embedder.modelVersion)", "to": "\(active.tag)",
        ])
        // Requests already running on the old engine finish there; its queued records are written behind them.
        Task { await replaced.retire() }
        return .switched(to: active.tag)
    }

    /// Checks for a promoted or rolled-back model every `interval` until cancelled.
    public func followPromotions(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            await switchToActiveModel()
        }
    }

    /// Flushes the replaced engines, then shuts the current one down (closing what they all share).
    public func shutdown() async {
        let (current, retired) = state.withLock { ($0.current, $0.retired) }
        for engine in retired { await engine.retire() }
        await current.shutdown()
    }
}
