@testable import FunnelPipeline
import FunnelTestSupport
import FunnelWriters
import Testing

/// The history's Bloom filter: never a wrong "not stored", few wrong "maybe", stored intact,
/// and rebuilt from the tables when it is missing or does not cover the records stored.
@Suite struct KeyFilterTests {
    @Test func everyKeyAddedIsFoundAcrossGrownParts() {
        var filter = KeyFilter(capacity: 1_000)
        for index in 0..<50_000 { filter.insert(.group, "s:session-\(index)") }
        #expect(filter.parts.count > 3, "a full part adds a larger one")
        #expect((0..<50_000).allSatisfy { filter.mayContain(.group, "s:session-\($0)") })
    }

    /// The histories add and ask for keys thousands at a time (`insert(_:each:)`,
    /// `mayContain(_:each:)`), which must leave and answer exactly what one key at a time
    /// does: the same parts, counts and bits, across parts added mid-batch, the bound
    /// reached, keys given twice in a batch and keys already held.
    @Test func keysAddedAndAskedForTogetherAreAsOneAtATime() {
        for maximumBytes in [64 << 10, KeyFilter.defaultMaximumBytes] {
            var single = KeyFilter(capacity: 500, maximumBytes: maximumBytes)
            var batched = single
            var given = 0
            for batch in 0..<40 {
                // Each batch repeats some of its own keys and some of the last batch's.
                let keys = (0..<(batch * 211 % 1_500)).map { "k-\(batch)-\($0 % 977)" } + (0..<50).map { "k-\(batch - 1)-\($0)" }
                for key in keys { single.insert(.session, key) }
                batched.insert(.session, each: keys)
                given += keys.count
                let same = batched == single
                #expect(same, "batch \(batch): keys per part \(batched.parts.map(\.count)) against \(single.parts.map(\.count))")
            }
            #expect(single.parts.count > 2 && single.count < given, "parts were added and repeated keys counted once")
            let asked = (0..<3_000).map { "k-\($0 % 40)-\($0)" } + (0..<3_000).map { "never-\($0)" }
            #expect(batched.mayContain(.session, each: asked) == asked.map { single.mayContain(.session, $0) })
            #expect(batched.possible(.session, asked) == asked.filter { single.mayContain(.session, $0) })
            #expect(batched.mayContain(.group, each: []) == [])
        }
        #expect(KeyFilter.everything.mayContain(.visitor, each: ["a", "b"]) == [true, true])
    }

    @Test func keysNeverAddedAreMostlyRuledOut() {
        var filter = KeyFilter(capacity: 1_000)
        for index in 0..<20_000 { filter.insert(.visitor, "visitor-\(index)") }
        let wrong = (0..<20_000).filter { filter.mayContain(.visitor, "other-\($0)") }.count
        // Ten bits a key and seven probes give about 1% per part; a few parts add up.
        #expect(wrong < 20_000 * 5 / 100, "\(wrong) false positives")
        // A key of one kind says nothing of the same text as another kind.
        let crossKind = (0..<20_000).filter { filter.mayContain(.event, "visitor-\($0)") }.count
        #expect(crossKind < 20_000 * 5 / 100, "\(crossKind) false positives across kinds")
    }

