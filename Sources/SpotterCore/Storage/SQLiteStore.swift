import Crypto
import Foundation
import GRDB
import Synchronization

/// The embedded store: one SQLite file in WAL mode, reached through GRDB.
///
/// A `DatabasePool` gives concurrent readers and one writer; every document change runs in one write transaction.
public final class SQLiteStore: Store {
    /// The file name inside the data directory.
    public static let fileName = "spotter.sqlite"

    public let path: String
    private let pool: DatabasePool
    /// Knowledge bases found by tenant and name. A knowledge base is never renamed or deleted, so a name found once
    /// keeps its id; every answer resolves one, and this spares it a read.
    private let knownKnowledgeBases = Mutex<[KnowledgeBaseName: KnowledgeBase]>([:])
    private struct KnowledgeBaseName: Hashable { var tenant: String; var name: String }
    /// Moved by every process that commits a change to the cache version (see ``cacheVersion()``); nil when the
    /// file beside the database cannot be mapped, and every hit then reads the version.
    let cacheSignal: CrossProcessCounter?
    /// The cache version last read, with the signal's count before that read and when it was made.
    let lastCacheVersion = Mutex<CacheVersionReading?>(nil)
    /// Seals and opens the text fields when the store is encrypted (``DataCipher``); passes them through otherwise.
    let sealer: FieldSealer
    /// What the store was before this open marked it for sealing (``sealAll(directory:cipher:batch:progress:)``).
    let stateBeforeSealing: EncryptionState

    /// Opens (creating if needed) the store in `directory` and brings its schema up to date. With a `cipher` the
    /// store's text is encrypted: a new or empty store becomes encrypted under it; a store with plaintext data, or
    /// an encrypted store without its key, is refused with what to do.
    public convenience init(directory: URL, cipher: DataCipher? = nil) throws(StoreError) {
        try self.init(directory: directory, cipher: cipher, convertingToEncryption: false)
    }

