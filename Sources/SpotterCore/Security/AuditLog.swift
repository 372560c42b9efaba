import Crypto
import Foundation
import Logging

/// What an administrative or security event did.
public enum AuditAction: String, Sendable, Codable, CaseIterable {
    case keyCreated = "key.created"
    case keyRevoked = "key.revoked"
    case documentsIngested = "documents.ingested"
    case documentDeleted = "document.deleted"
    case cachePurged = "cache.purged"
    case refreshStarted = "refresh.started"
    case driftRebaselined = "drift.rebaselined"
    case variantRestored = "variant.restored"
    case tenantChanged = "tenant.changed"
    case personalDataExported = "personal_data.exported"
    case personalDataErased = "personal_data.erased"
    case storeEncrypted = "store.encrypted"
    case dataKeyRotated = "data_key.rotated"
}

/// One event as it is recorded: who did what to what, in which tenant.
@MemberwiseInit
public struct AuditEvent: Sendable, Equatable {
    /// The API key id, `sub:USER` for a token, `open` for a caller of a server without authentication, or `cli` and
    /// `spotter` (the server itself, such as a refresh drift asked for).
    public var actor: String
    public var tenant: String
    public var action: AuditAction
    /// What was acted on: a key id, a document id, a knowledge base, a scope.
    public var target: String
    /// What else matters, such as counts or the settings made.
    public var detail: [String: String] = [:]
}

/// An entry of the audit log: the event, its place and time, and the hash chain that makes changes detectable.
@MemberwiseInit
@SnakeCaseCodingKeys
public struct AuditEntry: Sendable, Equatable, Codable {
    /// 1, 2, 3…: the entry's place in the log.
    public var sequence: Int64
    public var at: Date
    public var actor: String
    public var tenant: String
    public var action: String
    public var target: String
    public var detail: [String: String]
    /// The hash of the entry before (64 zeros for the first).
    public var previousHash: String
    /// SHA-256 of the previous hash and this entry's fields (``AuditLog/hash(of:)``).
    public var hash: String
}

/// Where the audit log is kept. Appending reads the last hash and writes the entry in one transaction, so that
/// two processes (the server and the CLI) appending at once still make one chain.
public protocol AuditStore: Sendable {
    func appendAudit(_ event: AuditEvent, at date: Date) throws(StoreError) -> AuditEntry
    /// Entries after `sequence` in order, at most `limit`; only one tenant's with `tenant`.
    func auditEntries(after sequence: Int64, tenant: String?, limit: Int) throws(StoreError) -> [AuditEntry]
}

/// The append-only, hash-chained log of administrative and security events.
///
/// Each entry carries the hash of the one before, so an entry edited, inserted or deleted inside the log breaks
/// the chain at that point: ``verify(_:)`` names the first entry that fails. The table also refuses UPDATE and
/// DELETE through triggers. Cutting entries off the end leaves a valid shorter chain: `spotter audit verify` prints
/// the last hash so that an operator can record it elsewhere and compare.
///
/// ```swift
/// try audit.record(AuditEvent(actor: "key_01…", tenant: "acme", action: .cachePurged, target: "kb=default"))
/// if let problem = try audit.verify() { print(problem) }   // "entry 12 was changed: …"
/// ```
public struct AuditLog: Sendable {
    public let store: any AuditStore

    public static let firstPreviousHash = String(repeating: "0", count: 64)

    public init(store: any AuditStore) {
        self.store = store
    }

    @discardableResult
    public func record(_ event: AuditEvent, at date: Date = Date()) throws(StoreError) -> AuditEntry {
        try store.appendAudit(event, at: date)
    }

    /// Records an event whose action already happened: a failure to record is logged, not thrown, because the
    /// action cannot be undone and its caller must still learn its outcome.
    public func note(_ event: AuditEvent, logger: Logger) {
        do {
            try record(event)
        } catch {
            logger.error("event not recorded in the audit log", metadata: [
                "action": "\(event.action.rawValue)", "target": "\(event.target)", "problem": "\(error)",
            ])
        }
    }

    /// The hash an entry must carry: SHA-256 over the previous hash and the fields, each length-prefixed so that no
    /// two different entries give the same input.
    public static func hash(of entry: AuditEntry) -> String {
        var input = Data()
        func add(_ text: String) {
            let bytes = Data(text.utf8)
            input.append(contentsOf: "\(bytes.count):".utf8)
            input.append(bytes)
        }
        add(entry.previousHash)
        add(String(entry.sequence))
        // Milliseconds: what the store keeps exactly.
        add(String(Int64((entry.at.timeIntervalSince1970 * 1000).rounded())))
        add(entry.actor)
        add(entry.tenant)
        add(entry.action)
        add(entry.target)
        for key in entry.detail.keys.sorted() {
            add(key)
            add(entry.detail[key] ?? "")
        }
        return SHA256.hash(data: input).hexadecimal
    }

    /// What is wrong with a log read in order, or nil when every entry follows from the one before.
    public static func problem(in entries: [AuditEntry], startingAfter previous: (sequence: Int64, hash: String) = (0, firstPreviousHash)) -> AuditProblem? {
        var expected = previous
        for entry in entries {
            if entry.sequence != expected.sequence + 1 {
                return .gap(after: expected.sequence, found: entry.sequence)
            }
            if entry.previousHash != expected.hash {
                return .brokenLink(entry.sequence)
            }
            if hash(of: entry) != entry.hash {
                return .changed(entry.sequence)
            }
            expected = (entry.sequence, entry.hash)
        }
        return nil
    }

    /// Reads the whole log in pages and checks the chain; the number of entries checked and the last hash, or the
    /// first problem.
    public func verify(pageSize: Int = 1000) throws(StoreError) -> Result<(entries: Int64, lastHash: String), AuditProblem> {
        var last: (sequence: Int64, hash: String) = (0, Self.firstPreviousHash)
        while true {
            let page = try store.auditEntries(after: last.sequence, tenant: nil, limit: pageSize)
            if let problem = Self.problem(in: page, startingAfter: last) { return .failure(problem) }
            guard let end = page.last else { return .success((last.sequence, last.hash)) }
            last = (end.sequence, end.hash)
        }
    }
}

/// Why the audit log does not verify, naming the first entry that fails.
public enum AuditProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// Entries are missing between two (deleted, or the sequence was edited).
    case gap(after: Int64, found: Int64)
    /// The entry does not name the hash of the one before it (an entry before it was changed, inserted or deleted).
    case brokenLink(Int64)
    /// The entry's fields do not give its hash (the entry itself was changed).
    case changed(Int64)

    public var description: String {
        switch self {
        case .gap(let after, let found): "entry \(after + 1) is missing: entry \(found) follows entry \(after)"
        case .brokenLink(let sequence): "entry \(sequence) does not follow from the entry before it (an earlier entry was changed or removed)"
        case .changed(let sequence): "entry \(sequence) was changed: its contents no longer give its hash"
        }
    }
}

extension Principal {
    /// How the audit log names this caller.
    public var auditActor: String {
        if let keyID { return keyID }
        if let userID { return "sub:\(userID)" }
        return seesAllDocuments ? "open" : "token"
    }
}
