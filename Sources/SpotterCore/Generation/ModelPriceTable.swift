import Foundation

/// What models cost, in US dollars per million tokens, so each answer can record its price.
///
/// Read from `SPOTTER_LLM_PRICES`, such as `gpt-4o-mini=0.15/0.60,gpt-4o=2.5/10` (prompt/completion). Upstreams
/// often answer with a dated model name (`gpt-4o-mini-2024-07-18`); a name without its own price takes the price
/// of the longest listed name it extends with `-`.
public struct ModelPriceTable: Sendable, Equatable {
    /// US dollars per one million tokens.
    @MemberwiseInit
    public struct Price: Sendable, Equatable {
        public var prompt: Double
        public var completion: Double
    }

    public private(set) var prices: [String: Price]

    public init(_ prices: [String: Price] = [:]) {
        self.prices = prices
    }

    /// Parses `model=prompt/completion` pairs separated by commas; `setting` names the variable in errors.
    public init(parsing text: String, setting: String = "SPOTTER_LLM_PRICES") throws(ConfigurationError) {
        var prices: [String: Price] = [:]
        let expected = "comma-separated model=prompt/completion USD per 1M tokens, such as gpt-4o-mini=0.15/0.60,gpt-4o=2.5/10"
        for entry in text.split(separator: ",") {
            let pair = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[0].isEmpty else { throw .invalid(setting, text, expected: expected) }
            let numbers = pair[1].split(separator: "/").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.count == 2, let prompt = numbers[0], let completion = numbers[1],
                  prompt >= 0, completion >= 0, prompt.isFinite, completion.isFinite else {
                throw .invalid(setting, text, expected: expected)
            }
            prices[pair[0]] = Price(prompt: prompt, completion: completion)
        }
        self.prices = prices
    }

    /// The price of `model`, exact or by its longest listed `-` prefix; nil when not listed.
    public func price(for model: String) -> Price? {
        if let price = prices[model] { return price }
        let candidates = prices.keys.filter { model.hasPrefix($0 + "-") }
        return candidates.max { $0.count < $1.count }.flatMap { prices[$0] }
    }

    /// The cost of `usage` in US dollars; nil for a model without a price.
    public func cost(of usage: TokenUsage, model: String) -> Double? {
        guard let price = price(for: model) else { return nil }
        return (Double(usage.promptTokens) * price.prompt + Double(usage.completionTokens) * price.completion) / 1_000_000
    }
}
