#if canImport(Glibc)
import Glibc
#endif
import CSQLite
import FunnelCore
import FunnelWriters

/// The history of flat-file sinks: an SQLite database in the output folder
/// (`funnel-history.sqlite`), written in one transaction per run: a run that dies half-way
/// leaves the history as the last complete run left it.
public final class SQLiteHistoryStore: HistoryStore {
    public static let fileName = "funnel-history.sqlite"
    public let path: String
    private let db: SQLiteDatabase
    /// The groups, visitors and event ids stored, so that lookups of new ones skip the
    /// database; saved with each run's commit (see `KeyFilter`).
    private var filter: KeyFilter
    /// The database file's pages, sent to the disk as the run writes them (`PathWriteback`):
    /// SQLite writes pages its cache cannot hold all through a run (760 MB of history at 3
    /// million lines), and the commit's fsync then waited for all of them at once.
    private let writeback: PathWriteback?

    /// `keyFilterBytes` bounds the key filter's memory (`Pipeline.keyFilterBytes`).
    public convenience init(folder: String, keyFilterBytes: Int = Pipeline.defaultKeyFilterBytes) throws(SinkError) {
        try self.init(path: folder + "/" + Self.fileName, keyFilterBytes: keyFilterBytes)
    }

    /// A history that lives for one run only, in a temporary file SQLite deletes: what a dry
    /// run uses, so that a long run still rebuilds visitors it flushed earlier.
    public static func temporary() throws(SinkError) -> SQLiteHistoryStore {
        try SQLiteHistoryStore(path: "")
    }

    private init(path: String, keyFilterBytes: Int = KeyFilter.defaultMaximumBytes) throws(SinkError) {
        self.path = path
        db = try SQLiteDatabase(path: path)
        // Tables holding blobs (records, session bodies) keep their rows in insertion order
        // with a separate index on the key: rows are appended, and only the small index
        // entries land at random places in a B-tree. Histories of older versions also hold a
        // `group_visitor` table (a client session's visitor, now derived from its records):
        // nothing reads it any more, and it is dropped.
        //
        // The records' index is on the group alone: a record's position is never stored twice
        // for its group, because the planner reads a group's stored records before adding to it
        // and keeps each position once, so a unique index on (group, position) only checked that
        // again, at 3.6 times the size (the 50-byte positions: 44 MiB against 12 MiB for the
        // bench's L), which made its inserts miss the cache. Histories created before keep the
        // index they have (that unique index, or the first versions' `WITHOUT ROWID` key on
        // the same columns), which serves the same lookups, and get no second one.
        try db.execute("""
            PRAGMA page_size=16384;
            \(path.isEmpty ? "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" : "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;")
            PRAGMA cache_size=-32768;
            CREATE TABLE IF NOT EXISTS records (grp TEXT NOT NULL, position TEXT NOT NULL, data BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS event_holders (event_id TEXT NOT NULL, position TEXT NOT NULL, grp TEXT NOT NULL, PRIMARY KEY (event_id, position, grp)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS visitors (visitor TEXT PRIMARY KEY, row TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS sessions (session_id TEXT NOT NULL UNIQUE, start INTEGER NOT NULL, body BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions (start, session_id);
            CREATE TABLE IF NOT EXISTS key_filter (id INTEGER PRIMARY KEY CHECK (id = 1), records TEXT NOT NULL, data BLOB NOT NULL, manifest_token TEXT);
            CREATE TABLE IF NOT EXISTS build_settings (id INTEGER PRIMARY KEY CHECK (id = 1), settings TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS rebuild_note (id INTEGER PRIMARY KEY CHECK (id = 1), note TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY CHECK (id = 1), committed INTEGER NOT NULL);
            DROP TABLE IF EXISTS group_visitor;
            """)
        try Self.indexRecordsByGroup(db)
        try Self.migrateVisitorTables(db)
        if try !Self.hasManifestToken(db) { try db.execute("ALTER TABLE key_filter ADD COLUMN manifest_token TEXT") }
        filter = try Self.loadFilter(db, maximumBytes: keyFilterBytes)
        storedGeneration = try Self.storedGeneration(db)
        writeback = path.isEmpty ? nil : PathWriteback(path: path)
    }

