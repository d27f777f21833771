/// A compact binary form of a normalized record, for the history store (SPEC 10).
///
/// Each present field is a tag byte, a length (LEB128) and its UTF-8 bytes; absent fields take
/// no space and unknown tags are skipped, so fields can be added without breaking stored data.
public enum RecordCoding {
    fileprivate enum Tag: UInt8 {
        case origin = 1, event, timestamp, position, sessionID, visitorID, userID, distinctID, eventID
        case host, path, query, visitorKey, referrerHost, deviceType, browser, country, city, geoCountry, geoCity
        case value = 40, currency, content, percent, watchTime, element, step, checkoutType, paymentMethod, analytics, marketing
    }

    public static func encode(_ r: Record) -> [UInt8] {
        // Nearly every record fits in 1 KiB; a longer one (a long query string, say) is
        // written again with more room. Appending to an array checked uniqueness and capacity
        // for every byte written and cost some 4,200 instructions per record, on the reader's
        // thread, which encodes every record it keeps.
        ByteWriter.bytes(capacity: 1024) { write(r, into: &$0) }
    }

    @inline(__always)
    private static func write(_ r: Record, into w: inout ByteWriter) {
        w.put(.origin, r.origin == .accessLog ? "a" : "c")
        w.put(.event, r.event)
        w.put(.timestamp, decimal: r.timestamp)
        w.put(.position, r.position)
        w.put(.sessionID, r.sessionID)
        w.put(.visitorID, r.visitorID)
        w.put(.userID, r.userID)
        w.put(.distinctID, r.distinctID)
        w.put(.eventID, r.eventID)
        w.put(.host, r.host)
        w.put(.path, r.path)
        w.put(.query, r.query)
        w.put(.visitorKey, r.visitorKey)
        w.put(.referrerHost, r.referrerHost)
        w.put(.deviceType, r.deviceType)
        w.put(.browser, r.browser)
        w.put(.country, r.country)
        w.put(.city, r.city)
        w.put(.geoCountry, r.geoCountry)
        w.put(.geoCity, r.geoCity)
        guard let p = r.setProperties else { return }
        write(p, into: &w)
    }

    /// A record's properties, after its other fields.
    @inline(__always)
    private static func write(_ p: EventProperties, into w: inout ByteWriter) {
        w.put(.value, p.value?.description)
        w.put(.currency, p.currency)
        w.put(.content, p.content)
        if let percent = p.percent { w.put(.percent, decimal: percent) }
        w.put(.watchTime, p.watchTime?.description)
        w.put(.element, p.element)
        w.put(.step, p.step)
        w.put(.checkoutType, p.checkoutType)
        w.put(.paymentMethod, p.paymentMethod)
        w.put(.analytics, p.analytics)
        w.put(.marketing, p.marketing)
    }

    /// A value of a `PageView`: bytes of the line it was read from, or a string made for it.
    public enum Text {
        case bytes(UnsafeBufferPointer<UInt8>)
        case array([UInt8])
        case string(String)
    }

    /// An access-log page view's fields as `Transformer.normalize` leaves them, for a reader
    /// that never makes its `Record` (see `encode(pageView:)`), or a client event's (`origin`
    /// `.client`: a page view, or another event with its id and properties). Bytes are valid
    /// only during that call.
    public struct PageView {
        public var origin: Record.Origin = .accessLog
        public var timestamp: Int64
        /// `RecordPosition.prefix` of the file, and the line: the record's `position`.
        public var positionPrefix: UnsafeBufferPointer<UInt8>
        public var line: Int
        public var sessionID: Text?
        public var visitorID: Text?
        public var host: Text?
        /// Not written for a client event without a page or URL (`ClientEventDetails.located`).
        public var path: Text
        public var query: Text?
        public var visitorKey: Text?
        public var referrerHost: Text?
        public var deviceType: Text?
        public var browser: Text?
        public var country: Text?
        public var geoCountry: Text?
        public var geoCity: Text?
        /// A client event's name (nil: `PageView`), event id and properties.
        public var client: ClientEventDetails?

        // Inlinable so that its caller sees every optional field start as nil: called, the
        // initializer left `Transformer.encode` to destroy the old value before each field it
        // set, nine a line, through a merged outlined destroy that went through `Optional`'s
        // generic value witness (about 63 instructions each, 48.6 million of the bench's S
        // run; inlined, the run took 2.1% fewer instructions).
        @inlinable
        public init(timestamp: Int64, positionPrefix: UnsafeBufferPointer<UInt8>, line: Int, path: Text) {
            self.timestamp = timestamp
            self.positionPrefix = positionPrefix
            self.line = line
            self.path = path
        }
    }

