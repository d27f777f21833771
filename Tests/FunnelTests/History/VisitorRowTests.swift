@testable import FunnelPipeline
import FunnelTestSupport
import FunnelTransform
import FunnelWriters
import Testing

/// A visitor's groups and session ids stored as one value: any id survives the round trip,
/// damage is refused, and histories written before (two SQLite tables, two Redis sets per
/// visitor) are read and replaced so that later days still merge exactly.
@Suite struct VisitorRowTests {
    @Test func anyIdRoundTrips() {
        let rows = [
            VisitorRow(groups: [], sessions: []),
            VisitorRow(groups: ["s:abc"], sessions: []),
            VisitorRow(groups: [], sessions: ["0123456789abcdef"]),
            VisitorRow(groups: ["s:12:34", "s:a|b", "s:", "s:line\nbreak", "s:ünï\u{1F3AC}"],
                       sessions: ["|", "9:", "", "x|y|z", "0123456789abcdef"]),
        ]
        for row in rows {
            #expect(VisitorRow(encoded: row.encoded()) == row, "\(row)")
        }
        #expect(String(decoding: VisitorRow(groups: ["s:ab"], sessions: ["id1", "id2"]).encoded(), as: UTF8.self) == "4:s:ab|3:id13:id2")
    }

    /// A past and its tail survive the round trip, the tail's records as the bytes they are
    /// (any byte, `|` and `:` included); a past in the text form of rows written before
    /// 2026-12-07 still reads, and one of 11 items (written before `currentStart`) without
    /// it; a tail whose counts do not fit its items is refused.
    @Test func aPastAndItsTailRoundTrip() {
        let point = VisitorPast(records: 40, last: 1_709_251_200_000, sessions: 3, firstSource: "google", firstTimestamp: 1_709_200_000_000,
                                touchSource: nil, touchTimestamp: nil, analytics: "granted", marketing: "pending",
                                lastClientView: nil, lastLogLine: 1_709_251_100_000, currentStart: 1_709_250_000_000)
        let tail = VisitorTail(before: point, sessionIDs: ["0123456789abcdef", "c|1"], merged: 2, withheld: 1, overCap: 0,
                               records: [Array(0...255), [], Array("3:a|b".utf8)])
        let past = VisitorPast(records: 60, last: 1_709_260_000_000, sessions: 5, firstSource: "google", firstTimestamp: 1_709_200_000_000,
                               touchSource: "facebook", touchTimestamp: 1_709_255_000_000, analytics: "granted", marketing: "denied",
                               lastClientView: 1_709_259_000_000, lastLogLine: nil, currentStart: 1_709_255_000_000, tail: tail)
        for row in [VisitorRow(groups: ["v:fp1"], sessions: ["a", "b"], past: past), VisitorRow(groups: [], sessions: [], past: point)] {
            let read = VisitorRow(encoded: row.encoded())
            #expect(read == row)
            #expect(read?.past?.tail?.records == row.past?.tail?.records)
        }
        // The same past as written before 2026-12-07, as twelve texts, and before
        // `currentStart` was kept, as eleven.
        let current = "5:v:fp1|1:a|2:4013:17092512000001:36:google13:17092000000000:0:7:granted7:pending0:13:170925110000013:1709250000000"
        #expect(VisitorRow(encoded: Array(current.utf8)) == VisitorRow(groups: ["v:fp1"], sessions: ["a"], past: point))
        let read = VisitorRow(encoded: Array(current.dropLast("13:1709250000000".count).utf8))
        #expect(read?.past?.records == 40 && read?.past?.currentStart == nil && read?.past?.tail == nil, "\(String(describing: read))")
        let encoded = String(decoding: VisitorRow(groups: [], sessions: [], past: past).encoded(), as: UTF8.self)
        // The tail's counts (2 merged, 1 withheld, 0 over the cap) and its point's 12 items: 99.
        #expect(encoded.contains("|1:21:11:02:12"))
        let damaged = encoded.replacingOccurrences(of: "|1:21:11:02:12", with: "|1:21:11:02:99")
        #expect(VisitorRow(encoded: Array(damaged.utf8)) == nil)
    }

