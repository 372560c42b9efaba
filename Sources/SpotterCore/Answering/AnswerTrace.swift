import Foundation

/// The named stages of the answering pipeline, in order.
public enum PipelineStage: String, Sendable, Codable, CaseIterable {
    case validate, conversation, condense, inputGuard = "input_guard", cache, retrieve, prompt, generate
    case outputCheck = "output_check", record
}

/// What one stage did and how long it took.
public struct StageRecord: Sendable, Equatable, Codable {
    public var stage: PipelineStage
    public var milliseconds: Double
    /// A short human-readable result: "3 earlier turns", "8 passages, best 0.62", "offline".
    public var outcome: String
    public var failed: Bool

    public init(stage: PipelineStage, milliseconds: Double, outcome: String, failed: Bool = false) {
        self.stage = stage
        self.milliseconds = milliseconds
        self.outcome = outcome
        self.failed = failed
    }

    enum CodingKeys: String, CodingKey {
        case stage, outcome, failed
        case milliseconds = "ms"
    }
}

/// The per-answer record of every stage, kept with the answer (for explanations and metrics).
public struct AnswerTrace: Sendable, Equatable, Codable {
    public var id: String
    public var stages: [StageRecord]
    /// The cached question whose answer was served, and how similar it was; nil when the answer was written afresh.
    public var cache: CacheMatch?

    public init(id: String, stages: [StageRecord] = [], cache: CacheMatch? = nil) {
        self.id = id
        self.stages = stages
        self.cache = cache
    }

    public func record(for stage: PipelineStage) -> StageRecord? {
        stages.last { $0.stage == stage }
    }

    /// Runs one stage, timing it and recording its outcome (or its failure, which is rethrown).
    mutating func run<T>(_ stage: PipelineStage, outcome: (T) -> String,
                         _ body: () async throws(AnswerError) -> T) async throws(AnswerError) -> T {
        let started = ContinuousClock.now
        do {
            let value = try await body()
            stages.append(StageRecord(stage: stage, milliseconds: (ContinuousClock.now - started).inSeconds * 1000,
                                      outcome: outcome(value)))
            return value
        } catch {
            stages.append(StageRecord(stage: stage, milliseconds: (ContinuousClock.now - started).inSeconds * 1000,
                                      outcome: error.description, failed: true))
            throw error
        }
    }
}

extension AnswerTrace: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            if let cache { json.member("cache", cache) }
            json.member("id", id)
            json.member("stages", stages)
        }
    }
}

extension StageRecord: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("failed", failed)
            json.member("ms", milliseconds)
            json.member("outcome", outcome)
            json.member("stage", stage.rawValue)
        }
    }
}
