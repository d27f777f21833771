import FunnelCore

/// A record field an NDJSON line can fill, named as in the canonical dialect (SPEC 1.2).
/// Dialects and field mappings translate their own keys to these, so every input decodes a
/// field the same way.
enum FieldTarget: Hashable, Sendable {
    case event, timestamp, sessionID, visitorID, userID, distinctID, eventID
    case url, page, referrer, userAgent, ip, country, city
    case property(EventProperty)

    /// The canonical dialect's top-level fields. `distinct_id` is not one: it is PostHog's and
    /// only reachable through that dialect or a mapping.
    static let canonical: [FieldTarget] = [
        .event, .timestamp, .sessionID, .visitorID, .userID, .eventID, .url, .page, .referrer, .userAgent, .ip, .country, .city,
    ]

    static let all: [FieldTarget] = canonical + [.distinctID] + EventProperty.allCases.map { .property($0) }

    /// The name a pipeline's `fields:` mapping uses, and the canonical dialect's key.
    var name: StaticString {
        switch self {
        case .event: "event"
        case .timestamp: "timestamp"
        case .sessionID: "session_id"
        case .visitorID: "anonymous_id"
        case .userID: "user_id"
        case .distinctID: "distinct_id"
        case .eventID: "event_id"
        case .url: "url"
        case .page: "page"
        case .referrer: "referrer"
        case .userAgent: "user_agent"
        case .ip: "ip"
        case .country: "country"
        case .city: "city"
        case .property(let property): property.name
        }
    }

    init?(name: String) {
        guard let found = Self.all.first(where: { $0.name.description == name }) else { return nil }
        self = found
    }

    /// The canonical top-level field a key names, compared on raw bytes.
    static func canonical(forKey key: Range<Int>, in s: JSONScanner) -> FieldTarget? {
        canonical.first { s.keyEquals(key, $0.name) }
    }
}

/// The event properties funnel keeps (SPEC 1.2), by their canonical names.
enum EventProperty: CaseIterable, Hashable, Sendable {
    case value, currency, content, percent, watchTime, element, step, checkoutType, paymentMethod, analytics, marketing

    var name: StaticString {
        switch self {
        case .value: "value"
        case .currency: "currency"
        case .content: "content"
        case .percent: "percent"
        case .watchTime: "watch_time"
        case .element: "element"
        case .step: "step"
        case .checkoutType: "checkout_type"
        case .paymentMethod: "payment_method"
        case .analytics: "analytics"
        case .marketing: "marketing"
        }
    }

    /// `allCases` builds a new array on every call; lines are read by the million.
    private static let every = allCases

    static func forKey(_ key: Range<Int>, in s: JSONScanner) -> EventProperty? {
        every.first { s.keyEquals(key, $0.name) }
    }
}

/// What one event line said, field by field, whatever its dialect.
struct EventFields {
    var event: String?
    var eventInvalid = false
    /// What made the session or visitor id invalid, when it held something that cannot be an
    /// id: a string that is not Unicode (a lone surrogate, U+0000), a boolean, an object or an
    /// array. Such an id is invalid (SPEC 11), not absent, or the event would join another
    /// session (until 2026-12-05 a boolean, object or array was taken for no id at all).
    /// `null` and `""` are absent.
    var sessionIDProblem: String?
    /// A consent answer of the line that is none and was not kept (`consent(after:)`), said for a
    /// Consent event by `noteUnreadConsent`.
    var unreadConsent: (property: EventProperty, text: String)?
    var visitorIDProblem: String?
    var timestamp: Int64?
    var timestampText: String?
    var timestampSeen = false
    /// The first numeric property (`value`, `percent`, `watch_time`) the line holds but that
    /// is no number funnel can read (`"12,50"`, `true`, `1e30`): the event is kept without
    /// it, and the run warns (SPEC 2: never silent).
    var unreadNumber: (property: EventProperty, text: String)?
    /// Whether `unreadNumber` gets its text: only the first one of a file is quoted, and the
    /// text holds up to 4 KiB, so the later ones are counted with an empty text.
    var describesUnreadNumber = true
    var record = Record(origin: .client, event: "", timestamp: 0)
    /// What `makeRecord` leaves in `record`: one shared value, so handing a record out
    /// allocates nothing.
    private static let spent = Record(origin: .client, event: "", timestamp: 0)
    var url: String?
    var page: String?
    /// The query string of `page` when a dialect gives it apart (Segment's `context.page.search`).
    var search: String?
    /// Segment: the line is a Page call (`"type":"page"`), hence a `PageView`.
    var isPageCall = false
    /// Segment calls that describe a user rather than an event (identify, group, alias).
    var isUserCall = false
    /// Segment: how preferred the time taken so far is (`timestamp` over `originalTimestamp`
    /// over `receivedAt`); 0 when none was seen.
    var timestampRank = 0
    /// Query parameters a dialect knows apart from the URL (Segment's `context.campaign`),
    /// added to the record's query when the URL does not carry them itself.
    var queryDefaults: [(name: String, value: String)] = []
    /// A dialect's second choices, used by its `finish` step when the first choice is absent.
    var fallback = Fallback()

