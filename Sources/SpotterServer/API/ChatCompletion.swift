import Foundation
import SpotterCore

/// A `chat.completion`, or one `chat.completion.chunk` of a stream: the same envelope, with the nulls OpenAI
/// sends. A completion carries its usage and `spotter`; a chunk has `usage: null` except the last one when usage
/// was asked for, and `spotter` on the finishing chunk only.
struct ChatCompletion: Encodable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [ChatCompletionChoice]
    var usage: CompletionUsage?
    var spotter: SpotterAnswerInfo?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        try container.encodeNil(forKey: .systemFingerprint)
        try container.encode(usage, forKey: .usage)
        try container.encodeIfPresent(spotter, forKey: .spotter)
    }
    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage, spotter
        case systemFingerprint = "system_fingerprint"
    }
}

/// One choice: the whole `message` of a completion, or the `delta` a chunk adds to it.
struct ChatCompletionChoice: Encodable {
    struct Message: Encodable {
        var role = "assistant"
        var content: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            try container.encode(content, forKey: .content)
            try container.encodeNil(forKey: .refusal)
        }
        enum CodingKeys: String, CodingKey { case role, content, refusal }
    }
    struct Delta: Encodable {
        var role: String? = nil
        var content: String? = nil
    }

    var index = 0
    var message: Message? = nil
    var delta: Delta? = nil
    var finishReason: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(delta, forKey: .delta)
        try container.encode(finishReason, forKey: .finishReason)
        try container.encodeNil(forKey: .logprobs)
    }
    enum CodingKeys: String, CodingKey {
        case index, message, delta, logprobs
        case finishReason = "finish_reason"
    }
}

@SnakeCaseCodingKeys
struct CompletionUsage: Encodable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int

    init(_ usage: TokenUsage) {
        promptTokens = usage.promptTokens
        completionTokens = usage.completionTokens
        totalTokens = usage.totalTokens
    }
}

/// Spotter's own fields, beside OpenAI's.
@SnakeCaseCodingKeys(writesNulls: true)
struct SpotterAnswerInfo: Encodable {
    var answerID: String
    var citations: [Citation]
    var grounded: Bool
    var model: String
    var costUSD: Double?
    var traceID: String
    var tokensEstimated: Bool

    init(_ answer: Answer) {
        answerID = answer.answerID
        citations = answer.citations
        grounded = answer.grounded
        model = answer.model
        costUSD = answer.costUSD
        traceID = answer.traceID
        tokensEstimated = answer.usage.estimated
    }
}
