import Foundation
import GRDB

/// How far `spotter encrypt` is: values sealed so far out of those that were plaintext when it began.
@MemberwiseInit
public struct EncryptionProgress: Sendable, Equatable, Codable {
    /// `table.column`, or `keyword index of TENANT/KB`.
    public var part: String
    public var done: Int
    public var total: Int
}

/// A text column that is sealed, and how its rows are named for the associated data.
struct SealedColumn: Sendable {
    var table: String
    var column: String
    /// The columns that name the row, selected with the value.
    var key: [String]
    /// The place of a row's value (``FieldSealer``), from its key columns.
    var place: @Sendable (Row) -> String
    /// Rows the column is sealed for (the legacy reply columns only where the record has no shared reply).
    var condition = "1"

    static let all: [SealedColumn] = [
        SealedColumn(table: "documents", column: "title", key: ["id"]) { FieldSealer.title($0["id"]) },
    ] + ["text", "contextual_text", "heading_path"].map { column in
        SealedColumn(table: "chunks", column: column, key: ["document_id", "ordinal"]) { FieldSealer.chunk(column, $0["document_id"], $0["ordinal"]) }
    } + [
        SealedColumn(table: "messages", column: "content", key: ["id"]) { FieldSealer.message($0["id"]) },
        SealedColumn(table: "messages", column: "citations", key: ["id"]) { FieldSealer.message($0["id"], "citations") },
    ] + ["question", "standalone_question", "trace"].map { column in
        SealedColumn(table: "answers", column: column, key: ["id"]) { FieldSealer.answer(column, $0["id"]) }
    } + ["answer", "citations"].map { column in
        SealedColumn(table: "answers", column: column, key: ["id"], place: { FieldSealer.answer(column, $0["id"]) }, condition: "reply_hash IS NULL")
    } + ["answer", "citations"].map { column in
        SealedColumn(table: "replies", column: column, key: ["hash"]) { FieldSealer.reply(column, $0["hash"]) }
    } + ["comment", "correction"].map { column in
        SealedColumn(table: "feedback", column: column, key: ["answer_id", "user"], place: { FieldSealer.feedback(column, $0["answer_id"], $0["user"]) },
                     condition: "\(column) IS NOT NULL")
    } + ["question", "answer", "citations"].map { column in
        SealedColumn(table: "cache_entries", column: column, key: ["id"]) { FieldSealer.cacheEntry(column, $0["id"]) }
    } + ["cached_question", "asked_question"].map { column in
        SealedColumn(table: "cache_false_hits", column: column, key: ["answer_id"]) { FieldSealer.falseHit(column, $0["answer_id"]) }
    }

    /// Rows whose value is not sealed under the key `keyID` yet: plaintext, or sealed under an earlier key.
    func unsealedCondition(keyID: String) -> String { "(\(condition)) AND \(column) NOT LIKE '\(DataCipher.prefix)\(keyID):%'" }
}

extension SQLiteStore {
    /// Seals everything under `cipher`'s current key, in place: a plaintext store (`spotter encrypt`), or one sealed
    /// under an earlier key that the cipher also holds (`spotter keys rotate-data-key`). Marks the store first (as
    /// encrypting, or with the new key id), rebuilds each keyword index whose tokens are not the current key's, then
    /// seals every text column `batch` rows per transaction, and at last rewrites the file (`VACUUM`) so that no
    /// earlier form is left in free pages, and empties the write-ahead log. Returns the key ids found before.
    ///
    /// Crash-safe and resumable: every step is its own transaction and picks only what is left, so after a kill at
    /// any point the same command goes on where it stopped. Meanwhile a server with the same keys reads every kind.
    @discardableResult
    public static func sealAll(directory: URL, cipher: DataCipher, batch: Int = 500,
                               progress: @Sendable (EncryptionProgress) -> Void = { _ in }) throws(StoreError) -> EncryptionState {
        let store = try SQLiteStore(directory: directory, cipher: cipher, convertingToEncryption: true)
        defer { store.close() }
        let before = store.stateBeforeSealing
        try store.sealRemaining(batch: batch, progress: progress)
        return before
    }

    private func sealRemaining(batch: Int, progress: @Sendable (EncryptionProgress) -> Void) throws(StoreError) {
        guard let cipher = sealer.cipher else { return }
        let keyID = cipher.current.id
        // The keyword indexes first: once rebuilt they are contentless and never read the chunks' sealed text.
        for knowledgeBase in try knowledgeBases(tenant: nil) {
            try write("rebuild the keyword index of \(knowledgeBase.tenant)/\(knowledgeBase.name)") { db in
                let table = KeywordIndex.table(knowledgeBase.id)
                let declaration = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table]) ?? ""
                guard !declaration.contains(KeywordTokenHasher.declaration(keyID: keyID)) else { return }
                try db.execute(sql: "DROP TABLE IF EXISTS \(table)")
                try KeywordIndex.create(db, knowledgeBaseID: knowledgeBase.id, tokenKeyID: cipher.current.id)
                let rows = try Row.fetchAll(db, sql: """
                    SELECT c.id, c.document_id, c.ordinal, c.contextual_text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.kb_id = ?
                    """, arguments: [knowledgeBase.id])
                for row in rows {
                    let text = try sealer.open(row["contextual_text"], FieldSealer.chunk("contextual_text", row["document_id"], row["ordinal"]))
                    try KeywordIndex.insert(db, knowledgeBaseID: knowledgeBase.id, chunkID: row["id"], text: text)
                }
            }
            progress(EncryptionProgress(part: "keyword index of \(knowledgeBase.tenant)/\(knowledgeBase.name)", done: 1, total: 1))
        }
        for column in SealedColumn.all {
            let part = "\(column.table).\(column.column)"
            let total = try read("count \(part)") { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(column.table) WHERE \(column.unsealedCondition(keyID: keyID))") ?? 0
            }
            var done = 0
            progress(EncryptionProgress(part: part, done: 0, total: total))
            while done < total {
                let sealed = try write("encrypt \(part)") { db -> Int in
                    let rows = try Row.fetchAll(db, sql: """
                        SELECT rowid AS spotter_rowid, \(column.key.joined(separator: ", ")), \(column.column) AS value FROM \(column.table)
                        WHERE \(column.unsealedCondition(keyID: keyID)) LIMIT ?
                        """, arguments: [batch])
                    let update = try db.makeStatement(sql: "UPDATE \(column.table) SET \(column.column) = ? WHERE rowid = ?")
                    for row in rows {
                        let place = column.place(row)
                        let text = try sealer.open(row["value"], place)
                        try update.execute(arguments: [cipher.seal(text, place), row["spotter_rowid"] as Int64])
                    }
                    return rows.count
                }
                guard sealed > 0 else { break }
                done += sealed
                progress(EncryptionProgress(part: part, done: min(done, total), total: total))
            }
        }
        try write("finish the encryption") { db in
            try db.execute(sql: "UPDATE data_encryption SET state = 'encrypted', key_id = ? WHERE id = 1", arguments: [keyID])
        }
        // Plaintext may sit in free pages from before `secure_delete`: rewrite the file without them.
        try vacuum()
        _ = try truncateWriteAheadLog()
    }
}