    struct Fallback {
        var sessionID: String?
        var url: String?
        var page: String?
        var search: String?
        var referrer: String?
        var ip: String?
        /// Segment's e-commerce amounts (`total`, else `revenue`) for a message without `value`.
        var total: Amount?
        var revenue: Amount?
        /// A `total` or `revenue` that is no number funnel reads, as the run's warning quotes it.
        var unreadAmount: String?
    }

    /// Stores `value` as `target`, decoded the way the canonical dialect always has: strings
    /// (numbers taken as their text, empty as absent), amounts from numbers or numeric strings,
    /// countries normalized to ISO alpha-2.
    mutating func set(_ target: FieldTarget, _ value: JSONScanner.Value, _ s: JSONScanner) {
        func string() -> String? { Self.text(value, s) }
        func freeText() -> String? { Self.freeText(value, s) }
        switch target {
        case .event:
            if case .string(let range, let escaped) = value {
                event = s.decodeString(range, escaped: escaped)
                eventInvalid = event == nil
            }
        case .timestamp:
            timestampSeen = true
            switch value {
            case .number(let range):
                // The text only for a reject's detail: a String a line cost an allocation (rv70b).
                timestamp = TimeParser.parseEpochNumber(s.bytes(range))
                if timestamp == nil { timestampText = String(decoding: s.bytes(range), as: UTF8.self) }
            case .string(let range, let escaped):
                if escaped {
                    // Written with JSON escapes (.NET writes `+` as `\u002B`): read as decoded.
                    // Until 2026-12-05 the escaped text was parsed and rejected.
                    guard var text = s.decodeString(range, escaped: true) else {
                        timestampText = String(decoding: s.bytes(range), as: UTF8.self)
                        timestamp = nil
                        break
                    }
                    timestampText = text
                    timestamp = text.withUTF8 { Self.time($0) }
                } else {
                    let raw = s.bytes(range)
                    timestamp = Self.time(raw)
                    if timestamp == nil { timestampText = String(decoding: raw, as: UTF8.self) }
                }
            default:
                timestampText = "a non-number, non-string value"
            }
        case .sessionID:
            record.sessionID = string()
            sessionIDProblem = record.sessionID == nil ? Self.idProblem(value, s) : nil
        case .visitorID:
            record.visitorID = string()
            visitorIDProblem = record.visitorID == nil ? Self.idProblem(value, s) : nil
        case .userID: record.userID = string()
        case .distinctID: record.distinctID = string()
        case .eventID: record.eventID = string()
        case .url: url = freeText()
        case .page: page = freeText()
        case .referrer: record.referrer = freeText()
        // `-` or spaces alone are no agent, as in an access log (they gave desktop/Other
        // until 2026-12-06; a review).
        case .userAgent: record.userAgent = freeText().flatMap(Self.givenText)
        case .ip: record.ip = string().flatMap(ClientAddress.normalized)
        case .country: record.country = string().flatMap(CountryCode.normalize)
        // Without line ends or spaces around it, as a log's city (PostHog's `"Köln\r\n"`
        // kept its CRLF until 2026-12-06; a review).
        case .city: record.city = freeText().flatMap(Self.givenText)
        case .property(let property): set(property, value, s)
        }
    }