    /// How many runs committed into this history when it was opened: 0 for a new or emptied
    /// file, or one whose runs were all of versions before 2026-12-06's night (`runs` table).
    /// The output folder keeps the number its last run left (`CommittedRunsFile`, as for a
    /// Redis history): a history put back from an older copy, emptied or replaced holds
    /// fewer, and a run over it is refused (rv77a: such a history was taken at its word,
    /// exit 0, the days since the copy lost and returning visitors built without them).
    public let storedGeneration: Int64
    /// The number the run's commit stored (`storedGeneration` + 1), once it has.
    public private(set) var committedGeneration: Int64?

    private static func storedGeneration(_ db: SQLiteDatabase) throws(SinkError) -> Int64 {
        try db.scalar("SELECT coalesce((SELECT committed FROM runs WHERE id = 1), 0)")
    }

    /// The count of committed runs of the history in `folder` (`storedGeneration`); nil when
    /// there is none (a folder without a history file), 0 when it holds no count.
    static func storedGeneration(inFolder folder: String) throws(SinkError) -> Int64? {
        let path = folder + "/" + fileName
        guard access(path, F_OK) == 0 else { return nil }
        let db = try SQLiteDatabase(path: path, create: false)
        guard try db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'") == 1 else { return 0 }
        return try storedGeneration(db)
    }

    /// Creates the records' index on the group unless an index leading with the group already
    /// serves the lookups: the unique index on (group, position) that histories created
    /// before 2026-12-02 got with their table, or the primary key of the `WITHOUT ROWID`
    /// table of the first versions.
    private static func indexRecordsByGroup(_ db: SQLiteDatabase) throws(SinkError) {
        let leading = try db.scalar("""
            SELECT count(*) FROM pragma_index_list('records') AS list, pragma_index_info(list.name) AS info
            WHERE info.seqno = 0 AND info.name = 'grp'
            """)
        if leading == 0 { try db.execute("CREATE INDEX IF NOT EXISTS records_by_group ON records (grp);") }
    }

    /// Histories written before `VisitorRow` kept a visitor's groups and session ids as one row
    /// per item in `visitor_groups` and `visitor_sessions`. They become `visitors` rows in one
    /// transaction the first time a newer funnel opens the file (a run that dies meanwhile
    /// leaves the old tables, and the next run migrates again). SQLite builds the row text in
    /// `VisitorRow.encoded()`'s form.
    private static func migrateVisitorTables(_ db: SQLiteDatabase) throws(SinkError) {
        guard try db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('visitor_groups', 'visitor_sessions')") == 2
        else { return }
        func list(_ column: String, _ table: String) -> String {
            "coalesce((SELECT group_concat(length(CAST(\(column) AS BLOB)) || ':' || \(column), '') FROM (SELECT \(column) FROM \(table) t WHERE t.visitor = v.visitor ORDER BY \(column))), '')"
        }
        try db.begin()
        try db.execute("""
            INSERT OR REPLACE INTO visitors (visitor, row)
                SELECT v.visitor, \(list("grp", "visitor_groups")) || '|' || \(list("session_id", "visitor_sessions"))
                FROM (SELECT visitor FROM visitor_groups UNION SELECT visitor FROM visitor_sessions) v;
            DROP TABLE visitor_groups;
            DROP TABLE visitor_sessions;
            """)
        try db.commit()
    }

    // MARK: - Key filter

