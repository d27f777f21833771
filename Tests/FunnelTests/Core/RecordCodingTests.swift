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

    /// Every field of a record as text (nil as "nil"), for comparing records.
    private func fields(_ r: Record) -> [String] {
        let p = r.properties
        return ["\(r.origin)", r.event, "\(r.timestamp)", r.position] +
            [r.sessionID, r.visitorID, r.userID, r.distinctID, r.eventID, r.host, r.path, r.query, r.visitorKey, r.referrerHost,
             r.deviceType, r.browser, r.country, r.city, r.geoCountry, r.geoCity, p.value?.description, p.currency, p.content,
             p.percent.map { "\($0)" }, p.watchTime?.description, p.element, p.step, p.checkoutType, p.paymentMethod, p.analytics,
             p.marketing].map { $0 ?? "nil" }
    }

    /// A block of records (one history row per group and run) decodes to the same records in
    /// the same order, and a row of one record as earlier versions wrote it still decodes.
    @Test func aBlockAndASingleRecordBothDecode() {
        let records = (1...5).map(record)
        let block = RecordCoding.block(records.map(RecordCoding.encode))
        #expect(RecordCoding.decodeAll(block).map(fields) == records.map(fields))
        #expect(RecordCoding.decodeAll(RecordCoding.encode(records[0])).map(fields) == [fields(records[0])])
    }

    /// A block's bytes: a zero byte, then each record's length (LEB128, built here by hand)
    /// and the record, for lengths of one and two bytes.
    @Test func aBlockIsTheStoredFormat() {
        let short: [UInt8] = [1, 1, 0x63]
        let long = [UInt8](repeating: 0x70, count: 300)
        #expect(RecordCoding.block([short, long]) == [0, 3] + short + [0xAC, 0x02] + long)
        #expect(RecordCoding.block([]) == [0])
    }

    /// A flush stores a group's records as one block made on the worker that decoded them,
    /// and a history may merge that block with single records of the same group: a block
    /// among the values gives its records, in place, not a block inside a block.
    @Test func aBlockAmongTheValuesIsMergedRecordByRecord() {
        let records = (1...6).map(record)
        let encodings = records.map(RecordCoding.encode)
        let merged = RecordCoding.block([encodings[0], RecordCoding.block(Array(encodings[1...3])), encodings[4], RecordCoding.block([encodings[5]])])
        #expect(merged == RecordCoding.block(encodings))
        #expect(RecordCoding.decodeAll(merged).map(fields) == records.map(fields))
    }

    /// `forEachEncoding` gives each record's own bytes, from a block or a single record.
    @Test func eachEncodingOfAValueIsItsRecordsBytes() {
        let encodings = (1...4).map(record).map(RecordCoding.encode)
        var seen: [[UInt8]] = []
        RecordCoding.forEachEncoding(in: RecordCoding.block(encodings)) { seen.append(Array($0)) }
        #expect(seen == encodings)
        seen = []
        RecordCoding.forEachEncoding(in: encodings[2]) { seen.append(Array($0)) }
        #expect(seen == [encodings[2]])
    }

    /// A cut block keeps the records before the cut and drops the rest, never traps.
    @Test func aTruncatedBlockKeepsTheWholeRecordsBeforeTheCut() {
        let records = (1...3).map(record)
        let block = RecordCoding.block(records.map(RecordCoding.encode))
        let firstTwo = RecordCoding.block(records.prefix(2).map(RecordCoding.encode)).count
        #expect(RecordCoding.decodeAll(Array(block.prefix(firstTwo + 5))).map(fields) == records.prefix(2).map(fields))
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

    /// Every field, with long, short and non-ASCII values.
    private func full() -> Record {
        var r = Record(origin: .accessLog, event: "Purchase", timestamp: 1_709_251_200_123)
        r.position = "000000000000|access-web1-2024-03-01.log.gz|0000001046"
        r.sessionID = "0b9e2f4c-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
        r.visitorID = "v-1"
        r.userID = "user-ünïcode-0001"
        r.distinctID = "ph-distinct-0001-0002"
        r.eventID = "evt-0001"
        r.host = "film.example"
        r.path = "/donate"
        r.query = "utm_source=fb&fbclid=IwAR0abc"
        r.visitorKey = "fp000221c02adbcf8c"
        r.referrerHost = "l.facebook.com"
        r.deviceType = "mobile"
        r.browser = "Safari"
        r.country = "DE"
        r.city = "Köln"
        r.geoCountry = "FR"
        r.geoCity = "Lyon"
        r.properties.value = Amount(micros: 12_500_000)
        r.properties.currency = "EUR"
        r.properties.content = "trailer"
        r.properties.percent = 75
        r.properties.watchTime = Amount(micros: -250_000)
        r.properties.element = "play"
        r.properties.step = "2"
        r.properties.checkoutType = "one-off"
        r.properties.paymentMethod = "card"
        r.properties.analytics = "granted"
        r.properties.marketing = "denied"
        return r
    }

    /// Each field comes back as it went in.
    @Test func everyFieldSurvivesARoundTrip() throws {
        let record = full()
        let decoded = try #require(RecordCoding.decode(RecordCoding.encode(record)))
        #expect(fields(decoded) == fields(record))
        #expect(!fields(record).contains("nil"))
    }

    /// A field of a tag this version does not know (a later version's, or one never used) is
    /// passed over wherever it is, and every known field still lands where it belongs: the
    /// decoder looks each tag up in a table of all 256 bytes.
    @Test func fieldsOfUnknownTagsArePassedOver() throws {
        let record = full()
        let encoded = RecordCoding.encode(record)
        for unknown: UInt8 in [21, 30, 39, 51, 99, 200, 255] {
            var bytes: [UInt8] = []
            var index = 0
            // The unknown field before every known one, with a length of one and of two bytes.
            while index < encoded.count {
                bytes += [unknown, 2, 0x41, 0x42, unknown, 0x81, 0x01] + [UInt8](repeating: 0x43, count: 129)
                let length = Int(encoded[index + 1])
                bytes += encoded[index..<(index + 2 + length)]
                index += 2 + length
            }
            let decoded = try #require(RecordCoding.decode(bytes), "\(unknown)")
            #expect(fields(decoded) == fields(record), "\(unknown)")
        }
    }

    /// The bytes are the stored format histories already hold: tag, LEB128 length, UTF-8 text,
    /// numbers as decimal text. Built here by hand, not by the code under test.
    @Test func theEncodingIsTheStoredFormat() {
        var r = Record(origin: .client, event: "PageView", timestamp: -42)
        r.position = String(repeating: "p", count: 130)
        r.properties.percent = 100
        r.properties.value = Amount(micros: 12_500_000)
        func field(_ tag: UInt8, _ text: String) -> [UInt8] {
            let bytes = Array(text.utf8)
            let length: [UInt8] = bytes.count < 128 ? [UInt8(bytes.count)] : [UInt8(bytes.count & 0x7F) | 0x80, UInt8(bytes.count >> 7)]
            return [tag] + length + bytes
        }
        let expected = field(1, "c") + field(2, "PageView") + field(3, "-42") + field(4, String(repeating: "p", count: 130))
            + field(40, "12.5") + field(43, "100")
        #expect(RecordCoding.encode(r) == expected)
    }

    /// A record is written into 1 KiB on the stack first, then into heap buffers four times
    /// larger until it fits: long fields around each size come back whole, with lengths of
    /// one to three LEB128 bytes.
    @Test(arguments: [1_000, 1_100, 4_090, 5_000, 17_000, 70_000])
    func aLongRecordIsEncodedWhole(queryLength: Int) throws {
        var r = full()
        r.query = String(repeating: "q", count: queryLength)
        let encoded = RecordCoding.encode(r)
        let decoded = try #require(RecordCoding.decode(encoded))
        #expect(fields(decoded) == fields(r))
        var short = r
        short.query = nil
        let lengthBytes = queryLength < 1 << 14 ? 2 : 3
        #expect(encoded.count == RecordCoding.encode(short).count + 1 + lengthBytes + queryLength)
    }

    /// Timestamps at the ends of the range come back; text that is not a number makes the
    /// record undecodable instead of a wrong time.
    @Test func timestampsAreNumbersOrTheRecordIsRefused() {
        for time in [Int64.min, -1, 0, 7, Int64.max] {
            let record = Record(origin: .client, event: "E", timestamp: time)
            #expect(RecordCoding.decode(RecordCoding.encode(record))?.timestamp == time)
        }
        for text in ["", "-", "12a", "+", "99999999999999999999"] {
            let bytes: [UInt8] = [2, 1, UInt8(ascii: "E"), 3, UInt8(text.utf8.count)] + Array(text.utf8)
            #expect(RecordCoding.decode(bytes) == nil, "timestamp \(text)")
        }
        #expect(RecordCoding.decode([2, 1, UInt8(ascii: "E"), 3, 2, UInt8(ascii: "+"), UInt8(ascii: "5")])?.timestamp == 5)
    }

    /// Timestamps are read from their bytes as `Int64(String)` reads them.
    @Test(arguments: ["0", "-0", "+5", "", "-", "+", "1704067200000", "-1704067200000", "9223372036854775807",
                      "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "12a", " 1", "1 ", "٣",
                      "999999999999999999", "1000000000000000000", "000000000000000042", "99999999999999999a", "/", ":"])
    func readsIntegersAsInt64Does(text: String) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBufferPointer { RecordCoding.integer($0) } == Int64(text))
    }
}
