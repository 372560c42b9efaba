import Foundation

/// The named stages of the answering pipeline, in order.
public enum PipelineStage: String, Sendable, Codable, CaseIterable {
    case validate, conversation, condense, inputGuard = "input_guard", cache, retrieve, prompt, generate
    case outputCheck = "output_check", record
}

/// What one stage did and how long it took.
@MemberwiseInit
public struct StageRecord: Sendable, Equatable, Codable {
    public var stage: PipelineStage
    public var milliseconds: Double
    /// A short human-readable result: "3 earlier turns", "8 passages, best 0.62", "offline".
    public var outcome: String
    public var failed: Bool = false

    enum CodingKeys: String, CodingKey {
        case stage, outcome, failed
        case milliseconds = "ms"
    }
}

/// The per-answer record of every stage, kept with the answer (for explanations and metrics).
@MemberwiseInit
public struct AnswerTrace: Sendable, Equatable, Codable {
    public var id: String
    public var stages: [StageRecord] = []
    /// The cached question whose answer was served, and how similar it was; nil when the answer was written afresh.
    public var cache: CacheMatch?

    public func record(for stage: PipelineStage) -> StageRecord? {
        stages.last { $0.stage == stage }
    }

    /// Runs one stage, timing it and recording its outcome (or its failure, which is rethrown).
    mutating func run<T>(_ stage: PipelineStage, outcome: (T) -> String,
                         _ body: () async throws(AnswerError) -> T) async throws(AnswerError) -> T {
        let started = ContinuousClock.now
        do {
            let value = try await body()
            stages.append(StageRecord(stage: stage, milliseconds: Self.milliseconds(since: started), outcome: outcome(value)))
            return value
        } catch {
            stages.append(StageRecord(stage: stage, milliseconds: Self.milliseconds(since: started),
                                      outcome: error.description, failed: true))
            throw error
        }
    }

    /// In whole microseconds: finer digits are noise, and as `0.010598999999999999` they took a dozen bytes more a
    /// stage in every answer record.
    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        ((ContinuousClock.now - start).inSeconds * 1_000_000).rounded() / 1_000
    }

    /// The trace as an answer record stores it (``StoredForm``).
    package var stored: StoredForm { StoredForm(trace: self) }

    /// The stored form: each stage as `[stage, ms, outcome]`, with `true` after a failed stage's outcome, instead of
    /// an object naming its four keys. The keys were a third of a cache hit's trace, and the trace more than half of
    /// its record; every byte of a record is written twice (the write-ahead log, then the database file).
    /// ``StageRecord`` reads both forms, so records stored before read as they did.
    package struct StoredForm: Encodable, JSONWritable {
        let trace: AnswerTrace

        enum CodingKeys: String, CodingKey {
            case cache, id, stages
        }

        package func write(to json: inout JSONWriter) {
            json.object { json in
                if let cache = trace.cache { json.member("cache", cache) }
                json.member("id", trace.id)
                json.key("stages")
                json.array(trace.stages) { json, stage in
                    json.array(0..<(stage.failed ? 4 : 3)) { json, field in
                        switch field {
                        case 0: json.value(stage.stage.rawValue)
                        case 1: json.value(stage.milliseconds)
                        case 2: json.value(stage.outcome)
                        default: json.value(true)
                        }
                    }
                }
            }
        }

        // For JSONEncoder's fallback (a number JSON cannot hold): the same shape, and its error.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(trace.cache, forKey: .cache)
            try container.encode(trace.id, forKey: .id)
            var stages = container.nestedUnkeyedContainer(forKey: .stages)
            for stage in trace.stages {
                var row = stages.nestedUnkeyedContainer()
                try row.encode(stage.stage)
                try row.encode(stage.milliseconds)
                try row.encode(stage.outcome)
                if stage.failed { try row.encode(true) }
            }
        }
    }
}

extension StageRecord {
    /// Reads a stage as the API shows it (an object) or as an answer record stores it (``AnswerTrace/StoredForm``).
    public init(from decoder: any Decoder) throws {
        if var row = try? decoder.unkeyedContainer() {
            stage = try row.decode(PipelineStage.self)
            milliseconds = try row.decode(Double.self)
            outcome = try row.decode(String.self)
            failed = try row.decodeIfPresent(Bool.self) ?? false
        } else {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            stage = try container.decode(PipelineStage.self, forKey: .stage)
            milliseconds = try container.decode(Double.self, forKey: .milliseconds)
            outcome = try container.decode(String.self, forKey: .outcome)
            failed = try container.decode(Bool.self, forKey: .failed)
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