    mutating func set(_ property: EventProperty, _ value: JSONScanner.Value, _ s: JSONScanner) {
        // `null`, `""` and blanks are no value (`isGiven`): they do not replace one read before
        // at the top level or under `properties` (rv75f: a top-level `"analytics": null` after
        // `"properties": {"analytics": "denied"}` wiped the denial, and the session was
        // written with its click id; `"value": ""` lost a Purchase's amount).
        guard Self.isGiven(value), !Self.isBlank(value, s) else { return }
        func string() -> String? { Self.freeText(value, s) }
        func amount() -> Amount? { Self.amount(value, s) }
        // A number that is none replaces none read at the other level, and is then not said
        // (rv75g: `"value": "12,50"` after `properties.value: 25` lost the amount, where a
        // consent answer that is none keeps the one before).
        func number(besides current: Bool) -> Amount? {
            let read = amount()
            if read == nil, current { return nil }
            if read == nil {
                keepUnread(property, value, s)
            } else if unreadNumber?.property == property {
                unreadNumber = nil  // given again, and this time read
            }
            return read
        }
        switch property {
        case .value: if let read = number(besides: record.properties.value != nil) { record.properties.value = read }
        case .currency: record.properties.currency = string()
        case .content: record.properties.content = string()
        // A whole percent, the fraction dropped: 99.6 is 99, not a video watched to its end
        // (rounded, it made `trailer_completion` 100; until 2026-12-05).
        case .percent:
            if let read = number(besides: record.properties.percent != nil) { record.properties.percent = min(max(read.micros / 1_000_000, 0), 100) }
        case .watchTime: if let read = number(besides: record.properties.watchTime != nil) { record.properties.watchTime = read }
        case .element: record.properties.element = string()
        case .step: record.properties.step = string()
        case .checkoutType: record.properties.checkoutType = string()
        case .paymentMethod: record.properties.paymentMethod = string()
        case .analytics: record.properties.analytics = consent(after: record.properties.analytics, property, value, s)
        case .marketing: record.properties.marketing = consent(after: record.properties.marketing, property, value, s)
        }
    }

    /// A consent answer, unless it is none (`"maybe"`, an object, an array) and the line gave
    /// one before: an answer that is none replaces none, and is said as an unread value
    /// (rv75e: `"analytics": {}` after `properties.analytics: "denied"` wiped the denial, and
    /// an object or an array alone was no answer without a word).
    private mutating func consent(after answer: String?, _ property: EventProperty, _ value: JSONScanner.Value, _ s: JSONScanner) -> String? {
        let given = Self.consent(value, s)
        if Self.isAnswer(given) {
            // One that is none before it is not said (rv75g: "a consent stays as it was" for
            // an answer read).
            if unreadConsent?.property == property { unreadConsent = nil }
            return given
        }
        // One read before stays, and this one is not said (pipeline.md; rv75h).
        if Self.isAnswer(answer) { return answer }
        if let given { return given }  // said by `noteUnreadConsent` once the line is read
        keepUnread(property, value, s)
        return answer
    }

    /// Whether `text` is a consent answer (`ConsentAnswer.isGranted` reads it).
    private static func isAnswer(_ text: String?) -> Bool {
        text.map { ConsentAnswer.isGranted($0) != nil } ?? false
    }

    /// Keeps `value` as the line's first unread `property` for the run's warning: a consent
    /// answer as `unreadConsent` (said for a Consent event alone), any other as `unreadNumber`.
    private mutating func keepUnread(_ property: EventProperty, _ value: JSONScanner.Value, _ s: JSONScanner) {
        let consent = property == .analytics || property == .marketing
        guard (consent ? unreadConsent : unreadNumber) == nil else { return }
        let text = describesUnreadNumber ? Self.unreadNumber(property, value, s) : ""
        if consent { unreadConsent = (property, text) } else { unreadNumber = (property, text) }
    }

    /// Notes a mapped property that is an object or an array as unread (`FieldMapping`): the
    /// dialect's value stays, and the run's warning names the first such value.
    mutating func noteUnread(_ property: EventProperty, _ value: JSONScanner.Value, _ s: JSONScanner) {
        switch value {
        case .object, .array: break
        default: return
        }
        // Not when the dialect read one (rv75h: it was warned of as lost).
        let read = switch property {
        case .value: record.properties.value != nil
        case .percent: record.properties.percent != nil
        case .watchTime: record.properties.watchTime != nil
        case .analytics: Self.isAnswer(record.properties.analytics)
        case .marketing: Self.isAnswer(record.properties.marketing)
        default: true
        }
        if !read { keepUnread(property, value, s) }
    }

    /// Whether a property is there at all: `null` and `""` are absent, not unread.
    static func isGiven(_ value: JSONScanner.Value) -> Bool {
        switch value {
        case .null: false
        case .string(let range, _): !range.isEmpty
        default: true
        }
    }

    /// How a numeric property that is there (`isGiven`) but is no number reads in the run's
    /// warning (`"value": "12,50"`).
    static func unreadNumber(_ property: EventProperty, _ value: JSONScanner.Value, _ s: JSONScanner) -> String {
        unreadNumber(named: "\(property.name)", value, s)
    }

