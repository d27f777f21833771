import FunnelCore

/// Segment's message format (Track and Page calls, as in warehouse or S3 exports):
///
///     {"type":"track","event":"Purchase","messageId":"ajs-…","anonymousId":"507f…","userId":"u1",
///      "timestamp":"2024-01-01T00:32:00.000Z","properties":{"value":25,"session_id":"…"},
///      "context":{"ip":"203.0.113.9","userAgent":"Mozilla/5.0 …",
///                 "page":{"url":"https://film.example/donate","path":"/donate","referrer":"…"},
///                 "campaign":{"name":"spring","source":"newsletter","medium":"email"},
///                 "location":{"country":"FR","city":"Paris"}}}
///
/// A Page call (`type` `page`) is a `PageView`; its `properties.url`/`path`/`referrer` stand in
/// for a missing `context.page`. `context.campaign` becomes `utm_*` query parameters, each one
/// only when the page URL lacks it (analytics.js derives the campaign from that URL, so the URL
/// stays authoritative). The session id comes from `context.sessionId`, else
/// `properties.session_id`. Identify, Group and Alias calls describe users, not events, and
/// Screen calls an app's screens: they are skipped and counted as `not_an_event`, not
/// rejected, so a real Segment dump full of them does not trip the reject-rate limit. The
/// time is `timestamp`, else `originalTimestamp`, else `receivedAt`.
extension EventFields {
    mutating func takeSegment(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner) throws(JSONScanner.Failure) {
        if s.keyEquals(key, "event") { set(.event, value, s); return }
        if s.keyEquals(key, "type") {
            let type = Self.text(value, s)
            isPageCall = type == "page"
            // Screen calls are an app's screens: no page of the site (counted, not rejected).
            isUserCall = type == "identify" || type == "group" || type == "alias" || type == "screen"
            return
        }
        // `timestamp`, else the client's `originalTimestamp`, else Segment's `receivedAt`,
        // whatever their order in the line (until 2026-12-05 a message without `timestamp`
        // was rejected as missing_timestamp). One that is null or empty is not given, and the
        // next is taken (until 2026-12-06 `"timestamp": null` was a bad_timestamp reject).
        for (name, rank) in Self.segmentTimes where s.keyEquals(key, name) {
            if rank >= timestampRank && Self.isGiven(value) {
                timestampRank = rank
                set(.timestamp, value, s)
            }
            return
        }
        if s.keyEquals(key, "anonymousId") { set(.visitorID, value, s); return }
        if s.keyEquals(key, "userId") { set(.userID, value, s); return }
        if s.keyEquals(key, "messageId") { set(.eventID, value, s); return }
        if s.keyEquals(key, "properties"), case .object(let range) = value {
            try s.forEachMember(in: range) { key, _, value throws(JSONScanner.Failure) in
                takeSegmentProperty(key: key, value: value, scanner: s)
            }
            return
        }
        if s.keyEquals(key, "context"), case .object(let range) = value {
            try s.forEachMember(in: range) { key, _, value throws(JSONScanner.Failure) in
                try takeSegmentContext(key: key, value: value, scanner: s)
            }
        }
    }

    private mutating func takeSegmentProperty(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner) {
        if s.keyEquals(key, "session_id") { fallback.sessionID = Self.text(value, s); return }
        if s.keyEquals(key, "url") { fallback.url = Self.freeText(value, s); return }
        if s.keyEquals(key, "path") { fallback.page = Self.freeText(value, s); return }
        if s.keyEquals(key, "search") { fallback.search = Self.freeText(value, s); return }
        if s.keyEquals(key, "referrer") { fallback.referrer = Self.freeText(value, s); return }
        if s.keyEquals(key, "total") { fallback.total = fallbackAmount("total", value, s); return }
        if s.keyEquals(key, "revenue") { fallback.revenue = fallbackAmount("revenue", value, s); return }
        takeProperty(key: key, value: value, scanner: s)
    }

