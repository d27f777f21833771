import FunnelCore
import Testing

/// Positions are stored in the history: the per-file prefix plus the padded line must give
/// exactly the text earlier versions stored, or lines read again would be stored twice.
@Suite struct RecordPositionTests {
    @Test func prefixAndLineGiveTheStoredForm() {
        #expect(RecordPosition.make(source: 1, pattern: 2, day: 19_783, path: "/var/log/nginx/access-2024-03-01.log.gz", line: 42)
            == "001002019783|access-2024-03-01.log.gz|0000000042")
        #expect(RecordPosition.make(source: 999, pattern: 0, day: nil, path: "events.ndjson", line: 0) == "999000000000|events.ndjson|0000000000")
        let prefix = RecordPosition.prefix(source: 0, pattern: 1, day: 3, path: "a/b.log")
        #expect(prefix == "000001000003|b.log|")
        #expect(RecordPosition.make(prefix: prefix, line: 1_234_567_890) == prefix + "1234567890")
        // Longer than ten digits is written whole, so order by length then digits still holds.
        #expect(RecordPosition.make(prefix: prefix, line: 98_765_432_101) == prefix + "98765432101")
        #expect(RecordPosition.make(prefix: prefix, line: 999_999_999_999_999_999) == prefix + "999999999999999999")
        #expect(RecordPosition.make(prefix: prefix, line: 1_000_000_000_000_000_000) == prefix + "1000000000000000000")
        #expect(RecordPosition.make(prefix: prefix, line: .max) == prefix + String(Int.max))
        #expect(RecordPosition.make(prefix: prefix, line: -5) == prefix + "0000000000")
        #expect(RecordPosition.make(prefix: "", line: 7) == "0000000007")
    }

    /// Read order: a file's name before any longer name it begins (as the files are listed:
    /// `ev.ndjson`, then `ev.ndjson.1`), then lines in order; source, pattern and day first.
    @Test func positionsPrecedeInReadOrder() {
        let ordered = [
            RecordPosition.make(source: 0, pattern: 0, day: 1, path: "ev.ndjson", line: 2),
            RecordPosition.make(source: 0, pattern: 0, day: 1, path: "ev.ndjson", line: 10),
            RecordPosition.make(source: 0, pattern: 0, day: 1, path: "ev.ndjson.1", line: 1),
            RecordPosition.make(source: 0, pattern: 0, day: 1, path: "ev.ndjson.10", line: 1),
            RecordPosition.make(source: 0, pattern: 0, day: 1, path: "ev.ndjson.2", line: 1),
            RecordPosition.make(source: 0, pattern: 0, day: 2, path: "a.ndjson", line: 1),
            RecordPosition.make(source: 0, pattern: 1, day: 0, path: "a.ndjson", line: 1),
        ]
        for (i, a) in ordered.enumerated() {
            for (j, b) in ordered.enumerated() {
                #expect(RecordPosition.precedes(a, b) == (i < j), "\(a) before \(b)")
            }
        }
        // Plain string order had them the other way round.
        #expect(ordered[2] < ordered[1])
    }
}