    /// The bytes `encode(_:)` gives the access-log or client record (no user id, distinct id
    /// or city) whose fields `pageView` holds: the same fields in the same order, for a reader that
    /// keeps a line's fields as bytes up to here. Making the record's strings, then encoding
    /// and freeing them, was most of the reader's work per kept line.
    public static func encode(pageView p: inout PageView) -> [UInt8] {
        // `inout` although nothing is changed: a closure captures an `inout` parameter by its
        // address, but copies a borrowed one, and copying and destroying the view's fourteen
        // texts was a fifth of this function (28 of 141 million instructions on the bench's S).
        ByteWriter.bytes(capacity: 1024) { write(pageView: &p, into: &$0) }
    }

    /// Writes what `encode(pageView:)` returns.
    @inline(__always)
    private static func write(pageView p: inout PageView, into w: inout ByteWriter) {
        w.put(.origin, p.origin == .accessLog ? "a" : "c")
        let event: StaticString = p.client?.event ?? "PageView"
        w.put(.event, UnsafeBufferPointer(start: event.utf8Start, count: event.utf8CodeUnitCount))
        w.put(.timestamp, decimal: p.timestamp)
        RecordPosition.withLine(p.line) { zeros, digits in
            let length = p.positionPrefix.count + zeros + digits.count
            guard w.fits(1 + 10 + length) else { return }
            w.putTagAndLength(.position, length)
            w.writeUnchecked(p.positionPrefix)
            for _ in 0..<zeros { w.write(UInt8(ascii: "0")) }
            w.writeUnchecked(digits)
        }
        w.put(.sessionID, p.sessionID)
        w.put(.visitorID, p.visitorID)
        if let id = p.client?.eventID { w.put(.eventID, id) }
        w.put(.host, p.host)
        if p.client?.located ?? true { w.put(.path, p.path) }
        w.put(.query, p.query)
        w.put(.visitorKey, p.visitorKey)
        w.put(.referrerHost, p.referrerHost)
        w.put(.deviceType, p.deviceType)
        w.put(.browser, p.browser)
        w.put(.country, p.country)
        w.put(.geoCountry, p.geoCountry)
        w.put(.geoCity, p.geoCity)
        if let properties = p.client?.properties { write(properties, into: &w) }
    }

    /// Several encoded records as one value: a zero byte, then each record as its length
    /// (LEB128) and its bytes. A store keeps a group's new records of one run in one row.
    /// A value in `records` that is a block already gives its records as they are (a block's
    /// records after its zero byte are in the form a block holds them).
    public static func block(_ records: [[UInt8]]) -> [UInt8] {
        // Room reserved for the zero byte and, per record, the longest length and the record,
        // then appended to: `[UInt8](unsafeUninitializedCapacity:)` allocates through an
        // unspecialized path (see `Array(filled:count:)`), and this runs once per group a flush
        // stores.
        var block: [UInt8] = []
        block.reserveCapacity(records.reduce(1) { $0 + 10 + $1.count })
        block.append(0)
        for record in records {
            if record.first == 0 {
                block.append(contentsOf: record[1...])
                continue
            }
            forEachLengthByte(record.count) { block.append($0) }
            block.append(contentsOf: record)
        }
        return block
    }

    /// What a store keeps of one group's new records: the one record's encoding alone, or
    /// the `block` of several. (`HistoryChange.recordBlocks` applies the same rule to runs of
    /// a change's entries without gathering a run of one into an array.)
    public static func storedValue(of encodings: [[UInt8]]) -> [UInt8] {
        encodings.count == 1 ? encodings[0] : block(encodings)
    }

    /// `length` as LEB128 (`LEB128.forEachByte`), the form `readLength` reads. Given one byte
    /// at a time, so that a record's fields (written at a pointer) and a block's records
    /// (appended to an array) share it.
    @inline(__always)
    fileprivate static func forEachLengthByte(_ length: Int, _ body: (UInt8) -> Void) {
        LEB128.forEachByte(UInt64(length), body)
    }

    /// The records of a value `encode` or `block` wrote; the ones that do not decode are left out.
    public static func decodeAll(_ bytes: [UInt8]) -> [Record] {
        var records: [Record] = []
        forEachEncoding(in: bytes) { if let record = decode($0) { records.append(record) } }
        return records
    }

    /// Calls `body` with the bytes of each record a value `encode` or `block` wrote, in order
    /// (a block cut short ends at the last whole record).
    public static func forEachEncoding(in value: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        value.withUnsafeBufferPointer { forEachEncoding(in: $0, body) }
    }

