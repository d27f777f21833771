import FunnelCore
/// PostHog's event export (batch exports as JSON lines, the events API):
///
///     {"uuid":"0190…","event":"$pageview","distinct_id":"0190…","timestamp":"2024-05-22T17:09:29.220000Z",
///      "properties":{"$session_id":"0190…","$current_url":"https://film.example/?utm_source=fb",
///                    "$referrer":"$direct","$ip":"203.0.113.9","$raw_user_agent":"Mozilla/5.0 …",
///                    "$geoip_country_code":"FR","$geoip_city_name":"Paris","value":25}, …}
///
/// `distinct_id` is both the visitor id and `posthog_distinct_id`; `uuid` the event id. The
/// `$`-properties give the page context, the others are read as canonical properties.
/// `$pageview` becomes `PageView`; PostHog's bookkeeping (`$identify`, `$set`,
/// `$create_alias`, `$groupidentify`, `$feature_flag_called`, `$web_vitals`) is skipped as
/// `not_an_event`; other names, `$autocapture` and `$pageleave` included, are kept.
/// `properties` may also be a JSON-encoded string, as in exports that store it as text.
extension EventFields {
    mutating func takePostHog(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner) throws(JSONScanner.Failure) {
        if s.keyEquals(key, "event") { set(.event, value, s); return }
        if s.keyEquals(key, "timestamp") { set(.timestamp, value, s); return }
        if s.keyEquals(key, "distinct_id") {
            set(.visitorID, value, s)
            set(.distinctID, value, s)
            return
        }
        if s.keyEquals(key, "uuid") { set(.eventID, value, s); return }
        // The events model of some destinations copies `properties.$ip` up as `ip`.
        if s.keyEquals(key, "ip") { fallback.ip = Self.text(value, s).flatMap(ClientAddress.normalized); return }
        if s.keyEquals(key, "properties") {
            switch value {
            case .object(let range):
                try s.forEachMember(in: range) { key, _, value throws(JSONScanner.Failure) in
                    takePostHogProperty(key: key, value: value, scanner: s)
                }
            case .string(let range, let escaped):
                // Decoded as a text field is (a byte that is no UTF-8 costs that character; until
                // 2026-12-05 it cost every property, the session id included, without a word).
                let text = s.decodeStringReplacing(range, escaped: escaped)
                guard text.utf8.first == UInt8(ascii: "{") else { return }
                let bytes = Array(text.utf8)
                try bytes.withUnsafeBufferPointer { buffer throws(JSONScanner.Failure) in
                    let inner = JSONScanner(buffer)
                    do throws(JSONScanner.Failure) {
                        try inner.forEachMember { key, _, value throws(JSONScanner.Failure) in
                            takePostHogProperty(key: key, value: value, scanner: inner)
                        }
                    } catch {
                        throw JSONScanner.Failure(message: "\"properties\" holds a string that is not a JSON object: \(error.message)")
                    }
                }
            default:
                break
            }
        }
    }

    private mutating func takePostHogProperty(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner) {
        guard !key.isEmpty, s.b[key.lowerBound] == UInt8(ascii: "$") else {
            takeProperty(key: key, value: value, scanner: s)
            return
        }
        if s.keyEquals(key, "$session_id") { set(.sessionID, value, s); return }
        if s.keyEquals(key, "$current_url") { set(.url, value, s); return }
        if s.keyEquals(key, "$pathname") { fallback.page = Self.freeText(value, s); return }
        if s.keyEquals(key, "$referrer") {
            // PostHog writes `$direct` when there was no referrer.
            set(.referrer, value, s)
            if record.referrer == "$direct" { record.referrer = nil }
            return
        }
        if s.keyEquals(key, "$ip") { set(.ip, value, s); return }
        if s.keyEquals(key, "$raw_user_agent") || s.keyEquals(key, "$user_agent") { set(.userAgent, value, s); return }
        if s.keyEquals(key, "$geoip_country_code") { set(.country, value, s); return }
        if s.keyEquals(key, "$geoip_city_name") { set(.city, value, s); return }
    }

    static let postHogBookkeeping: Set<String> = ["$identify", "$set", "$create_alias", "$groupidentify", "$feature_flag_called", "$web_vitals"]

    /// Second choices and PostHog's own event names, once the whole line is read.
    mutating func finishPostHog() {
        if event == "$pageview" { event = "PageView" }
        // PostHog's own bookkeeping, no visit's event: skipped (`not_an_event`), or it would
        // count in event_count and stretch sessions (until 2026-12-05 it was kept).
        if let name = event, Self.postHogBookkeeping.contains(name) { isUserCall = true }
        if url == nil, page == nil { page = fallback.page }
        if record.ip == nil { record.ip = fallback.ip }
    }
}
