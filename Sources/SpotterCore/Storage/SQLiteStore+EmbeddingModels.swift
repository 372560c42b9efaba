import Foundation
import GRDB

/// An embedding model as the store remembers it in a role (active, standby, previous).
@MemberwiseInit @SnakeCaseCodingKeys
public struct EmbeddingModelRecord: Sendable, Equatable, Codable {
    /// The folder the weights were loaded from.
    public var directory: String
    public var modelID: String
    /// The version label vectors are stored under (the weights' digest prefix, or a label given to `spotter reindex`).
    public var modelVersion: String
    public var at: Date = Date()

    public var tag: String { "\(modelID)@\(modelVersion)" }
}

public enum EmbeddingModelRole: String, Sendable, CaseIterable, Codable {
    case active, standby, previous
}

extension SQLiteStore {
    /// The model in `role`, or nil.
    public func embeddingModel(_ role: EmbeddingModelRole) throws(StoreError) -> EmbeddingModelRecord? {
        try read("read the \(role.rawValue) embedding model") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM embedding_models WHERE role = ?", arguments: [role.rawValue]).map(Self.modelRecord)
        }
    }

    /// Records `model` in `role`, replacing what was there.
    public func setEmbeddingModel(_ model: EmbeddingModelRecord, as role: EmbeddingModelRole) throws(StoreError) {
        try write("record the \(role.rawValue) embedding model") { db in try Self.put(model, role, db) }
    }

    /// Standby becomes active and active becomes previous, in one transaction; returns the new active model.
    public func promoteStandbyModel(current: EmbeddingModelRecord) throws(StoreError) -> EmbeddingModelRecord? {
        try write("promote the standby embedding model") { db in
            guard let standby = try Row.fetchOne(db, sql: "SELECT * FROM embedding_models WHERE role = 'standby'").map(Self.modelRecord) else { return nil }
            let active = try Row.fetchOne(db, sql: "SELECT * FROM embedding_models WHERE role = 'active'").map(Self.modelRecord) ?? current
            try Self.put(active, .previous, db)
            try Self.put(standby, .active, db)
            try db.execute(sql: "DELETE FROM embedding_models WHERE role = 'standby'")
            return standby
        }
    }

    /// Previous and active swap, in one transaction; returns the new active model.
    public func rollbackEmbeddingModel() throws(StoreError) -> EmbeddingModelRecord? {
        try write("roll the embedding model back") { db in
            guard let previous = try Row.fetchOne(db, sql: "SELECT * FROM embedding_models WHERE role = 'previous'").map(Self.modelRecord),
                  let active = try Row.fetchOne(db, sql: "SELECT * FROM embedding_models WHERE role = 'active'").map(Self.modelRecord) else { return nil }
            try Self.put(active, .previous, db)
            try Self.put(previous, .active, db)
            return previous
        }
    }

    /// Chunks of the knowledge base that have no vector from this model yet, by id, at most `limit`: what a reindex
    /// still has to embed (so that a reindex that stopped half-way goes on where it was).
    public func chunksWithoutEmbedding(in knowledgeBase: KnowledgeBase, modelID: String, modelVersion: String,
                                       limit: Int) throws(StoreError) -> [(id: Int64, text: String)] {
        let sealer = sealer
        return try read("list chunks to embed") { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.document_id, c.ordinal, c.contextual_text FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE d.kb_id = ? AND NOT EXISTS (
                    SELECT 1 FROM embeddings e WHERE e.chunk_id = c.id AND e.model_id = ? AND e.model_version = ?)
                ORDER BY c.id LIMIT ?
                """, arguments: [knowledgeBase.id, modelID, modelVersion, limit]).map { row in
                (row["id"], try sealer.open(row["contextual_text"], FieldSealer.chunk("contextual_text", row["document_id"], row["ordinal"])))
            }
        }
    }

    /// Chunks of the knowledge base, and how many have a vector from this model.
    public func embeddingCoverage(in knowledgeBase: KnowledgeBase, modelID: String, modelVersion: String) throws(StoreError) -> (embedded: Int, chunks: Int) {
        try read("count embedded chunks") { db in
            let chunks = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.kb_id = ?",
                                          arguments: [knowledgeBase.id]) ?? 0
            let embedded = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM embeddings e JOIN chunks c ON c.id = e.chunk_id JOIN documents d ON d.id = c.document_id
                WHERE d.kb_id = ? AND e.model_id = ? AND e.model_version = ?
                """, arguments: [knowledgeBase.id, modelID, modelVersion]) ?? 0
            return (embedded, chunks)
        }
    }

    /// Adds vectors from a model beside the chunks' others (a chunk deleted meanwhile is skipped).
    public func addEmbeddings(_ vectors: [(chunkID: Int64, vector: [Float])], modelID: String, modelVersion: String) throws(StoreError) {
        try write("store reindexed vectors") { db in
            for item in vectors {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO embeddings (chunk_id, model_id, model_version, dimension, vector)
                    SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?)
                    """, arguments: [item.chunkID, modelID, modelVersion, item.vector.count, VectorCoding.encode(item.vector), item.chunkID])
            }
        }
    }

    private static func put(_ model: EmbeddingModelRecord, _ role: EmbeddingModelRole, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO embedding_models (role, directory, model_id, model_version, at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (role) DO UPDATE SET directory = excluded.directory, model_id = excluded.model_id,
                model_version = excluded.model_version, at = excluded.at
            """, arguments: [role.rawValue, model.directory, model.modelID, model.modelVersion, model.at.timeIntervalSince1970])
    }

    private static func modelRecord(_ row: Row) -> EmbeddingModelRecord {
        EmbeddingModelRecord(directory: row["directory"], modelID: row["model_id"], modelVersion: row["model_version"],
                             at: Date(timeIntervalSince1970: row["at"]))
    }
}