    /// The stored filter, if it covers every record and session body stored; else one built
    /// from the tables (a history from before the filter or before it held session ids, or
    /// one another program wrote to since).
    ///
    /// A stored filter that reached its bound in several parts (or a bound since raised) is
    /// built again too, once, as one part of the whole bound: past the bound the newest part
    /// takes every new key, and it holds less than half the bound's bits, so its wrong
    /// "maybe"s climb fast (`KeyFilter.shouldBeBuiltAgain`). The pass over the tables is the
    /// one a missing filter costs.
    private static func loadFilter(_ db: SQLiteDatabase, maximumBytes: Int) throws(SinkError) -> KeyFilter {
        // The mark is kept in the column named `records`, from when it covered records only.
        let mark = try historyMark(db)
        var current = false
        var wholeBound = false
        try db.select("SELECT records FROM key_filter WHERE id = 1") { current = SQLiteDatabase.text($0, 0) == mark }
        if current {
            // Read in place (`withBlob`), not as a value: a long history's filter is tens of
            // megabytes, and the value was copied twice before the filter held it.
            let stored = try db.withBlob(table: "key_filter", column: "data", rowid: 1, writable: false) { blob in
                KeyFilter(count: blob.count, maximumBytes: maximumBytes) { blob.read(into: $0, at: $1) }
            }
            if let stored, !stored.shouldBeBuiltAgain { return stored }
            wholeBound = stored != nil
        }
        let count = Int(try db.scalar("SELECT count(*) FROM records"))
        var built = KeyFilter(capacity: wholeBound ? .max : max(KeyFilter.initialCapacity, count * 2), maximumBytes: maximumBytes)
        let tables: [(StaticString, KeyFilter.Kind)] = [("SELECT grp FROM records", .group), ("SELECT event_id FROM event_holders", .event),
                                                        ("SELECT visitor FROM visitors", .visitor), ("SELECT session_id FROM sessions", .session)]
        for (sql, kind) in tables {
            try db.select(sql) { built.insert(kind, SQLiteDatabase.text($0, 0)) }
        }
        return built
    }

    /// What changes whenever a record or a session body is stored, by this or any other
    /// version of funnel: the largest rowid of the records table (rows are never deleted), or
    /// the row count for the files of older versions, whose records table has no rowid; then
    /// the largest rowid of the sessions table (a body written, new or replacing one, gets a
    /// rowid above all others). Versions whose filter held no session ids saved the records'
    /// part alone, so their filters are built again once.
    private static func historyMark(_ db: SQLiteDatabase) throws(SinkError) -> String {
        let mark: String
        do throws(SinkError) {
            mark = "rowid " + String(try db.scalar("SELECT max(rowid) FROM records"))
        } catch {
            mark = "count " + String(try db.scalar("SELECT count(*) FROM records"))
        }
        return mark + " sessions " + String(try db.scalar("SELECT max(rowid) FROM sessions"))
    }

    public func records(ofGroups groups: [String]) throws(SinkError) -> [String: [Record]] {
        var result: [String: [Record]] = [:]
        try lookup("SELECT data FROM records WHERE grp = ?1", .group, groups) { group, statement in
            let bytes = SQLiteDatabase.blob(statement, 0)
            result[group, default: []] += RecordCoding.decodeAll(bytes)
        }
        return result
    }

    public func storedPositions(_ asked: [(group: String, positions: Set<String>)]) throws(SinkError) -> [Set<String>] {
        var found: [Set<String>] = []
        found.reserveCapacity(asked.count)
        for (group, positions) in asked {
            var scan = StoredPositions(positions)
            if !positions.isEmpty {
                try lookup("SELECT data FROM records WHERE grp = ?1", .group, [group]) { _, statement in
                    SQLiteDatabase.withBlob(statement, 0) { scan.scan($0) }
                }
            }
            found.append(scan.found)
        }
        return found
    }

    /// One transaction per run (`commit`): a run cut short left nothing.
    public var holdsOnlyBuiltRecords: Bool { true }

    public func eventHolders(_ ids: [String]) throws(SinkError) -> [String: [EventHolder]] {
        var result: [String: [EventHolder]] = [:]
        try lookup("SELECT position, grp FROM event_holders WHERE event_id = ?1", .event, ids) { id, statement in
            result[id, default: []].append(EventHolder(position: SQLiteDatabase.text(statement, 0), group: SQLiteDatabase.text(statement, 1)))
        }
        return result
    }

