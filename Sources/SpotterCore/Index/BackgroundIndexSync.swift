import Dispatch
import Logging
import Synchronization

/// Brings a knowledge base's dense index up to date after a change, off the request path.
///
/// `VectorIndexCatalog.synchronize` blocks its thread (a lock, then CPU-bound graph work), so it runs on a dispatch
/// queue rather than on a thread of Swift's cooperative pool, which a request would otherwise wait behind. Requests
/// for a knowledge base whose sync is already running are folded into one more pass after it. Searches never
/// depend on this: the catalog also syncs lazily on the first search after a change.
public final class BackgroundIndexSync: Sendable {
    private let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    private var spotter: Spotter { engine.current }
    private let logger: Logger
    /// Knowledge bases with a pass running, and whether another pass was asked for meanwhile.
    private let running = Mutex<[String: Bool]>([:])

    public init(engine: LiveEngine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    /// Brings the knowledge base's index up to date soon, off the caller's thread.
    public func schedule(_ knowledgeBase: String) {
        let start = running.withLock { running -> Bool in
            if running[knowledgeBase] != nil {
                running[knowledgeBase] = true
                return false
            }
            running[knowledgeBase] = false
            return true
        }
        guard start else { return }
        // Detached from the request on purpose: the response must not wait for the index (see the type's comment).
        DispatchQueue.global(qos: .utility).async { [self] in
            repeat {
                synchronize(knowledgeBase)
            } while anotherPassWanted(knowledgeBase)
        }
    }

    /// True (and cleared) when a change came in during the pass; otherwise the knowledge base is marked idle.
    private func anotherPassWanted(_ knowledgeBase: String) -> Bool {
        running.withLock { running in
            if running[knowledgeBase] == true {
                running[knowledgeBase] = false
                return true
            }
            running[knowledgeBase] = nil
            return false
        }
    }

    private func synchronize(_ name: String) {
        do {
            guard let knowledgeBase = try spotter.search.existingKnowledgeBase(named: name) else { return }
            let action = try spotter.search.indexes.synchronize(knowledgeBase)
            logger.debug("dense index synchronized", metadata: ["kb": "\(name)", "action": "\(action)"])
        } catch {
            logger.error("dense index sync failed; the next search retries it", metadata: ["kb": "\(name)", "error": "\(error)"])
        }
    }
}
