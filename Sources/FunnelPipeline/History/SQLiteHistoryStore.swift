import CSQLite
import FunnelCore
import FunnelWriters

/// The history of flat-file sinks: an SQLite database in the output folder
/// (`funnel-history.sqlite`), written in one transaction per run.
public final class SQLiteHistoryStore: HistoryStore {
    public static let fileName = "funnel-history.sqlite"
    public let path: String
    private var db: OpaquePointer?

    public init(folder: String) throws(SinkError) {
        path = folder + "/" + Self.fileName
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SinkError("cannot open the history database \(path): \(message)")
        }
        sqlite3_busy_timeout(db, 10_000)
        try execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS records (grp TEXT NOT NULL, position TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (grp, position)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS event_holders (event_id TEXT NOT NULL, position TEXT NOT NULL, grp TEXT NOT NULL, PRIMARY KEY (event_id, position, grp)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS visitor_groups (visitor TEXT NOT NULL, grp TEXT NOT NULL, PRIMARY KEY (visitor, grp)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS group_visitor (grp TEXT PRIMARY KEY, visitor TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS visitor_sessions (visitor TEXT NOT NULL, session_id TEXT NOT NULL, PRIMARY KEY (visitor, session_id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS sessions (session_id TEXT PRIMARY KEY, start INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions (start, session_id);
            """)
    }

    deinit {
        if inTransaction { sqlite3_exec(db, "ROLLBACK", nil, nil, nil) }
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(db)
    }

    public func records(ofGroups groups: [String]) throws(SinkError) -> [String: [Record]] {
        var result: [String: [Record]] = [:]
        try query("SELECT data FROM records WHERE grp = ?1", groups) { group, statement in
            let bytes = Self.blob(statement, 0)
            if let record = RecordCoding.decode(bytes) { result[group, default: []].append(record) }
        }
        return result
    }

    public func eventHolders(_ ids: [String]) throws(SinkError) -> [String: [EventHolder]] {
        var result: [String: [EventHolder]] = [:]
        try query("SELECT position, grp FROM event_holders WHERE event_id = ?1", ids) { id, statement in
            result[id, default: []].append(EventHolder(position: Self.text(statement, 0), group: Self.text(statement, 1)))
        }
        return result
    }

    public func sessionGroups(ofVisitors visitors: [String]) throws(SinkError) -> [String: [String]] {
        var result: [String: [String]] = [:]
        try query("SELECT grp FROM visitor_groups WHERE visitor = ?1", visitors) { visitor, statement in
            result[visitor, default: []].append(Self.text(statement, 0))
        }
        return result
    }

    public func visitors(ofSessionGroups groups: [String]) throws(SinkError) -> [String: String] {
        var result: [String: String] = [:]
        try query("SELECT visitor FROM group_visitor WHERE grp = ?1", groups) { group, statement in
            result[group] = Self.text(statement, 0)
        }
        return result
    }

    public func sessionIDs(ofVisitors visitors: [String]) throws(SinkError) -> [String: [String]] {
        var result: [String: [String]] = [:]
        try query("SELECT session_id FROM visitor_sessions WHERE visitor = ?1", visitors) { visitor, statement in
            result[visitor, default: []].append(Self.text(statement, 0))
        }
        return result
    }

    public func sessionBodies(_ ids: [String]) throws(SinkError) -> [String: [UInt8]]? {
        var result: [String: [UInt8]] = [:]
        try query("SELECT body FROM sessions WHERE session_id = ?1", ids) { id, statement in
            result[id] = Self.blob(statement, 0)
        }
        return result
    }

    /// Appends every stored session body, in output order, to `file` (for `funnel export`);
    /// returns how many.
    public func appendAllSessions(to file: AtomicFile) throws(SinkError) -> Int {
        let statement = try prepare("SELECT body FROM sessions ORDER BY start, session_id")
        defer { sqlite3_finalize(statement) }
        var count = 0
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw failure("reading sessions") }
            try file.append(Self.blob(statement, 0))
            count += 1
        }
        return count
    }

    public func commit(_ change: HistoryChange) throws(SinkError) {
        // The run's reads opened a transaction; its writes join it, so the history a run read
        // and what it writes are one consistent step.
        try beginIfNeeded()
        do throws(SinkError) {
            for (group, position, data) in change.records {
                try run("INSERT OR REPLACE INTO records (grp, position, data) VALUES (?1, ?2, ?3)",
                        [.text(group), .text(position), .blob(data)])
            }
            for (id, holder) in change.eventHolders {
                try run("INSERT OR IGNORE INTO event_holders (event_id, position, grp) VALUES (?1, ?2, ?3)",
                        [.text(id), .text(holder.position), .text(holder.group)])
            }
            for id in change.deletedSessions {
                try run("DELETE FROM sessions WHERE session_id = ?1", [.text(id)])
            }
            for (id, start, body) in change.sessionBodies {
                try run("INSERT OR REPLACE INTO sessions (session_id, start, body) VALUES (?1, ?2, ?3)", [.text(id), .integer(start), .blob(body)])
            }
            for (visitor, ids) in change.visitorSessions {
                try run("DELETE FROM visitor_sessions WHERE visitor = ?1", [.text(visitor)])
                for id in ids { try run("INSERT OR IGNORE INTO visitor_sessions (visitor, session_id) VALUES (?1, ?2)", [.text(visitor), .text(id)]) }
            }
            for (visitor, groups) in change.visitorGroups {
                try run("DELETE FROM visitor_groups WHERE visitor = ?1", [.text(visitor)])
                for group in groups { try run("INSERT OR IGNORE INTO visitor_groups (visitor, grp) VALUES (?1, ?2)", [.text(visitor), .text(group)]) }
            }
            for (group, visitor) in change.groupVisitor {
                try run("INSERT OR REPLACE INTO group_visitor (grp, visitor) VALUES (?1, ?2)", [.text(group), .text(visitor)])
            }
            try execute("COMMIT")
            inTransaction = false
        } catch {
            try? execute("ROLLBACK")
            inTransaction = false
            throw error
        }
    }

    // MARK: - SQLite

    private enum Value {
        case text(String)
        case blob([UInt8])
        case integer(Int64)
    }

    private var statements: [String: OpaquePointer] = [:]
    private var inTransaction = false

    /// Reads run inside one transaction: thousands of lookups then share one snapshot instead
    /// of taking a lock each.
    private func beginIfNeeded() throws(SinkError) {
        guard !inTransaction else { return }
        try execute("BEGIN")
        inTransaction = true
    }

    private func prepare(_ sql: String) throws(SinkError) -> OpaquePointer? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { throw failure("preparing \(sql)") }
        return statement
    }

    private func cached(_ sql: String) throws(SinkError) -> OpaquePointer? {
        if let statement = statements[sql] {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            return statement
        }
        let statement = try prepare(sql)
        statements[sql] = statement
        return statement
    }

    private func bind(_ statement: OpaquePointer?, _ values: [Value]) {
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .text(let text):
                var bytes = Array(text.utf8)
                bytes.withUnsafeMutableBytes { raw in
                    _ = raw.baseAddress.map { funnel_sqlite_bind_text(statement, position, $0.assumingMemoryBound(to: CChar.self), Int32(raw.count)) }
                        ?? funnel_sqlite_bind_text(statement, position, "", 0)
                }
            case .blob(let bytes):
                bytes.withUnsafeBytes { raw in _ = funnel_sqlite_bind_blob(statement, position, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32(raw.count)) }
            case .integer(let number):
                sqlite3_bind_int64(statement, position, number)
            }
        }
    }

    private func run(_ sql: String, _ values: [Value]) throws(SinkError) {
        let statement = try cached(sql)
        bind(statement, values)
        guard sqlite3_step(statement) == SQLITE_DONE else { throw failure("writing history") }
    }

    /// Runs `sql` once per key (bound as ?1), calling `row` with the key for each result row.
    private func query(_ sql: String, _ keys: [String], _ row: (String, OpaquePointer?) -> Void) throws(SinkError) {
        try beginIfNeeded()
        let statement = try cached(sql)
        for key in Set(keys) {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            bind(statement, [.text(key)])
            while true {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { break }
                guard step == SQLITE_ROW else { throw failure("reading history") }
                row(key, statement)
            }
        }
    }

    private func execute(_ sql: String) throws(SinkError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw SinkError("history database \(path): \(text)")
        }
    }

    private func failure(_ what: String) -> SinkError {
        SinkError("history database \(path): \(what): \(String(cString: sqlite3_errmsg(db)))")
    }

    private static func text(_ statement: OpaquePointer?, _ column: Int32) -> String {
        sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
    }

    private static func blob(_ statement: OpaquePointer?, _ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