    public func visitorRows(_ visitors: [String]) throws(SinkError) -> [String: VisitorRow] {
        var result: [String: VisitorRow] = [:]
        var damaged: SinkError?
        try lookup("SELECT row FROM visitors WHERE visitor = ?1", .visitor, visitors) { visitor, statement in
            do throws(SinkError) {
                result[visitor] = try VisitorRow.decode(SQLiteDatabase.blob(statement, 0), visitor: visitor, store: label)
            } catch {
                damaged = error
            }
        }
        if let damaged { throw damaged }
        return result
    }

    public var keepsSessionBodies: Bool { true }

    public func sessionBodies(_ ids: [String]) throws(SinkError) -> [String: [UInt8]]? {
        var result: [String: [UInt8]] = [:]
        try lookup("SELECT body FROM sessions WHERE session_id = ?1", .session, ids) { id, statement in
            result[id] = SQLiteDatabase.blob(statement, 0)
        }
        return result
    }

    /// Appends every session body stored in the history at `path`, in output order, to `file`
    /// (for `funnel export`); returns how many.
    ///
    /// The file is opened as a database, not as a store: a store loads (or builds again from
    /// the tables) its key filter, up to `limits.key_filter_bytes` of memory and, for a filter
    /// to be built again, a pass over every stored key, none of which an export uses; and it
    /// brings an older version's file up to date, which is a run's business. Memory stays
    /// that of one row at a time, whatever the history's size.
    public static func appendAllSessions(ofHistoryAt path: String, to file: AtomicFile) throws(SinkError) -> Int {
        try forEachSessionBody(ofHistoryAt: path) { body throws(SinkError) in try file.append(body) }
    }

