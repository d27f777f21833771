/// A compact binary form of a normalized record, for the history store (SPEC 10).
///
/// Each present field is a tag byte, a length (LEB128) and its UTF-8 bytes; absent fields take
/// no space and unknown tags are skipped, so fields can be added without breaking stored data.
public enum RecordCoding {
    private enum Tag: UInt8 {
        case origin = 1, event, timestamp, position, sessionID, visitorID, userID, distinctID, eventID
        case host, path, query, visitorKey, referrerHost, deviceType, browser, country, city, geoCountry, geoCity
        case value = 40, currency, content, percent, watchTime, element, step, checkoutType, paymentMethod, analytics, marketing
    }

    @inline(__always)
    private static func put(_ tag: Tag, into out: inout [UInt8], _ text: String?) {
        guard var text else { return }
        text.withUTF8 { bytes in
            out.append(tag.rawValue)
            appendLength(bytes.count, to: &out)
            out.append(contentsOf: bytes)
        }
    }

    public static func encode(_ r: Record) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        put(.origin, into: &out, r.origin == .accessLog ? "a" : "c")
        put(.event, into: &out, r.event)
        // At most 20 digits: the length is one LEB128 byte, written once they are.
        out.append(Tag.timestamp.rawValue)
        out.append(0)
        let digits = out.count
        out.appendDecimal(r.timestamp)
        out[digits - 1] = UInt8(out.count - digits)
        put(.position, into: &out, r.position)
        put(.sessionID, into: &out, r.sessionID)
        put(.visitorID, into: &out, r.visitorID)
        put(.userID, into: &out, r.userID)
        put(.distinctID, into: &out, r.distinctID)
        put(.eventID, into: &out, r.eventID)
        put(.host, into: &out, r.host)
        put(.path, into: &out, r.path)
        put(.query, into: &out, r.query)
        put(.visitorKey, into: &out, r.visitorKey)
        put(.referrerHost, into: &out, r.referrerHost)
        put(.deviceType, into: &out, r.deviceType)
        put(.browser, into: &out, r.browser)
        put(.country, into: &out, r.country)
        put(.city, into: &out, r.city)
        put(.geoCountry, into: &out, r.geoCountry)
        put(.geoCity, into: &out, r.geoCity)
        let p = r.properties
        put(.value, into: &out, p.value?.description)
        put(.currency, into: &out, p.currency)
        put(.content, into: &out, p.content)
        put(.percent, into: &out, p.percent.map { String($0) })
        put(.watchTime, into: &out, p.watchTime?.description)
        put(.element, into: &out, p.element)
        put(.step, into: &out, p.step)
        put(.checkoutType, into: &out, p.checkoutType)
        put(.paymentMethod, into: &out, p.paymentMethod)
        put(.analytics, into: &out, p.analytics)
        put(.marketing, into: &out, p.marketing)
        return out
    }

    /// Several encoded records as one value: a zero byte, then each record as its length
    /// (LEB128) and its bytes. A store keeps a group's new records of one run in one row.
    public static func block(_ records: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [0]
        for record in records {
            appendLength(record.count, to: &out)
            out.append(contentsOf: record)
        }
        return out
    }

    /// The records of a value `encode` or `block` wrote; the ones that do not decode are left out.
    public static func decodeAll(_ bytes: [UInt8]) -> [Record] {
        guard bytes.first == 0 else { return decode(bytes).map { [$0] } ?? [] }
        return bytes.withUnsafeBufferPointer { bytes in
            var records: [Record] = []
            var index = 1
            while index < bytes.count {
                guard let length = readLength(bytes, &index), index + length <= bytes.count else { break }
                if let record = decode(UnsafeBufferPointer(rebasing: bytes[index..<(index + length)])) { records.append(record) }
                index += length
            }
            return records
        }
    }

    private static func appendLength(_ count: Int, to out: inout [UInt8]) {
        var length = count
        repeat {
            let byte = UInt8(length & 0x7F)
            length >>= 7
            out.append(length > 0 ? byte | 0x80 : byte)
        } while length > 0
    }

    private static func readLength(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Int? {
        var length = 0
        var shift = 0
        while true {
            guard index < bytes.count, shift < 35 else { return nil }
            let byte = bytes[index]
            index += 1
            length |= Int(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { return length }
        }
    }

    /// What `Int64(String)` reads: an optional minus and decimal digits, nil on anything else
    /// or on overflow.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative || bytes.first == UInt8(ascii: "+") { index = 1 }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = next
            index += 1
        }
        return value
    }

    /// Nil when the bytes are not a record this code wrote.
    public static func decode(_ bytes: [UInt8]) -> Record? {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    /// The run decodes every record it holds, and a returning visitor's stored ones again: the
    /// origin and the timestamp are read from their bytes, without a string.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Record? {
        var r = Record(origin: .client, event: "", timestamp: 0)
        var index = 0
        while index < bytes.count {
            let tag = bytes[index]
            index += 1
            guard let length = readLength(bytes, &index), index + length <= bytes.count else { return nil }
            let field = UnsafeBufferPointer(rebasing: bytes[index..<(index + length)])
            index += length
            guard let known = Tag(rawValue: tag) else { continue }
            switch known {
            case .origin:
                r.origin = field.count == 1 && field[0] == UInt8(ascii: "a") ? .accessLog : .client
                continue
            case .timestamp:
                guard let value = integer(field) else { return nil }
                r.timestamp = value
                continue
            default:
                break
            }
            let text = String(decoding: field, as: UTF8.self)
            switch known {
            case .origin, .timestamp: break
            case .event: r.event = text
            case .position: r.position = text
            case .sessionID: r.sessionID = text
            case .visitorID: r.visitorID = text
            case .userID: r.userID = text
            case .distinctID: r.distinctID = text
            case .eventID: r.eventID = text
            case .host: r.host = text
            case .path: r.path = text
            case .query: r.query = text
            case .visitorKey: r.visitorKey = text
            case .referrerHost: r.referrerHost = text
            case .deviceType: r.deviceType = text
            case .browser: r.browser = text
            case .country: r.country = text
            case .city: r.city = text
            case .geoCountry: r.geoCountry = text
            case .geoCity: r.geoCity = text
            case .value: r.properties.value = Amount(jsonNumber: Array(text.utf8))
            case .currency: r.properties.currency = text
            case .content: r.properties.content = text
            case .percent: r.properties.percent = Int64(text)
            case .watchTime: r.properties.watchTime = Amount(jsonNumber: Array(text.utf8))
            case .element: r.properties.element = text
            case .step: r.properties.step = text
            case .checkoutType: r.properties.checkoutType = text
            case .paymentMethod: r.properties.paymentMethod = text
            case .analytics: r.properties.analytics = text
            case .marketing: r.properties.marketing = text
            }
        }
        return r.event.isEmpty ? nil : r
    }
}
