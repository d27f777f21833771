import FunnelCore

/// Turns NDJSON event lines into records (SPEC 1.2, canonical dialect).
///
/// Only the fields and properties funnel uses are decoded; everything else is skipped on the
/// byte level. Properties may sit at the top level or under `properties`; when both hold the
/// same key, the one later in the line wins, as with most JSON readers.
public struct NDJSONParser: Sendable {
    public enum Dialect: String, Sendable, CaseIterable {
        case canonical
    }

    public enum Outcome {
        case record(Record)
        case reject(RejectReason, detail: String)
    }

    public let dialect: Dialect

    public init(dialect: Dialect = .canonical) {
        self.dialect = dialect
    }

    public func parse(_ line: UnsafeRawBufferPointer) -> Outcome {
        var bytes = line.bindMemory(to: UInt8.self)
        // A byte-order mark at the start of a line (usually the file's first) is not content.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            bytes = UnsafeBufferPointer(rebasing: bytes[3...])
        }
        let scanner = JSONScanner(bytes)
        var fields = EventFields()
        do {
            try scanner.forEachMember { key, keyEscaped, value throws(JSONScanner.Failure) in
                try fields.take(key: key, value: value, scanner: scanner, nested: false)
            }
        } catch {
            return .reject(error.notAnObject ? .notAnObject : .badJSON, detail: error.message)
        }
        return fields.makeRecord()
    }

    /// What one event line said, field by field.
    private struct EventFields {
        var event: String?
        var eventInvalid = false
        var timestamp: Int64?
        var timestampText: String?
        var timestampSeen = false
        var record = Record(origin: .client, event: "", timestamp: 0)
        var url: String?
        var page: String?

        mutating func take(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner, nested: Bool) throws(JSONScanner.Failure) {
            func string() -> String? { Self.text(value, s) }
            if !nested {
                if s.keyEquals(key, "event") {
                    if case .string(let range, let escaped) = value {
                        event = s.decodeString(range, escaped: escaped)
                        eventInvalid = event == nil
                    }
                    return
                }
                if s.keyEquals(key, "timestamp") {
                    timestampSeen = true
                    switch value {
                    case .number(let range):
                        timestamp = TimeParser.parseEpochNumber(s.bytes(range))
                        timestampText = String(decoding: s.bytes(range), as: UTF8.self)
                    case .string(let range, _):
                        let raw = s.bytes(range)
                        timestampText = String(decoding: raw, as: UTF8.self)
                        timestamp = raw.allSatisfy({ $0 &- 0x30 < 10 || $0 == UInt8(ascii: ".") })
                            ? TimeParser.parseEpochNumber(raw) : CivilTime.parseISO8601(raw)
                    default:
                        timestampText = "a non-number, non-string value"
                    }
                    return
                }
                if s.keyEquals(key, "properties") {
                    if case .object(let range) = value {
                        try s.forEachMember(in: range) { k, _, v throws(JSONScanner.Failure) in
                            var inner = self
                            try inner.takeProperty(key: k, value: v, scanner: s)
                            self = inner
                        }
                    }
                    return
                }
                if s.keyEquals(key, "session_id") { record.sessionID = string(); return }
                if s.keyEquals(key, "anonymous_id") { record.visitorID = string(); return }
                if s.keyEquals(key, "user_id") { record.userID = string(); return }
                if s.keyEquals(key, "event_id") { record.eventID = string(); return }
                if s.keyEquals(key, "url") { url = string(); return }
                if s.keyEquals(key, "page") { page = string(); return }
                if s.keyEquals(key, "referrer") { record.referrer = string(); return }
                if s.keyEquals(key, "user_agent") { record.userAgent = string(); return }
                if s.keyEquals(key, "ip") { record.ip = string(); return }
                if s.keyEquals(key, "country") { record.country = string().flatMap(CountryCode.normalize); return }
                if s.keyEquals(key, "city") { record.city = string(); return }
            }
            try takeProperty(key: key, value: value, scanner: s)
        }

        mutating func takeProperty(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner) throws(JSONScanner.Failure) {
            func string() -> String? { Self.text(value, s) }
            func amount() -> Amount? { Self.amount(value, s) }
            if s.keyEquals(key, "value") { record.properties.value = amount(); return }
            if s.keyEquals(key, "currency") { record.properties.currency = string(); return }
            if s.keyEquals(key, "content") { record.properties.content = string(); return }
            if s.keyEquals(key, "percent") {
                record.properties.percent = amount().map { min(max(($0.micros + 500_000) / 1_000_000, 0), 100) }
                return
            }
            if s.keyEquals(key, "watch_time") { record.properties.watchTime = amount(); return }
            if s.keyEquals(key, "element") { record.properties.element = string(); return }
            if s.keyEquals(key, "step") { record.properties.step = string(); return }
            if s.keyEquals(key, "checkout_type") { record.properties.checkoutType = string(); return }
            if s.keyEquals(key, "payment_method") { record.properties.paymentMethod = string(); return }
            if s.keyEquals(key, "analytics") { record.properties.analytics = string(); return }
            if s.keyEquals(key, "marketing") { record.properties.marketing = string(); return }
        }

        /// A string value (numbers are taken as their text); nil when empty or not Unicode.
        static func text(_ value: JSONScanner.Value, _ s: JSONScanner) -> String? {
            switch value {
            case .string(let range, let escaped): s.decodeString(range, escaped: escaped).flatMap { $0.isEmpty ? nil : $0 }
            case .number(let range): String(decoding: s.bytes(range), as: UTF8.self)
            default: nil
            }
        }

        /// A number, or a string holding one (`"25"`), as an exact amount.
        static func amount(_ value: JSONScanner.Value, _ s: JSONScanner) -> Amount? {
            switch value {
            case .number(let range): Amount(jsonNumber: s.bytes(range))
            case .string(let range, false): Amount(jsonNumber: s.bytes(range))
            default: nil
            }
        }

        func makeRecord() -> Outcome {
            if eventInvalid { return .reject(.invalidUTF8, detail: "\"event\" is not valid Unicode") }
            guard let event, !event.isEmpty else { return .reject(.missingEvent, detail: "no \"event\" string") }
            guard timestampSeen else { return .reject(.missingTimestamp, detail: "no \"timestamp\"") }
            guard let timestamp else {
                return .reject(.badTimestamp, detail: "impossible or out-of-range timestamp \(timestampText ?? "")")
            }
            var result = record
            result.event = event
            result.timestamp = timestamp
            if let location = url ?? page {
                let parts = URLParts(location)
                result.host = parts.host
                result.path = parts.path
                result.query = parts.query
            }
            return .record(result)
        }
    }
}
