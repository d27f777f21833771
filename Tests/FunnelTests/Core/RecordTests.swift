import Testing
@testable import FunnelCore

/// `Record` keeps most fields in one copy-on-write storage and the fields most records lack
/// in a second object behind it (`Storage.rare`), made when one of them is first set: a copy
/// must still be a value for every field, whichever object holds it.
struct RecordTests {
    /// (Computed: key paths are not `Sendable`, so a stored static list of them could not be shared.)
    static var texts: [(name: String, path: WritableKeyPath<Record, String?>)] { [
        ("sessionID", \.sessionID), ("visitorID", \.visitorID), ("userID", \.userID), ("distinctID", \.distinctID),
        ("eventID", \.eventID), ("host", \.host), ("path", \.path), ("query", \.query), ("referrer", \.referrer),
        ("userAgent", \.userAgent), ("ip", \.ip), ("country", \.country), ("city", \.city), ("visitorKey", \.visitorKey),
        ("referrerHost", \.referrerHost), ("deviceType", \.deviceType), ("browser", \.browser),
        ("geoCountry", \.geoCountry), ("geoCity", \.geoCity), ("method", \.method),
    ] }

    /// Every field set, each to a text of its own.
    static func full() -> Record {
        var record = Record(origin: .client, event: "Purchase", timestamp: 1_709_251_200_000)
        record.position = "000000000000|events.ndjson|0000000001"
        for (name, path) in texts { record[keyPath: path] = "the \(name) of the original, long enough to be stored apart" }
        record.status = 200
        record.properties.currency = "EUR"
        return record
    }

    @Test func aChangedOrClearedFieldOfACopyLeavesTheOriginal() {
        let original = Self.full()
        for (name, path) in Self.texts {
            var changed = original
            changed[keyPath: path] = "changed"
            var cleared = original
            cleared[keyPath: path] = nil
            #expect(original[keyPath: path] == "the \(name) of the original, long enough to be stored apart", "\(name)")
            #expect(changed[keyPath: path] == "changed", "\(name)")
            #expect(cleared[keyPath: path] == nil, "\(name)")
            // The other fields of the copies are the original's.
            for (other, otherPath) in Self.texts where other != name {
                #expect(changed[keyPath: otherPath] == original[keyPath: otherPath], "\(name): \(other)")
                #expect(cleared[keyPath: otherPath] == original[keyPath: otherPath], "\(name): \(other)")
            }
            #expect(changed.status == 200 && cleared.properties.currency == "EUR", "\(name)")
        }
        var status = original
        status.status = nil
        var properties = original
        properties.properties.currency = "USD"
        #expect(original.status == 200 && status.status == nil && status.city == original.city)
        #expect(original.properties.currency == "EUR" && properties.properties.currency == "USD" && properties.ip == original.ip)
    }

    /// A record that never had a rare field reads nil for each, and clearing one keeps it so;
    /// the first set one is read back, the others still nil.
    @Test func aRecordWithoutRareFieldsReadsNilForEach() {
        var record = Record(origin: .accessLog, event: "PageView", timestamp: 1)
        record.path = "/"
        record.referrer = nil
        record.status = nil
        for (name, path) in Self.texts where name != "path" { #expect(record[keyPath: path] == nil, "\(name)") }
        #expect(record.status == nil && record.setProperties == nil)
        let before = record
        record.eventID = "e1"
        #expect(record.eventID == "e1" && before.eventID == nil && record.userID == nil && record.setProperties == nil)
        record.eventID = nil
        #expect(record.eventID == nil && record.path == "/")
    }
}
