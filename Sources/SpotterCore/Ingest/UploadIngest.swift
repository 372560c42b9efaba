import Foundation

/// One file sent to the server: the name it was sent under (which decides its format, like a file on disk) and its
/// bytes.
@MemberwiseInit
public struct UploadedFile: Sendable {
    public var name: String
    public var data: Data
}

/// Why uploaded files could not be ingested at all (problems with single files are in the summary instead).
public enum UploadError: Error, Sendable, CustomStringConvertible {
    case invalidName(String, reason: String)
    case duplicateName(String)
    case noFiles
    case scratch(String)
    case ingest(IngestError)

    public var description: String {
        switch self {
        case .invalidName(let name, let reason):
            return "file name \(Self.quoted(name)) is not accepted: \(reason). Send a plain name such as guide.md."
        case .duplicateName(let name):
            return "file name '\(name)' is given twice in one upload; send each file once"
        case .noFiles:
            return "the upload holds no files"
        case .scratch(let reason):
            return "could not write the upload to the data directory: \(reason)"
        case .ingest(let error):
            return error.description
        }
    }

    /// Names are shown with control characters escaped, so a message never carries raw NUL or newlines.
    private static func quoted(_ name: String) -> String {
        "'" + name.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined() + "'"
    }
}

extension IngestService {
    /// The source URI prefix of uploaded files: `upload:guide.md`, `upload:records.jsonl#42`. Uploading a file of
    /// the same name to the same knowledge base again updates that document (or leaves it unchanged).
    public static let uploadSourcePrefix = "upload:"

    /// Ingests uploaded files as if they were files on disk.
    ///
    /// The files are written into a new private folder (mode 0700) under `scratchDirectory`, ingested with source
    /// URIs `upload:<name>` instead of their scratch paths, and the folder is removed afterwards.
    public func ingest(uploads: [UploadedFile], scratchDirectory: URL, options: IngestOptions) async throws(UploadError) -> IngestSummary {
        guard !uploads.isEmpty else { throw .noFiles }
        var names = Set<String>()
        for upload in uploads {
            try Self.validateUploadName(upload.name)
            guard names.insert(upload.name).inserted else { throw .duplicateName(upload.name) }
        }
        let fileManager = FileManager.default
        let folder = scratchDirectory.standardizedFileURL.appendingPathComponent(UUID().uuidString, isDirectory: true)
        do {
            try fileManager.createDirectory(at: scratchDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .scratch(error.localizedDescription)
        }
        defer { try? fileManager.removeItem(at: folder) }
        var paths: [String] = []
        for upload in uploads {
            let url = folder.appendingPathComponent(upload.name, isDirectory: false)
            guard fileManager.createFile(atPath: url.path, contents: upload.data, attributes: [.posixPermissions: 0o600]) else {
                throw .scratch("cannot create \(url.path)")
            }
            paths.append(url.path)
        }
        var options = options
        options.sourceLabel = SourceLabel(directory: folder.path, prefix: Self.uploadSourcePrefix)
        do {
            return try await ingest(paths: paths, options: options)
        } catch {
            throw .ingest(error)
        }
    }

    /// Accepts a plain file name: no folders (`/`, `\`), not `.` or `..`, no NUL or other control characters, at
    /// most 255 bytes.
    public static func validateUploadName(_ name: String) throws(UploadError) {
        if name.isEmpty { throw .invalidName(name, reason: "it is empty") }
        if name == "." || name == ".." { throw .invalidName(name, reason: "it names a folder") }
        if name.contains("/") || name.contains("\\") { throw .invalidName(name, reason: "it contains a folder separator") }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .invalidName(name, reason: "it contains a control character")
        }
        if name.utf8.count > 255 { throw .invalidName(name, reason: "it is longer than 255 bytes") }
    }
}

extension SpotterConfiguration {
    /// Where uploads wait (each request in a private folder) while they are ingested: `<data dir>/uploads`.
    public var uploadDirectory: URL { dataDirectory.appendingPathComponent("uploads", isDirectory: true) }
}
