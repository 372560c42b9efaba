import Foundation
import Logging
import Metrics
import Synchronization

/// What the pipeline tells drift detection about one answered question.
@MemberwiseInit
public struct QuestionObservation: Sendable {
    public var question: String
    public var knowledgeBase: KnowledgeBase
    /// The question's embedding when the cache stage made one; otherwise the monitor embeds the question itself.
    public var vector: [Float]?
    /// Whether the cache served it; nil when the cache was not consulted (off, bypassed).
    public var cacheHit: Bool?
    /// Whether the answer is grounded in a relevant passage (a cached answer: whether the one it replays was); nil
    /// when unknown.
    public var covered: Bool?
}

/// Watches the answers and the feedback for drift, over rolling windows of the last ``DriftSettings/window``
/// observations, and reports each signal's change of state once.
///
/// Observations are queued by the answer and processed behind it, one at a time, so that answering never waits for
/// an embedding or a statistical test. Each signal moves between ok, warning and drifting with hysteresis (see
/// ``DriftSettings``) and only with at least ``DriftSettings/minimumSamples`` observations; a change is logged,
/// counted, exported and handed to `onChange`, which runs the signal's actions.
///
/// The query-shift signal compares the cosine of each question to the nearest of its knowledge base's centroids
/// (spherical k-means over the stored chunk vectors, computed once per knowledge base) between a reference, the
/// first `window` questions after start, and the last `window` questions, by the two-sample KS test. Both the
/// centroids and the reference stay fixed for the monitor's life, so that a refresh cannot hide the shift it reacts to.
public final class DriftMonitor: Sendable {
    public let settings: DriftSettings
    private let store: any Store
    private let embedder: any Embedder
    private let logger: Logger
    private let onChange: @Sendable (DriftChange) -> Void
    private let instruments: DriftInstruments
    private let state: Mutex<State>
    /// Centroids at most this many per knowledge base, from at most ``centroidSample`` chunk vectors.
    static let maximumCentroids = 16
    /// How long observations gather before a drain processes them together.
    static let gathering: Duration = .milliseconds(20)
    static let centroidSample = 4_000

    enum Observation: Sendable {
        case question(QuestionObservation)
        case feedback(Rating)
    }

    struct SignalState {
        var state: DriftState = .ok
        var since: Date
        var value: Double?
    }

