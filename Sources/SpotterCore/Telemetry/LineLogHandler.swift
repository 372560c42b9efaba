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
    /// Nil: standard error, through ``DeferredStandardError`` when that is switched on.
    private let output: (@Sendable (String) -> Void)?

    /// Lines go to `output` (standard error by default).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                output: (@Sendable (String) -> Void)? = nil) {
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
        let line = "\(Self.timestamp()) \(event.level)\(label.isEmpty ? "" : " ")\(label):\(pretty.map { " \($0)" } ?? "") [\(event.source)] \(event.message)\n"
        if let output {
            output(line)
        } else {
            DeferredStandardError.shared.write(line, urgent: event.level >= .notice)
        }
    }

    /// `key=value` pairs by key, as `StreamLogHandler` writes them, into one string.
    private static func prettify(_ metadata: Logger.Metadata) -> String? {
        guard !metadata.isEmpty else { return nil }
        let sorted = metadata.sorted(by: { $0.key < $1.key })
        // The whole length first: an answer's line is about 400 bytes, and growing the text on the way copied it.
        var length = 0
        for (key, value) in sorted {
            length += key.utf8.count + 2 + (value.plainString?.utf8.count ?? 24)
        }
        var text = ""
        text.reserveCapacity(length)
        for (key, value) in sorted {
            if !text.isEmpty { text.append(" ") }
            text.append(key)
            text.append("=")
            text.append(value.plainString ?? value.description)
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
        line.withUTF8 { writeToStandardError($0) }
    }

    static func writeToStandardError(_ bytes: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        while offset < bytes.count {
            let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }  // nowhere to report a failing standard error
            offset += written
        }
    }
}

extension Logger.MetadataValue {
    /// The text of a `.string` value (most of Spotter's), nil for the other kinds.
    fileprivate var plainString: String? {
        if case .string(let string) = self { return string }
        return nil
    }
}

/// Standard error a few milliseconds behind the lines, in one `write` for all the lines of that moment, once
/// ``enable()`` is called (`spotter serve` does; the other commands write each line as it comes, between their
/// progress output).
///
/// The server writes a line per answer, and a system call for each was about 2% of a cache hit's CPU. Lines at
/// `notice` and above go out at once, after every line before them; so does everything at exit (`atexit`) and when
/// a megabyte is waiting (a blocked standard error then holds the writers up, as it would without the delay). What a
/// crash takes with it is at most the last few milliseconds of `info` lines.
public final class DeferredStandardError: Sendable {
    public static let shared = DeferredStandardError()

    /// How long a line may wait for others to share its `write`.
    static let delay: DispatchTimeInterval = .milliseconds(5)
    static let most = 1 << 20

    private struct Pending {
        var bytes: [UInt8] = []
        var flushScheduled = false
        var enabled = false
    }
    private let pending = Mutex(Pending())
    /// Held while a batch is written: batches go out one at a time, in the order they were taken.
    private let writing = Mutex(())
    private let queue = DispatchQueue(label: "spotter.log-output", qos: .utility)

    /// From now on lines wait up to ``delay`` for company; whatever waits is written at exit.
    public func enable() {
        let first = pending.withLock { state in
            defer { state.enabled = true }
            return !state.enabled
        }
        if first { atexit { DeferredStandardError.shared.flush() } }
    }

    /// Writes `line` now (as a single `write`) or, once enabled, soon.
    public func write(_ line: String, urgent: Bool) {
        var line = line
        let action: (flushNow: Bool, schedule: Bool)? = line.withUTF8 { bytes in
            pending.withLock { state -> (Bool, Bool)? in
                guard state.enabled else { return nil }
                state.bytes.append(contentsOf: bytes)
                if urgent || state.bytes.count >= Self.most { return (true, false) }
                defer { state.flushScheduled = true }
                return (false, !state.flushScheduled)
            }
        }
        guard let action else { return LineLogHandler.writeToStandardError(line) }
        if action.flushNow {
            flush()
        } else if action.schedule {
            queue.asyncAfter(deadline: .now() + Self.delay) { self.flush() }
        }
    }

    /// Writes every line waiting, before returning.
    public func flush() {
        writing.withLock { _ in
            let bytes = pending.withLock { state in
                state.flushScheduled = false
                defer { state.bytes.removeAll(keepingCapacity: state.bytes.capacity <= Self.most) }
                return state.bytes
            }
            if !bytes.isEmpty { bytes.withUnsafeBufferPointer { LineLogHandler.writeToStandardError($0) } }
        }
    }
}