    /// The same, for a member of another name (Segment's `total`).
    static func unreadNumber(named name: String, _ value: JSONScanner.Value, _ s: JSONScanner) -> String {
        let shown: String
        switch value {
        case .null: shown = "null"
        case .string(let range, _):
            let bytes = s.bytes(range)
            // Whole up to 4 KiB: the warning's quote is redacted (`LineSource.quotable`) and
            // then cut to 24 characters; cut first, part of an address could stay (a review
            // saw six groups of an IPv6 address quoted).
            let cut = min(bytes.count, 4096)
            let clipped = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<cut]), as: UTF8.self)
            shown = "\"" + clipped + (bytes.count > cut ? "...\"" : "\"")
        case .number(let range): shown = String(decoding: s.bytes(range), as: UTF8.self) + " (out of range)"
        case .bool(let flag): shown = flag ? "true" : "false"
        case .object: shown = "an object"
        case .array: shown = "an array"
        }
        return "\"\(name)\": \(shown)"
    }

    /// A timestamp string's time: digits (and a point) as an epoch number, else ISO 8601, else
    /// RFC 1123 (`Fri, 01 Mar 2024 12:00:00 GMT`, since 2026-12-06).
    static func time(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        if text.allSatisfy({ $0 &- 0x30 < 10 || $0 == UInt8(ascii: ".") }) { return TimeParser.parseEpochNumber(text) }
        return CivilTime.parseISO8601(text) ?? CivilTime.parseRFC1123(text)
    }

    /// A consent answer as its text: JSON's `true` and `false` as those words, which consent
    /// reads as `granted` and `denied` (docs/fields.md). Until 2026-12-05 only strings were
    /// read, so `"analytics":false` was taken for no answer and the session was written.
    static func consent(_ value: JSONScanner.Value, _ s: JSONScanner) -> String? {
        if case .bool(let answer) = value { return answer ? "true" : "false" }
        return text(value, s)
    }

    /// A Consent event's answer that is none (`"maybe"`, `"denie"`) is said as an unread value
    /// is: the state stays as it was, and until 2026-12-06 nothing said why a session went out
    /// with its click ids.
    mutating func noteUnreadConsent() {
        guard unreadNumber == nil, event == "Consent" else { return }
        if let unreadConsent {
            unreadNumber = unreadConsent
            return
        }
        for (property, answer) in [(EventProperty.analytics, record.properties.analytics), (.marketing, record.properties.marketing)] {
            guard let answer, ConsentAnswer.isGranted(answer) == nil else { continue }
            unreadNumber = (property, describesUnreadNumber ? "\"\(property.name)\": \"\(answer.prefix(4096))\"" : "")
            return
        }
    }

    /// Takes `value` as a property when `key` is a canonical property name; others are skipped.
    mutating func takeProperty(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner) {
        if let property = EventProperty.forKey(key, in: s) { set(property, value, s) }
    }

    /// `text` trimmed of spaces and line ends; nil when nothing or a `-` (a log's "no value")
    /// is left.
    static func givenText(_ text: String) -> String? {
        let trimmed = trimmingSpaces(text)
        return trimmed.isEmpty || trimmed == "-" ? nil : trimmed
    }

    /// `text` without the spaces, tabs and line ends around it.
    static func trimmingSpaces(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = text.first, let last = text.last, isSpace(first) || isSpace(last) else { return text }
        return String(Substring(text).trimming(isSpace))
    }

    /// A string value (numbers are taken as their text); nil when empty or not Unicode.
    /// `text`, with what is not valid Unicode written as U+FFFD instead of losing the value:
    /// for the text fields funnel does not require (URL, page, referrer, user agent, city,
    /// properties), as the access-log reader does (docs/operations.md). Ids stay `text`: two
    /// ids that differ only in their invalid bytes must not become one.
    static func freeText(_ value: JSONScanner.Value, _ s: JSONScanner) -> String? {
        switch value {
        case .string(let range, let escaped):
            let text = s.decodeStringReplacing(range, escaped: escaped)
            return text.isEmpty ? nil : text
        case .number(let range): return String(decoding: s.bytes(range), as: UTF8.self)
        default: return nil
        }
    }

    static func text(_ value: JSONScanner.Value, _ s: JSONScanner) -> String? {
        switch value {
        case .string(let range, let escaped): s.decodeString(range, escaped: escaped).flatMap { $0.isEmpty ? nil : $0 }
        case .number(let range): String(decoding: s.bytes(range), as: UTF8.self)
        default: nil
        }
    }

    /// Why `value`, which gave no id text, cannot be an id; nil when it is simply absent
    /// (`null`, an empty string).
    static func idProblem(_ value: JSONScanner.Value, _ s: JSONScanner) -> String? {
        switch value {
        case .string(let range, let escaped):
            s.decodeString(range, escaped: escaped) == nil ? "is not valid Unicode (invalid UTF-8 bytes, a lone surrogate or U+0000)" : nil
        case .bool: "is a boolean, not a string"
        case .object: "is an object, not a string"
        case .array: "is an array, not a string"
        case .null, .number: nil
        }
    }

    /// A number, or a string holding one (`"25"`, `" 7.25 "`: spaces and line ends around it
    /// are no part of it, as around a consent answer; until 2026-12-06 it was dropped with a
    /// warning), as an exact amount.
    static func amount(_ value: JSONScanner.Value, _ s: JSONScanner) -> Amount? {
        switch value {
        case .number(let range): Amount(jsonNumber: s.bytes(range))
        case .string(let range, false): Amount(jsonNumber: trimmingSpaces(s.bytes(range)))
        case .string(let range, true): s.decodeString(range, escaped: true).flatMap { Amount(jsonNumber: trimmingSpaces($0).utf8) }
        default: nil
        }
    }

    /// A string of spaces and line ends alone (`"  "`): no value, as `""` is, not an unread
    /// number (it was warned of while `""` was not).
    static func isBlank(_ value: JSONScanner.Value, _ s: JSONScanner) -> Bool {
        switch value {
        case .string(let range, false): s.bytes(range).allSatisfy(isSpaceByte)
        case .string(let range, true): s.decodeString(range, escaped: true).map { trimmingSpaces($0).isEmpty } ?? false
        default: false
        }
    }

    private static func trimmingSpaces(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let start = bytes.firstIndex(where: { !isSpaceByte($0) }), let end = bytes.lastIndex(where: { !isSpaceByte($0) }) else {
            return UnsafeBufferPointer(rebasing: bytes[0..<0])
        }
        return UnsafeBufferPointer(rebasing: bytes[start...end])
    }

    private static func isSpaceByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// Hands out the record and leaves a placeholder behind: the parser's closure captures
    /// these fields, so consuming them would copy the record, and completing a copy would copy
    /// its fields too.
    mutating func makeRecord() -> NDJSONParser.Outcome {
        if isUserCall { return .skip(.notAnEvent) }
        if eventInvalid { return .reject(.invalidUTF8, detail: "\"event\" is not valid Unicode") }
        if let problem = sessionIDProblem { return .reject(.invalidID, detail: "session id " + problem) }
        if let problem = visitorIDProblem { return .reject(.invalidID, detail: "visitor id " + problem) }
        guard let event, !event.isEmpty else { return .reject(.missingEvent, detail: "no \"event\" string") }
        guard timestampSeen else { return .reject(.missingTimestamp, detail: "no \"timestamp\"") }
        guard let timestamp else {
            return .reject(.badTimestamp, detail: "timestamp \(timestampText ?? ""): funnel reads epoch seconds or milliseconds, or an ISO 8601 date and time, of a real date from 1990 to 2099")
        }
        var record = self.record
        self.record = Self.spent
        record.event = event
        record.timestamp = timestamp
        if let location = url ?? page {
            // Spaces around a URL are not part of it (` https://film.example/h` of a hand-made
            // export was the path ` https://film.example/h` until 2026-12-06).
            // Its raw control bytes percent-encoded, as the access-log reader's (a JSON `\n`
            // reached utm values and `landing_page` raw until 2026-12-06; a review).
            var trimmed = Self.trimmingSpaces(location)
            let escaped = trimmed.withUTF8 { Hex.escapingControls($0) }.map { String(decoding: $0, as: UTF8.self) }
            let parts = URLParts(escaped ?? trimmed)
            record.host = parts.host
            record.path = parts.path
            record.query = parts.query
        }
        for (name, value) in queryDefaults where !Self.query(record.query, has: name) {
            let pair = name + "=" + Hex.percentEncoded(value)
            record.query = record.query.map { $0 + "&" + pair } ?? pair
        }
        return .record(record)
    }

    /// True when the query string holds `name` with a non-empty value (as attribution reads it).
    static func query(_ query: String?, has name: String) -> Bool {
        guard let query else { return false }
        let wanted = Array(name.utf8)
        for part in query.utf8.split(separator: UInt8(ascii: "&")) {
            let key = part.prefix { $0 != UInt8(ascii: "=") }
            if key.elementsEqual(wanted), part.count > key.count + 1 { return true }
        }
        return false
    }

}
