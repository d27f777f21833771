import FunnelCore

extension NDJSONParser {
    /// A client event of the plainest shape as bytes of its line, for a reader that hands it
    /// to the transformer without a `Record` (`Transformer.encode`, as an access-log line's): a
    /// line of the canonical dialect without field mappings that is one JSON object of an
    /// `event` named as one of funnel's events (but `Consent`, whose answers have rules of
    /// their own) and not renamed by the source's `event_names`, a numeric `timestamp` in
    /// digits, strings without escapes for `session_id`, `anonymous_id`, `event_id`, `page`,
    /// `url`, `referrer` and `user_agent` (printable ASCII; a page, a URL or an agent without
    /// spaces around it, an agent not `-`), and a `properties` object of
    /// funnel's properties but the consent answers (texts of printable ASCII, numbers as JSON
    /// writes them), each at most once, and nothing else. Nil for any other line, which `parse`
    /// reads as before: this path gives exactly what `parse` and the reader's record path
    /// would, and only where that is plain to see (a property at the top level, an escape, a
    /// number as an id or a text as a number, `null`, spaces around a page or a control byte
    /// in it take the record path).
    ///
    /// Most events of a site's dump have this shape (all 692,254 well-formed events of the
    /// bench's L); decoding one into a record took 9,000 instructions and more.
    public func clientEvent(_ line: UnsafeRawBufferPointer) -> PageViewFields? {
        guard dialect == .canonical, mapping == nil else { return nil }
        var scan = ClientEventScan(line.bindMemory(to: UInt8.self), taking: takenEvents)
        return scan.event()
    }

    /// The events `clientEvent` may take, by their place in `ClientEventScan.names`: those
    /// the source's `event_names` does not rename.
    static func eventsTaken(renaming eventNames: [String: String]) -> UInt16 {
        var taken: UInt16 = 0
        for (index, name) in ClientEventScan.names.enumerated() where eventNames[name.description] == nil { taken |= 1 << index }
        return taken
    }
}

/// `NDJSONParser.clientEvent`'s scan of one line: JSON's own spaces between tokens and keys
/// compared on raw bytes, by `JSONScanner`'s own rules (the record path's), which it calls.
struct ClientEventScan {
    /// funnel's events the scan takes (`PipelineLoader.funnelEventNames` but `Consent`).
    static let names: [StaticString] = ["PageView", "ViewContent", "VideoStart", "VideoProgress", "VideoComplete",
                                        "ButtonClick", "InitiateCheckout", "FormSubmit", "Purchase"]

    private enum Key: UInt16 {
        case event = 1, timestamp = 2, sessionID = 4, visitorID = 8, eventID = 16, page = 32, url = 64, properties = 128
        case referrer = 256, userAgent = 512
    }

    private enum Property: UInt16 {
        case value = 1, currency = 2, content = 4, percent = 8, watchTime = 16, element = 32, step = 64, checkoutType = 128
        case paymentMethod = 256
    }

