import Foundation
import SpotterCore

/// The JSON objects of OpenAI's chat API as the fake server writes them.
struct FakeOpenAIChunks {
    var model: String
    let id = "chatcmpl-fake"
    let created = 1_700_000_000

    func role() -> String { chunk(delta: ["role": "assistant", "content": ""], finish: nil) }
    func content(_ text: String) -> String { chunk(delta: ["content": text], finish: nil) }
    func finish(_ reason: String) -> String { chunk(delta: [:], finish: reason) }

    /// The last chunk when `stream_options.include_usage` is set: no choices, only usage.
    func usage(_ usage: TokenUsage) -> String {
        Self.encode(["id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [Any](), "usage": Self.usageObject(usage)])
    }

    func completion(_ text: String, usage: TokenUsage?) -> String {
        var object: [String: Any] = [
            "id": id, "object": "chat.completion", "created": created, "model": model,
            "choices": [["index": 0, "message": ["role": "assistant", "content": text], "finish_reason": "stop"]],
        ]
        if let usage { object["usage"] = Self.usageObject(usage) }
        return Self.encode(object)
    }

    private func chunk(delta: [String: Any], finish: String?) -> String {
        Self.encode(["id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [["index": 0, "delta": delta, "finish_reason": finish.map { $0 as Any } ?? NSNull()]]])
    }

    private static func usageObject(_ usage: TokenUsage) -> [String: Any] {
        ["prompt_tokens": usage.promptTokens, "completion_tokens": usage.completionTokens, "total_tokens": usage.totalTokens]
    }

    static func encode(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
