/// Strict UTF-8 checks shared by ingest (file contents) and the HTTP API (request bodies).
public enum UTF8Text {
    /// The offset of the first byte that does not form valid UTF-8, or nil when all of `bytes` is valid.
    public static func firstInvalidByteOffset(_ bytes: some Sequence<UInt8>) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}
