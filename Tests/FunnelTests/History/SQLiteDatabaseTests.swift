import FunnelCore
@testable import FunnelPipeline
import Foundation
import FunnelWriters
import Testing

private extension SQLiteDatabase {
    /// Rows given as values, bound one by one (`Binder.value`).
    @discardableResult
    func runRows(_ head: StaticString, _ row: StaticString, _ tail: StaticString, _ rows: [[Value]]) throws(SinkError) -> Int {
        try runRows(head, row, tail, count: rows.count) { index, binder in
            for value in rows[index] { binder.value(value) }
        }
    }
}

/// Rows written several to a statement (`SQLiteDatabase.runRows`) land as one statement per
/// row would leave them: every row, in order, with conflicts resolved row after row.
struct SQLiteDatabaseTests {
    private func contents(_ db: SQLiteDatabase) throws -> [String] {
        var rows: [String] = []
        try db.select("SELECT k, v, n FROM t ORDER BY k") { row in
            rows.append("\(SQLiteDatabase.text(row, 0))=\(SQLiteDatabase.text(row, 1)):\(SQLiteDatabase.integer(row, 2))")
        }
        return rows
    }

    @Test(arguments: [0, 1, SQLiteDatabase.rowsPerStatement - 1, SQLiteDatabase.rowsPerStatement,
                      2 * SQLiteDatabase.rowsPerStatement + 3])
    func everyRowIsWrittenWhateverTheCount(count: Int) throws {
        let db = try SQLiteDatabase(path: "")
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL)")
        let inserted = try db.runRows("INSERT INTO t (k, v, n)", "(?, ?, ?)", "", count: count) { index, row in
            row.text(String(format: "k%04d", index))
            row.text("v\(index)")
            row.integer(Int64(index))
        }
        #expect(inserted == count)
        let expected = (0..<count).map { String(format: "k%04d", $0) + "=v\($0):\($0)" }
        #expect(try contents(db) == expected)
    }

    @Test func conflictsResolveRowAfterRowAsSeparateStatementsWould() throws {
        let db = try SQLiteDatabase(path: "")
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL)")
        // The same key three times in one statement and once across a statement boundary.
        var rows: [[SQLiteDatabase.Value]] = [[.text("a"), .text("first"), .integer(1)],
                                              [.text("b"), .text("only"), .integer(2)],
                                              [.text("a"), .text("second"), .integer(3)],
                                              [.text("a"), .text("third"), .integer(4)]]
        for index in 0..<SQLiteDatabase.rowsPerStatement { rows.append([.text("z\(index)"), .text("filler"), .integer(0)]) }
        rows.append([.text("b"), .text("later"), .integer(5)])
        try db.runRows("INSERT OR REPLACE INTO t (k, v, n)", "(?, ?, ?)", "", rows)
        #expect(try contents(db).prefix(2) == ["a=third:4", "b=later:5"])

        // An upsert tail: each row updates what the row before it left.
        try db.runRows("INSERT INTO t (k, v, n)", "(?, 'new', ?)", "ON CONFLICT (k) DO UPDATE SET n = t.n + excluded.n",
                       [[.text("a"), .integer(10)], [.text("a"), .integer(100)], [.text("c"), .integer(7)]])
        #expect(try contents(db).prefix(3) == ["a=third:114", "b=later:5", "c=new:7"])
    }

    /// The history writes its record blocks and the bodies of sessions it never held with
    /// INSERT OR IGNORE, several to a statement (their keys are new by construction); a
    /// session key stored before would drop its body silently, so the store refuses it with an
    /// error instead. Bodies of sessions it held are replaced. (Record blocks are indexed by
    /// group alone: that a position is stored once is the planner's, `RecordsIndexTests`.)
    @Test func aKeyStoredBeforeIsAnErrorNotALoss() throws {
        let store = try SQLiteHistoryStore.temporary()
        var record = Record(origin: .client, event: "PageView", timestamp: 1)
        record.position = "0:0::1"
        var change = HistoryChange()
        change.records = [("v:a", record.position, RecordCoding.encode(record)), ("v:b", record.position, RecordCoding.encode(record))]
        change.sessionBodies = [("s1", 1, Array("{}".utf8), true)]
        try store.apply(change)
        #expect(try store.records(ofGroups: ["v:a", "v:b"]).mapValues(\.count) == ["v:a": 1, "v:b": 1])
        #expect(try store.sessionBodies(["s1"]) == ["s1": Array("{}".utf8)])

        var replaced = HistoryChange()
        replaced.sessionBodies = [("s1", 1, Array("{\"v\":2}".utf8), false)]
        try store.apply(replaced)
        #expect(try store.sessionBodies(["s1"]) == ["s1": Array("{\"v\":2}".utf8)])
        replaced.sessionBodies[0].new = true
        #expect(throws: SinkError.self) { try store.apply(replaced) }
    }

    /// `run` and `runRows` bind their texts and blobs from one buffer of the connection's
    /// (SQLITE_STATIC) rather than as copies SQLite makes: every value must arrive as it was
    /// given, whether it is a small string Swift keeps inline, an empty blob (not NULL), or
    /// larger than the buffer, which then grows while statements bound from the old one are
    /// still prepared and are run again afterwards.
    @Test func boundValuesArriveIntactWhateverTheirSize() throws {
        let db = try SQLiteDatabase(path: "")
        try db.execute("CREATE TABLE b (k TEXT, t TEXT, d BLOB)")
        func stored() throws -> [String] {
            var rows: [String] = []
            try db.select("SELECT k, t, d IS NULL, length(d), hex(substr(d, 1, 3)), hex(substr(d, -3, 3)) FROM b ORDER BY rowid") { row in
                rows.append([SQLiteDatabase.text(row, 0), String(SQLiteDatabase.text(row, 1).utf8.count), String(SQLiteDatabase.integer(row, 2)),
                              String(SQLiteDatabase.integer(row, 3)), SQLiteDatabase.text(row, 4), SQLiteDatabase.text(row, 5)].joined(separator: " "))
            }
            return rows
        }
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let longText = String(repeating: "é", count: 40_000)
        try db.run("INSERT INTO b (k, t, d) VALUES (?1, ?2, ?3)", [.text("small"), .text("ü"), .blob([])])
        try db.runRows("INSERT INTO b (k, t, d)", "(?, ?, ?)", "", (0..<(SQLiteDatabase.rowsPerStatement + 1)).map { index -> [SQLiteDatabase.Value] in
            [.text("r\(index)"), index == 3 ? .text(longText) : .text(""), index == 5 ? .blob(big) : .null]
        })
        // The first statement again, after the buffer it was bound from was outgrown.
        try db.run("INSERT INTO b (k, t, d) VALUES (?1, ?2, ?3)", [.text("again"), .text("x"), .blob([1, 2, 3])])
        let rows = try stored()
        #expect(rows.count == SQLiteDatabase.rowsPerStatement + 3)
        #expect(rows.first == "small 2 0 0  ")
        #expect(rows[4] == "r3 80000 1 0  ")
        #expect(rows[6] == "r5 0 0 200000 01080F \(String(format: "%02X%02X%02X", big[199_997], big[199_998], big[199_999]))")
        #expect(rows.last == "again 1 0 3 010203 010203")
        var blob: [UInt8] = []
        try db.select("SELECT d FROM b WHERE k = 'r5'") { blob = SQLiteDatabase.blob($0, 0) }
        #expect(blob.count == big.count)
        let same = blob == big
        #expect(same, "the blob read back differs from the one bound")
    }
}