    /// A row longer than the writer's first buffer (a visitor of many sessions, a tail of
    /// many records) is written whole, each item where it belongs.
    @Test func aLongRowRoundTrips() {
        let point = VisitorPast(records: 9, last: 1_709_251_200_000, sessions: 2, firstSource: "direct", firstTimestamp: 1_709_200_000_000,
                                touchSource: nil, touchTimestamp: nil, analytics: "granted", marketing: "granted",
                                lastClientView: nil, lastLogLine: nil, currentStart: nil)
        let records = (0..<40).map { index in (0..<(index * 37)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }
        let tail = VisitorTail(before: point, sessionIDs: (0..<30).map { "tail-\($0)" }, merged: 0, withheld: 0, overCap: 0, records: records)
        let past = VisitorPast(records: 5_000, last: 1_709_260_000_000, sessions: 300, firstSource: "google", firstTimestamp: 1_709_200_000_000,
                               touchSource: "email", touchTimestamp: 1_709_255_000_000, analytics: "granted", marketing: "granted",
                               lastClientView: 1_709_259_000_000, lastLogLine: 1_709_259_500_000, currentStart: 1_709_258_000_000, tail: tail)
        let row = VisitorRow(groups: (0..<50).map { "s:group-\($0)" }, sessions: (0..<300).map { String(repeating: "ab", count: $0 % 9) + "\($0)" }, past: past)
        let encoded = row.encoded()
        #expect(encoded.count > 30_000)
        let read = VisitorRow(encoded: encoded)
        // Compared as Booleans: a failure would print rows of some 30,000 bytes.
        let sameRow = read == row
        let sameRecords = read?.past?.tail?.records == records
        #expect(sameRow)
        #expect(sameRecords, "tail records read: \(read?.past?.tail?.records.map(\.count) ?? [])")
        #expect(encoded.starts(with: Array("9:s:group-09:s:group-1".utf8)))
    }

    /// The digests of a sink's sessions (`VisitorRow.digests`, since 2026-12-07) follow the
    /// ids as one `#` item of 16 hex digits each, before the past and its tail; rows without
    /// them are read as before, with none.
    @Test func sessionDigestsRoundTrip() {
        let point = VisitorPast(records: 9, last: 1_709_251_200_000, sessions: 2, firstSource: "direct", firstTimestamp: 1_709_200_000_000,
                                touchSource: nil, touchTimestamp: nil, analytics: "granted", marketing: "granted",
                                lastClientView: nil, lastLogLine: nil, currentStart: nil)
        var plain = VisitorRow(groups: ["s:ab"], sessions: ["id1", "id2"])
        plain.digests = [0x0123_4567_89AB_CDEF, 0]
        #expect(String(decoding: plain.encoded(), as: UTF8.self) == "4:s:ab|3:id13:id2#32:0123456789abcdef0000000000000000")
        var withPast = VisitorRow(groups: [], sessions: ["a|b", "#"], past: point)
        withPast.digests = [.max, 1]
        for row in [plain, withPast] {
            let read = VisitorRow(encoded: row.encoded())
            #expect(read == row)
            #expect(read?.digests == row.digests)
        }
        #expect(plain.digestsByID == ["id1": 0x0123_4567_89AB_CDEF], "0 is no digest")
        #expect(VisitorRow(encoded: Array("4:s:ab|3:id1".utf8))?.digests == [])
        // A count that is not the ids', a digit that is not hex, a `#` anywhere else: damaged.
        for text in ["|3:id1#32:0123456789abcdef0123456789abcdef", "|3:id1#16:0123456789ABCDEF", "|3:id1#15:0123456789abcde",
                     "#16:0123456789abcdef|3:id1", "|3:id1#16:0123456789abcdef#16:0123456789abcdef", "|3:id1#", "|3:id1#|",
                     "|3:id1#0:"] {
            #expect(VisitorRow(encoded: Array(text.utf8)) == nil, "\(text)")
        }
    }

    /// The compact form of a past (`VisitorPast.compactItem`): every field survives, times
    /// before and after `last` and far from it, known and other texts (empty, `|`, not
    /// ASCII); a past of an ordinary visitor takes under 30 bytes (its twelve texts 130);
    /// bytes cut short, left over or of another version are refused.
    @Test func theCompactPastRoundTrips() {
        let ordinary = VisitorPast(records: 3, last: 1_709_276_029_000, sessions: 2, firstSource: "newsletter", firstTimestamp: 1_709_264_536_000,
                                   touchSource: "instagram", touchTimestamp: 1_709_276_029_000, analytics: "pending", marketing: "pending",
                                   lastClientView: nil, lastLogLine: 1_709_276_029_000, currentStart: 1_709_276_029_000)
        let odd = VisitorPast(records: Int(Int32.max) * 4, last: -5, sessions: 0, firstSource: "", firstTimestamp: Int64.max,
                              touchSource: "a|b:ünï\u{1F3AC}", touchTimestamp: Int64.min, analytics: "x", marketing: "granted",
                              lastClientView: 0, lastLogLine: nil, currentStart: -5)
        let bare = VisitorPast(records: 1, last: 0, sessions: 1, firstSource: "direct", firstTimestamp: 0, touchSource: nil, touchTimestamp: nil,
                               analytics: "denied", marketing: "denied", lastClientView: nil, lastLogLine: nil, currentStart: nil)
        for past in [ordinary, odd, bare] {
            #expect(VisitorPast(compact: past.compactItem) == past, "\(past.items)")
            let row = VisitorRow(groups: ["s:1"], sessions: ["a"], past: past)
            #expect(VisitorRow(encoded: row.encoded()) == row)
        }
        #expect(ordinary.compactItem.count < 30, "\(ordinary.compactItem.count)")
        // The form histories hold, byte for byte (a change here must come with a new version).
        #expect(ordinary.compactItem == [2, 29, 3, 2, 144, 129, 211, 140, 191, 99, 144, 250, 250, 10, 0, 0, 0, 8, 7, 1, 1], "\(ordinary.compactItem)")
        #expect(ordinary.items.reduce(0) { $0 + $1.utf8.count + String($1.utf8.count).count + 1 } == 130)
        let bytes = ordinary.compactItem
        #expect(VisitorPast(compact: bytes.dropLast()) == nil)
        #expect(VisitorPast(compact: bytes + [0]) == nil)
        #expect(VisitorPast(compact: [3] + bytes.dropFirst()) == nil)
        #expect(VisitorPast(compact: [UInt8]()) == nil)
    }

    @Test func damageIsRefused() {
        for text in ["", "4:s:ab", "4:s:a|", "x|", "|3:ab", "|3", "||", "|:ab", "|99999999999:a"] {
            #expect(VisitorRow(encoded: Array(text.utf8)) == nil, "\(text)")
        }
    }

    /// Replaces the history's `visitors` table with the two tables funnel wrote before, and adds
    /// the `group_visitor` index older versions kept.
    private func downgrade(_ path: String) throws {
        let db = try SQLiteDatabase(path: path)
        var rows: [(String, VisitorRow)] = []
        try db.select("SELECT visitor, row FROM visitors") { statement in
            rows.append((SQLiteDatabase.text(statement, 0), VisitorRow(encoded: SQLiteDatabase.blob(statement, 1))!))
        }
        try db.execute("""
            CREATE TABLE visitor_groups (visitor TEXT NOT NULL, grp TEXT NOT NULL, PRIMARY KEY (visitor, grp)) WITHOUT ROWID;
            CREATE TABLE visitor_sessions (visitor TEXT NOT NULL, session_id TEXT NOT NULL, PRIMARY KEY (visitor, session_id)) WITHOUT ROWID;
            DROP TABLE visitors;
            CREATE TABLE group_visitor (grp TEXT PRIMARY KEY, visitor TEXT NOT NULL) WITHOUT ROWID;
            INSERT INTO group_visitor SELECT DISTINCT grp, 'nobody' FROM records WHERE grp LIKE 's:%';
            """)
        for (visitor, row) in rows {
            for group in row.groups { try db.run("INSERT INTO visitor_groups VALUES (?1, ?2)", [.text(visitor), .text(group)]) }
            for id in row.sessions { try db.run("INSERT INTO visitor_sessions VALUES (?1, ?2)", [.text(visitor), .text(id)]) }
        }
    }

    private func tables(_ path: String) throws -> Set<String> {
        let db = try SQLiteDatabase(path: path)
        var names = Set<String>()
        try db.select("SELECT name FROM sqlite_master WHERE type = 'table'") { names.insert(SQLiteDatabase.text($0, 0)) }
        return names
    }

    @Test func anOlderSQLiteHistoryIsMigratedAndLaterDaysMergeExactly() throws {
        try RunsOverTimeTests.Days(seed: 51, visitors: 300).checkOlderSQLiteHistory("rows-migrated", downgrade: { path in
            try downgrade(path)
            try #require(try tables(path).isSuperset(of: ["visitor_groups", "visitor_sessions", "group_visitor"]))
        }, inspect: { path in
            let after = try tables(path)
            #expect(after.contains("visitors") && !after.contains("visitor_groups") && !after.contains("visitor_sessions"), "\(after)")
            // A client session's visitor comes from its records now: the older index is dropped.
            #expect(!after.contains("group_visitor"), "\(after)")
        })
    }

    @Test func anOlderRedisHistoryIsReadAndReplacedAndLaterDaysMergeExactly() throws {
        var legacy = Set<String>()
        var groupKeys: [String] = []
        try RunsOverTimeTests.Days(seed: 52, visitors: 300).checkOlderRedisHistory("rows-redis") { server in
            // The rows as an older funnel kept them: two sets per visitor.
            let redis = try server.connect()
            let rowKeys = try server.keys(matching: "funnel:visitor:*")
            try #require(!rowKeys.isEmpty)
            for key in rowKeys {
                guard case .string(let bytes) = try redis.command("GET", key), let row = VisitorRow(encoded: bytes) else {
                    Issue.record("\(key) holds no row")
                    continue
                }
                let visitor = String(key.dropFirst("funnel:visitor:".count))
                if !row.groups.isEmpty { _ = try redis.command(["SADD", "funnel:vgroups:" + visitor].map { Array($0.utf8) } + row.groups.map { Array($0.utf8) }) }
                if !row.sessions.isEmpty { _ = try redis.command(["SADD", "funnel:vsess:" + visitor].map { Array($0.utf8) } + row.sessions.map { Array($0.utf8) }) }
                _ = try redis.command("DEL", key)
            }
            legacy = Set(try server.keys(matching: "funnel:vgroups:*").map { String($0.dropFirst("funnel:vgroups:".count)) })
                .union(try server.keys(matching: "funnel:vsess:*").map { String($0.dropFirst("funnel:vsess:".count)) })
            try #require(legacy.count == rowKeys.count)
            // The group -> visitor keys older versions kept: never read or written any more.
            groupKeys = try server.keys(matching: "funnel:rec:s:*").prefix(50).map { "funnel:gvisitor:" + $0.dropFirst("funnel:rec:".count) }
            try #require(!groupKeys.isEmpty)
            for key in groupKeys { _ = try redis.command("SET", key, "nobody") }
        } inspect: { server in
            // Every visitor the later days rewrote has a row and no sets left; the others keep
            // their sets until they are next written.
            let rows = Set(try server.keys(matching: "funnel:visitor:*").map { String($0.dropFirst("funnel:visitor:".count)) })
            let left = Set(try server.keys(matching: "funnel:vgroups:*").map { String($0.dropFirst("funnel:vgroups:".count)) })
                .union(try server.keys(matching: "funnel:vsess:*").map { String($0.dropFirst("funnel:vsess:".count)) })
            #expect(rows.isDisjoint(with: left), "\(rows.intersection(left).count) visitors have both a row and sets")
            #expect(left.count < legacy.count, "the later days should rewrite some visitors of the first two")
            #expect(rows.union(left).isSuperset(of: legacy))
            #expect(Set(try server.keys(matching: "funnel:gvisitor:*")) == Set(groupKeys))
        }
    }
}
