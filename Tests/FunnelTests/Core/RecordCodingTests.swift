import Testing
@testable import FunnelCore

struct RecordCodingTests {
    private func record(_ n: Int) -> Record {
        var record = Record(origin: n % 2 == 0 ? .accessLog : .client, event: "PageView", timestamp: 1_709_251_200_000 + Int64(n))
        record.position = "0:0:-:web\(n).log:\(n)"
        record.sessionID = n % 3 == 0 ? nil : "s-\(n)"
        record.visitorKey = "v-\(n)"
        record.path = "/watch"
        record.query = "utm_source=fb&utm_campaign=\(n)"
        record.properties.value = Amount(micros: Int64(n) * 1_000_000)
        record.properties.currency = "EUR"
        return record
    }

    private func summary(_ r: Record) -> String {
        "\(r.origin) \(r.event) \(r.timestamp) \(r.position) \(r.sessionID ?? "-") \(r.visitorKey ?? "-") \(r.path ?? "-") \(r.query ?? "-") \(r.properties.value?.description ?? "-") \(r.properties.currency ?? "-")"
    }

    /// A block of records (one history row per group and run) decodes to the same records in
    /// the same order, and a row of one record as earlier versions wrote it still decodes.
    @Test func aBlockAndASingleRecordBothDecode() {
        let records = (1...5).map(record)
        let block = RecordCoding.block(records.map(RecordCoding.encode))
        #expect(RecordCoding.decodeAll(block).map(summary) == records.map(summary))
        #expect(RecordCoding.decodeAll(RecordCoding.encode(records[0])).map(summary) == [summary(records[0])])
    }

    /// A cut block keeps the records before the cut and drops the rest, never traps.
    @Test func aTruncatedBlockKeepsTheWholeRecordsBeforeTheCut() {
        let records = (1...3).map(record)
        let block = RecordCoding.block(records.map(RecordCoding.encode))
        let firstTwo = RecordCoding.block(records.prefix(2).map(RecordCoding.encode)).count
        #expect(RecordCoding.decodeAll(Array(block.prefix(firstTwo + 5))).map(summary) == records.prefix(2).map(summary))
    }

    /// Records are copy-on-write: changing a copy leaves the original as it was.
    @Test func aChangedCopyLeavesTheOriginal() {
        let original = record(7)
        var copy = original
        copy.path = "/donate"
        copy.properties.currency = "USD"
        #expect(original.path == "/watch" && original.properties.currency == "EUR")
        #expect(copy.path == "/donate" && copy.properties.currency == "USD")
    }
}
