import Metrics
import Synchronization

/// The pipeline's metric handles, made once.
struct PipelineInstruments: Sendable {
    struct ModelSeries: Sendable {
        var calls: Counter
        var tokensIn: Counter
        var tokensOut: Counter
        var cost: FloatingPointCounter
    }

    let stages: MetricHandles<String, Timer>
    let answers: MetricHandles<String, (count: Counter, latency: Timer)>
    let models: MetricHandles<String, ModelSeries>
    let topScore: Recorder

    init(factory: any MetricsFactory) {
        stages = MetricHandles { Timer(label: "spotter_pipeline_stage_seconds", dimensions: [("stage", $0)], factory: factory) }
        answers = MetricHandles { served in
            (Counter(label: "spotter_answers_total", dimensions: [("served_by", served)], factory: factory),
             Timer(label: "spotter_answer_seconds", dimensions: [("served_by", served)], factory: factory))
        }
        models = MetricHandles { model in
            ModelSeries(
                calls: Counter(label: "spotter_llm_calls_total", dimensions: [("model", model)], factory: factory),
                tokensIn: Counter(label: "spotter_llm_tokens_total", dimensions: [("model", model), ("direction", "in")], factory: factory),
                tokensOut: Counter(label: "spotter_llm_tokens_total", dimensions: [("model", model), ("direction", "out")], factory: factory),
                cost: FloatingPointCounter(label: "spotter_llm_cost_usd_total", dimensions: [("model", model)], factory: factory))
        }
        topScore = Recorder(label: "spotter_retrieval_top_score", factory: factory)
    }
}
