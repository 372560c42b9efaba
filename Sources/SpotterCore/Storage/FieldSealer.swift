import Foundation

/// Whether a store's text is encrypted: `plaintext`, `encrypting` (`spotter encrypt` under way: both kinds of value
/// are read) or `encrypted`, and under which data key.
public struct EncryptionState: Sendable, Equatable {
    public enum Mode: String, Sendable {
        case plaintext, encrypting, encrypted
    }
    public var mode: Mode
    public var keyID: String?

    public init(mode: Mode, keyID: String?) {
        self.mode = mode
        self.keyID = keyID
    }
}

/// The store's text fields sealed for their rows, or passed through for a plaintext store.
///
/// Each field is sealed for a place naming its table, column and row (``title(_:)``, ``chunk(_:_:_:)``, …), the
/// associated data of AES-GCM: a value copied into another row does not open there.
struct FieldSealer: Sendable {
    let cipher: DataCipher?

    var isEncrypting: Bool { cipher != nil }

    func seal(_ text: String, _ place: @autoclosure () -> String) -> String {
        guard let cipher else { return text }
        return cipher.seal(text, place())
    }

    func sealIfPresent(_ text: String?, _ place: @autoclosure () -> String) -> String? {
        guard let cipher, let text else { return text }
        return cipher.seal(text, place())
    }

    func open(_ stored: String, _ place: @autoclosure () -> String) throws(DataIntegrityError) -> String {
        guard let cipher else { return stored }
        let place = place()
        return try cipher.open(stored, place, record: place)
    }

    func openIfPresent(_ stored: String?, _ place: @autoclosure () -> String) throws(DataIntegrityError) -> String? {
        guard let cipher, let stored else { return stored }
        let place = place()
        return try cipher.open(stored, place, record: place)
    }

    // The places: `table.column` and the row's key, as an integrity error names the record.
    static func title(_ documentID: String) -> String { "documents.title[\(documentID)]" }
    static func chunk(_ column: String, _ documentID: String, _ ordinal: Int) -> String { "chunks.\(column)[\(documentID) #\(ordinal)]" }
    static func message(_ id: Int64, _ column: String = "content") -> String { "messages.\(column)[\(id)]" }
    static func answer(_ column: String, _ id: String) -> String { "answers.\(column)[\(id)]" }
    static func reply(_ column: String, _ hash: String) -> String { "replies.\(column)[\(hash)]" }
    static func feedback(_ column: String, _ answerID: String, _ user: String) -> String { "feedback.\(column)[\(answerID) by \(user)]" }
    static func cacheEntry(_ column: String, _ id: String) -> String { "cache_entries.\(column)[\(id)]" }
    static func falseHit(_ column: String, _ answerID: String) -> String { "cache_false_hits.\(column)[\(answerID)]" }
}
