import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// The SQLite history's records are indexed by group alone (a position is kept once per group
/// by the planner, not by a unique index); histories created with the older unique index on
/// (group, position) keep it and get no second index.
@Suite struct RecordsIndexTests {
    private func indexes(_ path: String) throws -> [String] {
        let db = try SQLiteDatabase(path: path)
        var names: [String] = []
        try db.select("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' ORDER BY name") { names.append(SQLiteDatabase.text($0, 0)) }
        return names
    }

    /// Every stored row, and every record in the stored blocks as (group, position).
    private func stored(_ path: String) throws -> (rows: [String], records: [String]) {
        let db = try SQLiteDatabase(path: path)
        var rows: [String] = []
        var records: [String] = []
        try db.select("SELECT grp, position, hex(data) FROM records ORDER BY grp, position") { statement in
            let group = SQLiteDatabase.text(statement, 0)
            rows.append(group + " " + SQLiteDatabase.text(statement, 1) + " " + SQLiteDatabase.text(statement, 2))
        }
        try db.select("SELECT grp, data FROM records") { statement in
            let group = SQLiteDatabase.text(statement, 0)
            for record in RecordCoding.decodeAll(SQLiteDatabase.blob(statement, 1)) { records.append(group + " " + record.position) }
        }
        return (rows, records.sorted())
    }

    /// A new history gets the group index only; running every day again, and then each day
    /// again, stores no record twice: the rows stay as they were.
    @Test func aNewHistoryIndexesByGroupAndStoresEachRecordOnce() throws {
        let days = RunsOverTimeTests.Days(seed: 61, visitors: 300)
        let output = TestFiles.temporaryFolder("records-index")
        defer { TestFiles.remove(output) }
        let path = output + "/" + SQLiteHistoryStore.fileName
        _ = try days.run(days: days.dates, sink: .ndjson, output: output)
        #expect(try indexes(path) == ["records_by_group"])
        let first = try stored(path)
        #expect(first.records.count > 1000)
        #expect(Set(first.records).count == first.records.count, "a record is stored twice")
        _ = try days.run(days: days.dates, sink: .ndjson, output: output)
        for date in days.dates.reversed() { _ = try days.run(days: [date], sink: .ndjson, output: output) }
        let again = try stored(path)
        // Compared whole, reported by count (the rows are long).
        let sameRows = again.rows == first.rows, sameRecords = again.records == first.records
        #expect(sameRows, "\(first.rows.count) rows after the first run, \(again.rows.count) after the reruns")
        #expect(sameRecords, "\(first.records.count) records after the first run, \(again.records.count) after the reruns")
    }

    /// The records tables of earlier versions (their columns and keys): a rowid table with a
    /// unique index on (group, position), and before it a `WITHOUT ROWID` table keyed by them
    /// (whose key has no entry of its own in `sqlite_master`).
    static let olderTables: [(definition: String, indexes: [String])] = [
        ("(grp TEXT NOT NULL, position TEXT NOT NULL, data BLOB NOT NULL, UNIQUE (grp, position))", ["sqlite_autoindex_records_1"]),
        ("(grp TEXT NOT NULL, position TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (grp, position)) WITHOUT ROWID", []),
    ]

    /// A history whose records table an earlier version made keeps its index, gets no group
    /// index beside it, stores no record twice when a day is run again, and later days still
    /// merge exactly with one run over every day.
    @Test(arguments: olderTables.indices)
    func anOlderHistoryKeepsItsIndexAndLaterDaysMergeExactly(table: Int) throws {
        let older = Self.olderTables[table]
        let days = RunsOverTimeTests.Days(seed: 62, visitors: 300)
        // The second day again, on top of the older table.
        try days.checkOlderSQLiteHistory("records-index-older", later: Array(days.dates.dropFirst(1)), downgrade: { path in
            let db = try SQLiteDatabase(path: path)
            try db.execute("""
                ALTER TABLE records RENAME TO newer_records;
                CREATE TABLE records \(older.definition);
                INSERT INTO records (grp, position, data) SELECT grp, position, data FROM newer_records;
                DROP TABLE newer_records;
                """)
            try #require(try indexes(path) == older.indexes)
        }, inspect: { path in
            #expect(try indexes(path) == older.indexes)
            let records = try stored(path).records
            #expect(Set(records).count == records.count, "a record is stored twice")
        })
    }
}
