import Foundation

/// What drift detection watches.
public enum DriftSignal: String, Sendable, Codable, CaseIterable {
    /// Share of cache lookups that missed: users ask what was not asked before.
    case cacheMissRate = "cache_miss_rate"
    /// Share of feedback that is a thumbs-down.
    case negativeFeedbackRate = "negative_feedback_rate"
    /// Kolmogorov–Smirnov p-value between the reference and the current distribution of the questions' similarity
    /// to the knowledge base's nearest centroid: users ask about other things than they did.
    case queryShift = "query_shift"
    /// Share of answered questions for which no passage was relevant enough ("not covered").
    case knowledgeGaps = "knowledge_gaps"
}

/// A signal's condition. Changes are logged once, exported as `spotter_drift_state` (0, 1, 2) and acted on.
public enum DriftState: String, Sendable, Codable, CaseIterable {
    case ok, warning, drifting

    public var level: Int {
        switch self {
        case .ok: 0
        case .warning: 1
        case .drifting: 2
        }
    }
}

/// What a signal does when it starts drifting.
public enum DriftAction: String, Sendable, Codable, CaseIterable {
    /// Log, count and (when a webhook is set) POST the change; on every change, recovery included.
    case alert
    /// Re-ingest changed sources, bring the indexes up to date and drop the cache entries that went stale.
    case refresh
    /// Cluster the unanswered questions and log the report (also at `GET /admin/drift/gaps`).
    case gaps
}

/// `SPOTTER_DRIFT*`: the windows, thresholds and actions of drift detection.
public struct DriftSettings: Sendable, Equatable {
    /// `SPOTTER_DRIFT`: off stops watching (nothing is observed or acted on).
    public var enabled = true
    /// `SPOTTER_DRIFT_WINDOW`: each signal looks at its last this many observations; the query-shift reference is the
    /// first this many questions after start.
    public var window = 200
    /// `SPOTTER_DRIFT_MIN_SAMPLES`: no signal changes state on fewer observations than this.
    public var minimumSamples = 50
    /// `SPOTTER_DRIFT_MISS_RATE`: the cache-miss share above which the signal drifts.
    public var missRateTrigger = 0.5
    /// `SPOTTER_DRIFT_NEGATIVE_FEEDBACK`: the thumbs-down share above which the signal drifts.
    public var negativeFeedbackTrigger = 0.3
    /// `SPOTTER_DRIFT_GAP_RATE`: the share of not-covered answers above which the signal drifts.
    public var knowledgeGapTrigger = 0.3
    /// `SPOTTER_DRIFT_SHIFT_P`: the KS p-value below which the query distribution is drifting.
    public var shiftPValue = 0.01
    /// Hysteresis: a rate signal warns above this share of its trigger and, once drifting, returns to ok only below it.
    public var clearFraction = 0.8
    /// Hysteresis for the KS test: it warns below this p-value and, once drifting, returns to ok only above it.
    public var shiftClearPValue = 0.05
    /// `SPOTTER_DRIFT_ACTIONS`: what each signal does when it drifts.
    public var actions: [DriftSignal: Set<DriftAction>] = [
        .cacheMissRate: [.alert, .refresh],
        .negativeFeedbackRate: [.alert],
        .queryShift: [.alert, .refresh],
        .knowledgeGaps: [.alert, .gaps],
    ]
    /// `SPOTTER_DRIFT_WEBHOOK`: where alerts are POSTed as JSON (retried); nil only logs and counts them.
    public var webhook: URL?

    public init() {}

    /// Where `signal` drifts: above this rate, or below this p-value for `query_shift`.
    public func trigger(of signal: DriftSignal) -> Double {
        switch signal {
        case .cacheMissRate: missRateTrigger
        case .negativeFeedbackRate: negativeFeedbackTrigger
        case .knowledgeGaps: knowledgeGapTrigger
        case .queryShift: shiftPValue
        }
    }

    /// Where a drifting `signal` returns to ok, and a quiet one starts to warn.
    public func clearLevel(of signal: DriftSignal) -> Double {
        signal == .queryShift ? shiftClearPValue : trigger(of: signal) * clearFraction
    }

