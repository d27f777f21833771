#if canImport(Glibc)
import Glibc
#endif
import CSQLite
import FunnelWriters

/// One SQLite connection with its prepared statements, for the history store (a file, or a
/// temporary database for a run that keeps none). Errors come back as `SinkError`s naming the file and what was being done.
final class SQLiteDatabase {
    enum Value {
        case text(String)
        case blob([UInt8])
        case integer(Int64)
        case null
    }

    /// The file, or "" for a private temporary database SQLite deletes when it is closed.
    let path: String
    private var db: OpaquePointer?
    /// Prepared statements by the address of their text (see `cached`).
    private var statements: [UnsafeRawPointer: OpaquePointer] = [:]
    /// Statements of several rows (`runRows`), by their texts' addresses and row count.
    private var rowStatements: [RowsKey: OpaquePointer] = [:]
    private(set) var inTransaction = false
    /// The bytes of the text and blob values `run` and `runRows` bind, bound with
    /// SQLITE_STATIC. Bound SQLITE_TRANSIENT, SQLite copied each value into memory of its own
    /// and freed it at the next reset: about 190,000 copies on the bench's S run, 1.5% of its
    /// instructions. Each statement's values are copied here from offset 0 (`Binder`), so the
    /// arena is about as large as the largest statement's values. A statement keeps pointing at its values until
    /// it is bound again or finalized, so an outgrown buffer is kept (`retired`) until `deinit`
    /// has finalized every statement.
    private var arena = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
    /// Bytes of `arena` the statement being bound has placed.
    fileprivate var arenaUsed = 0
    private var retired: [UnsafeMutableRawBufferPointer] = []
    /// True while `run` or `runRows` binds a statement's values, which go into the arena: a
    /// statement prepared or reset then would reuse it (`cached`).
    private var binding = false

    /// Set once, before the first connection: SQLite's memory statistics take a process-wide
    /// mutex on every allocation, and a run uses SQLite on several threads at once (the
    /// history's reads, its writer, the bodies stored at the end). Nothing here reads the statistics.
    private static let configured: Void = { _ = funnel_sqlite_disable_memory_statistics() }()

