import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file to read, as found by ``SourceScanner``.
@MemberwiseInit
public struct ScannedFile: Sendable, Equatable {
    public var url: URL
    /// The path for messages and `sourceURI`: as given, lexically standardised (relative paths stay relative).
    public var path: String
}

/// A path the scanner passed over, with the reason.
@MemberwiseInit
public struct SkippedPath: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// True for entries left out by policy (hidden files and folders) rather than because they are bad input:
    /// they are mentioned, but do not make an ingest fail.
    public var isDeliberate: Bool = false

    public var description: String { "\(path): skipped, \(reason)" }
}

/// Expands the paths given on the command line into the files to read.
///
/// - A path naming a file is always returned (even a hidden one, or one of an unsupported type, or binary: the
///   reader then reports why it cannot be read, with the full message).
/// - A folder is walked recursively in sorted (byte-wise) order. Inside it, hidden entries (name starting with
///   ".", e.g. `.git`, `.DS_Store`) are skipped with "hidden" and ``SkippedPath/isDeliberate`` set (a hidden folder
///   is reported once, not walked); files of unsupported extensions are skipped with
///   "unsupported type (…)" (only under `.auto`; a forced format accepts every file), and files with NUL bytes in
///   their first 8 KiB (not PDFs) with "binary file".
/// - Symbolic links are followed; a folder already visited (same device and inode) is not walked again, so link
///   loops end. Broken links are skipped with "broken symbolic link".
/// - A path that does not exist → "no such file or folder". A file reached twice is returned once.
public enum SourceScanner {
    public static func scan(_ paths: [String], format: DocumentFormat) -> (files: [ScannedFile], skipped: [SkippedPath]) {
        var state = State(format: format)
        for given in paths {
            let path = IngestPath.standardize(given)
            guard let info = FileInfo(path) else {
                if FileInfo(path, followLinks: false) != nil {
                    state.skipped.append(SkippedPath(path: path, reason: "broken symbolic link"))
                } else {
                    state.skipped.append(SkippedPath(path: path, reason: "no such file or folder"))
                }
                continue
            }
            if info.isDirectory {
                state.walk(path, info: info)
            } else {
                state.add(path, info: info)
            }
        }
        return (state.files, state.skipped)
    }

    struct FileInfo {
        var isDirectory: Bool
        var isRegular: Bool
        var device: UInt64
        var inode: UInt64

        init?(_ path: String, followLinks: Bool = true) {
            var st = stat()
            let result = followLinks ? stat(path, &st) : lstat(path, &st)
            guard result == 0 else { return nil }
            let type = st.st_mode & S_IFMT
            isDirectory = type == S_IFDIR
            isRegular = type == S_IFREG
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        }
    }

    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    struct State {
        let format: DocumentFormat
        var files: [ScannedFile] = []
        var skipped: [SkippedPath] = []
        var seenFiles: Set<Identity> = []
        var visitedFolders: Set<Identity> = []

        init(format: DocumentFormat) { self.format = format }

        mutating func add(_ path: String, info: FileInfo) {
            guard seenFiles.insert(Identity(device: info.device, inode: info.inode)).inserted else { return }
            files.append(ScannedFile(url: URL(fileURLWithPath: path), path: path))
        }

        mutating func walk(_ folder: String, info: FileInfo) {
            guard visitedFolders.insert(Identity(device: info.device, inode: info.inode)).inserted else { return }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder)
            } catch {
                skipped.append(SkippedPath(path: folder, reason: "cannot list the folder (\((error as NSError).localizedDescription))"))
                return
            }
            for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                let path = IngestPath.join(folder, name)
                if name.hasPrefix(".") {
                    skipped.append(SkippedPath(path: path, reason: "hidden (names starting with '.' are left out of folders; name the file to ingest it)", isDeliberate: true))
                    continue
                }
                guard let entry = FileInfo(path) else {
                    skipped.append(SkippedPath(path: path, reason: "broken symbolic link"))
                    continue
                }
                if entry.isDirectory {
                    walk(path, info: entry)
                    continue
                }
                guard entry.isRegular else {
                    skipped.append(SkippedPath(path: path, reason: "not a regular file"))
                    continue
                }
                let url = URL(fileURLWithPath: path)
                guard let resolved = format.resolved(for: url) else {
                    let ext = url.pathExtension
                    let what = ext.isEmpty ? "no file extension" : ".\(ext)"
                    skipped.append(
                        SkippedPath(
                            path: path,
                            reason: "unsupported type (\(what); supported: \(DocumentFormat.supportedExtensions.joined(separator: ", ")))"))
                    continue
                }
                if resolved != .pdf, Self.startsWithNUL(path) {
                    skipped.append(SkippedPath(path: path, reason: "binary file (contains NUL bytes)"))
                    continue
                }
                add(path, info: entry)
            }
        }

        static func startsWithNUL(_ path: String) -> Bool {
            guard let handle = FileHandle(forReadingAtPath: path) else { return false }
            defer { try? handle.close() }
            guard let data = try? handle.read(upToCount: 8192) else { return false }
            return data.contains(0)
        }
    }
}
