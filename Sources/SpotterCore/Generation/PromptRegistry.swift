import Foundation

/// The versioned system prompts and the assistant configurations that use them.
///
/// A registry is a folder with `registry.json` and one text file per prompt version. The built-in registry ships in
/// the binary's resources; `SPOTTER_PROMPTS=/path/to/folder` replaces it. Changing a prompt means adding a file with
/// a new version, so that every answer record names the exact text it was written with.
public struct PromptRegistry: Sendable {
    /// A system prompt at one version.
    public struct Prompt: Sendable, Equatable {
        public var id: String
        public var version: String
        public var text: String
        /// `id@version`, as answer records store it.
        public var reference: String { "\(id)@\(version)" }
    }

    /// A named assistant: its prompt and retrieval settings. `model` in the OpenAI-compatible API names one.
    public struct Assistant: Sendable, Equatable {
        public var name: String
        public var description: String
        public var prompt: Prompt
        /// The knowledge base it answers from; nil uses the configured default.
        public var knowledgeBase: String?
        /// Passages put in the prompt.
        public var passages: Int
        /// Maximal-marginal-relevance weight for choosing passages (1 = plain ranking).
        public var mmr: Double
        /// The variants answers are split between, by weight; the first is the control that canaries are compared
        /// with. An assistant without variants in the registry has one, `control`, with its own settings.
        public var variants: [Variant] = []
        /// The upstream model to ask instead of the configured one (set by a variant); nil asks the configured one.
        public var model: String? = nil

        /// This assistant as `variant` configures it.
        public func applying(_ variant: Variant) -> Assistant {
            var assistant = self
            assistant.prompt = variant.prompt
            assistant.passages = variant.passages
            assistant.mmr = variant.mmr
            assistant.model = variant.model
            return assistant
        }
    }

    /// One arm of an A/B test or a canary: the settings it changes, and its share of the traffic.
    public struct Variant: Sendable, Equatable {
        public var name: String
        /// Relative share of assignments (weights need not add up to anything).
        public var weight: Double
        public var prompt: Prompt
        public var passages: Int
        public var mmr: Double
        /// Rolled back automatically when its error or negative-feedback rate is significantly worse than the control's.
        public var canary: Bool
        /// The upstream model this variant asks instead of the configured one (`SPOTTER_LLM_MODEL`); nil keeps it.
        public var model: String? = nil
    }

    public let assistants: [Assistant]
    public let folder: URL?

    /// The assistant used when a request names none: the first in the registry.
    public var defaultAssistant: Assistant { assistants[0] }

    public func assistant(named name: String?) -> Assistant? {
        guard let name else { return defaultAssistant }
        return assistants.first { $0.name == name }
    }

    /// The registry that ships with Spotter.
    public static func builtIn() throws(PromptRegistryError) -> PromptRegistry {
        guard let folder = Bundle.module.url(forResource: "Prompts", withExtension: nil) else {
            throw .unreadable(path: "Prompts (built-in resources)", reason: "the resource bundle is missing beside the binary")
        }
        return try load(folder: folder)
    }

