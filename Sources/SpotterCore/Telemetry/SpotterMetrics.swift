import Synchronization
import Metrics
import Prometheus

/// The engine's metrics, kept in a Prometheus registry of its own and exposed at `GET /metrics`.
///
/// Every part of the engine records through ``factory`` (swift-metrics' API), handed down explicitly rather than
/// through the process-wide `MetricsSystem`, so that two engines in one process (tests) keep separate counts.
/// `spotter serve` also makes it the process-wide factory, for libraries that record through `MetricsSystem`.
public struct SpotterMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    /// Latency buckets from a cache hit (a fraction of a millisecond) to a long generation (a minute).
    public static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]
    /// Buckets for similarities and scores in [0, 1].
    public static let scoreBuckets: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        factory.defaultValueHistogramBuckets = Self.scoreBuckets
        self.factory = factory
    }

    /// Everything recorded so far, in Prometheus' text exposition format (version 0.0.4).
    public func exposition() -> String {
        registry.emitToString()
    }
}

/// Metric handles made once per key and kept: making a handle looks its series up in the registry under a lock,
/// which costs more than recording into it.
public final class MetricHandles<Key: Hashable & Sendable, Handle: Sendable>: Sendable {
    private let handles = Mutex<[Key: Handle]>([:])
    private let make: @Sendable (Key) -> Handle

    public init(_ make: @escaping @Sendable (Key) -> Handle) {
        self.make = make
    }

    public subscript(key: Key) -> Handle {
        handles.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make(key)
            handles[key] = handle
            return handle
        }
    }
}
