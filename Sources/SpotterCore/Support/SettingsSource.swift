import Configuration
import Foundation

/// Where the `SPOTTER_*` settings are looked up: swift-configuration's reader over the environment (merged, with
/// `--config FILE`, by ``SpotterConfiguration/load(file:environment:knownNames:)``, which keeps Spotter's own
/// strict file check: an unknown name is an error naming its line).
///
/// The API keys, secrets and data keys are marked secret, so the reader's access reports never show them. A value that is empty or only
/// spaces counts as unset.
struct SettingsSource: Sendable {
    private let reader: ConfigReader

    static let secretNames: Set<String> = ["SPOTTER_LLM_API_KEY", "SPOTTER_LLM_FALLBACK_API_KEY", "SPOTTER_SECRET", "SPOTTER_JWT_HS256_SECRET",
                                           "SPOTTER_ENCRYPTION_KEY", "SPOTTER_ENCRYPTION_PREVIOUS_KEY"]

    init(_ environment: [String: String]) {
        reader = ConfigReader(provider: EnvironmentVariablesProvider(
            environmentVariables: environment, secretsSpecifier: .specific(Self.secretNames)))
    }

    /// The trimmed text of a setting, by its variable name (`SPOTTER_DATA_DIR` is the key `spotter.data.dir`).
    func text(_ name: String) -> String? {
        let key = ConfigKey(name.lowercased().split(separator: "_").map(String.init))
        guard let text = reader.string(forKey: key, isSecret: Self.secretNames.contains(name))?.trimmingCharacters(in: .whitespaces),
              !text.isEmpty else { return nil }
        return text
    }
}