    /// Calls `body` with every stored session's body (its `sessions.ndjson` line), in output
    /// order; returns the count.
    static func forEachSessionBody(ofHistoryAt path: String, _ body: ([UInt8]) throws(SinkError) -> Void) throws(SinkError) -> Int {
        let db = try SQLiteDatabase(path: path, create: false)
        guard try db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sessions'") == 1 else {
            throw SinkError("\(path) holds no session bodies (a history of an early version of funnel): run the pipeline once with a flat-file sink to bring it up to date, then export")
        }
        var count = 0
        try db.select("SELECT body FROM sessions ORDER BY start, session_id") { statement throws(SinkError) in
            try body(SQLiteDatabase.blob(statement, 0))
            count += 1
        }
        return count
    }

    public func apply(_ change: HistoryChange) throws(SinkError) {
        var others = change
        others.records = []
        try apply(change, records: change.records.indices, others: others)
    }

    /// Writes the piece's records from the change itself, without a copy of them.
    public func apply(_ change: HistoryChange, piece: HistoryChange.Piece) throws(SinkError) {
        try apply(change, records: piece.records, others: piece.others)
    }

    /// Writes the records of `change` in `records` (whole groups) and the other items of
    /// `others` (whose own records are ignored).
    private func apply(_ change: HistoryChange, records: Range<Int>, others: HistoryChange) throws(SinkError) {
        // The run's reads opened a transaction; its writes join it, so the history a run read
        // and what it writes are one consistent step.
        try db.begin()
        writeback?.start()
        // Visitors the filter has certainly never seen have no row to replace: they go in
        // several to a statement, like new record blocks; the others one statement each.
        let visitors = Array(others.visitors)
        let rows = KeyOrder.sorted(visitors.map(\.key)).map { visitors[$0] }
        let isNew = filter.mayContain(.visitor, each: rows.map(\.key)).map { !$0 }
        // A group's new records go in one row (`recordBlocks`); rows go in key order, so
        // neighbouring index entries land on the same B-tree pages.
        filter.addGroups(of: change.records[records])
        filter.add(others)
        filter.addSessions(others)
        // A chunk holds one block per group, so the group alone orders them, and their places
        // are sorted rather than the blocks: comparing each pair's groups twice and moving
        // three fields per step took 50 million instructions of the bench's S run, sorting
        // the places by `<` 27 (`KeyOrder` compares integers made of the keys' first bytes).
        let blocks = change.recordBlocks(in: records)
        let order = KeyOrder.sorted(blocks.map(\.group))
        // A block's key is new (`recordBlocks`); a history with the older unique index would
        // also refuse one that is not.
        try insertNew("INSERT OR IGNORE INTO records (grp, position, data)", "(?, ?, ?)", "record blocks", count: order.count) { index, row in
            let block = blocks[order[index]]
            row.text(block.group)
            row.text(block.position)
            row.blob(block.data)
        }
        let holders = others.eventHolders
        for (id, holder) in KeyOrder.sorted(holders.map(\.id)).lazy.map({ holders[$0] }) {
            try db.run("INSERT OR IGNORE INTO event_holders (event_id, position, grp) VALUES (?1, ?2, ?3)",
                       [.text(id), .text(holder.position), .text(holder.group)])
        }
        for id in others.deletedSessions {
            try db.run("DELETE FROM sessions WHERE session_id = ?1", [.text(id)])
        }
        // New ids as the record blocks; the others replace what is stored one statement each,
        // since REPLACE of several rows in one statement keeps a statement journal
        // (`SQLiteDatabase.runRows`). (Deleting the keys, then inserting several rows to a
        // statement, took more instructions than that.)
        let bodies = others.sessionBodies
        let newBodies = bodies.indices.filter { bodies[$0].new }
        try insertNew("INSERT OR IGNORE INTO sessions (session_id, start, body)", "(?, ?, ?)", "new session bodies", count: newBodies.count) { index, row in
            let body = bodies[newBodies[index]]
            row.text(body.id)
            row.integer(body.start)
            row.blob(body.body)
        }
        for session in bodies where !session.new {
            try db.run("INSERT OR REPLACE INTO sessions (session_id, start, body) VALUES (?1, ?2, ?3)",
                       [.text(session.id), .integer(session.start), .blob(session.body)])
        }
        // A new visitor's empty row (rebuilt only to delete what it held) has nothing to delete.
        let newRows = rows.indices.filter { isNew[$0] && !rows[$0].value.isEmpty }
        try insertNew("INSERT OR IGNORE INTO visitors (visitor, row)", "(?, ?)", "new visitor rows", count: newRows.count) { index, row in
            row.text(rows[newRows[index]].key)
            row.text(utf8: rows[newRows[index]].value.encoded())
        }
        for ((visitor, row), new) in zip(rows, isNew) where !new {
            if !row.isEmpty {
                try db.run("INSERT OR REPLACE INTO visitors (visitor, row) VALUES (?1, ?2)") { values in
                    values.text(visitor)
                    values.text(utf8: row.encoded())
                }
            } else {
                try db.run("DELETE FROM visitors WHERE visitor = ?1", [.text(visitor)])
            }
        }
    }

    /// Inserts rows whose keys the history has never held, several to a statement: with
    /// IGNORE, which for a new key is REPLACE but, unlike REPLACE (ABORT for a NOT NULL
    /// column without a default), cannot abort half-way, so SQLite keeps no statement journal
    /// (`SQLiteDatabase.runRows`). A key stored after all would lose the row silently, so
    /// every row must have been inserted.
    private func insertNew(_ head: StaticString, _ row: StaticString, _ what: String, count: Int,
                           _ bindRow: (Int, inout SQLiteDatabase.Binder) -> Void) throws(SinkError) {
        let inserted = try db.runRows(head, row, "", count: count, bindRow)
        guard inserted == count else {
            throw SinkError("\(label): \(count - inserted) of \(count) \(what) were stored before; the history does not match its key filter or was written by another program: rebuild it with a backfill into an empty output")
        }
    }

    private var label: String { path.isEmpty ? "the run's history" : path }

    /// Runs `sql` once per key inside the run's transaction: thousands of lookups share one
    /// snapshot, and a later chunk of the run sees what the earlier ones applied. Keys of a
    /// `kind` the filter has certainly never seen are not looked up.
    private func lookup(_ sql: StaticString, _ kind: KeyFilter.Kind, _ keys: [String], _ row: (String, OpaquePointer?) -> Void) throws(SinkError) {
        try db.begin()
        let filter = self.filter
        try db.query(sql, filter.possible(kind, keys), row)
    }

    /// The token of the manifest the run wrote beside the history (`PendingManifest`), set
    /// before `commit` and committed with the run: the next run tells by it whether a
    /// manifest left pending goes with the history. It is kept in the key filter's row, which
    /// every commit replaces: a commit by a version before 2026-12-06 (a downgrade) clears
    /// it, so that a manifest left pending before it is not put in place over the manifest
    /// that commit wrote (a review: a change of a file then went unsaid).
    var manifestToken: String?

    /// Whether the key filter's row has its manifest token (histories of 2026-12-06 on).
    private static func hasManifestToken(_ db: SQLiteDatabase) throws(SinkError) -> Bool {
        try db.scalar("SELECT count(*) FROM pragma_table_info('key_filter') WHERE name = 'manifest_token'") == 1
    }

    /// The manifest token of the last run committed into the history of `folder`; nil when
    /// there is no history, or its last commit was by a version before 2026-12-06.
    static func committedManifestToken(inFolder folder: String) throws(SinkError) -> String? {
        let path = folder + "/" + fileName
        guard access(path, F_OK) == 0 else { return nil }
        // Opened for writing, so that a commit cut short is rolled back before the read.
        let db = try SQLiteDatabase(path: path, create: false)
        guard try db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'key_filter'") == 1,
              try hasManifestToken(db) else { return nil }
        var token: String?
        try db.select("SELECT manifest_token FROM key_filter WHERE id = 1 AND manifest_token IS NOT NULL") { token = SQLiteDatabase.text($0, 0) }
        return token
    }

    public var buildSettings: String?
    public var rebuildNote: String?

    public func storedBuildSettings() throws(SinkError) -> String? {
        var stored: String?
        try db.select("SELECT settings FROM build_settings WHERE id = 1") { stored = SQLiteDatabase.text($0, 0) }
        return stored
    }

    public func storedRebuildNote() throws(SinkError) -> String? {
        var stored: String?
        try db.select("SELECT note FROM rebuild_note WHERE id = 1") { stored = SQLiteDatabase.text($0, 0) }
        return stored
    }

    /// Commits the run, with the filter of what it stored, its manifest's token and the
    /// settings its sessions were built with in the same transaction.
    public func commit() throws(SinkError) {
        try db.begin()
        if let buildSettings {
            try db.run("INSERT OR REPLACE INTO build_settings (id, settings) VALUES (1, ?1)", [.text(buildSettings)])
        }
        if let rebuildNote {
            try db.run("INSERT OR REPLACE INTO rebuild_note (id, note) VALUES (1, ?1)", [.text(rebuildNote)])
        }
        // The row is made with a blob of zeros of the filter's size, then written piece by
        // piece from the filter's own memory (see `KeyFilter.forEachEncodedPiece`).
        try db.run("INSERT OR REPLACE INTO key_filter (id, records, data, manifest_token) VALUES (1, ?1, zeroblob(?2), ?3)",
                   [.text(try Self.historyMark(db)), .integer(Int64(filter.encodedCount)), manifestToken.map { .text($0) } ?? .null])
        _ = try db.withBlob(table: "key_filter", column: "data", rowid: 1, writable: true) { blob throws(SinkError) in
            try blob.write(pieces: filter.forEachEncodedPiece)
        }
        try db.run("INSERT OR REPLACE INTO runs (id, committed) VALUES (1, ?1)", [.integer(storedGeneration + 1)])
        writeback?.start(force: true)
        try db.commit()
        committedGeneration = storedGeneration + 1
    }
}
