import Crypto
import GRDB

/// The keyword index's tokenizer in an encrypted store: SQLite's own `porter unicode61 remove_diacritics 2` finds
/// and stems the terms, and each term is replaced by its HMAC token (``DataCipher/token(_:key:)``), for documents
/// and queries alike. Equal terms give equal tokens, so BM25 ranks as over plain terms, while the index holds no term.
///
/// Declared as `tokenize='spotter_hmac KEYID porter unicode61 remove_diacritics 2'`: the key id, never the key,
/// which is looked up among the keys the store was opened with.
final class KeywordTokenHasher: FTS5WrapperTokenizer {
    static let name = "spotter_hmac"
    let wrappedTokenizer: any FTS5Tokenizer
    private let key: SymmetricKey

    init(db: Database, arguments: [String]) throws {
        guard let keyID = arguments.first, let key = DataCipher.tokenKeys.withLock({ $0[keyID] }) else {
            throw DatabaseError(message: "the keyword index is keyed with data key \(arguments.first ?? "?"), which is not configured (SPOTTER_ENCRYPTION_KEY)")
        }
        self.key = key
        wrappedTokenizer = try db.makeTokenizer(FTS5TokenizerDescriptor(components: Array(arguments.dropFirst())))
    }

    func accept(token: String, flags: FTS5TokenFlags, for tokenization: FTS5Tokenization,
                tokenCallback: FTS5WrapperTokenCallback) throws {
        try tokenCallback(DataCipher.token(token, key: key), flags)
    }

    /// The declaration of a keyword index keyed with `keyID`.
    static func declaration(keyID: String) -> String { "\(name) \(keyID) porter unicode61 remove_diacritics 2" }
}
