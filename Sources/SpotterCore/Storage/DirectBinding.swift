import GRDB
import GRDBSQLite

/// Values bound straight to a cached statement's parameters, in order, for the answer writer's inserts.
///
/// GRDB's `StatementArguments` boxes every value as a `DatabaseValue` in an array of existentials, and past 20
/// parameters (an answer record has 21) validates and copies them once more; that was about a sixth of the
/// writer's time per cache hit. Here each value goes to `sqlite3_bind_*` as it is, and GRDB still runs the statement
/// (`execute()`), so its transaction observers and error reporting are unchanged.
struct DirectBinding {
    private let statement: Statement
    private var index: CInt = 0

    /// Starts on `statement` with its earlier bindings cleared.
    init(_ statement: Statement) {
        // Resets the statement, clears its bindings and tells GRDB that the statement's arguments are set.
        statement.setUncheckedArguments(StatementArguments())
        self.statement = statement
    }

    mutating func bind(_ text: String) throws {
        var text = text
        try text.withUTF8 { try bindText($0) }
    }

    mutating func bind(_ text: String?) throws {
        guard let text else { return try bindNull() }
        try bind(text)
    }

    /// UTF-8 bytes bound as text (JSON written by `JSONWriter`).
    mutating func bind(utf8 bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { try bindText($0) }
    }

    mutating func bind(_ value: Int) throws {
        index += 1
        try check(sqlite3_bind_int64(statement.sqliteStatement, index, sqlite3_int64(value)))
    }

    mutating func bind(_ value: Int64?) throws {
        guard let value else { return try bindNull() }
        try bind(Int(value))
    }

    mutating func bind(_ value: Bool) throws {
        try bind(value ? 1 : 0)
    }

    mutating func bind(_ value: Double) throws {
        index += 1
        try check(sqlite3_bind_double(statement.sqliteStatement, index, value))
    }

    mutating func bind(_ value: Double?) throws {
        guard let value else { return try bindNull() }
        try bind(value)
    }

    /// Runs the statement once every parameter is bound.
    func execute() throws {
        let expected = sqlite3_bind_parameter_count(statement.sqliteStatement)
        guard index == expected else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(index) values bound for \(expected) parameters",
                                sql: statement.sql)
        }
        try statement.execute()
    }

    private mutating func bindNull() throws {
        index += 1
        try check(sqlite3_bind_null(statement.sqliteStatement, index))
    }

    private mutating func bindText(_ utf8: UnsafeBufferPointer<UInt8>) throws {
        index += 1
        // SQLite reads a null pointer as NULL, and an empty buffer may have none: "" is bound from a real one.
        let code = utf8.count == 0
            ? sqlite3_bind_text(statement.sqliteStatement, index, "", 0, Self.transient)
            : utf8.withMemoryRebound(to: CChar.self) {
                sqlite3_bind_text(statement.sqliteStatement, index, $0.baseAddress, CInt($0.count), Self.transient)
            }
        try check(code)
    }

    private func check(_ code: CInt) throws {
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "could not bind parameter \(index)",
                                sql: statement.sql)
        }
    }

    /// SQLite copies the bytes before the call returns: the buffers above live only that long.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

extension DirectBinding {
    /// A value's canonical JSON, `null` when it has none (as ``CanonicalJSON/string(_:fallback:)`` writes it).
    mutating func bindJSON(_ value: some Encodable & JSONWritable) throws {
        try bind(utf8: (try? CanonicalJSON.bytes(value)) ?? Array("null".utf8))
    }
}