    /// One level of `context`; its objects (`page`, `campaign`, `location`) are read one level
    /// deeper here, never by recursion.
    private mutating func takeSegmentContext(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner) throws(JSONScanner.Failure) {
        if s.keyEquals(key, "userAgent") { set(.userAgent, value, s); return }
        if s.keyEquals(key, "ip") { set(.ip, value, s); return }
        if s.keyEquals(key, "sessionId") { set(.sessionID, value, s); return }
        guard case .object(let range) = value else { return }
        if s.keyEquals(key, "page") {
            try s.forEachMember(in: range) { key, _, value throws(JSONScanner.Failure) in
                if s.keyEquals(key, "url") { set(.url, value, s) }
                else if s.keyEquals(key, "path") { set(.page, value, s) }
                else if s.keyEquals(key, "search") { search = Self.freeText(value, s) }
                else if s.keyEquals(key, "referrer") { set(.referrer, value, s) }
            }
        } else if s.keyEquals(key, "campaign") {
            try s.forEachMember(in: range) { key, _, value throws(JSONScanner.Failure) in
                for (field, parameter) in Self.campaignParameters where s.keyEquals(key, field) {
                    queryDefaults.removeAll { $0.name == parameter }
                    if let text = Self.freeText(value, s) { queryDefaults.append((parameter, text)) }
                }
            }
        } else if s.keyEquals(key, "location") {
            try s.forEachMember(in: range) { key, _, value throws(JSONScanner.Failure) in
                if s.keyEquals(key, "country") { set(.country, value, s) }
                else if s.keyEquals(key, "city") { set(.city, value, s) }
            }
        }
    }

    /// Segment's times of a message, in the order they are preferred.
    private static let segmentTimes: [(StaticString, Int)] = [("timestamp", 3), ("originalTimestamp", 2), ("receivedAt", 1)]

    /// `context.campaign` members and the query parameters they stand for.
    private static let campaignParameters: [(StaticString, String)] = [
        ("source", "utm_source"), ("medium", "utm_medium"), ("name", "utm_campaign"), ("term", "utm_term"), ("content", "utm_content"),
    ]

    /// Segment's e-commerce spec names for the events funnel counts (a donation sent as
    /// `Order Completed` was a custom event until 2026-12-06: no donation; a review). A
    /// pipeline's `event_names` adds to them or replaces them.
    static let segmentEventNames = ["Order Completed": "Purchase", "Checkout Started": "InitiateCheckout"]

    /// A `total` or `revenue` as an amount; one that is there and is no number is kept for
    /// the run's warning.
    private mutating func fallbackAmount(_ name: String, _ value: JSONScanner.Value, _ s: JSONScanner) -> Amount? {
        let read = Self.amount(value, s)
        if read == nil, fallback.unreadAmount == nil, Self.isGiven(value), !Self.isBlank(value, s) {
            fallback.unreadAmount = describesUnreadNumber ? Self.unreadNumber(named: name, value, s) : ""
        }
        return read
    }

    /// `PageView` for Page calls, and the second choices, once the whole line is read.
    mutating func finishSegment() {
        if isPageCall {
            event = "PageView"
            eventInvalid = false
            if url == nil { url = fallback.url }
            if page == nil { page = fallback.page }
            if search == nil { search = fallback.search }
            if record.referrer == nil { record.referrer = fallback.referrer }
        }
        if record.sessionID == nil { record.sessionID = fallback.sessionID }
        // The spec's order amount when the message has no `value`: `total`, else `revenue`.
        if record.properties.value == nil {
            record.properties.value = fallback.total ?? fallback.revenue
            // A `value` that was no number, given one by `total` (rv75h: warned of as lost).
            if record.properties.value != nil, unreadNumber?.property == .value { unreadNumber = nil }
        }
        // A server library's message has a `userId` and no `anonymousId`: the user is its
        // visitor (such a donation was a `no_identity` reject until 2026-12-06; a review). It
        // is another visitor than the browser's anonymous id.
        if record.visitorID == nil, visitorIDProblem == nil, let user = record.userID { record.visitorID = user }
        // The campaign's parameters in one order, whatever the order of the export's keys.
        queryDefaults.sort { a, b in
            Self.campaignParameters.firstIndex { $0.1 == a.name }! < Self.campaignParameters.firstIndex { $0.1 == b.name }!
        }
        // Without a full URL, the path and the query string come apart.
        if url == nil, let path = page, let search = search {
            page = path + (search.hasPrefix("?") ? search : "?" + search)
        }
    }
}
