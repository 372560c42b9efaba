/// One event of a `text/event-stream`, as the WHATWG HTML standard defines it.
@MemberwiseInit
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field, `message` when the event named none.
    public var event: String = "message"
    /// The `data:` lines, joined by `\n`.
    public var data: String
    /// The last `id:` seen so far in the stream (ids persist across events), nil before any.
    public var id: String?
    /// The `retry:` milliseconds given within this event's lines, if any.
    public var retry: Int?
}

/// An incremental `text/event-stream` parser: feed it bytes as they arrive, in chunks split anywhere, and it returns
/// the events completed so far.
///
/// Lines are split on bytes (CR, LF and CRLF, even when CR and LF arrive in different chunks) and decoded only once
/// whole, so a UTF-8 sequence split across chunks decodes correctly. Follows the WHATWG rules: comment lines
/// (`:`) are ignored, one space after the colon is stripped, a line without a colon is a field with an empty value,
/// and an event is dispatched only on a blank line; a pending event at the end of the stream is discarded.
///
/// ```swift
/// var parser = ServerSentEventParser()
/// for try await chunk in body {
///     for event in parser.feed(chunk.readableBytesView) { handle(event) }
/// }
/// ```
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    /// The previous chunk ended in CR: an LF starting the next chunk belongs to the same line end.
    private var skipNextLineFeed = false
    private var atStreamStart = true
    private var eventType = ""
    private var data = ""
    private var hasData = false
    private var retry: Int?
    private var lastEventID: String?

    /// The reconnection time in milliseconds, as last set by a valid `retry:` field.
    public private(set) var reconnectionTime: Int?

    public init() {}

    /// Consumes `bytes` and returns the events they completed, in order.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [ServerSentEvent] where Bytes.Element == UInt8 {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if skipNextLineFeed {
                skipNextLineFeed = false
                if byte == .lineFeed { continue }
            }
            switch byte {
            case .carriageReturn, .lineFeed:
                skipNextLineFeed = byte == .carriageReturn
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// Handles a complete line; returns the event a blank line dispatches.
    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        var bytes = line[...]
        // A byte-order mark is allowed once, at the very start of the stream.
        if atStreamStart {
            atStreamStart = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.isEmpty { return dispatch() }
        if bytes.first == .colon { return nil }
        let field: String
        let value: Substring
        if let colon = bytes.firstIndex(of: .colon) {
            field = String(decoding: bytes[..<colon], as: UTF8.self)
            var valueBytes = bytes[(colon + 1)...]
            if valueBytes.first == .space { valueBytes = valueBytes.dropFirst() }
            value = Substring(String(decoding: valueBytes, as: UTF8.self))
        } else {
            field = String(decoding: bytes, as: UTF8.self)
            value = ""
        }
        switch field {
        case "event":
            eventType = String(value)
        case "data":
            if hasData { data += "\n" }
            data += value
            hasData = true
        case "id":
            if !value.contains("\u{0}") { lastEventID = String(value) }
        case "retry":
            if !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let milliseconds = Int(value) {
                retry = milliseconds
                reconnectionTime = milliseconds
            }
        default:
            break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventType = ""
            data = ""
            hasData = false
            retry = nil
        }
        guard hasData else { return nil }
        return ServerSentEvent(event: eventType.isEmpty ? "message" : eventType, data: data, id: lastEventID, retry: retry)
    }
}

private extension UInt8 {
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let colon: UInt8 = 0x3A
    static let space: UInt8 = 0x20
}
