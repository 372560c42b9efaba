import Crypto
import Foundation
import Synchronization

/// A data key: 32 bytes from `SPOTTER_ENCRYPTION_KEY` (base64) or the file `SPOTTER_ENCRYPTION_KEY_FILE` names.
///
/// Two keys are derived from it with HKDF-SHA256, so that neither use can weaken the other: one seals values with
/// AES-256-GCM, the other makes the keyword index's HMAC tokens. Its id is derived too (it names the key, never
/// reveals it), and every ciphertext and keyword index carries it, so a store can say which key it needs.
public struct DataKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let id: String
    let sealing: SymmetricKey
    let tokens: SymmetricKey

    public static let length = 32

    // Printed, dumped or logged, a key shows its id only.
    public var description: String { "data key \(id)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id]) }

    public init(bytes: [UInt8]) throws(DataKeyError) {
        guard bytes.count == Self.length else { throw .wrongLength(bytes.count) }
        let master = SymmetricKey(data: bytes)
        func derive(_ purpose: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array("spotter \(purpose)".utf8), outputByteCount: 32)
        }
        sealing = derive("value sealing v1")
        tokens = derive("keyword tokens v1")
        let identifier = derive("key id v1").withUnsafeBytes { Array($0) }
        id = "dk" + identifier.prefix(5).map { String(format: "%02x", $0) }.joined()
    }

    /// The key a setting holds: base64 of 32 bytes (`openssl rand -base64 32`), surrounding white space ignored.
    public init(base64 text: String) throws(DataKeyError) {
        guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw .notBase64 }
        try self.init(bytes: Array(bytes))
    }
}

public enum DataKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case notBase64
    case wrongLength(Int)

    public var description: String {
        switch self {
        case .notBase64: "is not base64; make one with `openssl rand -base64 32`"
        case .wrongLength(let count): "holds \(count) bytes, not 32; make one with `openssl rand -base64 32`"
        }
    }
}

/// A sealed value failed to open: changed, moved from another row, or sealed under a key this process lacks.
public struct DataIntegrityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The table, column and row, such as `chunks.text of document doc_1 chunk 3`.
    public let record: String
    public let reason: String

    public var description: String { "integrity check failed for \(record): \(reason)" }
}

/// Seals and opens the text Spotter stores, with AES-256-GCM (swift-crypto).
///
/// A sealed value is `enc1:KEYID:BASE64`, the base64 holding the 12-byte nonce, the ciphertext and the 16-byte tag.
/// The associated data names the table, column and row the value belongs to, so a value copied into another row
/// fails to open there, and so does one with any byte changed. Values written before encryption was turned on
/// (no prefix) are read as they are only while ``acceptsPlaintext`` (an encryption in progress).
public struct DataCipher: Sendable {
    /// The key new values are sealed with.
    public let current: DataKey
    /// Every key values may still be sealed with (the current one and, during a rotation, the previous one).
    let keys: [String: DataKey]
    /// True while `spotter encrypt` has not finished: a value without the prefix is plaintext from before.
    public var acceptsPlaintext = false

    public static let prefix = "enc1:"

    public init(current: DataKey, previous: [DataKey] = []) {
        self.current = current
        var keys = Dictionary(uniqueKeysWithValues: previous.map { ($0.id, $0) })
        keys[current.id] = current
        self.keys = keys
    }

    /// Whether values sealed under `keyID` can be opened.
    public func knows(_ keyID: String) -> Bool { keys[keyID] != nil }

    public static func isSealed(_ stored: String) -> Bool { stored.utf8.starts(with: prefix.utf8) }

    public func seal(_ text: String, _ place: String) -> String {
        // AES-GCM with a random nonce cannot fail for a valid key and nonce; the fallback is unreachable.
        guard let box = try? AES.GCM.seal(Array(text.utf8), using: current.sealing, nonce: AES.GCM.Nonce(),
                                          authenticating: Array(place.utf8)),
              let combined = box.combined else { preconditionFailure("AES-GCM sealing failed") }
        return Self.prefix + current.id + ":" + combined.base64EncodedString()
    }

    /// The text of a stored value; `place` must be what it was sealed for, `record` names it in an error.
    public func open(_ stored: String, _ place: String, record: @autoclosure () -> String) throws(DataIntegrityError) -> String {
        guard Self.isSealed(stored) else {
            if acceptsPlaintext { return stored }
            throw DataIntegrityError(record: record(), reason: "the value is not encrypted in an encrypted store")
        }
        let rest = stored.utf8.dropFirst(Self.prefix.utf8.count)
        guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else {
            throw DataIntegrityError(record: record(), reason: "the encrypted value is malformed")
        }
        let keyID = String(decoding: rest[rest.startIndex..<colon], as: UTF8.self)
        guard let key = keys[keyID] else {
            throw DataIntegrityError(record: record(), reason: "sealed with data key \(keyID), which is not configured")
        }
        guard let combined = Data(base64Encoded: String(decoding: rest[rest.index(after: colon)...], as: UTF8.self)),
              let box = try? AES.GCM.SealedBox(combined: combined),
              let plain = try? AES.GCM.open(box, using: key.sealing, authenticating: Array(place.utf8)) else {
            throw DataIntegrityError(record: record(), reason: "the ciphertext was changed or belongs to another record")
        }
        return String(decoding: plain, as: UTF8.self)
    }

    /// The keyword index's token for one normalised, stemmed term: 16 characters of base64 of an HMAC-SHA256 under a
    /// data key's token key, equal for equal terms, so that matching and BM25 work while no term is stored.
    static func token(_ term: String, key: SymmetricKey) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(term.utf8), using: key)
        return Data(code.prefix(12)).base64EncodedString()
    }

    /// The token keys the keyword indexes' tokenizer finds by id (SQLite creates a tokenizer from the table's
    /// declaration, which must not hold the key): registered when a store opens with its cipher.
    static let tokenKeys = Mutex<[String: SymmetricKey]>([:])

    func registerTokenKeys() {
        Self.tokenKeys.withLock { registry in
            for (id, key) in keys { registry[id] = key.tokens }
        }
    }
}