    /// The state after observing `value` in state `current`. Hysteresis: drifting begins past the trigger and ends
    /// only back past the clear level; in between, a signal that is not drifting warns.
    public func nextState(of signal: DriftSignal, from current: DriftState, value: Double) -> DriftState {
        let trigger = trigger(of: signal), clear = clearLevel(of: signal)
        // The p-value is worse when lower; the rates when higher.
        let worse: (Double, Double) -> Bool = signal == .queryShift ? { $0 < $1 } : { $0 > $1 }
        if current == .drifting { return worse(value, clear) || value == clear ? .drifting : .ok }
        if worse(value, trigger) { return .drifting }
        return worse(value, clear) || value == clear ? .warning : .ok
    }

    /// Parses `signal=action+action,signal=…` (`none` for no action); signals not named keep their defaults.
    public static func parseActions(_ text: String, defaults: [DriftSignal: Set<DriftAction>]) -> Result<[DriftSignal: Set<DriftAction>], DriftSettingsError> {
        var actions = defaults
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, let signal = DriftSignal(rawValue: pieces[0]) else {
                return .failure(DriftSettingsError("'\(part)' should be signal=action+action with a signal among "
                                                   + DriftSignal.allCases.map(\.rawValue).joined(separator: ", ")))
            }
            if pieces[1] == "none" {
                actions[signal] = []
                continue
            }
            var chosen = Set<DriftAction>()
            for name in pieces[1].split(separator: "+") {
                guard let action = DriftAction(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    return .failure(DriftSettingsError("unknown action '\(name)' for \(signal.rawValue); actions are "
                                                       + DriftAction.allCases.map(\.rawValue).joined(separator: ", ") + ", or none"))
                }
                chosen.insert(action)
            }
            actions[signal] = chosen
        }
        return .success(actions)
    }
}

public struct DriftSettingsError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// One signal as it stands: shown by `GET /admin/drift` and `spotter drift status`.
public struct DriftSignalStatus: Sendable, Codable, Equatable {
    public var signal: DriftSignal
    public var state: DriftState
    /// The rate, or the KS p-value for `query_shift`; nil before the first evaluation.
    public var value: Double?
    /// Observations in the current window.
    public var samples: Int
    /// Observations needed before the state may change.
    public var minimumSamples: Int
    /// Where the signal drifts (above for rates, below for the p-value).
    public var trigger: Double
    /// Where a drifting signal returns to ok.
    public var clearAt: Double
    /// When the state last changed (the monitor's start before any change).
    public var since: Date
    public var actions: [DriftAction]

    enum CodingKeys: String, CodingKey {
        case signal, state, value, samples, trigger, since, actions
        case minimumSamples = "minimum_samples"
        case clearAt = "clear_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(signal, forKey: .signal)
        try container.encode(state, forKey: .state)
        try container.encode(value, forKey: .value)  // null before the first evaluation, not absent
        try container.encode(samples, forKey: .samples)
        try container.encode(minimumSamples, forKey: .minimumSamples)
        try container.encode(trigger, forKey: .trigger)
        try container.encode(clearAt, forKey: .clearAt)
        try container.encode(since, forKey: .since)
        try container.encode(actions, forKey: .actions)
    }
}

/// A signal's change of state, as logged, counted and sent to the webhook.
@SnakeCaseCodingKeys
public struct DriftChange: Sendable, Codable, Equatable {
    public var event = "drift.state_changed"
    public var signal: DriftSignal
    public var state: DriftState
    public var previousState: DriftState
    public var value: Double
    public var samples: Int
    public var trigger: Double
    public var at: Date
}

/// The whole picture: `GET /admin/drift`.
@SnakeCaseCodingKeys(writesNulls: true)
public struct DriftReport: Sendable, Codable {
    public var enabled: Bool
    public var window: Int
    public var signals: [DriftSignalStatus]
    /// Questions in the query-shift reference (it is complete at `window`).
    public var referenceSamples: Int
    /// The latest refresh, running or finished; nil when none ran since start.
    public var refresh: RefreshStatus?
}