    /// The filter's memory is bounded (a backfill of years must not carry a filter that
    /// grows with them): parts double while they fit under `maximumBytes`, the last one takes
    /// what is left, and then the newest part takes every key that follows. No key added is
    /// ever ruled out; more keys never added read "maybe" as it fills, fewer in one part of
    /// the whole bound (what the histories build again from their keys once the bound is
    /// reached in parts); and a saturated filter is stored and read back as it is, staying
    /// within its bound.
    @Test func aBoundedFilterStopsGrowingAndLosesNoKey() {
        // The default's shape at a 1,024th of its size: parts of 1,024 to 16,384 keys, then
        // one of what is left of 64 KiB.
        var filter = KeyFilter(capacity: 1_024, maximumBytes: 64 << 10)
        var whole = KeyFilter(capacity: .max, maximumBytes: 64 << 10)
        #expect(whole.parts.count == 1 && whole.parts[0].capacity == KeyFilter.capacity(bytes: 64 << 10) && whole.byteCount == 64 << 10)
        func falsePositives(_ filter: KeyFilter) -> Int { (0..<20_000).filter { filter.mayContain(.group, "never-\($0)") }.count }
        var added = 0
        func add(upTo count: Int) {
            while added < count {
                filter.insert(.group, "s:\(added)")
                whole.insert(.group, "s:\(added)")
                added += 1
            }
        }
        add(upTo: 52_000)
        #expect(filter.parts.map(\.capacity) == [1_024, 2_048, 4_096, 8_192, 16_384, 20_684], "\(filter.parts.map(\.capacity))")
        #expect(filter.byteCount <= 64 << 10 && !filter.isSaturated && !whole.isSaturated)
        let atBound = (falsePositives(filter), falsePositives(whole))
        add(upTo: 104_000)
        #expect(filter.shouldBeBuiltAgain && whole.isSaturated && !whole.shouldBeBuiltAgain)
        let twice = (falsePositives(filter), falsePositives(whole))
        add(upTo: 208_000)
        let fourTimes = (falsePositives(filter), falsePositives(whole))
        #expect(filter.parts.count == 6 && filter.byteCount <= 64 << 10 && whole.parts.count == 1 && whole.byteCount == 64 << 10)
        #expect((0..<added).allSatisfy { filter.mayContain(.group, "s:\($0)") && whole.mayContain(.group, "s:\($0)") }, "a key added is never ruled out")
        // Of 20,000 keys never added, "maybe" (in parts, in one part) at the bound: 1,095
        // and 188; at twice its keys: 10,077 and 2,746; at four times: 19,555 and 12,705.
        #expect(atBound.0 < 1_200 && atBound.1 < 400, "\(atBound)")
        #expect(twice.1 < 4_000 && twice.0 > 2 * twice.1 && fourTimes.0 > fourTimes.1, "\(twice) \(fourTimes)")

        let stored = KeyFilter(encoded: filter.encoded(), maximumBytes: 64 << 10)
        let same = stored == filter
        #expect(same, "a saturated filter reads back as it was")
        if var stored {
            for index in 0..<10_000 { stored.insert(.event, "more-\(index)") }
            #expect(stored.parts.count == 6 && stored.byteCount == filter.byteCount)
        }
        // Only the newest part may hold more keys than its capacity: a stored filter whose
        // earlier part does is damaged.
        var damaged = filter.encoded()
        let firstCount = 3 + 8 + 8
        for index in 0..<8 { damaged[firstCount + index] = UInt8(truncatingIfNeeded: 5_000 >> (8 * index)) }
        #expect(KeyFilter(encoded: damaged, maximumBytes: 64 << 10) == nil)
        // Full in one part as large as its bound allows, it is kept; read with a bound since
        // raised, it is built again (to the new bound); with one lowered, it is kept.
        #expect(KeyFilter(encoded: whole.encoded(), maximumBytes: 64 << 10)?.shouldBeBuiltAgain == false)
        #expect(KeyFilter(encoded: whole.encoded(), maximumBytes: 128 << 10)?.shouldBeBuiltAgain == true)
        #expect(KeyFilter(encoded: whole.encoded(), maximumBytes: 16 << 10)?.shouldBeBuiltAgain == false)
        // The default bound: about 53 million keys in 64 MiB.
        #expect(KeyFilter.capacity(bytes: KeyFilter.defaultMaximumBytes) == 53_687_091)
    }

    /// A key's bits all fall in one block of 8 words (a cache line), and every part is
    /// whole blocks: a probe reads one line of memory.
    @Test func aKeysBitsFallInOneBlock() {
        for index in 0..<200 {
            var filter = KeyFilter(capacity: 5_000)
            filter.insert(.group, "s:key-\(index)")
            let words = filter.parts[0].words
            #expect(words.count % 8 == 0 && words.count >= 5_000 * 10 / 64)
            let set = words.indices.filter { words[$0] != 0 }
            #expect(!set.isEmpty && set.first! / 8 == set.last! / 8, "key \(index): words \(set)")
            #expect(words.reduce(0) { $0 + $1.nonzeroBitCount } <= KeyFilter.probes)
        }
    }

