@testable import FunnelPipeline
import FunnelCore
import FunnelTestSupport
import Testing

/// Which of a run's positions a group's stored records hold, read from their bytes: found in
/// single encodings and in blocks, and never for a line of the same number in another file, a
/// position that only starts like a stored one, or a store that does not hold the group.
@Suite struct StoredPositionsTests {
    private static func record(_ prefix: String, _ line: Int) -> [UInt8] {
        var record = Record(origin: .accessLog, event: "PageView", timestamp: 1_709_251_200_000 + Int64(line))
        record.position = RecordPosition.make(prefix: prefix, line: line)
        record.path = "/watch"
        return RecordCoding.encode(record)
    }

    @Test func findsStoredPositionsInEncodingsAndBlocks() {
        let day1 = RecordPosition.prefix(source: 0, pattern: 0, day: 20240301, path: "logs/access-2024-03-01.log.gz")
        let day2 = RecordPosition.prefix(source: 0, pattern: 0, day: 20240302, path: "logs/access-2024-03-02.log.gz")
        let other = RecordPosition.prefix(source: 1, pattern: 0, day: 20240302, path: "events-2024-03-02.ndjson.gz")
        let wanted: Set<String> = [
            RecordPosition.make(prefix: day2, line: 7),       // in the block
            RecordPosition.make(prefix: day2, line: 9),       // alone
            RecordPosition.make(prefix: day2, line: 8),       // not stored
            RecordPosition.make(prefix: other, line: 7),      // line 7 of another file: not stored
            RecordPosition.make(prefix: day2, line: 1) + "0", // longer than a stored one
        ]
        var scan = StoredPositions(wanted)
        scan.scan(RecordCoding.block([Self.record(day1, 7), Self.record(day2, 6), Self.record(day2, 7)]))
        scan.scan(Self.record(day2, 9))
        scan.scan(Self.record(day2, 1))
        #expect(scan.found == [RecordPosition.make(prefix: day2, line: 7), RecordPosition.make(prefix: day2, line: 9)])
        // The position read while the encoding's buffer lives (the pointer taken out of the
        // closure read freed memory: the address sanitizer, 2026-12-05).
        let position = Self.record(day1, 3).withUnsafeBufferPointer { bytes in
            RecordCoding.position(in: bytes).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(position == RecordPosition.make(prefix: day1, line: 3))
    }

    @Test func anSQLiteHistoryFindsWhatItStoredAndWhatIsPending() throws {
        let store = try SQLiteHistoryStore.temporary()
        let prefix = RecordPosition.prefix(source: 0, pattern: 0, day: 20240301, path: "access-2024-03-01.log.gz")
        var change = HistoryChange()
        change.records = [("v:a", RecordPosition.make(prefix: prefix, line: 1),
                           RecordCoding.block([Self.record(prefix, 1), Self.record(prefix, 2)]))]
        try store.apply(change)
        let positions: Set<String> = [RecordPosition.make(prefix: prefix, line: 2), RecordPosition.make(prefix: prefix, line: 3)]
        #expect(try store.storedPositions(positions, inGroup: "v:a") == [RecordPosition.make(prefix: prefix, line: 2)])
        #expect(try store.storedPositions(positions, inGroup: "v:b").isEmpty)
        #expect(store.holdsOnlyBuiltRecords)

        // Through the write-behind history, a change not yet written is found as well.
        let behind = WriteBehindHistory(store)
        var later = HistoryChange()
        later.records = [("v:a", RecordPosition.make(prefix: prefix, line: 3), Self.record(prefix, 3))]
        try behind.apply(later)
        #expect(try behind.storedPositions(positions, inGroup: "v:a") == positions)
        try behind.drain()
        #expect(try store.storedPositions(positions, inGroup: "v:a") == positions)
    }
}