    struct State {
        var queue: [Observation] = []
        var submitted = 0
        var processed = 0
        var draining = false
        var waiters: [(until: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var misses: RollingWindow<Bool>
        var negatives: RollingWindow<Bool>
        var gaps: RollingWindow<Bool>
        /// The reference similarities, and the current window's, each kept sorted for the KS test.
        var reference: [Double] = []
        var current: RollingWindow<Double>
        var currentSorted: [Double] = []
        var signals: [DriftSignal: SignalState]
        var centroids: [Int64: [[Float]]] = [:]
        /// Each recent question's similarity to its knowledge base's nearest centroid, by knowledge base and text:
        /// popular questions repeat word for word, and the centroids stand still until the next baseline.
        var similarities: [Int64: [String: Double]] = [:]
    }

    public init(settings: DriftSettings, store: any Store, embedder: any Embedder, logger: Logger = Logger(label: "spotter.drift"),
                metrics: any MetricsFactory, onChange: @escaping @Sendable (DriftChange) -> Void = { _ in }) {
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.logger = logger
        self.onChange = onChange
        instruments = DriftInstruments(factory: metrics)
        let window = max(1, settings.window)
        let now = Date()
        state = Mutex(State(misses: RollingWindow(capacity: window), negatives: RollingWindow(capacity: window),
                            gaps: RollingWindow(capacity: window), current: RollingWindow(capacity: window),
                            signals: Dictionary(uniqueKeysWithValues: DriftSignal.allCases.map { ($0, SignalState(since: now)) })))
        // Every signal's series exists from the start, at ok, so that dashboards and alerts see it before traffic.
        for signal in DriftSignal.allCases { instruments.state[signal].record(0) }
    }

    /// Queues an answered question; returns at once.
    public func observe(_ observation: QuestionObservation) {
        submit(.question(observation))
    }

    /// Queues a rating; returns at once.
    public func observeFeedback(_ rating: Rating) {
        submit(.feedback(rating))
    }

    /// Returns when every observation queued before the call has been processed (and its changes acted on).
    public func settle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                guard state.submitted > state.processed else { return true }
                state.waiters.append((state.submitted, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Every signal as it stands now.
    public func statuses() -> [DriftSignalStatus] {
        state.withLock { state in
            DriftSignal.allCases.map { signal in
                let current = state.signals[signal]!
                return DriftSignalStatus(signal: signal, state: current.state, value: current.value,
                                         samples: samples(of: signal, in: state), minimumSamples: settings.minimumSamples,
                                         trigger: settings.trigger(of: signal), clearAt: settings.clearLevel(of: signal), since: current.since,
                                         actions: DriftAction.allCases.filter { settings.actions[signal]?.contains($0) == true })
            }
        }
    }

    /// Questions in the query-shift reference so far.
    public var referenceSamples: Int { state.withLock { $0.reference.count } }

    /// Takes a new query-shift baseline: the centroids are computed again from the knowledge bases as they are now,
    /// and the next `window` questions become the reference (after documents were added on purpose, say, so that the
    /// questions they answer stop counting as a shift). The query-shift signal returns to ok; the others are untouched.
    public func rebaseline() async {
        await settle()
        let change: DriftChange? = state.withLock { state in
            state.reference = []
            state.current = RollingWindow(capacity: max(1, settings.window))
            state.currentSorted = []
            state.centroids = [:]
            state.similarities = [:]
            let previous = state.signals[.queryShift]!
            let now = Date()
            state.signals[.queryShift] = SignalState(state: .ok, since: now, value: nil)
            guard previous.state != .ok else { return nil }
            return DriftChange(signal: .queryShift, state: .ok, previousState: previous.state, value: previous.value ?? 1,
                               samples: 0, trigger: settings.trigger(of: .queryShift), at: now)
        }
        logger.notice("query-shift baseline cleared; the next questions form the new reference", metadata: ["window": "\(settings.window)"])
        if let change { announce(change) }
    }

    private func submit(_ observation: Observation) {
        guard settings.enabled else { return }
        let startDrain = state.withLock { state in
            state.queue.append(observation)
            state.submitted += 1
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        // Detached on purpose: the observation is processed behind the answer, which does not wait for it. The
        // drain waits a moment first, so that a busy server wakes it once for many answers, not once for each.
        if startDrain {
            Task.detached(priority: .utility) {
                try? await Task.sleep(for: Self.gathering)
                await self.drain()
            }
        }
    }

    private func drain() async {
        while true {
            let batch: [Observation] = state.withLock { state in
                defer { state.queue.removeAll(keepingCapacity: true) }
                if state.queue.isEmpty { state.draining = false }
                return state.queue
            }
            guard !batch.isEmpty else { return }
            for observation in batch {
                let changes = await process(observation)
                for change in changes { announce(change) }
                let ready = state.withLock { state in
                    state.processed += 1
                    let processed = state.processed
                    let ready = state.waiters.filter { $0.until <= processed }
                    state.waiters.removeAll { $0.until <= processed }
                    return ready
                }
                for waiter in ready { waiter.continuation.resume() }
            }
        }
    }

    private func process(_ observation: Observation) async -> [DriftChange] {
        switch observation {
        case .feedback(let rating):
            return state.withLock { state in
                state.negatives.append(rating == .down)
                return evaluate([.negativeFeedbackRate], in: &state)
            }
        case .question(let question):
            let similarity = await centroidSimilarity(question)
            return state.withLock { state in
                if let hit = question.cacheHit { state.misses.append(!hit) }
                if let covered = question.covered { state.gaps.append(!covered) }
                if let similarity, similarity.isFinite {
                    if state.reference.count < settings.window {
                        state.reference.insertSorted(similarity)
                    } else {
                        if let evicted = state.current.append(similarity) { state.currentSorted.removeSorted(evicted) }
                        state.currentSorted.insertSorted(similarity)
                    }
                }
                return evaluate([.cacheMissRate, .knowledgeGaps, .queryShift], in: &state)
            }
        }
    }

    /// The question's cosine to its knowledge base's nearest centroid; nil when it cannot be had (no chunks yet, a
    /// failed embedding: the question then simply does not count).
    private func centroidSimilarity(_ question: QuestionObservation) async -> Double? {
        let knowledgeBase = question.knowledgeBase.id
        if let known = state.withLock({ $0.similarities[knowledgeBase]?[question.question] }) { return known }
        guard let centroids = centroids(for: question.knowledgeBase), !centroids.isEmpty else { return nil }
        var vector = question.vector
        if vector == nil { vector = try? await embedder.embed([question.question]).first }
        guard let vector else { return nil }
        let similarity = SphericalKMeans.nearest(SphericalKMeans.normalised(vector), among: centroids).similarity
        state.withLock { state in
            // Only while the centroids it was measured against are still the current ones (no baseline meanwhile).
            guard state.centroids[knowledgeBase] == centroids else { return }
            // Bounded; cleared wholesale when full, which is rare and cheap.
            if state.similarities[knowledgeBase, default: [:]].count >= 20_000 { state.similarities[knowledgeBase] = [:] }
            state.similarities[knowledgeBase, default: [:]][question.question] = similarity
        }
        return similarity
    }

    private func centroids(for knowledgeBase: KnowledgeBase) -> [[Float]]? {
        if let known = state.withLock({ $0.centroids[knowledgeBase.id] }) { return known }
        guard var vectors = try? store.embeddings(in: knowledgeBase, modelID: embedder.modelID, modelVersion: embedder.modelVersion)
            .map(\.vector), !vectors.isEmpty else { return nil }
        if vectors.count > Self.centroidSample {
            var generator = SplitMix64(seed: 0xd41f7)
            vectors.shuffle(using: &generator)
            vectors.removeLast(vectors.count - Self.centroidSample)
        }
        let k = min(Self.maximumCentroids, max(1, vectors.count / 20))
        let centroids = SphericalKMeans.cluster(vectors, k: k).centroids
        state.withLock { $0.centroids[knowledgeBase.id] = centroids }
        logger.debug("knowledge-base centroids computed", metadata: ["kb": "\(knowledgeBase.name)", "centroids": "\(centroids.count)"])
        return centroids
    }

    // MARK: Evaluation

    private func evaluate(_ signals: [DriftSignal], in state: inout State) -> [DriftChange] {
        var changes: [DriftChange] = []
        let now = Date()
        for signal in signals {
            guard let value = value(of: signal, in: state) else { continue }
            state.signals[signal]!.value = value
            instruments.value[signal].record(value)
            let count = samples(of: signal, in: state)
            guard count >= settings.minimumSamples else { continue }
            let previous = state.signals[signal]!.state
            let next = settings.nextState(of: signal, from: previous, value: value)
            guard next != previous else { continue }
            state.signals[signal]!.state = next
            state.signals[signal]!.since = now
            changes.append(DriftChange(signal: signal, state: next, previousState: previous, value: value, samples: count,
                                       trigger: settings.trigger(of: signal), at: now))
        }
        return changes
    }

    private func value(of signal: DriftSignal, in state: State) -> Double? {
        switch signal {
        case .cacheMissRate: state.misses.share
        case .negativeFeedbackRate: state.negatives.share
        case .knowledgeGaps: state.gaps.share
        case .queryShift:
            // Only against a complete reference: a half-built one would compare the start of traffic with itself.
            state.reference.count >= settings.window
                ? KolmogorovSmirnov.twoSample(sorted: state.reference, state.currentSorted)?.pValue : nil
        }
    }

    private func samples(of signal: DriftSignal, in state: State) -> Int {
        switch signal {
        case .cacheMissRate: state.misses.items.count
        case .negativeFeedbackRate: state.negatives.items.count
        case .knowledgeGaps: state.gaps.items.count
        case .queryShift: state.current.items.count
        }
    }

    private func announce(_ change: DriftChange) {
        instruments.state[change.signal].record(change.state.level)
        instruments.changes[DriftInstruments.Key(signal: change.signal, state: change.state)].increment()
        let metadata: Logger.Metadata = [
            "signal": "\(change.signal.rawValue)", "state": "\(change.state.rawValue)", "previous": "\(change.previousState.rawValue)",
            "value": "\(String(format: "%.4f", change.value))", "samples": "\(change.samples)",
        ]
        if change.state == .drifting {
            logger.warning("drift signal changed", metadata: metadata)
        } else {
            logger.notice("drift signal changed", metadata: metadata)
        }
        onChange(change)
    }
}

/// The last `capacity` values, oldest overwritten first.
struct RollingWindow<Element: Sendable>: Sendable {
    let capacity: Int
    private(set) var items: [Element] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(min(capacity, 4_096))
    }

    /// Adds the element; returns the one it overwrote once the window is full.
    @discardableResult
    mutating func append(_ element: Element) -> Element? {
        if items.count < capacity {
            items.append(element)
            return nil
        }
        let evicted = items[next]
        items[next] = element
        next = (next + 1) % capacity
        return evicted
    }
}

extension Array where Element == Double {
    /// Inserts into an array sorted in ascending order, keeping it sorted.
    mutating func insertSorted(_ value: Double) {
        insert(value, at: firstIndex(notBelow: value))
    }

    /// Removes one occurrence of a value from an array sorted in ascending order.
    mutating func removeSorted(_ value: Double) {
        let index = firstIndex(notBelow: value)
        if index < count, self[index] == value { remove(at: index) }
    }

    private func firstIndex(notBelow value: Double) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension RollingWindow where Element == Bool {
    /// The share of true values; nil when empty.
    var share: Double? {
        items.isEmpty ? nil : Double(items.count { $0 }) / Double(items.count)
    }
}

/// Drift's metric handles, made once.
struct DriftInstruments: Sendable {
    struct Key: Hashable, Sendable {
        var signal: DriftSignal
        var state: DriftState
    }

    let state: MetricHandles<DriftSignal, Gauge>
    let value: MetricHandles<DriftSignal, Gauge>
    let changes: MetricHandles<Key, Counter>

    init(factory: any MetricsFactory) {
        state = MetricHandles { Gauge(label: "spotter_drift_state", dimensions: [("signal", $0.rawValue)], factory: factory) }
        value = MetricHandles { Gauge(label: "spotter_drift_value", dimensions: [("signal", $0.rawValue)], factory: factory) }
        changes = MetricHandles { key in
            Counter(label: "spotter_drift_changes_total", dimensions: [("signal", key.signal.rawValue), ("state", key.state.rawValue)],
                    factory: factory)
        }
    }
}