    /// With `convertingToEncryption` the store is marked for sealing under the cipher's key: a plaintext store with
    /// data as being encrypted, a store under the previous key as rotated (``sealAll(directory:cipher:batch:progress:)``).
    init(directory: URL, cipher: DataCipher?, convertingToEncryption: Bool) throws(StoreError) {
        let path = directory.appendingPathComponent(Self.fileName).path
        self.path = path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(path: directory.path, reason: error.localizedDescription)
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        cipher?.registerTokenKeys()
        configuration.prepareDatabase { db in
            db.add(tokenizer: KeywordTokenHasher.self)
            // NORMAL is durable in WAL mode except for the last transactions before a power loss; never corrupt.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Deleted rows are overwritten with zeros, not only unlinked: what retention, erasure and document
            // deletion remove leaves no copy in free pages or free space inside pages (docs/security.md).
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .cannotOpen(path: path, reason: String(describing: error))
        }
        do {
            try Schema.migrator.migrate(pool)
        } catch {
            throw .migrationFailed(reason: String(describing: error))
        }
        let settled = try Self.settleEncryption(pool, path: path, cipher: cipher, converting: convertingToEncryption)
        sealer = FieldSealer(cipher: settled.cipher)
        stateBeforeSealing = settled.found
        // Created with the database's permissions, as SQLite creates its -wal and -shm files: whoever may write the
        // database may move the signal.
        let permissions = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).map { mode_t($0) }
        cacheSignal = CrossProcessCounter(path: path + Self.cacheSignalSuffix, permissions: permissions ?? 0o644)
        if let cacheSignal {
            pool.add(transactionObserver: CacheVersionObserver(signal: cacheSignal), extent: .databaseLifetime)
        }
    }

    /// Rewrites the database file from its live rows only (SQLite's `VACUUM`): no free page is left.
    func vacuum() throws(StoreError) {
        do {
            try pool.writeWithoutTransaction { try $0.execute(sql: "VACUUM") }
        } catch {
            throw .database(operation: "rewrite the store (VACUUM)", reason: String(describing: error))
        }
    }

    /// Checkpoints the write-ahead log and closes the database; later calls fail with a store error.
    public func close() {
        _ = try? pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try? pool.close()
    }

    /// Copies the write-ahead log into the database and truncates it to nothing, so that no earlier version of an
    /// erased page is left in it; false when a reader still needed the log and it was only partly copied.
    public func truncateWriteAheadLog() throws(StoreError) -> Bool {
        do {
            return try pool.writeWithoutTransaction { db in
                let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                return (row?[0] as Int? ?? 1) == 0
            }
        } catch {
            throw .database(operation: "checkpoint the write-ahead log", reason: String(describing: error))
        }
    }

    /// Whether the store's text is sealed, and under which key.
    public var encryption: EncryptionState {
        get throws(StoreError) {
            try read("read the encryption state") { db in try Self.encryptionState(db) }
        }
    }

    static func encryptionState(_ db: Database) throws -> EncryptionState {
        let row = try Row.fetchOne(db, sql: "SELECT state, key_id FROM data_encryption WHERE id = 1")
        return EncryptionState(mode: EncryptionState.Mode(rawValue: row?["state"] ?? "plaintext") ?? .plaintext, keyID: row?["key_id"])
    }

    /// Checks the configured cipher against the store: the cipher the store will use (nil for plaintext), and the
    /// state the store was in.
    private static func settleEncryption(_ pool: DatabasePool, path: String, cipher: DataCipher?,
                                         converting: Bool) throws(StoreError) -> (cipher: DataCipher?, found: EncryptionState) {
        do {
            return try pool.write { db -> (cipher: DataCipher?, found: EncryptionState) in
                let state = try encryptionState(db)
                return (try settle(db, state, cipher: cipher, converting: converting, path: path), state)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(operation: "read the encryption state", reason: String(describing: error))
        }
    }

    /// What the configured cipher means for a store in `state`; may mark the store (``settleEncryption``).
    private static func settle(_ db: Database, _ state: EncryptionState, cipher: DataCipher?, converting: Bool,
                               path: String) throws -> DataCipher? {
        switch (state.mode, cipher) {
        case (.plaintext, nil):
            return nil
        case (.plaintext, var cipher?):
            let holdsText = try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM documents) OR EXISTS (SELECT 1 FROM messages) OR EXISTS (SELECT 1 FROM answers)
                    OR EXISTS (SELECT 1 FROM cache_entries) OR EXISTS (SELECT 1 FROM feedback)
                """) ?? false
            if holdsText, converting {
                try db.execute(sql: "UPDATE data_encryption SET state = 'encrypting', key_id = ? WHERE id = 1", arguments: [cipher.current.id])
                cipher.acceptsPlaintext = true
                return cipher
            }
            guard !holdsText else {
                throw StoreError.encryption("""
                    \(path) holds plaintext data and SPOTTER_ENCRYPTION_KEY is set: run `spotter encrypt` to encrypt it in place \
                    (resumable), or unset the key to use it as it is
                    """)
            }
            // Nothing to convert: the store is encrypted from here on, and its keyword indexes keyed.
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM knowledge_bases") {
                try db.execute(sql: "DROP TABLE IF EXISTS \(KeywordIndex.table(id))")
                try KeywordIndex.create(db, knowledgeBaseID: id, tokenKeyID: cipher.current.id)
            }
            try db.execute(sql: "UPDATE data_encryption SET state = 'encrypted', key_id = ? WHERE id = 1", arguments: [cipher.current.id])
            cipher.acceptsPlaintext = false
            return cipher
        case (_, nil):
            throw StoreError.encryption("""
                \(path) is encrypted with data key \(state.keyID ?? "?"): set SPOTTER_ENCRYPTION_KEY or \
                SPOTTER_ENCRYPTION_KEY_FILE to that key
                """)
        case (let mode, var cipher?):
            guard let keyID = state.keyID, cipher.knows(keyID) else {
                throw StoreError.encryption("""
                    \(path) is encrypted with data key \(state.keyID ?? "?"), but the configured key is \(cipher.current.id): \
                    set SPOTTER_ENCRYPTION_KEY (or SPOTTER_ENCRYPTION_KEY_FILE) to the store's key
                    """)
            }
            cipher.acceptsPlaintext = mode == .encrypting
            // A rotation: from here on the store is (being) sealed under the new key; the old one still opens.
            if converting, keyID != cipher.current.id {
                try db.execute(sql: "UPDATE data_encryption SET key_id = ? WHERE id = 1", arguments: [cipher.current.id])
            }
            return cipher
        }
    }

    // MARK: Knowledge bases

    public func knowledgeBase(named name: String, tenant: String, create: Bool) throws(StoreError) -> KnowledgeBase? {
        let key = KnowledgeBaseName(tenant: tenant, name: name)
        if let known = knownKnowledgeBases.withLock({ $0[key] }) { return known }
        let select = "SELECT id, tenant, name FROM knowledge_bases WHERE tenant = ? AND name = ?"
        if !create {
            // Every answer resolves its knowledge base: a read keeps that off the single writer.
            let found = try read("open knowledge base \(name)") { db in
                try Row.fetchOne(db, sql: select, arguments: [tenant, name]).map(Self.knowledgeBase)
            }
            if let found { knownKnowledgeBases.withLock { $0[key] = found } }
            return found
        }
        return try write("open knowledge base \(name)") { db in
            if let row = try Row.fetchOne(db, sql: select, arguments: [tenant, name]) {
                return Self.knowledgeBase(row)
            }
            try db.execute(sql: "INSERT INTO knowledge_bases (tenant, name, created_at) VALUES (?, ?, ?)",
                           arguments: [tenant, name, Date().timeIntervalSince1970])
            let knowledgeBase = KnowledgeBase(id: db.lastInsertedRowID, name: name, tenant: tenant)
            try KeywordIndex.create(db, knowledgeBaseID: knowledgeBase.id, tokenKeyID: sealer.cipher?.current.id)
            return knowledgeBase
        }
    }

    private static func knowledgeBase(_ row: Row) -> KnowledgeBase {
        KnowledgeBase(id: row["id"], name: row["name"], tenant: row["tenant"])
    }

    /// Documents and chunks per knowledge base (for the metrics).
    public func contentCounts() throws(StoreError) -> [(knowledgeBase: KnowledgeBase, documents: Int, chunks: Int)] {
        try read("count documents") { db in
            try Row.fetchAll(db, sql: """
                SELECT k.id, k.tenant, k.name,
                       (SELECT COUNT(*) FROM documents d WHERE d.kb_id = k.id) AS documents,
                       (SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.kb_id = k.id) AS chunks
                FROM knowledge_bases k ORDER BY k.tenant, k.name
                """).map { (knowledgeBase: Self.knowledgeBase($0), documents: $0["documents"], chunks: $0["chunks"]) }
        }
    }

    public func knowledgeBases(tenant: String?) throws(StoreError) -> [KnowledgeBase] {
        try read("list knowledge bases") { db in
            if let tenant {
                return try Row.fetchAll(db, sql: "SELECT id, tenant, name FROM knowledge_bases WHERE tenant = ? ORDER BY name",
                                        arguments: [tenant]).map(Self.knowledgeBase)
            }
            return try Row.fetchAll(db, sql: "SELECT id, tenant, name FROM knowledge_bases ORDER BY tenant, name")
                .map(Self.knowledgeBase)
        }
    }

    public func generation(of knowledgeBase: KnowledgeBase) throws(StoreError) -> Int64 {
        try read("read knowledge base generation") { db in
            try Int64.fetchOne(db, sql: "SELECT generation FROM knowledge_bases WHERE id = ?", arguments: [knowledgeBase.id]) ?? -1
        }
    }

    // MARK: Documents

    /// The id a document gets: stable for a (tenant, knowledge base, source), so re-ingest keeps it. The default
    /// tenant's ids are made as before tenants existed, so that stores upgraded by migration keep theirs.
    public static func documentID(knowledgeBase: KnowledgeBase, sourceURI: String) -> String {
        let scope = knowledgeBase.tenant == Principal.defaultTenant
            ? knowledgeBase.name : "\(knowledgeBase.tenant)\u{0}\(knowledgeBase.name)"
        let digest = SHA256.hash(data: Data("\(scope)\u{0}\(sourceURI)".utf8))
        return "doc_" + digest.prefix(8).hexadecimal
    }

    public func fingerprint(ofSource sourceURI: String, in knowledgeBase: KnowledgeBase) throws(StoreError) -> DocumentFingerprint? {
        try read("look up \(sourceURI)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, content_sha256 FROM documents WHERE kb_id = ? AND source_uri = ?",
                                             arguments: [knowledgeBase.id, sourceURI]) else { return nil }
            let id: String = row["id"]
            // The model versions that every chunk of the document has a vector from (a reindex adds a second one).
            let versions = try String.fetchAll(db, sql: """
                SELECT e.model_id || '@' || e.model_version FROM chunks c JOIN embeddings e ON e.chunk_id = c.id
                WHERE c.document_id = ? GROUP BY e.model_id, e.model_version
                HAVING COUNT(*) = (SELECT COUNT(*) FROM chunks WHERE document_id = ?)
                """, arguments: [id, id])
            return DocumentFingerprint(documentID: id, contentSHA256: row["content_sha256"], embeddingVersions: Set(versions))
        }
    }

    @discardableResult
    public func replaceDocument(_ document: NewDocument, chunks: [NewChunk], in knowledgeBase: KnowledgeBase) throws(StoreError) -> String {
        let id = Self.documentID(knowledgeBase: knowledgeBase, sourceURI: document.sourceURI)
        let metadata = Self.encodeJSON(document.metadata)
        let groups = Self.encodeJSON(document.allowedGroups)
        return try write("store \(document.sourceURI)") { db in
            let now = Date().timeIntervalSince1970
            let createdAt = try Double.fetchOne(db, sql: "SELECT created_at FROM documents WHERE id = ?", arguments: [id]) ?? now
            // Deleting cascades to chunks and embeddings; the keyword index forgets the chunks first.
            try Self.dropCachedAnswers(db, documentID: id, knowledgeBase: knowledgeBase)
            try KeywordIndex.removeDocument(db, knowledgeBaseID: knowledgeBase.id, documentID: id, sealer: sealer)
            try db.execute(sql: "DELETE FROM documents WHERE id = ?", arguments: [id])
            try db.execute(sql: """
                INSERT INTO documents (id, kb_id, source_uri, title, content_sha256, metadata, allowed_groups, created_at,
                                       updated_at, source_name)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, knowledgeBase.id, document.sourceURI, sealer.seal(document.title, FieldSealer.title(id)), document.contentSHA256,
                                 metadata, groups, createdAt, now, document.sourceName])
            for chunk in chunks {
                try db.execute(sql: """
                    INSERT INTO chunks (document_id, ordinal, text, contextual_text, heading_path, token_count, start_offset, end_offset)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, chunk.ordinal, sealer.seal(chunk.text, FieldSealer.chunk("text", id, chunk.ordinal)),
                                     sealer.seal(chunk.contextualText, FieldSealer.chunk("contextual_text", id, chunk.ordinal)),
                                     sealer.seal(Self.encodeJSON(chunk.headingPath), FieldSealer.chunk("heading_path", id, chunk.ordinal)),
                                     chunk.tokenCount, chunk.startOffset, chunk.endOffset])
                let chunkID = db.lastInsertedRowID
                try KeywordIndex.insert(db, knowledgeBaseID: knowledgeBase.id, chunkID: chunkID, text: chunk.contextualText)
                try db.execute(sql: """
                    INSERT INTO embeddings (chunk_id, model_id, model_version, dimension, vector) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [chunkID, chunk.modelID, chunk.modelVersion, chunk.embedding.count,
                                     VectorCoding.encode(chunk.embedding)])
            }
            try Self.bumpGeneration(db, knowledgeBaseID: knowledgeBase.id)
            return id
        }
    }

    @discardableResult
    public func deleteDocument(id: String, tenant: String, compactingIndex: Bool) throws(StoreError) -> Bool {
        try write("delete document \(id)") { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT k.id, k.tenant, k.name FROM documents d JOIN knowledge_bases k ON k.id = d.kb_id
                WHERE d.id = ? AND k.tenant = ?
                """, arguments: [id, tenant]) else { return false }
            let knowledgeBase = Self.knowledgeBase(row)
            try Self.dropCachedAnswers(db, documentID: id, knowledgeBase: knowledgeBase)
            try KeywordIndex.removeDocument(db, knowledgeBaseID: knowledgeBase.id, documentID: id, sealer: sealer)
            try db.execute(sql: "DELETE FROM documents WHERE id = ?", arguments: [id])
            if compactingIndex { try KeywordIndex.compact(db, knowledgeBaseID: knowledgeBase.id) }
            try Self.bumpGeneration(db, knowledgeBaseID: knowledgeBase.id)
            return true
        }
    }

    public func compactKeywordIndex(of knowledgeBase: KnowledgeBase) throws(StoreError) {
        try write("compact the keyword index of \(knowledgeBase.name)") { db in try KeywordIndex.compact(db, knowledgeBaseID: knowledgeBase.id) }
    }

    public func documents(in knowledgeBase: KnowledgeBase) throws(StoreError) -> [DocumentSummary] {
        try read("list documents") { db in
            try Row.fetchAll(db, sql: Self.documentSummarySQL + " WHERE d.kb_id = ? GROUP BY d.id ORDER BY d.source_uri",
                             arguments: [knowledgeBase.id]).map { row in try Self.documentSummary(row, sealer) }
        }
    }

    public func document(id: String, tenant: String) throws(StoreError) -> DocumentSummary? {
        try read("read document \(id)") { db in
            try Row.fetchOne(db, sql: Self.documentSummarySQL + " WHERE d.id = ? AND k.tenant = ? GROUP BY d.id",
                             arguments: [id, tenant]).map { row in try Self.documentSummary(row, sealer) }
        }
    }

    private static let documentSummarySQL = """
        SELECT d.id, k.name AS kb, d.source_uri, d.source_name, d.title, d.content_sha256, d.metadata, d.allowed_groups,
               d.created_at, d.updated_at, COUNT(c.id) AS chunk_count
        FROM documents d JOIN knowledge_bases k ON k.id = d.kb_id LEFT JOIN chunks c ON c.document_id = d.id
        """

    private static func documentSummary(_ row: Row, _ sealer: FieldSealer) throws -> DocumentSummary {
        DocumentSummary(
            id: row["id"], knowledgeBase: row["kb"], sourceURI: row["source_uri"], sourceName: row["source_name"],
            title: try sealer.open(row["title"], FieldSealer.title(row["id"])),
            contentSHA256: row["content_sha256"],
            metadata: decodeJSON(row["metadata"]) ?? [:], allowedGroups: decodeJSON(row["allowed_groups"]) ?? [],
            chunkCount: row["chunk_count"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    // MARK: Search support

    public func keywordSearch(_ expression: String, in knowledgeBase: KnowledgeBase, documentIDs: Set<String>?, limit: Int) throws(StoreError) -> [KeywordMatch] {
        let table = KeywordIndex.table(knowledgeBase.id)
        var sql = """
            SELECT c.id AS chunk_id, c.document_id, bm25(\(table)) AS score
            FROM \(table) JOIN chunks c ON c.id = \(table).rowid
            WHERE \(table) MATCH ?
            """
        var arguments: StatementArguments = [expression]
        if let documentIDs {
            sql += " AND c.document_id IN (SELECT value FROM json_each(?))"
            arguments += [Self.encodeJSON(documentIDs.sorted())]
        }
        sql += " ORDER BY score LIMIT ?"
        arguments += [limit]
        let finalSQL = sql
        let finalArguments = arguments
        return try read("run a keyword search") { db in
            try Row.fetchAll(db, sql: finalSQL, arguments: finalArguments).map {
                KeywordMatch(chunkID: $0["chunk_id"], documentID: $0["document_id"], score: -($0["score"] as Double))
            }
        }
    }

    public func embeddings(in knowledgeBase: KnowledgeBase, modelID: String, modelVersion: String) throws(StoreError) -> [StoredEmbedding] {
        try read("load embeddings") { db in
            try Row.fetchAll(db, sql: """
                SELECT e.chunk_id, c.document_id, e.vector FROM embeddings e
                JOIN chunks c ON c.id = e.chunk_id JOIN documents d ON d.id = c.document_id
                WHERE d.kb_id = ? AND e.model_id = ? AND e.model_version = ?
                ORDER BY e.chunk_id
                """, arguments: [knowledgeBase.id, modelID, modelVersion]).map {
                StoredEmbedding(chunkID: $0["chunk_id"], documentID: $0["document_id"], vector: VectorCoding.decode($0["vector"]))
            }
        }
    }

    public func embeddings(chunkIDs: [Int64], modelID: String, modelVersion: String) throws(StoreError) -> [StoredEmbedding] {
        guard !chunkIDs.isEmpty else { return [] }
        let list = Self.encodeJSON(chunkIDs)
        return try read("load embeddings") { db in
            try Row.fetchAll(db, sql: """
                SELECT e.chunk_id, c.document_id, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_id
                WHERE e.chunk_id IN (SELECT value FROM json_each(?)) AND e.model_id = ? AND e.model_version = ?
                ORDER BY e.chunk_id
                """, arguments: [list, modelID, modelVersion]).map {
                StoredEmbedding(chunkID: $0["chunk_id"], documentID: $0["document_id"], vector: VectorCoding.decode($0["vector"]))
            }
        }
    }

    public func embeddedChunkIDs(in knowledgeBase: KnowledgeBase, modelID: String, modelVersion: String) throws(StoreError) -> [Int64] {
        try read("list embedded chunks") { db in
            try Int64.fetchAll(db, sql: """
                SELECT e.chunk_id FROM embeddings e
                JOIN chunks c ON c.id = e.chunk_id JOIN documents d ON d.id = c.document_id
                WHERE d.kb_id = ? AND e.model_id = ? AND e.model_version = ?
                ORDER BY e.chunk_id
                """, arguments: [knowledgeBase.id, modelID, modelVersion])
        }
    }

    public func chunks(ids: [Int64]) throws(StoreError) -> [ChunkDetail] {
        guard !ids.isEmpty else { return [] }
        let list = Self.encodeJSON(ids)
        return try read("read chunks") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.id, c.ordinal, c.text, c.heading_path, c.token_count, c.start_offset, c.end_offset,
                       d.id AS document_id, d.title, COALESCE(d.source_name, d.source_uri) AS source_name, d.metadata
                FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE c.id IN (SELECT value FROM json_each(?))
                """, arguments: [list])
            let sealer = sealer
            let byID = Dictionary(try rows.map { row -> (Int64, ChunkDetail) in
                let documentID: String = row["document_id"], ordinal: Int = row["ordinal"]
                let detail = ChunkDetail(
                    chunkID: row["id"], ordinal: ordinal, text: try sealer.open(row["text"], FieldSealer.chunk("text", documentID, ordinal)),
                    headingPath: Self.decodeJSON(try sealer.open(row["heading_path"], FieldSealer.chunk("heading_path", documentID, ordinal))) ?? [],
                    tokenCount: row["token_count"],
                    startOffset: row["start_offset"], endOffset: row["end_offset"], documentID: documentID,
                    title: try sealer.open(row["title"], FieldSealer.title(documentID)), sourceName: row["source_name"],
                    metadata: Self.decodeJSON(row["metadata"]) ?? [:])
                return (detail.chunkID, detail)
            }, uniquingKeysWith: { first, _ in first })
            return ids.compactMap { byID[$0] }
        }
    }

    public func ping() throws(StoreError) {
        _ = try read("ping the store") { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// Runs SQLite's own consistency checks (`PRAGMA integrity_check` and the FTS5 index check); returns the
    /// problems found, empty when the file is sound.
    public func integrityProblems() throws(StoreError) -> [String] {
        try write("check integrity") { db in
            var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            for knowledgeBase in try Row.fetchAll(db, sql: "SELECT id, tenant, name FROM knowledge_bases").map(Self.knowledgeBase) {
                let table = KeywordIndex.table(knowledgeBase.id)
                do {
                    try db.execute(sql: "INSERT INTO \(table)(\(table)) VALUES ('integrity-check')")
                } catch {
                    problems.append("keyword index of \(knowledgeBase.tenant)/\(knowledgeBase.name): \(error)")
                }
            }
            return problems
        }
    }

    // MARK: Helpers

    /// A document is about to change or go: in the same transaction, every cached answer citing it goes too, and
    /// so do the knowledge base's cached "not covered" answers, which the change may make wrong. Nothing stale can
    /// be served after the commit, whichever process serves.
    static func dropCachedAnswers(_ db: Database, documentID: String, knowledgeBase: KnowledgeBase) throws {
        try db.execute(sql: """
            DELETE FROM cache_entries WHERE id IN (SELECT entry_id FROM cache_citations WHERE document_id = ?)
            """, arguments: [documentID])
        try db.execute(sql: "DELETE FROM cache_entries WHERE grounded = 0 AND tenant = ? AND kb = ?",
                       arguments: [knowledgeBase.tenant, knowledgeBase.name])
    }

    private static func bumpGeneration(_ db: Database, knowledgeBaseID: Int64) throws {
        try db.execute(sql: "UPDATE knowledge_bases SET generation = generation + 1 WHERE id = ?", arguments: [knowledgeBaseID])
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch { throw Self.storeError(error, operation) }
    }

    /// A failed integrity check stays what it is; anything else is a database error of the operation.
    static func storeError(_ error: any Error, _ operation: String) -> StoreError {
        switch error {
        case let integrity as DataIntegrityError: .integrity(integrity)
        case let store as StoreError: store
        default: .database(operation: operation, reason: String(describing: error))
        }
    }

    /// A read of a single statement, which SQLite makes atomic on its own: without the transaction `read` wraps
    /// around its body (two more statements), for reads on every request.
    func readStatement<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.unsafeRead(body) } catch { throw Self.storeError(error, operation) }
    }

    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch { throw Self.storeError(error, operation) }
    }

    static func encodeJSON<T: Encodable>(_ value: T) -> String {
        CanonicalJSON.string(value)
    }

    static func decodeJSON<T: Decodable>(_ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}