    private let json: JSONScanner
    private let taking: UInt16
    private var i = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, taking: UInt16) {
        json = JSONScanner(bytes)
        self.taking = taking
    }

    private var b: UnsafeBufferPointer<UInt8> { json.b }

    private func equals(_ range: Range<Int>, _ name: StaticString) -> Bool {
        json.keyEquals(range, name)
    }

    /// The key the text in `range` can be only, by its length and at most one byte, checked
    /// whole: told by a switch, not a search of a list (the search took 4,300 instructions an
    /// event on the bench's S).
    private func keyNamed(_ range: Range<Int>) -> Key? {
        let (name, key): (StaticString, Key)
        switch range.count {
        case 3: (name, key) = ("url", .url)
        case 4: (name, key) = ("page", .page)
        case 5: (name, key) = ("event", .event)
        case 8: (name, key) = b[range.lowerBound] == UInt8(ascii: "e") ? ("event_id", .eventID) : ("referrer", .referrer)
        case 9: (name, key) = ("timestamp", .timestamp)
        case 10:
            switch b[range.lowerBound] {
            case UInt8(ascii: "s"): (name, key) = ("session_id", .sessionID)
            case UInt8(ascii: "u"): (name, key) = ("user_agent", .userAgent)
            default: (name, key) = ("properties", .properties)
            }
        case 12: (name, key) = ("anonymous_id", .visitorID)
        default: return nil
        }
        return equals(range, name) ? key : nil
    }

    private func propertyNamed(_ range: Range<Int>) -> Property? {
        let (name, property): (StaticString, Property)
        switch range.count {
        case 4: (name, property) = ("step", .step)
        case 5: (name, property) = ("value", .value)
        case 7:
            switch b[range.lowerBound] {
            case UInt8(ascii: "c"): (name, property) = ("content", .content)
            case UInt8(ascii: "p"): (name, property) = ("percent", .percent)
            default: (name, property) = ("element", .element)
            }
        case 8: (name, property) = ("currency", .currency)
        case 10: (name, property) = ("watch_time", .watchTime)
        case 13: (name, property) = ("checkout_type", .checkoutType)
        case 14: (name, property) = ("payment_method", .paymentMethod)
        default: return nil
        }
        return equals(range, name) ? property : nil
    }

    /// The event's place in `names`, when it is one of them.
    private func eventName(_ range: Range<Int>) -> Int? {
        let index: Int
        switch range.count {
        case 8: index = b[range.lowerBound + 1] == UInt8(ascii: "a") ? 0 : 8
        case 10: index = b[range.lowerBound] == UInt8(ascii: "V") ? 2 : 7
        case 11: index = b[range.lowerBound] == UInt8(ascii: "V") ? 1 : 5
        case 13: index = b[range.lowerBound + 5] == UInt8(ascii: "P") ? 3 : 4
        case 16: index = 6
        default: return nil
        }
        return equals(range, Self.names[index]) ? index : nil
    }

    private mutating func skipSpace() {
        json.skipSpace(&i, b.count)
    }

    /// Whether the next token is `byte` (spaces before it skipped), taking it.
    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard i < b.count, b[i] == byte else { return false }
        i += 1
        return true
    }

    /// A non-empty string without escapes or control bytes (which JSON refuses raw), from
    /// its quote: an empty one is an absent value, and an escape needs decoding.
    private mutating func plainString() -> Range<Int>? {
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        let start = i + 1
        var j = start
        while j < b.count {
            let byte = b[j]
            if byte == UInt8(ascii: "\"") {
                i = j + 1
                return j > start ? start..<j : nil
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            j += 1
        }
        return nil
    }

    /// A string of printable ASCII (DEL and bytes beyond ASCII take the record path, which
    /// percent-encodes or repairs them).
    private mutating func printableString() -> Range<Int>? {
        guard let range = plainString(), !b[range].contains(where: { $0 > 0x7E }) else { return nil }
        return range
    }

    /// A JSON number's bytes as JSON writes one (`-`, `0` or digits not starting with `0`, a
    /// fraction, an exponent).
    private mutating func number() -> UnsafeBufferPointer<UInt8>? {
        skipSpace()
        let start = i
        func digits() -> Bool {
            let first = i
            while i < b.count, b[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            return i > first
        }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        let integer = i
        guard digits(), b[integer] != UInt8(ascii: "0") || i == integer + 1 else { return nil }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() else { return nil }
        }
        if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() else { return nil }
        }
        return UnsafeBufferPointer(rebasing: b[start..<i])
    }

    /// After a member: `,` (true, another follows) or the closing `}` (false); nil otherwise.
    private mutating func next() -> Bool? {
        if take(UInt8(ascii: ",")) { return true }
        return take(UInt8(ascii: "}")) ? false : nil
    }

    mutating func event() -> PageViewFields? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var seen: UInt16 = 0
        var eventIndex: Int?
        var timestamp: Int64?
        var sessionID: Range<Int>?
        var visitorID: Range<Int>?
        var eventID: Range<Int>?
        var page: Range<Int>?
        var url: Range<Int>?
        var referrer: Range<Int>?
        var userAgent: Range<Int>?
        var properties: EventProperties?
        repeat {
            guard let keyRange = plainString(), let key = keyNamed(keyRange),
                  seen & key.rawValue == 0, take(UInt8(ascii: ":")) else { return nil }
            seen |= key.rawValue
            switch key {
            case .event:
                guard let value = plainString(), let index = eventName(value), taking & (1 << index) != 0 else { return nil }
                eventIndex = index
            case .timestamp:
                // Digits alone (a sign, a fraction or an exponent take the record path).
                guard let digits = number(), digits.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }),
                      let time = TimeParser.parseEpochNumber(digits) else { return nil }
                timestamp = time
            case .sessionID, .visitorID, .eventID:
                // Printable ASCII: the reader checks session and visitor ids as it checks its
                // records' (`IdentityRule`); an event id beyond ASCII takes the record path.
                guard let value = printableString() else { return nil }
                if key == .sessionID { sessionID = value } else if key == .visitorID { visitorID = value } else { eventID = value }
            case .page, .url, .userAgent:
                // Without spaces around it: the record path trims those (and takes an agent of
                // `-` for none).
                guard let value = printableString(), b[value.lowerBound] != 0x20, b[value.upperBound - 1] != 0x20,
                      key != .userAgent || !(value.count == 1 && b[value.lowerBound] == UInt8(ascii: "-")) else { return nil }
                switch key {
                case .page: page = value
                case .url: url = value
                default: userAgent = value
                }
            case .referrer:
                // As written (the record path keeps the referrer untrimmed, for its host).
                guard let value = printableString() else { return nil }
                referrer = value
            case .properties:
                guard let read = self.properties() else { return nil }
                properties = read
            }
            guard let more = next() else { return nil }
            if !more { break }
        } while true
        skipSpace()
        guard i == b.count, let eventIndex, let timestamp else { return nil }
        let location = url ?? page
        let target = location.map { UnsafeBufferPointer(rebasing: b[$0]) } ?? UnsafeBufferPointer(rebasing: b[0..<0])
        var fields = PageViewFields(timestamp: timestamp, target: target, targetParts: URLParts.Ranges(target))
        fields.origin = .client
        fields.sessionID = sessionID.map { UnsafeBufferPointer(rebasing: b[$0]) }
        fields.visitorID = visitorID.map { UnsafeBufferPointer(rebasing: b[$0]) }
        fields.referrer = referrer.map { UnsafeBufferPointer(rebasing: b[$0]) }
        fields.userAgent = userAgent.map { UnsafeBufferPointer(rebasing: b[$0]) }
        // A plain page view (the most of a dump's events) needs no details.
        if eventIndex != 0 || eventID != nil || properties != nil || location == nil {
            fields.client = ClientEventDetails(event: Self.names[eventIndex], eventID: eventID.map { UnsafeBufferPointer(rebasing: b[$0]) },
                                               properties: properties, located: location != nil)
        }
        return fields
    }

    /// A `properties` object as its record would hold it: nil (none set) for `{}`; the scan
    /// fails (`.none` of the outer optional) on anything it does not take.
    private mutating func properties() -> EventProperties?? {
        guard take(UInt8(ascii: "{")) else { return .none }
        if take(UInt8(ascii: "}")) { return .some(nil) }
        var seen: UInt16 = 0
        var properties = EventProperties()
        repeat {
            guard let keyRange = plainString(), let property = propertyNamed(keyRange),
                  seen & property.rawValue == 0, take(UInt8(ascii: ":")) else { return .none }
            seen |= property.rawValue
            switch property {
            case .value, .percent, .watchTime:
                guard let bytes = number(), let amount = Amount(jsonNumber: bytes) else { return .none }
                switch property {
                case .value: properties.value = amount
                // A whole percent, the fraction dropped, as the record path keeps it.
                case .percent: properties.percent = min(max(amount.micros / 1_000_000, 0), 100)
                default: properties.watchTime = amount
                }
            default:
                // Kept as written (not trimmed); spaces alone are no value.
                guard let range = printableString(), b[range].contains(where: { $0 != 0x20 }) else { return .none }
                let text = String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)
                switch property {
                case .currency: properties.currency = text
                case .content: properties.content = text
                case .element: properties.element = text
                case .step: properties.step = text
                case .checkoutType: properties.checkoutType = text
                default: properties.paymentMethod = text
                }
            }
            guard let more = next() else { return .none }
            if !more { break }
        } while true
        return .some(properties)
    }
}
