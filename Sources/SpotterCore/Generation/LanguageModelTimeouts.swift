/// How long a call to a language model may wait, in seconds.
///
/// Remote models stream: the first byte can take long (the prompt is processed first), but once tokens flow a gap
/// means a stuck upstream. So there are three limits rather than one total.
@MemberwiseInit
public struct LanguageModelTimeouts: Sendable, Equatable {
    /// Establishing the connection. Together with ``firstByte`` it bounds the wait for the response head; the
    /// `HTTPClient`'s own connect timeout (its configuration) applies as well.
    public var connect: Double = 5
    /// From the request until the response head, and from the head until the first body bytes.
    public var firstByte: Double = 60
    /// Between two reads of the response body once it flows.
    public var idle: Double = 30
}