/// Float32 vectors as little-endian BLOBs.
enum VectorCoding {
    static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decode(_ data: Data) -> [Float] {
        let count = data.count / 4
        return data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

extension SQLiteStore {
    public func recordIngestSource(_ source: IngestSource, in knowledgeBase: KnowledgeBase) throws(StoreError) {
        let options: String
        do {
            options = String(decoding: try JSONEncoder().encode(source.options), as: UTF8.self)
        } catch {
            throw StoreError.corruptRow(table: "ingest_sources", reason: "cannot encode the options of \(source.path): \(error)")
        }
        try write("remember ingest source \(source.path)") { db in
            try db.execute(sql: """
                INSERT INTO ingest_sources (kb_id, path, options, ingested_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (kb_id, path) DO UPDATE SET options = excluded.options, ingested_at = excluded.ingested_at
                """, arguments: [knowledgeBase.id, source.path, options, source.ingestedAt.timeIntervalSince1970])
        }
    }

    public func ingestSources(in knowledgeBase: KnowledgeBase) throws(StoreError) -> [IngestSource] {
        let rows = try read("list ingest sources") { db in
            try Row.fetchAll(db, sql: "SELECT path, options, ingested_at FROM ingest_sources WHERE kb_id = ? ORDER BY path",
                             arguments: [knowledgeBase.id])
        }
        var sources: [IngestSource] = []
        for row in rows {
            let path: String = row["path"]
            let text: String = row["options"]
            do {
                let options = try JSONDecoder().decode(IngestSource.Options.self, from: Data(text.utf8))
                sources.append(IngestSource(path: path, options: options, ingestedAt: Date(timeIntervalSince1970: row["ingested_at"])))
            } catch {
                throw StoreError.corruptRow(table: "ingest_sources", reason: "the options of \(path) cannot be read: \(error)")
            }
        }
        return sources
    }
}