    /// `forEachEncoding` of a value's bytes where they are (a blob a store reads in place).
    public static func forEachEncoding(in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard bytes.first == 0 else { return body(bytes) }
        var index = 1
        while index < bytes.count {
            guard let length = readLength(bytes, &index), index + length <= bytes.count else { break }
            body(UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
            index += length
        }
    }

    /// A length `forEachLengthByte` wrote, of at most five bytes.
    private static func readLength(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Int? {
        LEB128.read(bytes, &index, shiftLimit: 35).map { Int($0) }
    }

    /// What `Int64(String)` reads: an optional minus and decimal digits, nil on anything else
    /// or on overflow.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        // Eighteen digits or fewer cannot overflow: no check per digit (a millisecond
        // timestamp has thirteen).
        if bytes.count <= 18, bytes.count > 0, bytes[0] != UInt8(ascii: "-"), bytes[0] != UInt8(ascii: "+") {
            var value: Int64 = 0
            for byte in bytes {
                let digit = byte &- 0x30
                guard digit < 10 else { return nil }
                value = value &* 10 &+ Int64(digit)
            }
            return value
        }
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

    /// The bytes of the record's `position` in an encoding `encode` wrote (nil when it has
    /// none or is damaged): what a check of which lines a store already holds needs of each
    /// stored record, read without making the record or any of its strings.
    public static func position(in encoding: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        var index = 0
        while index < encoding.count {
            let tag = encoding[index]
            index += 1
            guard let length = readLength(encoding, &index), index + length <= encoding.count else { return nil }
            if tag == Tag.position.rawValue { return UnsafeBufferPointer(rebasing: encoding[index..<(index + length)]) }
            index += length
        }
        return nil
    }

    /// Nil when the bytes are not a record this code wrote.
    public static func decode(_ bytes: [UInt8]) -> Record? {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    /// The run decodes every record it holds, and a returning visitor's stored ones again: the
    /// origin and the timestamp are read from their bytes, without a string.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Record? {
        var r = Record(origin: .client, event: "", timestamp: 0)
        let tags = Self.tags
        var index = 0
        while index < bytes.count {
            let tag = bytes[index]
            index += 1
            guard let length = readLength(bytes, &index), index + length <= bytes.count else { return nil }
            let field = UnsafeBufferPointer(rebasing: bytes[index..<(index + length)])
            index += length
            guard let known = tags[Int(tag)] else { continue }
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
            let text: String
            switch known {
            case .event, .deviceType, .browser, .country, .geoCountry, .currency, .analytics, .marketing:
                // Texts repeated on nearly every record: shared, not made again.
                text = KnownText.lookup(field) ?? String(decoding: field, as: UTF8.self)
            default:
                text = String(decoding: field, as: UTF8.self)
            }
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

    /// `Tag(rawValue:)` of every byte, looked up once a field: the initializer was a call
    /// per field (859,167 of the bench's S run, 9.5 million instructions).
    private static let tags: [Tag?] = (0...255).map { Tag(rawValue: UInt8($0)) }
}

/// A record's fields as `RecordCoding` lays them out.
private extension ByteWriter {
    @inline(__always)
    mutating func put(_ tag: RecordCoding.Tag, _ text: String?) {
        guard var text else { return }
        text.withUTF8 { put(tag, $0) }
    }

    @inline(__always)
    mutating func put(_ tag: RecordCoding.Tag, _ text: RecordCoding.Text?) {
        switch text {
        case .bytes(let bytes): put(tag, bytes)
        case .array(let array): array.withUnsafeBufferPointer { put(tag, $0) }
        case .string(let string): put(tag, string)
        case nil: return
        }
    }

    /// A tag, the bytes' length and the bytes, after one check that they fit (it was three):
    /// a page view's encoding on the bench's S went from 104 to 92 million instructions.
    @inline(__always)
    mutating func put(_ tag: RecordCoding.Tag, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard fits(1 + 10 + bytes.count) else { return }
        putTagAndLength(tag, bytes.count)
        writeUnchecked(bytes)
    }

    /// A field's tag and its length (`RecordCoding.forEachLengthByte`), after the caller's
    /// check that they fit with the field's bytes: a length under 128 (nearly every field's)
    /// is its one byte, written without the general loop.
    @inline(__always)
    mutating func putTagAndLength(_ tag: RecordCoding.Tag, _ length: Int) {
        base[count] = tag.rawValue
        if length < 0x80 {
            base[count + 1] = UInt8(truncatingIfNeeded: length)
            count += 2
            return
        }
        count += 1
        RecordCoding.forEachLengthByte(length) { byte in
            base[count] = byte
            count += 1
        }
    }

    /// An integer's decimal text as a field.
    @inline(__always)
    mutating func put(_ tag: RecordCoding.Tag, decimal value: Int64) {
        DecimalText.withBytes(of: value) { put(tag, $0) }
    }
}
