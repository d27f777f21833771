import FunnelCore
@testable import FunnelPipeline
import Foundation
import FunnelWriters
import Testing

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
        let rows: [[SQLiteDatabase.Value]] = (0..<count).map { [.text(String(format: "k%04d", $0)), .text("v\($0)"), .integer(Int64($0))] }
        try db.runRows("INSERT INTO t (k, v, n)", "(?, ?, ?)", "", rows)
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
}
