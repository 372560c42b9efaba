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
    private let running = Mutex<[Int64: Bool]>([:])

    public init(engine: LiveEngine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    /// Brings the knowledge base's index up to date soon, off the caller's thread.
    public func schedule(_ knowledgeBase: KnowledgeBase) {
        let start = running.withLock { running -> Bool in
            if running[knowledgeBase.id] != nil {
                running[knowledgeBase.id] = true
                return false
            }
            running[knowledgeBase.id] = false
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
    private func anotherPassWanted(_ knowledgeBase: KnowledgeBase) -> Bool {
        running.withLock { running in
            if running[knowledgeBase.id] == true {
                running[knowledgeBase.id] = false
                return true
            }
            running[knowledgeBase.id] = nil
            return false
        }
    }

    private func synchronize(_ knowledgeBase: KnowledgeBase) {
        let metadata: Logger.Metadata = ["tenant": "\(knowledgeBase.tenant)", "kb": "\(knowledgeBase.name)"]
        do {
            let action = try spotter.search.indexes.synchronize(knowledgeBase)
            logger.debug("dense index synchronized", metadata: metadata.merging(["action": "\(action)"]) { $1 })
        } catch {
            logger.error("dense index sync failed; the next search retries it", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }
}
