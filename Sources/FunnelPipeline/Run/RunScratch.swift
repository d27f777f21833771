import FunnelCore
import FunnelWriters

/// What a run has produced so far, kept in a temporary SQLite file instead of memory: the
/// last version of every session the run rebuilt, the ids it deleted, and the counts of every
/// visitor it rebuilt.
///
/// A long run flushes visitors chunk by chunk and rebuilds a visitor again when a later chunk
/// reaches it. Keeping only the last version here is what makes the run's outputs and counts
/// the same as if every record had been read before any session was built, and lets flat-file
/// sinks write their files once, in output order, at the end.
final class RunScratch {
    struct Totals {
        var visitors = 0
        var duplicateEvents = 0
        var mergedPageViews = 0
        var withheldSessions = 0
        var overEventCap = 0
    }

    /// One session as the run leaves it.
    struct Session {
        var id: String
        var start: Int64
        var body: [UInt8]
        /// The sink's bytes for it (flat-file sinks), written at the end.
        var encoded: [UInt8]
        /// False when it differs from what an earlier run left, or no earlier run wrote it.
        var unchanged: Bool
        /// Deleted by one chunk and written again by a later one: the history must get it back.
        var deletedOnce: Bool
        /// Whether the history held the id when the run first wrote it.
        var existed: Bool
        var converted: Bool
        var revenue: Amount
    }

    private let db: SQLiteDatabase
    /// The visitors' counts, in a database of their own: `totals` reads them on a thread of
    /// its own while the run's end walks the sessions in `db` (a GROUP BY of 0.5 s at 3
    /// million lines, which the end otherwise spent after the walk).
    private let counts: SQLiteDatabase
    /// The ids `keep` was given a `Bytes.sent` digest for (a sink that writes as it goes):
    /// an id it certainly never had needs no lookup of the digest sent before. Most ids are
    /// new to the run, and the lookups were a quarter of a direct load's scratch work. Made
    /// at the first digest; dropped once it holds `sentFilterLimit` ids (`sentFilterFull`),
    /// after which every id is looked up, so that its memory stays bounded on a long run.
    private var sentFilter: KeyFilter?
    private var sentFilterFull = false
    private let sentFilterLimit: Int

    /// `sentFilterLimit`: the most ids `sentFilter` holds, 4 million by default (about 9 MiB).
    /// `ordered`: the run will walk the sessions in output order (`forEachSession` with
    /// bytes), so the index of that order is kept from the start, by the threads that keep
    /// the chunks, rather than built by the run's serial end (0.4 s of it at 3 million lines).
    init(sentFilterLimit: Int = 4_000_000, ordered: Bool = true) throws(SinkError) {
        self.sentFilterLimit = sentFilterLimit
        // The flags before the blobs: a scan that tests them reads no blob.
        db = try Self.database(cacheKiB: 8192, schema: """
            CREATE TABLE sessions (id TEXT NOT NULL UNIQUE, start INTEGER NOT NULL,
                                   existed INTEGER NOT NULL, live INTEGER NOT NULL, deleted_once INTEGER NOT NULL,
                                   converted INTEGER NOT NULL, revenue INTEGER NOT NULL,
                                   body BLOB, encoded BLOB, original BLOB,
                                   -- What the live sink was last sent for it this run.
                                   sent INTEGER);
            \(ordered ? Self.orderIndex : "")
            """)
        // Appended to, one row per rebuild of a visitor; the last row of each counts.
        counts = try Self.database(cacheKiB: 2048, schema: """
            CREATE TABLE visitors (visitor TEXT NOT NULL, counted INTEGER, duplicates INTEGER, merged INTEGER,
                                   withheld INTEGER, over_cap INTEGER);
            """)
    }