    /// Reads `registry.json` and the prompt files it names from `folder`.
    public static func load(folder: URL) throws(PromptRegistryError) -> PromptRegistry {
        let registryURL = folder.appendingPathComponent("registry.json")
        let file: RegistryFile
        do {
            file = try JSONDecoder().decode(RegistryFile.self, from: Data(contentsOf: registryURL))
        } catch let error as DecodingError {
            throw .unreadable(path: registryURL.path, reason: "not a valid registry: \(error.shortDescription)")
        } catch {
            throw .unreadable(path: registryURL.path, reason: error.localizedDescription)
        }
        var prompts: [String: Prompt] = [:]
        for entry in file.prompts {
            // A file name, never a path: the registry cannot point outside its folder.
            guard !entry.file.contains("/"), !entry.file.hasPrefix(".") else {
                throw .invalid(path: registryURL.path, reason: "prompt '\(entry.id)' file '\(entry.file)' must be a plain file name in the folder")
            }
            let url = folder.appendingPathComponent(entry.file)
            guard let text = try? String(contentsOf: url, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .unreadable(path: url.path, reason: "missing, empty or not UTF-8")
            }
            guard prompts[entry.id] == nil else {
                throw .invalid(path: registryURL.path, reason: "prompt '\(entry.id)' is listed twice; give each version its own id or keep one")
            }
            prompts[entry.id] = Prompt(id: entry.id, version: entry.version, text: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var assistants: [Assistant] = []
        for entry in file.assistants {
            guard let prompt = prompts[entry.prompt] else {
                throw .invalid(path: registryURL.path, reason: "assistant '\(entry.name)' uses prompt '\(entry.prompt)', which is not listed")
            }
            guard IngestService.isValidName(entry.name) else {
                throw .invalid(path: registryURL.path, reason: "assistant name '\(entry.name)' must be 1–64 letters, digits, '-', '_' or '.'")
            }
            let passages = entry.passages ?? 6
            guard (1...20).contains(passages) else {
                throw .invalid(path: registryURL.path, reason: "assistant '\(entry.name)': passages must be 1–20, got \(passages)")
            }
            let mmr = entry.mmr ?? 0.7
            guard (0...1).contains(mmr) else {
                throw .invalid(path: registryURL.path, reason: "assistant '\(entry.name)': mmr must be 0–1, got \(mmr)")
            }
            var assistant = Assistant(name: entry.name, description: entry.description ?? "", prompt: prompt,
                                      knowledgeBase: entry.kb, passages: passages, mmr: mmr)
            assistant.variants = [Variant(name: "control", weight: 1, prompt: prompt, passages: passages, mmr: mmr, canary: false)]
            if let variants = entry.variants {
                func invalid(_ reason: String) -> PromptRegistryError {
                    .invalid(path: registryURL.path, reason: "assistant '\(entry.name)': \(reason)")
                }
                guard !variants.isEmpty else { throw invalid("variants, when given, list at least one") }
                assistant.variants = []
                for variant in variants {
                    guard IngestService.isValidName(variant.name) else { throw invalid("variant name '\(variant.name)' must be 1–64 letters, digits, '-', '_' or '.'") }
                    guard variant.weight >= 0, variant.weight.isFinite else { throw invalid("variant '\(variant.name)' weight must be 0 or more") }
                    var variantPrompt = prompt
                    if let id = variant.prompt {
                        guard let found = prompts[id] else { throw invalid("variant '\(variant.name)' uses prompt '\(id)', which is not listed") }
                        variantPrompt = found
                    }
                    let variantPassages = variant.passages ?? passages
                    guard (1...20).contains(variantPassages) else { throw invalid("variant '\(variant.name)': passages must be 1–20") }
                    let variantMMR = variant.mmr ?? mmr
                    guard (0...1).contains(variantMMR) else { throw invalid("variant '\(variant.name)': mmr must be 0–1") }
                    if let model = variant.model, model.isEmpty || model.count > 200 || model.contains(where: \.isNewline) {
                        throw invalid("variant '\(variant.name)': model must be a model name of 1–200 characters")
                    }
                    assistant.variants.append(Variant(name: variant.name, weight: variant.weight, prompt: variantPrompt,
                                                      passages: variantPassages, mmr: variantMMR, canary: variant.canary ?? false,
                                                      model: variant.model))
                }
                guard Set(assistant.variants.map(\.name)).count == assistant.variants.count else { throw invalid("two variants share a name") }
                guard assistant.variants.reduce(0, { $0 + $1.weight }) > 0 else { throw invalid("variant weights add up to 0") }
                guard !assistant.variants[0].canary else { throw invalid("the first variant is the control and cannot be a canary") }
            }
            assistants.append(assistant)
        }
        guard !assistants.isEmpty else { throw .invalid(path: registryURL.path, reason: "no assistants are listed") }
        guard Set(assistants.map(\.name)).count == assistants.count else {
            throw .invalid(path: registryURL.path, reason: "two assistants share a name")
        }
        return PromptRegistry(assistants: assistants, folder: folder)
    }

    private struct RegistryFile: Decodable {
        struct PromptEntry: Decodable {
            var id: String
            var version: String
            var file: String
        }
        struct AssistantEntry: Decodable {
            var name: String
            var description: String?
            var prompt: String
            var kb: String?
            var passages: Int?
            var mmr: Double?
            var variants: [VariantEntry]?
        }
        struct VariantEntry: Decodable {
            var name: String
            var weight: Double
            var prompt: String?
            var passages: Int?
            var mmr: Double?
            var canary: Bool?
            var model: String?
        }
        var prompts: [PromptEntry]
        var assistants: [AssistantEntry]
    }
}

/// Why the prompt registry cannot be used.
public enum PromptRegistryError: Error, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read the prompt registry at \(path): \(reason) (SPOTTER_PROMPTS names the folder)"
        case .invalid(let path, let reason): return "the prompt registry \(path) is not valid: \(reason)"
        }
    }
}

extension DecodingError {
    /// The failing field path and the reason, without Swift's debug noise.
    var shortDescription: String {
        func path(_ context: Context) -> String {
            let text = CodingPathText.describe(context.codingPath)
            return text.isEmpty ? "" : " at \(text)"
        }
        switch self {
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.debugDescription + path(context)
        @unknown default: return String(describing: self)
        }
    }
}

/// A coding path as people write it: `messages[0].role`, for error messages about JSON.
public enum CodingPathText {
    /// The path, or "" for the top level.
    public static func describe(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text
    }
}