    /// `create`: false opens an existing file only. It is still opened for writing, so that
    /// SQLite can roll back what a run cut short left in its journal before anything is read.
    init(path: String, create: Bool = true) throws(SinkError) {
        Self.configured
        self.path = path
        // Not through a link at its name (rv73g: a link planted at `funnel-history.sqlite` to
        // an empty file of another user's got the whole history, umask 077 notwithstanding).
        // The name alone: SQLite's SQLITE_OPEN_NOFOLLOW refuses a link anywhere in the path,
        // and an output folder under a linked folder (`/var/lib/funnel -> /data/funnel`) could
        // not open its history (rv73j).
        var named = stat()
        if !path.isEmpty, lstat(path, &named) == 0, named.st_mode & S_IFMT == S_IFLNK {
            throw SinkError("cannot open the history database \(path): it is a symbolic link; remove it (funnel makes the file itself)")
        }
        let mode = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        guard sqlite3_open_v2(path, &db, mode | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            var message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { message += SinkError.descriptorsRemedy(sqlite3_system_errno(db)) }
            sqlite3_close(db)
            throw SinkError("cannot open the \(path.isEmpty ? "temporary" : "history") database \(path): \(message)")
        }
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit {
        if inTransaction { sqlite3_exec(db, "ROLLBACK", nil, nil, nil) }
        for statement in statements.values { sqlite3_finalize(statement) }
        for statement in rowStatements.values { sqlite3_finalize(statement) }
        sqlite3_close(db)
        arena.deallocate()
        for buffer in retired { buffer.deallocate() }
    }

    func begin() throws(SinkError) {
        guard !inTransaction else { return }
        try execute("BEGIN")
        inTransaction = true
    }

    func commit() throws(SinkError) {
        guard inTransaction else { return }
        inTransaction = false
        do throws(SinkError) {
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    func rollback() {
        guard inTransaction else { return }
        inTransaction = false
        try? execute("ROLLBACK")
    }

    func execute(_ sql: String) throws(SinkError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw SinkError("\(label): \(text)\(fullHint)")
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ sql: StaticString, _ values: [Value]) throws(SinkError) {
        try run(sql) { binder in for value in values { binder.value(value) } }
    }

    /// Runs a statement that returns no rows, its values bound by `bindValues` in order
    /// (which, as `runRows`' `bindRow`, must not use this database).
    func run(_ sql: StaticString, _ bindValues: (inout Binder) -> Void) throws(SinkError) {
        let statement = try cached(sql)
        bindInArena(statement, bindValues)
        guard sqlite3_step(statement) == SQLITE_DONE else { throw failure("writing") }
    }

    /// Runs `head VALUES row, row, ... tail` for rows `0..<count`, up to
    /// `Self.rowsPerStatement` rows per statement; `row` is the template of one row, with a
    /// `?` per value, and `bindRow(index, &binder)` binds row `index`'s values in order.
    /// Returns how many rows the statements inserted or changed. One statement per row cost
    /// about 9,000 instructions inside `sqlite3_step` (opening the table's and its indexes'
    /// cursors, the transaction check, the reset) besides the row's own insert. SQLite inserts
    /// the rows of one statement in order, as one statement each would.
    ///
    /// Rows are bound straight from the caller's values: an array of `Value`s made per row,
    /// gathered per statement and freed took about 190 million instructions of the bench's S
    /// run (5%), on the history's writer and the run scratch's keeper (a SQLite database until
    /// 2026-12-04). `bindRow` must not use this
    /// database: its values go into the buffer the statement being bound reads.
    ///
    /// Only for statements that cannot abort half-way, or on a database without a journal: a
    /// statement of several rows that may abort (a NOT NULL or UNIQUE conflict resolved by
    /// ABORT, which is also what REPLACE does for NOT NULL without a default) keeps a statement
    /// journal, a copy of every page it changes (16 KiB each), which on the history cost more
    /// than the batching saved.
    @discardableResult
    func runRows(_ head: StaticString, _ row: StaticString, _ tail: StaticString = "", count: Int, _ bindRow: (Int, inout Binder) -> Void)
        throws(SinkError) -> Int {
        var changed = 0
        var start = 0
        while start < count {
            // Full statements, then the rest one row at a time: two prepared statements per
            // head, not one per count (each holds its program, tens of KiB for 32 rows).
            let rows = count - start >= Self.rowsPerStatement ? Self.rowsPerStatement : 1
            let statement = try cached(head, row, tail, rows: rows)
            bindInArena(statement) { binder in
                for index in start..<(start + rows) { bindRow(index, &binder) }
            }
            guard sqlite3_step(statement) == SQLITE_DONE else { throw failure("writing") }
            changed += Int(sqlite3_changes64(db))
            start += rows
        }
        return changed
    }

    static let rowsPerStatement = 32

    /// Binds `statement`'s values through `body` into the arena (`run`, `runRows`), with
    /// `binding` set meanwhile so that `body` cannot use this database.
    private func bindInArena(_ statement: OpaquePointer?, _ body: (inout Binder) -> Void) {
        var binder = Binder(database: self, statement: statement, inArena: true)
        binding = true
        body(&binder)
        binding = false
    }

    /// Runs a statement and calls `row` for each result row.
    func select(_ sql: StaticString, _ values: [Value] = [], _ row: (OpaquePointer?) throws(SinkError) -> Void) throws(SinkError) {
        let statement = try cached(sql)
        var binder = Binder(database: self, statement: statement, inArena: false)
        for value in values { binder.value(value) }
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw failure("reading") }
            try row(statement)
        }
        sqlite3_reset(statement)
    }

    /// The integer a statement of one row and one column reads (a count, a maximum); 0 for
    /// NULL, as SQLite reads it.
    func scalar(_ sql: StaticString) throws(SinkError) -> Int64 {
        var value: Int64 = 0
        try select(sql) { value = Self.integer($0, 0) }
        return value
    }

    /// Runs `sql` once per distinct key (bound as ?1), calling `row` with the key for each row.
    func query(_ sql: StaticString, _ keys: [String], _ row: (String, OpaquePointer?) -> Void) throws(SinkError) {
        var seen = Set<String>()
        for key in keys where seen.insert(key).inserted {
            try select(sql, [.text(key)]) { statement in row(key, statement) }
        }
    }

    /// The blob at `column` of row `rowid` in `table`, open for SQLite's incremental I/O while
    /// `body` runs: a value of tens of megabytes (the history's key filter) is then read and
    /// written piece by piece at the caller's pointers, never whole in memory (bound as a
    /// value, it was copied into the binding arena and by SQLite). A write keeps the blob's
    /// size, which the statement that made the row set (`zeroblob`).
    func withBlob<R>(table: String, column: String, rowid: Int64, writable: Bool,
                     _ body: (Blob) throws(SinkError) -> R) throws(SinkError) -> R {
        var handle: OpaquePointer?
        guard sqlite3_blob_open(db, "main", table, column, rowid, writable ? 1 : 0, &handle) == SQLITE_OK else {
            throw failure("opening \(table).\(column) of row \(rowid)")
        }
        defer { sqlite3_blob_close(handle) }
        return try body(Blob(database: self, handle: handle))
    }

    /// An open blob (`withBlob`); offsets and lengths within its size.
    struct Blob {
        fileprivate let database: SQLiteDatabase
        fileprivate let handle: OpaquePointer?

        var count: Int { Int(sqlite3_blob_bytes(handle)) }

        /// Fills `buffer` with the blob's bytes from `offset`; false when SQLite cannot.
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
            guard !buffer.isEmpty else { return true }
            guard offset >= 0, offset + buffer.count <= count else { return false }
            return sqlite3_blob_read(handle, buffer.baseAddress, Int32(buffer.count), Int32(offset)) == SQLITE_OK
        }

        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SinkError) {
            guard !bytes.isEmpty else { return }
            guard offset >= 0, offset + bytes.count <= count,
                  sqlite3_blob_write(handle, bytes.baseAddress, Int32(bytes.count), Int32(offset)) == SQLITE_OK
            else { throw database.failure("writing \(bytes.count) bytes of a blob at \(offset)") }
        }

