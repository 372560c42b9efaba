import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// swift-log's `StreamLogHandler` line, byte for byte, written to standard error in one `write` per line.
///
/// The server writes a line per answer at the default level. `StreamLogHandler` calls `localtime` (which checks the
/// time zone file each time) and `strftime` for every line, then writes and flushes through stdio under its lock;
/// under load the answering threads queued on that lock, and switching the answer line off raised cache-hit
/// throughput by about a tenth. Here the timestamp is made once a second, and a line is a single system call, which
/// also keeps concurrent lines whole.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    /// Written out when a line is (not when set, as `StreamLogHandler` does): Hummingbird sets a request id on every
    /// request's logger, and most requests log nothing.
    public var metadata = Logger.Metadata()

    private let label: String
    private let output: @Sendable (String) -> Void

    /// Lines go to `output` (standard error by default).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                output: @escaping @Sendable (String) -> Void = LineLogHandler.writeToStandardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var pretty: String?
        let provided = metadataProvider?.get() ?? [:]
        if metadata.isEmpty, provided.isEmpty, event.error == nil, let explicit = event.metadata, !explicit.isEmpty {
            // The usual line (an answer's): only the event's own metadata, nothing to merge it with.
            pretty = Self.prettify(explicit)
        } else if !provided.isEmpty || !(event.metadata ?? [:]).isEmpty || event.error != nil {
            var merged = metadata
            merged.merge(provided) { _, provided in provided }
            if let explicit = event.metadata { merged.merge(explicit) { _, explicit in explicit } }
            if let error = event.error {
                merged["error.message"] = "\(error)"
                merged["error.type"] = "\(String(reflecting: type(of: error)))"
            }
            pretty = Self.prettify(merged)
        } else {
            pretty = Self.prettify(metadata)
        }
        output("\(Self.timestamp()) \(event.level)\(label.isEmpty ? "" : " ")\(label):\(pretty.map { " \($0)" } ?? "") [\(event.source)] \(event.message)\n")
    }

    /// `key=value` pairs by key, as `StreamLogHandler` writes them, into one string.
    private static func prettify(_ metadata: Logger.Metadata) -> String? {
        guard !metadata.isEmpty else { return nil }
        var text = ""
        text.reserveCapacity(metadata.count * 24)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            if !text.isEmpty { text.append(" ") }
            text.append(key)
            text.append("=")
            if case .string(let string) = value { text.append(string) } else { text.append(value.description) }
        }
        return text
    }

    /// The second the last timestamp was made for, and its text.
    private static let lastTimestamp = Mutex<(second: time_t, text: String)>((-1, ""))

    /// Local time as `StreamLogHandler` writes it (`%Y-%m-%dT%H:%M:%S%z`).
    static func timestamp(_ now: time_t = time(nil)) -> String {
        if let known = lastTimestamp.withLock({ $0.second == now ? $0.text : nil }) { return known }
        var seconds = now
        var local = tm()
        var buffer = [CChar](repeating: 0, count: 64)
        guard localtime_r(&seconds, &local) != nil else { return "<unknown>" }
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        lastTimestamp.withLock { $0 = (now, text) }
        return text
    }

    /// One `write` for the whole line (repeated only if the kernel takes part of it).
    @Sendable public static func writeToStandardError(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // nowhere to report a failing standard error
                offset += written
            }
        }
    }
}
