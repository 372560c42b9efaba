import GRDB

/// The store's schema as a history of named migrations. A shipped migration never changes: add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-knowledge-base") { db in
            try db.execute(sql: """
                CREATE TABLE knowledge_bases (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    generation INTEGER NOT NULL DEFAULT 0,
                    created_at DOUBLE NOT NULL
                );
                CREATE TABLE documents (
                    id TEXT PRIMARY KEY NOT NULL,
                    kb_id INTEGER NOT NULL REFERENCES knowledge_bases(id) ON DELETE CASCADE,
                    source_uri TEXT NOT NULL,
                    title TEXT NOT NULL,
                    content_sha256 TEXT NOT NULL,
                    metadata TEXT NOT NULL DEFAULT '{}',
                    allowed_groups TEXT NOT NULL DEFAULT '[]',
                    created_at DOUBLE NOT NULL,
                    updated_at DOUBLE NOT NULL,
                    UNIQUE (kb_id, source_uri)
                );
                CREATE TABLE chunks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    ordinal INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    contextual_text TEXT NOT NULL,
                    heading_path TEXT NOT NULL DEFAULT '[]',
                    token_count INTEGER NOT NULL,
                    start_offset INTEGER NOT NULL,
                    end_offset INTEGER NOT NULL,
                    UNIQUE (document_id, ordinal)
                );
                CREATE INDEX chunks_document ON chunks(document_id);
                CREATE TABLE embeddings (
                    chunk_id INTEGER PRIMARY KEY NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
                    model_id TEXT NOT NULL,
                    model_version TEXT NOT NULL,
                    dimension INTEGER NOT NULL,
                    vector BLOB NOT NULL
                );
                CREATE INDEX embeddings_model ON embeddings(model_id, model_version);
                -- Keyword index over what is embedded (title, heading path and text), kept in sync by triggers.
                -- Porter stemming over unicode61 with diacritics removed; stop words are dropped from queries
                -- instead (see KeywordQuery), so that phrase-like documents keep every word.
                CREATE VIRTUAL TABLE chunks_fts USING fts5(
                    contextual_text,
                    content='chunks', content_rowid='id',
                    tokenize='porter unicode61 remove_diacritics 2'
                );
                CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
                    INSERT INTO chunks_fts(rowid, contextual_text) VALUES (new.id, new.contextual_text);
                END;
                CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
                    INSERT INTO chunks_fts(chunks_fts, rowid, contextual_text) VALUES ('delete', old.id, old.contextual_text);
                END;
                CREATE TRIGGER chunks_fts_update AFTER UPDATE ON chunks BEGIN
                    INSERT INTO chunks_fts(chunks_fts, rowid, contextual_text) VALUES ('delete', old.id, old.contextual_text);
                    INSERT INTO chunks_fts(rowid, contextual_text) VALUES (new.id, new.contextual_text);
                END;
                """)
        }
        migrator.registerMigration("v2-conversations") { db in
            try db.execute(sql: """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY NOT NULL,
                    kb TEXT NOT NULL,
                    assistant TEXT NOT NULL,
                    created_at DOUBLE NOT NULL,
                    updated_at DOUBLE NOT NULL
                );
                CREATE INDEX sessions_updated ON sessions(updated_at);
                CREATE TABLE messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                    role TEXT NOT NULL,
                    content TEXT NOT NULL,
                    answer_id TEXT,
                    citations TEXT NOT NULL DEFAULT '[]',
                    created_at DOUBLE NOT NULL
                );
                CREATE INDEX messages_session ON messages(session_id, id);
                -- One row per answer: what was asked, what came back, and how (the trace). Kept after its session
                -- is deleted, for metrics and evaluation; the session id then dangles on purpose.
                CREATE TABLE answers (
                    id TEXT PRIMARY KEY NOT NULL,
                    session_id TEXT,
                    kb TEXT NOT NULL,
                    assistant TEXT NOT NULL,
                    prompt_version TEXT NOT NULL,
                    question TEXT NOT NULL,
                    standalone_question TEXT NOT NULL,
                    answer TEXT NOT NULL,
                    citations TEXT NOT NULL DEFAULT '[]',
                    model TEXT NOT NULL,
                    grounded INTEGER NOT NULL,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    tokens_estimated INTEGER NOT NULL,
                    cost_usd DOUBLE,
                    latency_ms DOUBLE NOT NULL,
                    trace TEXT NOT NULL,
                    created_at DOUBLE NOT NULL
                );
                CREATE INDEX answers_created ON answers(created_at);
                """)
        }
        migrator.registerMigration("v3-semantic-cache") { db in
            try db.execute(sql: """
                -- Answers served again to questions that mean the same. The vector is the standalone question's
                -- embedding; the scope key hashes tenant, knowledge base, assistant, prompt version, ACL groups,
                -- embedding model and filters, and its parts are kept for purging.
                CREATE TABLE cache_entries (
                    id TEXT PRIMARY KEY NOT NULL,
                    scope_key TEXT NOT NULL,
                    tenant TEXT NOT NULL,
                    kb TEXT NOT NULL,
                    assistant TEXT NOT NULL,
                    prompt_version TEXT NOT NULL,
                    acl_signature TEXT NOT NULL,
                    embedding_model TEXT NOT NULL,
                    filters TEXT NOT NULL,
                    question TEXT NOT NULL,
                    answer TEXT NOT NULL,
                    citations TEXT NOT NULL,
                    model TEXT NOT NULL,
                    grounded INTEGER NOT NULL,
                    prompt_tokens INTEGER NOT NULL,
                    completion_tokens INTEGER NOT NULL,
                    tokens_estimated INTEGER NOT NULL,
                    cost_usd DOUBLE,
                    kb_generation INTEGER NOT NULL,
                    source_answer_id TEXT NOT NULL,
                    vector BLOB NOT NULL,
                    created_at DOUBLE NOT NULL,
                    last_used_at DOUBLE NOT NULL,
                    hit_count INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX cache_entries_scope ON cache_entries(scope_key);
                CREATE INDEX cache_entries_used ON cache_entries(last_used_at);
                CREATE INDEX cache_entries_kb ON cache_entries(kb, grounded);
                CREATE INDEX cache_entries_source ON cache_entries(source_answer_id);
                -- The chunks an entry cites, with the hash of their text: replacing or deleting a document deletes
                -- the entries citing it (see SQLiteStore.dropCachedAnswers).
                CREATE TABLE cache_citations (
                    entry_id TEXT NOT NULL REFERENCES cache_entries(id) ON DELETE CASCADE,
                    document_id TEXT NOT NULL,
                    chunk_id INTEGER NOT NULL,
                    chunk_sha256 TEXT NOT NULL,
                    PRIMARY KEY (entry_id, chunk_id)
                );
                CREATE INDEX cache_citations_document ON cache_citations(document_id);
                CREATE TABLE cache_false_hits (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cached_question TEXT NOT NULL,
                    asked_question TEXT NOT NULL,
                    similarity DOUBLE NOT NULL,
                    answer_id TEXT NOT NULL,
                    recorded_at DOUBLE NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4-cache-version") { db in
            try db.execute(sql: """
                -- A counter that moves whenever a cached answer may have gone stale: an entry deleted (invalidated,
                -- purged, expired, evicted) or a chunk changed or deleted, by this process or any other. The cache
                -- keeps the entries it has verified in memory for as long as the counter stands still, so that a hit
                -- reads one integer instead of the entry and the text of every chunk it cites.
                CREATE TABLE cache_version (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    version INTEGER NOT NULL
                );
                INSERT INTO cache_version (id, version) VALUES (1, 0);
                CREATE TRIGGER cache_entry_deleted AFTER DELETE ON cache_entries
                    BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
                CREATE TRIGGER cached_chunk_changed AFTER UPDATE ON chunks
                    BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
                CREATE TRIGGER cached_chunk_deleted AFTER DELETE ON chunks
                    BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
                """)
        }
        migrator.registerMigration("v5-feedback") { db in
            try db.execute(sql: """
                -- One row per answer and user: sending feedback again replaces it. Deleted with its answer.
                CREATE TABLE feedback (
                    answer_id TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
                    user TEXT NOT NULL,
                    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
                    reason TEXT,
                    comment TEXT,
                    correction TEXT,
                    created_at DOUBLE NOT NULL,
                    updated_at DOUBLE NOT NULL,
                    PRIMARY KEY (answer_id, user)
                );
                CREATE INDEX feedback_updated ON feedback(updated_at);
                """)
        }
        migrator.registerMigration("v6-answer-log") { db in
            try db.execute(sql: """
                -- Who asked (the tenant) and what retrieval returned (chunk ids with scores), for the answer log.
                ALTER TABLE answers ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
                ALTER TABLE answers ADD COLUMN retrieved TEXT NOT NULL DEFAULT '[]';
                """)
        }
        migrator.registerMigration("v7-ingest-sources") { db in
            try db.execute(sql: """
                -- Each file or folder given to ingest, with the options it was read with: what a refresh re-reads.
                CREATE TABLE ingest_sources (
                    kb_id INTEGER NOT NULL REFERENCES knowledge_bases(id) ON DELETE CASCADE,
                    path TEXT NOT NULL,
                    options TEXT NOT NULL,
                    ingested_at DOUBLE NOT NULL,
                    PRIMARY KEY (kb_id, path)
                );
                """)
        }
        migrator.registerMigration("v8-variants") { db in
            try db.execute(sql: """
                -- The variant of the assistant that wrote each answer, and the canaries rolled back (they stay back).
                ALTER TABLE answers ADD COLUMN variant TEXT NOT NULL DEFAULT 'control';
                CREATE TABLE variant_rollbacks (
                    assistant TEXT NOT NULL,
                    variant TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    at DOUBLE NOT NULL,
                    PRIMARY KEY (assistant, variant)
                );
                """)
        }
        migrator.registerMigration("v9-embedding-versions") { db in
            try db.execute(sql: """
                -- A chunk may hold vectors from two models (or two versions of one) while a reindex builds the standby
                -- index: the key becomes (chunk, model, version).
                CREATE TABLE embeddings_versioned (
                    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
                    model_id TEXT NOT NULL,
                    model_version TEXT NOT NULL,
                    dimension INTEGER NOT NULL,
                    vector BLOB NOT NULL,
                    PRIMARY KEY (chunk_id, model_id, model_version)
                );
                INSERT INTO embeddings_versioned SELECT chunk_id, model_id, model_version, dimension, vector FROM embeddings;
                DROP TABLE embeddings;
                ALTER TABLE embeddings_versioned RENAME TO embeddings;
                CREATE INDEX embeddings_model ON embeddings(model_id, model_version);
                -- The embedding models by role: active (what serves), standby (built by reindex), previous (for rollback).
                CREATE TABLE embedding_models (
                    role TEXT PRIMARY KEY NOT NULL CHECK (role IN ('active', 'standby', 'previous')),
                    directory TEXT NOT NULL,
                    model_id TEXT NOT NULL,
                    model_version TEXT NOT NULL,
                    at DOUBLE NOT NULL
                );
                """)
        }
        migrator.registerMigration("v10-guard-decisions") { db in
            // What the input and output checks decided about each answer (JSON list); earlier answers have none.
            try db.execute(sql: "ALTER TABLE answers ADD COLUMN guards TEXT NOT NULL DEFAULT '[]'")
        }
        migrator.registerMigration("v11-answer-scores") { db in
            try db.execute(sql: """
                -- Scores an evaluation gave an answer (`spotter eval answers`), so that the variants report can show
                -- faithfulness per variant; gone with the answer.
                CREATE TABLE answer_scores (
                    answer_id TEXT PRIMARY KEY NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
                    faithfulness DOUBLE NOT NULL,
                    method TEXT NOT NULL,
                    scored_at DOUBLE NOT NULL
                );
                """)
        }
        migrator.registerMigration("v12-shared-replies") { db in
            try db.execute(sql: """
                -- An answer's text and citations, kept once however many answer records carry them: every cache hit
                -- repeats its entry's reply, and those 4-5 KB were most of the bytes a hit wrote. Keyed by a hash of
                -- both; records written before this migration keep theirs in their own columns (reply_hash NULL).
                CREATE TABLE replies (
                    hash TEXT PRIMARY KEY NOT NULL,
                    answer TEXT NOT NULL,
                    citations TEXT NOT NULL
                );
                ALTER TABLE answers ADD COLUMN reply_hash TEXT;
                -- Retention deletes a reply when no record names it any more.
                CREATE INDEX answers_reply ON answers(reply_hash) WHERE reply_hash IS NOT NULL;
                """)
        }
        migrator.registerMigration("v13-api-keys") { db in
            try db.execute(sql: """
                -- API keys, each kept only as its HMAC-SHA256 under the server secret (Security/APIKeyService.swift):
                -- the key itself is shown once, by `spotter keys create`. Revoked keys stay, for the record.
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    name TEXT,
                    tenant TEXT NOT NULL,
                    scopes TEXT NOT NULL,
                    requests_per_minute INTEGER,
                    tokens_per_minute INTEGER,
                    created_at DOUBLE NOT NULL,
                    last_used_at DOUBLE,
                    revoked_at DOUBLE
                );
                CREATE INDEX api_keys_tenant ON api_keys(tenant, created_at);
                """)
        }
        migrator.registerMigration("v14-tenants") { db in
            // Knowledge-base names become unique per tenant: SQLite cannot drop the old UNIQUE(name), so the table is
            // rebuilt (GRDB runs a migration with foreign keys off and checks them before it commits).
            try db.execute(sql: """
                CREATE TABLE knowledge_bases_by_tenant (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    tenant TEXT NOT NULL,
                    name TEXT NOT NULL,
                    generation INTEGER NOT NULL DEFAULT 0,
                    created_at DOUBLE NOT NULL,
                    UNIQUE (tenant, name)
                );
                INSERT INTO knowledge_bases_by_tenant (id, tenant, name, generation, created_at)
                    SELECT id, 'default', name, generation, created_at FROM knowledge_bases;
                DROP TABLE knowledge_bases;
                ALTER TABLE knowledge_bases_by_tenant RENAME TO knowledge_bases;
                -- Sessions belong to a tenant and, when the caller is a person, to that user; so do answer records.
                ALTER TABLE sessions ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
                ALTER TABLE sessions ADD COLUMN user_id TEXT;
                ALTER TABLE answers ADD COLUMN user_id TEXT;
                CREATE INDEX answers_tenant ON answers(tenant, created_at);
                CREATE INDEX cache_entries_tenant ON cache_entries(tenant, kb);
                -- The groups an API key's caller belongs to, for per-document permissions (JSON list).
                ALTER TABLE api_keys ADD COLUMN groups TEXT NOT NULL DEFAULT '[]';
                -- Daily budgets per tenant (`spotter tenants set`).
                CREATE TABLE tenants (
                    name TEXT PRIMARY KEY NOT NULL,
                    daily_tokens INTEGER,
                    daily_usd DOUBLE,
                    on_exhausted TEXT NOT NULL DEFAULT 'block' CHECK (on_exhausted IN ('block', 'degrade')),
                    updated_at DOUBLE NOT NULL
                );
                -- BM25 statistics per knowledge base: one FTS5 table each (see KeywordIndex), so that one tenant's
                -- documents can neither change nor probe another's ranking. The shared table and its triggers go.
                DROP TRIGGER chunks_fts_insert;
                DROP TRIGGER chunks_fts_delete;
                DROP TRIGGER chunks_fts_update;
                DROP TABLE chunks_fts;
                -- The name a source is shown by (IngestService.logicalName): never a path of the server's disk.
                ALTER TABLE documents ADD COLUMN source_name TEXT;
                """)
            let roots = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT kb_id, path FROM ingest_sources"),
                                   by: { $0["kb_id"] as Int64 }).mapValues { $0.map { $0["path"] as String } }
            for row in try Row.fetchAll(db, sql: "SELECT id, kb_id, source_uri FROM documents WHERE source_uri LIKE '/%'") {
                let name = IngestService.logicalName(of: row["source_uri"], givenPaths: roots[row["kb_id"]] ?? [])
                try db.execute(sql: "UPDATE documents SET source_name = ? WHERE id = ?", arguments: [name, row["id"] as String])
            }
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM knowledge_bases") {
                try KeywordIndex.create(db, knowledgeBaseID: id)
                try db.execute(sql: """
                    INSERT INTO \(KeywordIndex.table(id))(rowid, contextual_text)
                    SELECT c.id, c.contextual_text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.kb_id = ?
                    """, arguments: [id])
            }
        }
        migrator.registerMigration("v15-limits-and-usage") { db in
            try db.execute(sql: """
                -- Rate limits every key and token of a tenant share (`spotter tenants set --rpm --tpm`).
                ALTER TABLE tenants ADD COLUMN requests_per_minute INTEGER;
                ALTER TABLE tenants ADD COLUMN tokens_per_minute INTEGER;
                -- For `spotter usage`: the key that asked, and for a cache hit what its answer took when first written.
                ALTER TABLE answers ADD COLUMN key_id TEXT;
                ALTER TABLE answers ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE answers ADD COLUMN saved_tokens INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE answers ADD COLUMN saved_usd DOUBLE NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("v16-audit-log") { db in
            try db.execute(sql: """
                -- Administrative and security events, hash-chained (Security/AuditLog.swift). Append-only: the
                -- triggers refuse changes through SQL, and the chain shows changes made any other way.
                CREATE TABLE audit_log (
                    sequence INTEGER PRIMARY KEY NOT NULL,
                    at_ms INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    tenant TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_log_tenant ON audit_log(tenant, sequence);
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
        migrator.registerMigration("v17-data-encryption") { db in
            try db.execute(sql: """
                -- Whether the text columns are sealed (Security/DataEncryption.swift) and under which data key.
                CREATE TABLE data_encryption (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    state TEXT NOT NULL CHECK (state IN ('plaintext', 'encrypting', 'encrypted')),
                    key_id TEXT
                );
                INSERT INTO data_encryption (id, state, key_id) VALUES (1, 'plaintext', NULL);
                """)
        }
        return migrator
    }
}

/// The keyword index of one knowledge base: an FTS5 table over its chunks' contextual text (title, heading path
/// and text), external content from `chunks`. Per knowledge base so that BM25's document frequencies and lengths
/// are its own. The store writes it beside every chunk it inserts or deletes, in the same transaction (triggers
/// cannot name a table per knowledge base).
enum KeywordIndex {
    static func table(_ knowledgeBaseID: Int64) -> String { "chunks_fts_\(knowledgeBaseID)" }

    /// Porter stemming over unicode61 with diacritics removed; stop words are dropped from queries instead (see
    /// KeywordQuery), so that phrase-like documents keep every word.
    ///
    /// With `tokenKeyID` (an encrypted store) the table holds HMAC tokens of the terms (``KeywordTokenHasher``) and
    /// is contentless: the chunks' text is sealed, and FTS5 must never read it from `chunks`.
    static func create(_ db: Database, knowledgeBaseID: Int64, tokenKeyID: String? = nil) throws {
        if let tokenKeyID {
            try db.execute(sql: """
                CREATE VIRTUAL TABLE IF NOT EXISTS \(table(knowledgeBaseID)) USING fts5(
                    contextual_text, content='', tokenize='\(KeywordTokenHasher.declaration(keyID: tokenKeyID))'
                )
                """)
            return
        }
        try db.execute(sql: """
            CREATE VIRTUAL TABLE IF NOT EXISTS \(table(knowledgeBaseID)) USING fts5(
                contextual_text, content='chunks', content_rowid='id',
                tokenize='porter unicode61 remove_diacritics 2'
            )
            """)
    }

    /// Merges the index into one segment (FTS5 `optimize`), dropping what deleted chunks left (SQLite 3.40 has no
    /// FTS5 `secure-delete` option).
    static func compact(_ db: Database, knowledgeBaseID: Int64) throws {
        let table = table(knowledgeBaseID)
        try db.execute(sql: "INSERT INTO \(table)(\(table)) VALUES ('optimize')")
    }

    static func insert(_ db: Database, knowledgeBaseID: Int64, chunkID: Int64, text: String) throws {
        try db.cachedStatement(sql: "INSERT INTO \(table(knowledgeBaseID))(rowid, contextual_text) VALUES (?, ?)")
            .execute(arguments: [chunkID, text])
    }

    /// Removes a document's chunks from the index; called before the chunks themselves are deleted (an external
    /// content table needs the old text to forget it).
    static func removeDocument(_ db: Database, knowledgeBaseID: Int64, documentID: String, sealer: FieldSealer) throws {
        let table = table(knowledgeBaseID)
        guard sealer.isEncrypting else {
            try db.execute(sql: """
                INSERT INTO \(table)(\(table), rowid, contextual_text)
                SELECT 'delete', id, contextual_text FROM chunks WHERE document_id = ?
                """, arguments: [documentID])
            return
        }
        // The index forgets the tokens of the text it was given: the opened text, not the sealed value.
        let delete = try db.cachedStatement(sql: "INSERT INTO \(table)(\(table), rowid, contextual_text) VALUES ('delete', ?, ?)")
        for row in try Row.fetchAll(db, sql: "SELECT id, ordinal, contextual_text FROM chunks WHERE document_id = ?", arguments: [documentID]) {
            let text = try sealer.open(row["contextual_text"], FieldSealer.chunk("contextual_text", documentID, row["ordinal"]))
            try delete.execute(arguments: [row["id"], text])
        }
    }
}