    /// The SQLite history writes its filter into a blob of zeros piece by piece and reads it
    /// back the same way (`SQLiteDatabase.withBlob`), so that a long history's filter is never
    /// copied whole: the blob holds exactly `encoded()`, a filter of several parts comes back
    /// equal, and a read or write that SQLite refuses is a failure, not a wrong filter.
    @Test func storedFormWrittenAndReadInPiecesThroughABlob() throws {
        var filter = KeyFilter(capacity: 1_000)
        for index in 0..<20_000 { filter.insert(.event, "event-\(index)") }
        #expect(filter.parts.count > 3)
        var pieces = 0
        filter.forEachEncodedPiece { _ in pieces += 1 }
        #expect(pieces == 2 * filter.parts.count, "a header and the words, per part")

        let db = try SQLiteDatabase(path: "")
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        try db.run("INSERT INTO t (id, data) VALUES (1, zeroblob(?1))", [.integer(Int64(filter.encodedCount))])
        try db.withBlob(table: "t", column: "data", rowid: 1, writable: true) { blob throws(SinkError) in
            #expect(try blob.write(pieces: filter.forEachEncodedPiece) == blob.count)
        }
        var stored: [UInt8] = []
        try db.select("SELECT data FROM t WHERE id = 1") { stored = SQLiteDatabase.blob($0, 0) }
        #expect(stored == filter.encoded())
        let read = try db.withBlob(table: "t", column: "data", rowid: 1, writable: false) { blob in
            KeyFilter(count: blob.count) { blob.read(into: $0, at: $1) }
        }
        #expect(read == filter)

        // A reader that fails part-way gives no filter (the history then builds one).
        var calls = 0
        #expect(KeyFilter(count: stored.count) { buffer, offset in
            calls += 1
            guard calls < 6 else { return false }
            stored.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
            return true
        } == nil)
        // Past the blob's end: refused with the database's name, never written.
        let beyond = try db.withBlob(table: "t", column: "data", rowid: 1, writable: true) { blob throws(SinkError) -> String? in
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
            defer { bytes.deallocate() }
            bytes.initializeMemory(as: UInt8.self, repeating: 1)
            do throws(SinkError) {
                try blob.write(UnsafeRawBufferPointer(bytes), at: blob.count - 4)
            } catch {
                return error.message
            }
            return nil
        }
        #expect(beyond?.contains("temporary database: writing 8 bytes of a blob") == true, "\(beyond ?? "written")")
        #expect(throws: SinkError.self) {
            try db.withBlob(table: "t", column: "data", rowid: 2, writable: false) { _ in }
        }
    }

    /// A run's commit leaves the whole filter in the history, and it holds every key stored.
    @Test func theCommittedFilterHoldsEveryStoredKey() throws {
        let (days, first, _) = Self.halves(seed: 45)
        let output = TestFiles.temporaryFolder("filter-committed")
        defer { TestFiles.remove(output) }
        _ = try days.run(days: first, sink: .ndjson, output: output)
        let db = try SQLiteDatabase(path: output + "/" + SQLiteHistoryStore.fileName)
        var bytes: [UInt8] = []
        try db.select("SELECT data FROM key_filter WHERE id = 1") { bytes = SQLiteDatabase.blob($0, 0) }
        let filter = try #require(KeyFilter(encoded: bytes))
        #expect(filter.encodedCount == bytes.count)
        var keys = 0
        for (sql, kind) in Self.storedKeys {
            try db.select(sql) { row in
                keys += 1
                #expect(filter.mayContain(kind, SQLiteDatabase.text(row, 0)))
            }
        }
        #expect(keys > 500)
    }

    @Test func storedFormRoundTripsAndRejectsDamage() {
        var filter = KeyFilter(capacity: 500)
        for index in 0..<2_000 { filter.insert(.event, "evt-\(index)") }
        let bytes = filter.encoded()
        #expect(KeyFilter(encoded: bytes) == filter)
        #expect(KeyFilter(encoded: Array(bytes.dropLast())) == nil)
        #expect(KeyFilter(encoded: bytes + [0]) == nil)
        // The unblocked form of earlier versions ("KF1") is no filter here: its bits are not
        // where this one looks, so the history builds a filter again.
        #expect(KeyFilter(encoded: Array("KF1".utf8) + bytes.dropFirst(3)) == nil)
        // A damaged capacity or key count (the first part's, after the magic and the part
        // count) is refused, not converted or multiplied into an overflow that would stop
        // every later run. (The count's case was found by `make fuzz`'s FuzzStored.)
        for (field, damaged) in [(0, UInt64.max), (0, 1 << 62), (0, UInt64(Int.max / 10 + 1)), (1, UInt64.max), (1, 1 << 63), (1, 501)] {
            var bytes = bytes
            for index in 0..<8 { bytes[11 + 8 * field + index] = UInt8(truncatingIfNeeded: damaged >> (8 * UInt64(index))) }
            #expect(KeyFilter(encoded: bytes) == nil, "field \(field) = \(damaged)")
        }
        #expect(KeyFilter(encoded: []) == nil)
    }

    /// The stored form is fixed (histories written by earlier versions are read with it):
    /// "KF2", the part count, then per part its capacity, key count, word count and words,
    /// each a little-endian 64-bit number, whatever way the words are copied.
    @Test func storedFormIsLittleEndianWordsAfterEachPartsCounts() {
        var filter = KeyFilter(capacity: 300)
        for index in 0..<1_000 { filter.insert(.group, "s:\(index)") }
        #expect(filter.parts.count > 1)
        var expected: [UInt8] = Array("KF2".utf8)
        func put(_ value: UInt64) { for index in 0..<8 { expected.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) } }
        put(UInt64(filter.parts.count))
        for part in filter.parts {
            put(UInt64(part.capacity))
            put(UInt64(part.count))
            put(UInt64(part.words.count))
            for word in part.words { put(word) }
        }
        #expect(filter.encoded() == expected)
        #expect(KeyFilter(encoded: expected) == filter)
    }

    /// A history from before the filter, or one whose filter does not match its records (an
    /// older funnel wrote to it since), gets a filter built from its tables: a later day still
    /// merges exactly as one run over both days.
    enum Damage: CaseIterable { case missing, stale, unreadable }

    /// Generated days, split into the days of a first run and those of a second.
    private static func halves(seed: UInt64) -> (days: RunsOverTimeTests.Days, first: [String], second: [String]) {
        let days = RunsOverTimeTests.Days(seed: seed, visitors: 300)
        return (days, Array(days.dates.prefix(2)), Array(days.dates.dropFirst(2)))
    }

    /// The stored keys of an SQLite history, by kind.
    private static let storedKeys: [(StaticString, KeyFilter.Kind)] = [("SELECT grp FROM records", .group), ("SELECT event_id FROM event_holders", .event),
                                                                        ("SELECT visitor FROM visitors", .visitor), ("SELECT session_id FROM sessions", .session)]

    /// A history whose filter is past its bound (`limits.key_filter_bytes`, here 512 bytes,
    /// about 400 keys, for over 700 stored) still merges later days exactly, since a "no" stays
    /// right; its stored filter stays within the bound; and one that reached the bound in
    /// several parts is built again from the tables as one part of the whole bound.
    @Test func aFilterAtItsBoundKeepsRunsExactAndIsBuiltAgainAsOnePart() throws {
        let bound = 512
        func stored(_ db: SQLiteDatabase) throws -> KeyFilter? {
            var bytes: [UInt8] = []
            try db.select("SELECT data FROM key_filter WHERE id = 1") { bytes = SQLiteDatabase.blob($0, 0) }
            return KeyFilter(encoded: bytes, maximumBytes: bound)
        }
        try Self.runInHalves(seed: 46, name: "filter-bound", keyFilterBytes: bound, between: { db in
            var keys = 0
            for (sql, _) in Self.storedKeys { try db.select(sql) { _ in keys += 1 } }
            let atBound = try #require(try stored(db))
            #expect(keys > KeyFilter.capacity(bytes: bound) * 3 / 2, "\(keys) keys stored")
            #expect(atBound.parts.count == 1 && atBound.byteCount == bound && atBound.isSaturated && !atBound.shouldBeBuiltAgain)

            // The same keys in parts that reached the bound, stored as the run's own filter.
            var inParts = KeyFilter(capacity: 64, maximumBytes: bound)
            for (sql, kind) in Self.storedKeys { try db.select(sql) { inParts.insert(kind, SQLiteDatabase.text($0, 0)) } }
            #expect(inParts.parts.count == 3 && inParts.shouldBeBuiltAgain && inParts.byteCount <= bound)
            try db.run("UPDATE key_filter SET data = ?1", [.blob(inParts.encoded())])
        }, after: { db in
            let rebuilt = try #require(try stored(db))
            #expect(rebuilt.parts.count == 1 && rebuilt.byteCount == bound, "built again as one part: \(rebuilt.parts.map(\.capacity))")
            for (sql, kind) in Self.storedKeys {
                try db.select(sql) { row in #expect(rebuilt.mayContain(kind, SQLiteDatabase.text(row, 0))) }
            }
        })
    }

    /// Runs the first half of generated days into a folder, lets `between` change its history
    /// file, runs the second half on top (with `keyFilterBytes` as the filter's bound, if
    /// given, the second half with `laterKeyFilterBytes` if that is given), lets `after` look
    /// at the file, and expects both runs to succeed and the export to equal one run over
    /// every day.
    private static func runInHalves(seed: UInt64, name: String, keyFilterBytes: Int? = nil, laterKeyFilterBytes: Int? = nil,
                                    between: (SQLiteDatabase) throws -> Void, after: (SQLiteDatabase) throws -> Void = { _ in }) throws {
        let (days, first, second) = halves(seed: seed)
        let single = TestFiles.temporaryFolder(name + "-single")
        defer { TestFiles.remove(single) }
        _ = try days.run(days: days.dates, sink: .ndjson, output: single)

        let output = TestFiles.temporaryFolder(name)
        defer { TestFiles.remove(output) }
        let path = output + "/" + SQLiteHistoryStore.fileName
        let earlier = try days.run(days: first, sink: .ndjson, output: output, keyFilterBytes: keyFilterBytes)
        try between(try SQLiteDatabase(path: path))
        let later = try days.run(days: second, sink: .ndjson, output: output, keyFilterBytes: laterKeyFilterBytes ?? keyFilterBytes)
        #expect(earlier.exitStatus == .success && later.exitStatus == .success, "\(earlier.problems) \(later.problems)")
        try after(try SQLiteDatabase(path: path))
        _ = try Exporter.export(historyFolder: output, to: output + "/export")
        #expect(TestFiles.readText(output + "/export/sessions.ndjson") == TestFiles.readText(single + "/sessions.ndjson"))
    }

    @Test(arguments: Damage.allCases)
    func aMissingOrStaleFilterIsRebuiltFromTheTables(damage: Damage) throws {
        try Self.runInHalves(seed: 41, name: "filter-damaged", between: { db in
            switch damage {
            case .missing:
                try db.execute("DELETE FROM key_filter")
            case .stale:
                // An empty filter, which would skip every lookup, stored for other records.
                try db.run("UPDATE key_filter SET records = 'rowid 1', data = ?1", [.blob(KeyFilter(capacity: 64).encoded())])
            case .unreadable:
                try db.execute("UPDATE key_filter SET data = x'4b4631'")
            }
        })
    }

    /// The SQLite history's filter holds its session ids too, and is trusted only while its
    /// sessions are as it was saved with: a filter that missed a stored body would have the
    /// next run take that session for new and stop at its insert. Here a filter of every key
    /// but the sessions is stored with the history's current mark: trusted, the rerun of the
    /// same days stops; after a body written by another program, it is built again and the
    /// rerun goes through. (The rerun rebuilds every visitor, `continuesVisitors: false`: a
    /// day run again otherwise leaves out the lines the history holds and rebuilds none.)
    @Test func aSessionBodyWrittenElsewhereMakesTheFilterBeBuiltAgain() throws {
        let (days, first, _) = Self.halves(seed: 44)
        let output = TestFiles.temporaryFolder("filter-sessions")
        defer { TestFiles.remove(output) }
        _ = try days.run(days: first, sink: .ndjson, output: output)
        func storeFilterWithoutSessions(foreignBody: Bool) throws {
            let db = try SQLiteDatabase(path: output + "/" + SQLiteHistoryStore.fileName)
            var filter = KeyFilter()
            for (sql, kind) in Self.storedKeys where kind != .session { try db.select(sql) { filter.insert(kind, SQLiteDatabase.text($0, 0)) } }
            #expect(try db.scalar("SELECT count(*) FROM sessions") > 100)
            try db.run("UPDATE key_filter SET data = ?1", [.blob(filter.encoded())])
            if foreignBody { try db.execute("INSERT INTO sessions (session_id, start, body) VALUES ('written-elsewhere', 0, x'7b7d0a')") }
        }
        func rerun() -> String? {
            do {
                let summary = try days.run(days: first, sink: .ndjson, output: output, continuesVisitors: false)
                return summary.exitStatus == .success ? nil : summary.problems.joined(separator: "; ")
            } catch {
                return "\(error)"
            }
        }
        try storeFilterWithoutSessions(foreignBody: false)
        let failure = rerun()
        #expect(failure?.contains("stored before") == true, "\(failure ?? "the rerun went through")")
        try storeFilterWithoutSessions(foreignBody: true)
        #expect(rerun() == nil)
    }

    /// The same for the Redis history: the stored filter deleted, saved for another key
    /// count, or unreadable is built again with SCAN, and a later day merges exactly.
    @Test(arguments: Damage.allCases)
    func aMissingOrStaleRedisFilterIsRebuiltWithScan(damage: Damage) throws {
        try Self.runRedisInHalves(seed: 42, name: "filter-redis", between: { redis in
            #expect(try redis.command("EXISTS", "funnel:keyfilter") == .integer(1), "a run saves its filter")
            switch damage {
            case .missing:
                _ = try redis.command("DEL", "funnel:keyfilter")
            case .stale:
                // An empty filter, which would skip every lookup, saved for another key count.
                _ = try redis.command([Array("SET".utf8), Array("funnel:keyfilter".utf8), KeyFilter(capacity: 64).encoded()])
                _ = try redis.command("SET", "funnel:keyfilter:keys", "1")
            case .unreadable:
                _ = try redis.command("SET", "funnel:keyfilter", "KF1")
            }
        })
    }

    /// `runInHalves` for the Redis history: the first half of generated days into a Redis of
    /// its own, `between` changes what it holds, the second half on top (bounds as there),
    /// `after` looks at it, and its sessions must equal one run over every day in another
    /// Redis.
    private static func runRedisInHalves(seed: UInt64, name: String, keyFilterBytes: Int? = nil, laterKeyFilterBytes: Int? = nil,
                                         between: (RedisConnection) throws -> Void, after: (RedisConnection) throws -> Void = { _ in }) throws {
        let (days, first, second) = halves(seed: seed)
        let scratch = TestFiles.temporaryFolder(name)
        defer { TestFiles.remove(scratch) }
        let whole = try days.sessionsOfOneRedisRun(output: scratch + "/whole")
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try server.connect()
        let earlier = try days.run(days: first, sink: .redis, output: scratch + "/daily", redisURL: server.url, keyFilterBytes: keyFilterBytes)
        try between(redis)
        let later = try days.run(days: second, sink: .redis, output: scratch + "/daily", redisURL: server.url,
                                 keyFilterBytes: laterKeyFilterBytes ?? keyFilterBytes)
        #expect(earlier.exitStatus == .success && later.exitStatus == .success, "\(earlier.problems) \(later.problems)")
        try after(redis)
        #expect(try server.dumpSessions() == whole)
    }

    /// The same for the Redis history: past its bound the filter keeps later days exact and
    /// stays within the bound, and one that reached the bound in parts is built again with
    /// SCAN as one part of the whole bound.
    @Test func aRedisFilterAtItsBoundIsBuiltAgainAsOnePart() throws {
        let bound = 256
        func stored(_ redis: RedisConnection) throws -> KeyFilter? {
            guard case .string(let bytes) = try redis.command("GET", "funnel:keyfilter") else { return nil }
            return KeyFilter(encoded: bytes, maximumBytes: bound)
        }
        try Self.runRedisInHalves(seed: 47, name: "filter-redis-bound", keyFilterBytes: bound, between: { redis in
            let atBound = try #require(try stored(redis))
            #expect(atBound.parts.count == 1 && atBound.byteCount == bound && atBound.isSaturated)

            // The history's keys in parts that reached the bound, saved as the run's own filter
            // (the key count it was saved with still holds).
            var inParts = KeyFilter(capacity: 64, maximumBytes: bound)
            guard case .array(let names) = try redis.command("KEYS", "funnel:*") else { throw SinkError("KEYS failed") }
            for case .string(let key) in names {
                let name = String(decoding: key.dropFirst("funnel:".utf8.count), as: UTF8.self)
                for (head, kind) in RedisHistoryStore.keyKinds where name.hasPrefix(head) { inParts.insert(kind, String(name.dropFirst(head.count))) }
            }
            #expect(inParts.shouldBeBuiltAgain)
            _ = try redis.command([Array("SET".utf8), Array("funnel:keyfilter".utf8), inParts.encoded()])
        }, after: { redis in
            let rebuilt = try #require(try stored(redis))
            #expect(rebuilt.parts.count == 1 && rebuilt.byteCount == bound, "built again as one part: \(rebuilt.parts.map(\.capacity))")
        })
    }

    /// The largest bound a pipeline may set is one both histories can store: a filter full at
    /// a small bound, with the bound then raised to the largest, is built again as one part of
    /// that whole bound (the most a filter ever takes), which must fit in one SQLite blob
    /// (at most 1,000,000,000 bytes in Debian's SQLite) and one Redis string (512 MB by
    /// default), and later runs stay exact.
    @Test func aFilterAtTheLargestBoundIsStoredByBothHistories() throws {
        let largest = Pipeline.maximumKeyFilterBytes
        func check(_ bytes: [UInt8]?) {
            let filter = bytes.flatMap { KeyFilter(encoded: $0, maximumBytes: largest) }
            #expect(filter?.parts.count == 1 && filter?.byteCount == largest, "stored: \(bytes?.count ?? 0) bytes")
        }
        try Self.runInHalves(seed: 48, name: "filter-largest", keyFilterBytes: 512, laterKeyFilterBytes: largest, between: { _ in }, after: { db in
            var bytes: [UInt8]?
            try db.select("SELECT data FROM key_filter WHERE id = 1") { bytes = SQLiteDatabase.blob($0, 0) }
            check(bytes)
        })
        try Self.runRedisInHalves(seed: 48, name: "filter-redis-largest", keyFilterBytes: 256, laterKeyFilterBytes: largest, between: { _ in }, after: { redis in
            guard case .string(let bytes) = try redis.command("GET", "funnel:keyfilter") else {
                Issue.record("no filter saved")
                return
            }
            check(bytes)
        })
    }

    /// Session keys expiring by their TTL leave the Redis filter valid; a key without a TTL
    /// written by another program makes the next run build it again.
    @Test func redisFilterOutlivesExpiringKeysButNotForeignWrites() throws {
        let (days, first, second) = Self.halves(seed: 43)
        let scratch = TestFiles.temporaryFolder("filter-redis-ttl")
        defer { TestFiles.remove(scratch) }
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try server.connect()
        func scans() throws -> Bool {
            guard case .string(let stats) = try redis.command("INFO", "commandstats") else { return false }
            return String(decoding: stats, as: UTF8.self).contains("cmdstat_scan:")
        }
        _ = try days.run(days: first, sink: .redis, output: scratch, redisURL: server.url)
        _ = try redis.command("SET", "elsewhere:ttl", "1", "EX", "3600")
        _ = try redis.command("CONFIG", "RESETSTAT")
        try #require(second.count >= 2, "the generator should spread traffic over four days or more")
        _ = try days.run(days: [second[0]], sink: .redis, output: scratch, redisURL: server.url)
        #expect(try !scans(), "a key with a TTL should leave the filter valid")

        _ = try redis.command("SET", "elsewhere:forever", "1")
        _ = try redis.command("CONFIG", "RESETSTAT")
        _ = try days.run(days: Array(second.dropFirst()), sink: .redis, output: scratch, redisURL: server.url)
        #expect(try scans(), "a key without a TTL should make the run rebuild the filter")
    }
}