    /// A temporary database that SQLite deletes when it is closed, with `schema` made and a
    /// transaction open: nothing of it needs to survive the run.
    private static func database(cacheKiB: Int, schema: String) throws(SinkError) -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: "")
        try db.execute("""
            PRAGMA page_size=16384;
            PRAGMA journal_mode=OFF;
            PRAGMA synchronous=OFF;
            PRAGMA cache_size=-\(cacheKiB);
            \(schema)
            """)
        try db.begin()
        return db
    }

    /// Keeps one chunk's plan. `stored` holds the bodies earlier runs left for these ids (nil
    /// when the history keeps none: every session then counts as changed); it is read before
    /// the chunk's change is applied, and only the first sight of an id keeps it.
    /// A session's bytes: its NDJSON body (for comparison with the last run; empty when the
    /// history keeps no bodies) and the sink's bytes, nil when they are the body or the sink
    /// writes sessions as it goes.
    struct Bytes {
        var body: [UInt8]
        var encoded: [UInt8]?
        /// For a sink that writes sessions as it goes (Redis): a digest of the session, see
        /// `Flusher.sentDigest`.
        var sent: Int?
    }

    /// Returns, for each of the plan's sessions, whether the run already sent this exact
    /// version of it (same `Bytes.sent`) and has not deleted it since: a sink that writes as
    /// it goes need not write it again.
    @discardableResult
    func keep(_ plan: HistoryPlanner.Plan, stored: [String: [UInt8]]?, bytes: [Bytes]) throws(SinkError) -> [Bool] {
        // What an earlier run left for an id: its body, and whether it wrote it at all (when
        // the history keeps no bodies, every id counts as written).
        func before(_ id: String, _ row: inout SQLiteDatabase.Binder) {
            let original = stored?[id]
            if let original { row.blob(original) } else { row.null() }
            row.integer(stored == nil || original != nil ? 1 : 0)
        }
        // The digest sent before for each id, if any (a deletion clears it). A separate lookup,
        // not RETURNING: that makes SQLite open a temporary table per statement. A plan holds
        // each id once, so these read what earlier chunks kept.
        var alreadySent: [Bool] = []
        alreadySent.reserveCapacity(plan.sessions.count)
        for (session, bytes) in zip(plan.sessions, bytes) {
            var same = false
            if let sent = bytes.sent, sentFilterFull || sentFilter?.mayContain(.session, session.id) == true {
                try db.select("SELECT sent FROM sessions WHERE id = ?1", [.text(session.id)]) { row in
                    same = !SQLiteDatabase.isNull(row, 0) && SQLiteDatabase.integer(row, 0) == Int64(sent)
                }
            }
            alreadySent.append(same)
        }
        if !sentFilterFull {
            for (session, bytes) in zip(plan.sessions, bytes) where bytes.sent != nil {
                if sentFilter == nil { sentFilter = KeyFilter() }
                sentFilter!.insert(.session, session.id)
            }
            if let count = sentFilter?.count, count >= sentFilterLimit {
                sentFilter = nil
                sentFilterFull = true
            }
        }
        try db.runRows(Self.upsertHead, Self.upsertRow, Self.upsertTail, count: plan.sessions.count) { index, row in
            let session = plan.sessions[index]
            let bytes = bytes[index]
            // The two fields the summary sums, in one pass over the session's fields.
            var revenue: Int64 = 0
            var converted: Int64 = 0
            for field in session.fields {
                if case .amount(let amount) = field.value, field.name == FieldName.donationAmount { revenue = amount.micros }
                if case .bool(true) = field.value, field.name == FieldName.donationCompleted { converted = 1 }
            }
            row.text(session.id)
            row.integer(session.start)
            row.blob(bytes.body)
            if let encoded = bytes.encoded { row.blob(encoded) } else { row.null() }
            before(session.id, &row)
            row.integer(converted)
            row.integer(revenue)
            if let sent = bytes.sent { row.integer(Int64(sent)) } else { row.null() }
        }
        for id in plan.deleted {
            try db.run("""
                INSERT INTO sessions (id, start, body, encoded, original, existed, live, deleted_once, converted, revenue)
                VALUES (?1, 0, NULL, NULL, ?2, ?3, 0, 1, 0, 0)
                ON CONFLICT (id) DO UPDATE SET live = 0, deleted_once = 1, body = NULL, encoded = NULL, sent = NULL
                """) { row in
                row.text(id)
                before(id, &row)
            }
        }
        // Appended, not replaced by key: visitor keys are random, and replacing one at a time
        // read a page of a table larger than the scratch's cache for nearly every visitor
        // (105,000 page reads and 59,000 writes of 3 million lines). `totals` keeps each
        // visitor's last.
        try counts.runRows("INSERT INTO visitors", "(?, ?, ?, ?, ?, ?)", "", count: plan.perVisitor.count) { index, row in
            let counts = plan.perVisitor[index]
            row.text(counts.visitor)
            row.integer(counts.counted ? 1 : 0)
            row.integer(Int64(counts.duplicateEvents))
            row.integer(Int64(counts.mergedPageViews))
            row.integer(Int64(counts.withheldSessions))
            row.integer(Int64(counts.overEventCap))
        }
        return alreadySent
    }

    /// The sessions in output order, for `forEachSession`.
    private static let orderIndex = "CREATE INDEX IF NOT EXISTS sessions_in_order ON sessions (live, start, id);"

    /// Keeps sessions' latest versions (`SQLiteDatabase.runRows`).
    private static let upsertHead: StaticString = "INSERT INTO sessions (id, start, body, encoded, original, existed, live, deleted_once, converted, revenue, sent)"
    private static let upsertRow: StaticString = "(?, ?, ?, ?, ?, ?, 1, 0, ?, ?, ?)"
    private static let upsertTail: StaticString = """
        ON CONFLICT (id) DO UPDATE SET start = excluded.start, body = excluded.body, encoded = excluded.encoded, live = 1,
            converted = excluded.converted, revenue = excluded.revenue,
            sent = excluded.sent
        """

    /// The visitors' counts, summed over the last row of each. May run on another thread
    /// than `forEachSession` and `deleted` at the same time (another database), not than `keep`.
    func totals() throws(SinkError) -> Totals {
        var totals = Totals()
        // The row with the largest rowid of each visitor: SQLite takes the bare columns of a
        // query with one max() from the row that has it.
        try counts.select("""
            SELECT sum(counted), sum(duplicates), sum(merged), sum(withheld), sum(over_cap)
            FROM (SELECT max(rowid), counted, duplicates, merged, withheld, over_cap FROM visitors GROUP BY visitor)
            """) { row in
            totals.visitors = Int(SQLiteDatabase.integer(row, 0))
            totals.duplicateEvents = Int(SQLiteDatabase.integer(row, 1))
            totals.mergedPageViews = Int(SQLiteDatabase.integer(row, 2))
            totals.withheldSessions = Int(SQLiteDatabase.integer(row, 3))
            totals.overEventCap = Int(SQLiteDatabase.integer(row, 4))
        }
        return totals
    }

    /// Ids an earlier run wrote that the run deleted for good, in id order (of their bytes, as
    /// SQLite compares text).
    func deleted() throws(SinkError) -> [String] {
        // One pass over the table and a sort of the few ids found: `ORDER BY id` made SQLite
        // walk the id index and look every row up, 1 s at 1 million lines and 3 s at 3 million.
        var ids: [String] = []
        try db.select("SELECT id FROM sessions WHERE live = 0 AND existed = 1") { row in
            ids.append(SQLiteDatabase.text(row, 0))
        }
        return ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Every session the run leaves, in output order (`created_at`, `session_id`). With
    /// `bytes` false, in no particular order and with `body` and `encoded` empty: what a sink
    /// that sent its sessions as it went (Redis), with a history that keeps no bodies, needs
    /// is the counts, and at 3 million lines the ordering index and the ordered walk were
    /// 0.6 s of a direct load's serial end.
    func forEachSession(bytes: Bool = true, _ body: (Session) throws(SinkError) -> Void) throws(SinkError) {
        let each = { (row: OpaquePointer?) throws(SinkError) in
            try body(Session(id: SQLiteDatabase.text(row, 0), start: SQLiteDatabase.integer(row, 1), body: SQLiteDatabase.blob(row, 2),
                             encoded: SQLiteDatabase.blob(row, 3), unchanged: SQLiteDatabase.integer(row, 4) == 1,
                             deletedOnce: SQLiteDatabase.integer(row, 5) == 1, existed: SQLiteDatabase.integer(row, 8) == 1,
                             converted: SQLiteDatabase.integer(row, 6) == 1, revenue: Amount(micros: SQLiteDatabase.integer(row, 7))))
        }
        guard bytes else {
            try db.select("""
                SELECT id, start, x'', x'', original IS NOT NULL AND original = body, deleted_once, converted, revenue, existed
                FROM sessions WHERE live = 1
                """, [], each)
            return
        }
        // The index sorts keys only, not the bodies (kept from the start when `ordered`).
        try db.execute(Self.orderIndex)
        try db.select("""
            SELECT id, start, body, coalesce(encoded, body), original IS NOT NULL AND original = body, deleted_once, converted, revenue, existed
            FROM sessions WHERE live = 1 ORDER BY start, id
            """, [], each)
    }
}
