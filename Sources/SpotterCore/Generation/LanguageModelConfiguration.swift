import AsyncHTTPClient
import Foundation
import NIOCore

/// The remote language models Spotter answers with, read from `SPOTTER_LLM_*`; nil when none is configured (then
/// only the offline answerer answers).
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `SPOTTER_LLM_BASE_URL` | API root (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`), or an Azure deployment URL | none: offline only |
/// | `SPOTTER_LLM_API_KEY` | bearer key (Azure: `api-key`) | none |
/// | `SPOTTER_LLM_MODEL` | model name | required, except for Azure (the deployment) |
/// | `SPOTTER_LLM_API_VERSION` | Azure OpenAI `api-version`; switches to Azure conventions | none |
/// | `SPOTTER_LLM_FALLBACK_BASE_URL`, `_API_KEY`, `_MODEL`, `_API_VERSION` | a secondary model tried when the primary fails | none; model: the primary's |
/// | `SPOTTER_LLM_CONNECT_TIMEOUT` | seconds to connect | 5 |
/// | `SPOTTER_LLM_FIRST_BYTE_TIMEOUT` | seconds until the answer starts | 60 |
/// | `SPOTTER_LLM_READ_TIMEOUT` | seconds between reads once it streams | 30 |
/// | `SPOTTER_LLM_MAX_RETRIES` | retries after the first call | 2 |
/// | `SPOTTER_LLM_BREAKER_FAILURES` | consecutive failures that open the circuit breaker | 5 |
/// | `SPOTTER_LLM_BREAKER_COOLDOWN` | seconds before an open breaker lets a probe through | 30 |
/// | `SPOTTER_LLM_PRICES` | `model=prompt/completion` USD per 1M tokens, comma-separated | none |
///
/// API keys never appear in ``description``, a `dump` or a ``ConfigurationError``.
public struct LanguageModelConfiguration: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    public var primary: LanguageModelEndpoint
    public var secondary: LanguageModelEndpoint?
    public var timeouts = LanguageModelTimeouts()
    public var retry = RetryPolicy(maxAttempts: 3)
    public var breakerFailures = 5
    /// Seconds.
    public var breakerCoolDown = 30.0
    public var prices = ModelPriceTable()

    public init(primary: LanguageModelEndpoint, secondary: LanguageModelEndpoint? = nil) {
        self.primary = primary
        self.secondary = secondary
    }

    /// Reads the `SPOTTER_LLM_*` variables; nil when `SPOTTER_LLM_BASE_URL` is unset. Rejects values that cannot
    /// work, naming the variable and what it should be.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> LanguageModelConfiguration? {
        let settings = Settings(environment: environment)
        guard let primary = try settings.endpoint(prefix: "SPOTTER_LLM_", defaultModel: nil) else {
            for name in ["SPOTTER_LLM_MODEL", "SPOTTER_LLM_API_KEY", "SPOTTER_LLM_FALLBACK_BASE_URL"] where settings.value(name) != nil {
                let shown = name.hasSuffix("API_KEY") ? "<redacted>" : settings.value(name)!
                throw .invalid(name, shown, expected: "SPOTTER_LLM_BASE_URL to be set too, such as https://api.openai.com/v1")
            }
            return nil
        }
        var configuration = LanguageModelConfiguration(primary: primary)
        configuration.secondary = try settings.endpoint(prefix: "SPOTTER_LLM_FALLBACK_", defaultModel: primary.model)
        configuration.timeouts = LanguageModelTimeouts(
            connect: try settings.seconds("SPOTTER_LLM_CONNECT_TIMEOUT", 0.1...600) ?? configuration.timeouts.connect,
            firstByte: try settings.seconds("SPOTTER_LLM_FIRST_BYTE_TIMEOUT", 0.1...3600) ?? configuration.timeouts.firstByte,
            idle: try settings.seconds("SPOTTER_LLM_READ_TIMEOUT", 0.1...3600) ?? configuration.timeouts.idle)
        if let retries = try settings.whole("SPOTTER_LLM_MAX_RETRIES", 0...10) {
            configuration.retry.maxAttempts = retries + 1
        }
        configuration.breakerFailures = try settings.whole("SPOTTER_LLM_BREAKER_FAILURES", 1...1000) ?? configuration.breakerFailures
        configuration.breakerCoolDown = try settings.seconds("SPOTTER_LLM_BREAKER_COOLDOWN", 0...3600) ?? configuration.breakerCoolDown
        if let prices = settings.value("SPOTTER_LLM_PRICES") {
            configuration.prices = try ModelPriceTable(parsing: prices, setting: "SPOTTER_LLM_PRICES")
        }
        return configuration
    }

    /// The configuration for the `HTTPClient` the models share: the connect timeout, no redirects, and no
    /// connection retries inside the client, so a refused connection fails at once and ``RetryPolicy``, the
    /// circuit breaker and the fallback chain decide what happens next.
    public var httpClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(timeouts.connect * 1000)), read: nil)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return configuration
    }

    public var description: String {
        var text = "primary: \(primary)"
        if let secondary { text += "; secondary: \(secondary)" }
        text += "; timeouts connect \(timeouts.connect) s, first byte \(timeouts.firstByte) s, read \(timeouts.idle) s"
        text += "; \(retry.maxAttempts - 1) retries; breaker \(breakerFailures) failures / \(breakerCoolDown) s"
        return text
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["primary": primary, "secondary": secondary as Any, "timeouts": timeouts, "retry": retry,
                                "breakerFailures": breakerFailures, "breakerCoolDown": breakerCoolDown, "prices": prices],
               displayStyle: .struct)
    }
}

/// Reading and checking one variable at a time.
private struct Settings {
    let source: SettingsSource

    init(environment: [String: String]) {
        source = SettingsSource(environment)
    }

    func value(_ name: String) -> String? { source.text(name) }

    func whole(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw .invalid(name, text, expected: "a whole number \(range.lowerBound)–\(range.upperBound)")
        }
        return number
    }

    func seconds(_ name: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = value(name) else { return nil }
        guard let number = Double(text), range.contains(number) else {
            throw .invalid(name, text, expected: "seconds, a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// The endpoint under `prefix` (`BASE_URL`, `API_KEY`, `MODEL`, `API_VERSION`); nil without a base URL.
    func endpoint(prefix: String, defaultModel: String?) throws(ConfigurationError) -> LanguageModelEndpoint? {
        let urlName = prefix + "BASE_URL"
        guard let text = value(urlName) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw .invalid(urlName, text, expected: "an http:// or https:// URL such as https://api.openai.com/v1 or http://127.0.0.1:11434/v1")
        }
        guard url.user == nil, url.password == nil, url.query == nil else {
            throw .invalid(urlName, "<redacted>", expected: "a URL without user, password or query; put the key in \(prefix)API_KEY")
        }
        let keyName = prefix + "API_KEY"
        let key = value(keyName)
        if let key, key.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            throw .invalid(keyName, "<redacted>", expected: "an API key without spaces or line breaks")
        }
        let versionName = prefix + "API_VERSION"
        let apiVersion = value(versionName)
        if let apiVersion, !apiVersion.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." }) {
            throw .invalid(versionName, apiVersion, expected: "an Azure OpenAI api-version such as 2024-10-21")
        }
        // Azure names the model by the deployment in the URL.
        let azureDeployment = apiVersion == nil ? nil : url.lastPathComponent.isEmpty ? nil : url.lastPathComponent
        guard let model = value(prefix + "MODEL") ?? defaultModel ?? azureDeployment else {
            throw .invalid(prefix + "MODEL", "", expected: "the model to call, such as gpt-4o-mini (Ollama: llama3.2), since \(urlName) is set")
        }
        return LanguageModelEndpoint(baseURL: url, apiKey: key, model: model, apiVersion: apiVersion)
    }
}