        /// Writes the pieces `forEachPiece` hands out, one after another from the blob's start
        /// (a value made in parts: `KeyFilter.forEachEncodedPiece`), and returns how many bytes
        /// they made. The first write SQLite refuses is thrown; the pieces after it are skipped.
        func write(pieces forEachPiece: ((UnsafeRawBufferPointer) -> Void) -> Void) throws(SinkError) -> Int {
            var offset = 0
            var failure: SinkError?
            forEachPiece { bytes in
                guard failure == nil else { return }
                do throws(SinkError) { try write(bytes, at: offset) } catch { failure = error }
                offset += bytes.count
            }
            if let failure { throw failure }
            return offset
        }
    }

    /// The statement prepared for `sql`, reset. Statements are the program's own literals,
    /// so the cache is keyed by where the text lies: a flush looks statements up some 130,000
    /// times on M (one per row written or read), and hashing their text (a few hundred bytes)
    /// cost 1 to 2% of a run. The same text in two literals is prepared twice, which is all
    /// it costs.
    private func cached(_ sql: StaticString) throws(SinkError) -> OpaquePointer? {
        precondition(sql.hasPointerRepresentation, "SQL text is a string literal")
        precondition(!binding, "a statement used while run or runRows binds its values")
        let key = UnsafeRawPointer(sql.utf8Start)
        if let statement = statements[key] {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            return statement
        }
        var statement: OpaquePointer?
        let prepared = sql.utf8Start.withMemoryRebound(to: CChar.self, capacity: sql.utf8CodeUnitCount) {
            sqlite3_prepare_v2(db, $0, Int32(sql.utf8CodeUnitCount), &statement, nil)
        }
        guard prepared == SQLITE_OK else { throw failure("preparing \(sql)") }
        statements[key] = statement
        return statement
    }

    /// A `runRows` statement: its three literals (by address, as `cached(_:)` keys its
    /// statements; two call sites may share a head literal with different rows or tails) and
    /// its number of rows.
    private struct RowsKey: Hashable {
        var head: UnsafeRawPointer
        var row: UnsafeRawPointer
        var tail: UnsafeRawPointer
        var rows: Int
    }

    /// The statement of `rows` rows for `runRows`, reset: built and prepared once.
    private func cached(_ head: StaticString, _ row: StaticString, _ tail: StaticString, rows: Int) throws(SinkError) -> OpaquePointer? {
        precondition(head.hasPointerRepresentation && row.hasPointerRepresentation && tail.hasPointerRepresentation)
        precondition(!binding, "a statement used while run or runRows binds its values")
        let key = RowsKey(head: UnsafeRawPointer(head.utf8Start), row: UnsafeRawPointer(row.utf8Start), tail: UnsafeRawPointer(tail.utf8Start), rows: rows)
        if let statement = rowStatements[key] {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            return statement
        }
        let sql = "\(head) VALUES " + Array(repeating: "\(row)", count: rows).joined(separator: ", ") + " \(tail)"
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { throw failure("preparing \(head) ... \(tail)") }
        rowStatements[key] = statement
        return statement
    }

    /// Binds one statement's values in order from parameter 1. `inArena` (for `run` and
    /// `runRows`, which step the statement before anything else binds on this connection):
    /// texts and blobs are copied into the connection's `arena` and bound SQLITE_STATIC.
    /// Otherwise (for `select`, whose row callback may run other statements on this
    /// connection, and so use the arena, while it steps) SQLite is given them to copy
    /// (SQLITE_TRANSIENT).
    struct Binder {
        fileprivate let database: SQLiteDatabase
        fileprivate let statement: OpaquePointer?
        fileprivate let inArena: Bool
        private var position: Int32 = 1

        fileprivate init(database: SQLiteDatabase, statement: OpaquePointer?, inArena: Bool) {
            self.database = database
            self.statement = statement
            self.inArena = inArena
            if inArena { database.arenaUsed = 0 }
        }

        mutating func text(_ text: String) {
            var text = text
            // Native strings are contiguous UTF-8: read in place.
            text.withUTF8 { bytes(UnsafeRawBufferPointer($0), text: true) }
        }

        /// A text given as its UTF-8 bytes.
        mutating func text(utf8: [UInt8]) {
            utf8.withUnsafeBytes { bytes($0, text: true) }
        }

        mutating func blob(_ blob: [UInt8]) {
            blob.withUnsafeBytes { bytes($0, text: false) }
        }

        mutating func integer(_ number: Int64) {
            sqlite3_bind_int64(statement, position, number)
            position += 1
        }

        mutating func null() {
            sqlite3_bind_null(statement, position)
            position += 1
        }

        mutating func value(_ value: Value) {
            switch value {
            case .text(let text): self.text(text)
            case .blob(let blob): self.blob(blob)
            case .integer(let number): integer(number)
            case .null: null()
            }
        }

        // Never a nil address: an empty blob bound at one would be NULL.
        private mutating func bytes(_ raw: UnsafeRawBufferPointer, text: Bool) {
            let count = Int32(raw.count)
            if inArena {
                let target = database.place(raw)
                if text {
                    funnel_sqlite_bind_text_static(statement, position, target.assumingMemoryBound(to: CChar.self), count)
                } else {
                    funnel_sqlite_bind_blob_static(statement, position, target, count)
                }
            } else if text {
                if let source = raw.baseAddress {
                    funnel_sqlite_bind_text(statement, position, source.assumingMemoryBound(to: CChar.self), count)
                } else {
                    funnel_sqlite_bind_text(statement, position, "", 0)
                }
            } else {
                funnel_sqlite_bind_blob(statement, position, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count)
            }
            position += 1
        }
    }

    /// A copy of `raw` in the arena, after the values the statement being bound placed
    /// before it. A value that does not fit goes at the start of a new arena twice as large
    /// (or as large as the value); the outgrown one is kept (`retired`), since statements
    /// bound from it still point at it.
    fileprivate func place(_ raw: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        if arenaUsed + raw.count > arena.count {
            retired.append(arena)
            arena = .allocate(byteCount: max(raw.count, 2 * arena.count), alignment: 8)
            arenaUsed = 0
        }
        let target = arena.baseAddress! + arenaUsed
        if let source = raw.baseAddress { target.copyMemory(from: source, byteCount: raw.count) }
        arenaUsed += raw.count
        return UnsafeRawPointer(target)
    }

    private var label: String { path.isEmpty ? "temporary database" : "history database \(path)" }

    func failure(_ what: String) -> SinkError {
        var error = SinkError("\(label): \(what): \(String(cString: sqlite3_errmsg(db)))\(fullHint)")
        error.historyDamaged = isDamaged
        return error
    }

    /// Whether the last error says the history file is damaged ("file is not a database",
    /// "database disk image is malformed"); never for the temporary database.
    private var isDamaged: Bool {
        !path.isEmpty && [SQLITE_NOTADB, SQLITE_CORRUPT].contains(sqlite3_errcode(db) & 0xFF)
    }

    /// `SinkError.fullDiskHint` when the last error was SQLITE_FULL (a failed transaction is
    /// rolled back: measured on a full tmpfs, the re-run's sessions and export equal a clean
    /// run's), the remedy when the process ran out of descriptors (rv70d), else nothing.
    private var fullHint: String {
        if sqlite3_errcode(db) & 0xFF == SQLITE_FULL { return SinkError.fullDiskHint }
        // A damaged file is said with its way out (rv74a: "file is not a database", alone).
        if isDamaged {
            return "; the history is damaged: put back a copy from a backup, or move the output folder aside and rebuild its days into it, funnel backfill PIPELINE --from FIRST --to LAST --rebuild (docs/operations.md, \"After a failed night\")"
        }
        let code = sqlite3_system_errno(db)
        // Past `ulimit -f` SQLite says "disk I/O error" (rv72a), its write cut short without
        // an errno at times: an I/O error under a file size limit names the limit.
        var limit = rlimit()
        if code == EFBIG || (sqlite3_errcode(db) & 0xFF == SQLITE_IOERR && getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0 && limit.rlim_cur != rlim_t.max) {
            return SinkError.fileSizeLimitHint
        }
        return SinkError.descriptorsRemedy(code)
    }

    static func text(_ statement: OpaquePointer?, _ column: Int32) -> String {
        sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
    }

    static func integer(_ statement: OpaquePointer?, _ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    static func isNull(_ statement: OpaquePointer?, _ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    /// The column's bytes where SQLite holds them, valid until the statement steps on.
    static func withBlob<R>(_ statement: OpaquePointer?, _ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return body(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: count))
    }

    static func blob(_ statement: OpaquePointer?, _ column: Int32) -> [UInt8] {
        withBlob(statement, column) { Array($0) }
    }
}
