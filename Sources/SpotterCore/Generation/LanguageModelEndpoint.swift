import Foundation

/// Where one OpenAI-compatible language model lives and how to authenticate to it.
///
/// The API key never appears in ``description``, `debugDescription` or a `dump`: endpoints get logged.
@MemberwiseInit
public struct LanguageModelEndpoint: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The API root, such as `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1` (Ollama); for Azure OpenAI,
    /// the deployment URL (`https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT`).
    public var baseURL: URL
    /// Sent as `Authorization: Bearer …`, or as `api-key` for Azure; nil for servers without authentication.
    public var apiKey: String?
    /// The `model` field of each request (for Azure, informational: the deployment picks the model).
    public var model: String
    /// Azure OpenAI's `api-version` query parameter; setting it switches to Azure's URL and header conventions.
    public var apiVersion: String?

    /// Whether requests follow Azure OpenAI's conventions.
    public var isAzure: Bool { apiVersion != nil }

    /// The base URL without user info, query or trailing slash: what errors and logs name.
    public var displayURL: String {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else { return "(invalid URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        var text = components.string ?? "(invalid URL)"
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// The `chat/completions` URL, with `api-version` for Azure.
    public var chatCompletionsURL: String {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        text += "/chat/completions"
        if let apiVersion {
            let encoded = apiVersion.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? apiVersion
            text += "?api-version=" + encoded
        }
        return text
    }

    public var description: String {
        var text = "\(displayURL) model=\(model) key=\(apiKey == nil ? "none" : "<redacted>")"
        if let apiVersion { text += " api-version=\(apiVersion)" }
        return text
    }

    public var debugDescription: String { "LanguageModelEndpoint(\(description))" }

    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": displayURL, "apiKey": apiKey == nil ? "none" : "<redacted>",
                                "model": model, "apiVersion": apiVersion as Any], displayStyle: .struct)
    }
}
