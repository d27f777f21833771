import FunnelCore
import FunnelReaders
import Testing

/// The PostHog and Segment dialects and `fields:` mappings, on lines shaped like the real
/// exports (PostHog batch exports as JSON lines, Segment Track/Page messages).
struct NDJSONDialectTests {
    private func parse(_ line: String, _ dialect: NDJSONParser.Dialect, mapping: FieldMapping? = nil, eventNames: [String: String] = [:]) -> NDJSONParser.Outcome {
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBytes { NDJSONParser(dialect: dialect, mapping: mapping, eventNames: eventNames).parse(UnsafeRawBufferPointer($0)) }
    }

    private func record(_ line: String, _ dialect: NDJSONParser.Dialect, mapping: FieldMapping? = nil, eventNames: [String: String] = [:]) throws -> Record {
        switch parse(line, dialect, mapping: mapping, eventNames: eventNames) {
        case .record(let record): return record
        case .reject(let reason, let detail):
            Issue.record("rejected (\(reason.rawValue): \(detail)): \(line)")
            throw CancellationError()
        case .skip(let reason):
            Issue.record("skipped (\(reason.rawValue)): \(line)")
            throw CancellationError()
        }
    }

    private func reason(_ outcome: NDJSONParser.Outcome) -> RejectReason? {
        if case .reject(let reason, _) = outcome { return reason }
        return nil
    }

    // MARK: - PostHog

    static let postHogPageView = #"""
    {"uuid":"018cc251-f400-7a3b-9c4d-5e6f7a8b9c0d","event":"$pageview","properties":{"$os":"Mac OS X","$os_version":"10.15.7","$browser":"Chrome","$device_type":"Desktop","$current_url":"https://Film.Example/watch?utm_source=newsletter&utm_medium=email","$host":"film.example","$pathname":"/watch","$raw_user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","$browser_version":120,"$screen_height":1117,"$screen_width":1728,"$lib":"web","$lib_version":"1.96.1","$insert_id":"0rx1n4jw3l9z2c5a","$time":1704067200.25,"distinct_id":"018cc251-e000-7c1b-8f00-112233445566","$device_id":"018cc251-e000-7c1b-8f00-112233445566","$referrer":"$direct","$referring_domain":"$direct","$session_id":"018cc251-e001-7d4a-b2c3-d4e5f6a7b8c9","$window_id":"018cc251-e001-7d4a-b2c3-aaaaaaaaaaaa","$ip":"203.0.113.42","$geoip_city_name":"Lyon","$geoip_country_name":"France","$geoip_country_code":"FR","$geoip_continent_code":"EU","$set":{"$current_url":"https://film.example/watch"},"$set_once":{"$initial_referrer":"$direct"}},"distinct_id":"018cc251-e000-7c1b-8f00-112233445566","team_id":2,"timestamp":"2024-01-01T00:00:00.250000Z","created_at":"2024-01-01T00:00:01.012000Z","elements_chain":"","person_id":"018cc251-aaaa-0000-1111-222233334444","_inserted_at":"2024-01-01T00:00:02.000000Z"}
    """#

    @Test func readsAPostHogPageView() throws {
        let r = try record(Self.postHogPageView, .posthog)
        #expect(r.event == "PageView")
        #expect(r.timestamp == 1_704_067_200_250)
        #expect(r.visitorID == "018cc251-e000-7c1b-8f00-112233445566")
        #expect(r.distinctID == "018cc251-e000-7c1b-8f00-112233445566")
        #expect(r.eventID == "018cc251-f400-7a3b-9c4d-5e6f7a8b9c0d")
        #expect(r.sessionID == "018cc251-e001-7d4a-b2c3-d4e5f6a7b8c9")
        #expect(r.host == "film.example")
        #expect(r.path == "/watch")
        #expect(r.query == "utm_source=newsletter&utm_medium=email")
        #expect(r.referrer == nil, "PostHog's $direct means no referrer")
        #expect(r.ip == "203.0.113.42")
        #expect(r.userAgent?.hasPrefix("Mozilla/5.0 (Macintosh;") == true)
        #expect(r.country == "FR")
        #expect(r.city == "Lyon")
        #expect(r.userID == nil)
    }

    /// `properties` given as a JSON string with a byte that is no UTF-8 in it: that character
    /// is U+FFFD, as in any text field; the properties, the session id among them, are kept
    /// (until 2026-12-05 every one was lost without a word; a review).
    @Test func postHogPropertiesAsAStringWithABadByteAreKept() throws {
        var bytes = Array(#"{"event":"$pageview","distinct_id":"d1","timestamp":"2024-01-01T00:00:00Z","properties":"{\"$session_id\":\"s2\",\"$current_url\":\"https://film.example/caf"#.utf8)
        bytes += [0xE9] + Array(#"?utm_campaign=c2\"}"}"#.utf8)
        let outcome = bytes.withUnsafeMutableBytes { NDJSONParser(dialect: .posthog).parse(UnsafeRawBufferPointer($0)) }
        guard case .record(let r) = outcome else {
            Issue.record("not read: \(outcome)")
            return
        }
        #expect(r.sessionID == "s2")
        #expect(r.path == "/caf\u{FFFD}" && r.query == "utm_campaign=c2")
    }

    @Test func postHogCustomEventsKeepTheirNamesAndCanonicalProperties() throws {
        let purchase = try record(#"{"uuid":"018cc252-0000-7000-8000-000000000001","event":"Purchase","properties":{"$current_url":"https://film.example/donate","$referrer":"https://www.google.com/","$user_agent":"UA/1.0","$session_id":"s-1","value":25.50,"currency":"EUR","payment_method":"card","checkout_type":"one_time","$set":{"email":"x@example.com"}},"distinct_id":"visitor-1","timestamp":"2024-01-01T00:32:00+00:00","elements_chain":""}"#, .posthog)
        #expect(purchase.event == "Purchase")
        #expect(purchase.timestamp == 1_704_069_120_000)
        #expect(purchase.referrer == "https://www.google.com/")
        #expect(purchase.userAgent == "UA/1.0")
        #expect(purchase.path == "/donate")
        #expect(purchase.properties.value?.description == "25.5")
        #expect(purchase.properties.currency == "EUR")
        #expect(purchase.properties.paymentMethod == "card")
        #expect(purchase.properties.checkoutType == "one_time")

        let click = try record(#"{"uuid":"u2","event":"$autocapture","properties":{"$event_type":"click","$current_url":"https://film.example/","$session_id":"s-1"},"distinct_id":"visitor-1","timestamp":"2024-01-01 00:33:00.5","elements_chain":"button.donate:text=\"Donate\"nth-child=\"1\""}"#, .posthog)
        #expect(click.event == "$autocapture")
        #expect(click.timestamp == 1_704_069_180_500)
    }

    @Test func postHogPropertiesMayBeAJSONString() throws {
        let r = try record(#"{"uuid":"u3","event":"$pageview","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","properties":"{\"$current_url\":\"https://film.example/a?b=1\",\"$session_id\":\"s9\",\"$ip\":\"198.51.100.7\",\"content\":\"trailer-1\"}"}"#, .posthog)
        #expect(r.path == "/a")
        #expect(r.query == "b=1")
        #expect(r.sessionID == "s9")
        #expect(r.ip == "198.51.100.7")
        #expect(r.properties.content == "trailer-1")
        #expect(reason(parse(#"{"event":"A","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","properties":"{\"x\":"}"#, .posthog)) == .badJSON)
    }

    @Test func postHogFallsBackToPathnameAndTopLevelIP() throws {
        let r = try record(#"{"event":"$pageview","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","ip":"192.0.2.1","properties":{"$pathname":"/only/path"}}"#, .posthog)
        #expect(r.path == "/only/path")
        #expect(r.ip == "192.0.2.1")
        // Canonical names at the top level are not PostHog's: they are not read.
        let top = try record(#"{"event":"X","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","session_id":"no","url":"/no","value":5}"#, .posthog)
        #expect(top.sessionID == nil)
        #expect(top.path == nil)
        #expect(top.properties.value == nil)
    }

    /// An event's `ip` in every dialect is its address (`ClientAddress.normalized`): spaces,
    /// a port and a list's later entries dropped (until 2026-12-06 kept: no country, and a
    /// fingerprint of its own).
    @Test(arguments: [
        (#"{"event":"A","anonymous_id":"v","timestamp":1704067200000,"ip":" 203.0.113.9:4567 "}"#, NDJSONParser.Dialect.canonical, "203.0.113.9"),
        (#"{"event":"A","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","ip":"203.0.113.9, 10.0.0.1"}"#, .posthog, "203.0.113.9"),
        (#"{"event":"A","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","properties":{"$ip":"[2001:db8::5]:1"}}"#, .posthog, "2001:db8::5"),
        (#"{"type":"track","event":"A","anonymousId":"v","timestamp":"2024-01-01T00:00:00Z","context":{"ip":"203.0.113.9 "}}"#, .segment, "203.0.113.9"),
    ])
    func anEventsAddressIsReducedToIt(line: String, dialect: NDJSONParser.Dialect, address: String) throws {
        #expect(try record(line, dialect).ip == address)
    }

    /// Spaces around an event's URL are not part of it: its path is the URL's.
    @Test func spacesAroundAURLAreNoPartOfIt() throws {
        let r = try record(#"{"event":"PageView","anonymous_id":"v","timestamp":1704067200000,"url":" https://film.example/h?utm_source=x\n"}"#, .canonical)
        #expect(r.path == "/h" && r.host == "film.example" && r.query == "utm_source=x", "\(r.path ?? "nil") \(r.query ?? "nil")")
    }

    /// A raw control byte in an event's URL (a JSON `\n`, `\t`, `\u001b`) is percent-encoded,
    /// as the access-log reader encodes one in a request target: it reached `landing_page` and
    /// utm values raw until 2026-12-06 (a review).
    @Test func aControlByteInAURLIsPercentEncoded() throws {
        let r = try record(#"{"event":"PageView","anonymous_id":"v","timestamp":1704067200000,"url":"https://film.example/a\tb?utm_source=x\ny&utm_medium=\u001b[2J"}"#, .canonical)
        #expect(r.path == "/a%09b", "\(r.path ?? "nil")")
        #expect(r.query == "utm_source=x%0Ay&utm_medium=%1B[2J", "\(r.query ?? "nil")")
    }

    /// A city with a line end or spaces around it is the city (PostHog's `"Köln\r\n"` kept its
    /// CRLF until 2026-12-06, beside a country that was trimmed; a review).
    @Test func aCityIsTrimmed() throws {
        let r = try record(#"{"event":"PageView","anonymous_id":"v","timestamp":1704067200000,"city":" K\u00f6ln\r\n","country":"de"}"#, .canonical)
        #expect(r.city == "Köln")
        let blank = try record(#"{"event":"PageView","anonymous_id":"v","timestamp":1704067200000,"city":" \r\n"}"#, .canonical)
        #expect(blank.city == nil)
    }

    // MARK: - Segment

    static let segmentPage = #"""
    {"anonymousId":"507f191e810c19729de860ea","channel":"browser","context":{"ip":"203.0.113.9","library":{"name":"analytics.js","version":"next-1.62.0"},"locale":"fr-FR","location":{"city":"Paris","country":"FR"},"page":{"path":"/academy/","referrer":"https://t.co/abc","search":"?utm_source=twitter","title":"Academy","url":"https://film.example/academy/?utm_source=twitter"},"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1","campaign":{"name":"Spring Drive","source":"twitter","medium":"social","content":"a&b"}},"integrations":{},"messageId":"ajs-next-f41a1d1b5d3e0c8b6a7e","name":"Academy","properties":{"path":"/academy/","referrer":"https://t.co/abc","search":"?utm_source=twitter","title":"Academy","url":"https://film.example/academy/?utm_source=twitter"},"receivedAt":"2024-01-01T00:00:01.909Z","sentAt":"2024-01-01T00:00:00.581Z","timestamp":"2024-01-01T00:00:00.905Z","type":"page","userId":"97980cfea0067","version":1}
    """#

    @Test func readsASegmentPageCall() throws {
        let r = try record(Self.segmentPage, .segment)
        #expect(r.event == "PageView")
        #expect(r.timestamp == 1_704_067_200_905)
        #expect(r.visitorID == "507f191e810c19729de860ea")
        #expect(r.userID == "97980cfea0067")
        #expect(r.eventID == "ajs-next-f41a1d1b5d3e0c8b6a7e")
        #expect(r.host == "film.example")
        #expect(r.path == "/academy/")
        // utm_source is in the URL already; the campaign adds only what the URL lacks.
        #expect(r.query == "utm_source=twitter&utm_medium=social&utm_campaign=Spring%20Drive&utm_content=a%26b")
        #expect(r.referrer == "https://t.co/abc")
        #expect(r.ip == "203.0.113.9")
        #expect(r.userAgent?.contains("iPhone") == true)
        #expect(r.country == "FR")
        #expect(r.city == "Paris")
        #expect(r.distinctID == nil)
    }

    /// Segment's e-commerce spec names are funnel's events, with the order's `total` (else
    /// `revenue`) as the amount when there is no `value`; a server library's message with a
    /// `userId` alone has the user as its visitor (a donation sent so was a custom event, or a
    /// `no_identity` reject; a review).
    @Test func segmentsOrderCompletedIsAPurchaseOfItsUser() throws {
        let order = try record(#"{"type":"track","event":"Order Completed","userId":"u-77","timestamp":"2024-03-01T12:00:00Z","properties":{"total":30,"revenue":27.5}}"#, .segment)
        #expect(order.event == "Purchase")
        #expect(order.properties.value == Amount(jsonNumber: Array("30".utf8)))
        #expect(order.visitorID == "u-77" && order.userID == "u-77")
        let revenue = try record(#"{"type":"track","event":"Order Completed","anonymousId":"a-1","userId":"u-77","timestamp":"2024-03-01T12:00:00Z","properties":{"revenue":"27.50"}}"#, .segment)
        #expect(revenue.properties.value == Amount(jsonNumber: Array("27.5".utf8)))
        #expect(revenue.visitorID == "a-1", "the anonymous id first")
        let valued = try record(#"{"type":"track","event":"Checkout Started","anonymousId":"a-1","timestamp":"2024-03-01T12:00:00Z","properties":{"value":10,"total":30}}"#, .segment)
        #expect(valued.event == "InitiateCheckout" && valued.properties.value == Amount(jsonNumber: Array("10".utf8)))
        // Other dialects keep the name; a pipeline's names add to Segment's and win over them.
        #expect(try record(#"{"event":"Order Completed","timestamp":1709294400000,"anonymous_id":"a"}"#, .canonical).event == "Order Completed")
        let mapped = try record(#"{"type":"track","event":"Order Completed","anonymousId":"a","timestamp":"2024-03-01T12:00:00Z"}"#, .segment,
                                eventNames: ["Order Completed": "OrderDone"])
        #expect(mapped.event == "OrderDone")
        let posthog = try record(#"{"event":"purchase","distinct_id":"d","timestamp":"2024-03-01T12:00:00Z","properties":{"value":5}}"#, .posthog,
                                 eventNames: ["purchase": "Purchase"])
        #expect(posthog.event == "Purchase")
    }

    @Test func readsASegmentTrackCall() throws {
        let r = try record(#"{"type":"track","event":"VideoProgress","messageId":"m-2","anonymousId":"a-1","timestamp":"2024-01-01T00:05:00Z","properties":{"content":"trailer-main","percent":74.6,"watch_time":"41.5","session_id":"ignored-when-context-has-one"},"context":{"sessionId":1704067200123,"page":{"url":"https://film.example/watch"},"campaign":{"source":"newsletter","medium":"email","term":"spring film"},"location":{"country":"United States","city":"San Francisco"}}}"#, .segment)
        #expect(r.event == "VideoProgress")
        #expect(r.sessionID == "1704067200123")
        #expect(r.properties.content == "trailer-main")
        #expect(r.properties.percent == 74)
        #expect(r.properties.watchTime?.description == "41.5")
        #expect(r.query == "utm_source=newsletter&utm_medium=email&utm_term=spring%20film")
        #expect(r.country == nil, "a country name is not an ISO code; geography falls back to the IP")
        #expect(r.city == "San Francisco")
    }

    @Test func segmentSessionIDFromPropertiesAndPageFromProperties() throws {
        let track = try record(#"{"type":"track","event":"Purchase","anonymousId":"a","timestamp":"2024-01-01T00:00:00Z","properties":{"session_id":"s-77","value":"10","url":"https://elsewhere.example/x"}}"#, .segment)
        #expect(track.sessionID == "s-77")
        #expect(track.properties.value?.description == "10")
        #expect(track.path == nil, "a track call's properties.url is not its page")

        let page = try record(#"{"type":"page","anonymousId":"a","timestamp":"2024-01-01T00:00:00Z","properties":{"path":"/p","search":"utm_source=x","referrer":"https://r.example/"}}"#, .segment)
        #expect(page.event == "PageView")
        #expect(page.path == "/p")
        #expect(page.query == "utm_source=x")
        #expect(page.referrer == "https://r.example/")
    }

    // MARK: - Rejects in every dialect

    @Test(arguments: [
        (NDJSONParser.Dialect.canonical, #"{"timestamp":1704067200,"anonymous_id":"v"}"#, RejectReason.missingEvent),
        (.canonical, #"{"event":"A","anonymous_id":"v"}"#, .missingTimestamp),
        (.posthog, #"{"uuid":"u","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","properties":{"event":"no"}}"#, .missingEvent),
        (.posthog, #"{"uuid":"u","event":"$pageview","distinct_id":"d","properties":{"timestamp":"2024-01-01T00:00:00Z"}}"#, .missingTimestamp),
        (.posthog, #"{"event":"$pageview","distinct_id":"d","timestamp":"2024-02-30T00:00:00Z"}"#, .badTimestamp),
        (.posthog, #"{"event":"$pageview","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z""#, .badJSON),
        (.posthog, #"[{"event":"$pageview"}]"#, .notAnObject),
        (.segment, #"{"type":"track","event":"","anonymousId":"a","timestamp":"2024-01-01T00:00:00Z"}"#, .missingEvent),
        (.segment, #"{"type":"track","event":"Purchase","anonymousId":"a","sentAt":"2024-01-01T00:00:00Z"}"#, .missingTimestamp),
        (.segment, #"{"type":"page","anonymousId":"a"}"#, .missingTimestamp),
        (.segment, #"{"type":"track","event":"A","timestamp":"yesterday"}"#, .badTimestamp),
        (.segment, #"{"type":"track","event":"A","timestamp":1704067200,"context":{"page":{"url":"x"}"#, .badJSON),
    ])
    func rejects(dialect: NDJSONParser.Dialect, line: String, expected: RejectReason) {
        #expect(reason(parse(line, dialect)) == expected)
    }

    /// A Segment order's `total` or `revenue` that is no number, with no `value`, is said as a
    /// `value` that is none is (rv75e: the purchase went without its amount, without a word);
    /// one that is read, or a `value` given, says nothing.
    @Test func aSegmentTotalThatIsNoNumberIsSaid() {
        func unread(_ properties: String, event: String = "Order Completed") -> String? {
            var bytes = Array(#"{"type":"track","event":"\#(event)","anonymousId":"a","timestamp":"2024-03-01T10:00:00Z","properties":{\#(properties)}}"#.utf8)
            var unread: String?
            _ = bytes.withUnsafeMutableBytes { NDJSONParser(dialect: .segment).parse(UnsafeRawBufferPointer($0), unreadNumber: &unread, describing: true) }
            return unread
        }
        #expect(unread(#""total":"12,5""#) == #""total": "12,5""#)
        #expect(unread(#""revenue":"€9""#) == #""revenue": "€9""#)
        #expect(unread(#""total":"12,5","revenue":9"#) == nil)
        #expect(unread(#""total":"12,5","value":3"#) == nil)
        #expect(unread(#""total":12.5"#) == nil)
        // Not for an event that is no purchase, nor a value that is none given one by `total`
        // (rv75h: both were warned of as a purchase without its amount).
        #expect(unread(#""total":"n/a""#, event: "Product Viewed") == nil)
        #expect(unread(#""value":"12,50","total":30"#) == nil)
    }

    /// A mapped amount, share, time or consent answer that ends at an object or an array
    /// leaves the dialect's value and is said as unread (rv75f: `order.total` holding
    /// `{"amount":25}` lost the revenue without a word).
    @Test func aMappedNumberThatIsAnObjectIsSaid() throws {
        let mapping = try FieldMapping(["value": "order.total", "percent": "v.pct", "analytics": "c.a"])
        // Said when nothing was read; not when the dialect read one, which stays (rv75h).
        let cases: [(String, String?)] = [
            (#"{"event":"Purchase","timestamp":1709287200000,"anonymous_id":"v","order":{"total":{"amount":25}}}"#, #""value": an object"#),
            (#"{"event":"VideoProgress","timestamp":1709287200000,"anonymous_id":"v","v":{"pct":[50]}}"#, #""percent": an array"#),
            (#"{"event":"Consent","timestamp":1709287200000,"anonymous_id":"v","c":{"a":{"x":1}}}"#, #""analytics": an object"#),
            (#"{"event":"Purchase","timestamp":1709287200000,"anonymous_id":"v","value":7,"order":{"total":{"amount":25}}}"#, nil),
            (#"{"event":"Consent","timestamp":1709287200000,"anonymous_id":"v","analytics":"denied","c":{"a":{"x":1}}}"#, nil),
        ]
        for (line, said) in cases {
            var bytes = Array(line.utf8)
            var unread: String?
            let outcome = bytes.withUnsafeMutableBytes {
                NDJSONParser(dialect: .canonical, mapping: mapping).parse(UnsafeRawBufferPointer($0), unreadNumber: &unread, describing: true)
            }
            guard case .record(let r) = outcome else { Issue.record("rejected: \(line)"); continue }
            #expect(unread == said, "\(line): \(unread ?? "nil")")
            if said == nil && r.event == "Purchase" { #expect(r.properties.value == Amount(micros: 7_000_000)) }
            if r.event == "Consent" && said == nil { #expect(r.properties.analytics == "denied") }
        }
    }

    @Test func deepNestingInsideDialectObjectsDoesNotOverflowTheStack() {
        let deep = String(repeating: "[", count: 300_000) + String(repeating: "]", count: 300_000)
        let postHog = #"{"event":"A","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","properties":{"$set":\#(deep),"x":{"y":\#(deep)}}}"#
        if case .record = parse(postHog, .posthog) {} else { Issue.record("deeply nested PostHog line rejected") }
        let segment = #"{"type":"track","event":"A","anonymousId":"a","timestamp":1704067200,"context":{"page":{"url":\#(deep)},"traits":\#(deep)}}"#
        if case .record = parse(segment, .segment) {} else { Issue.record("deeply nested Segment line rejected") }
        let mapping = try? FieldMapping(["session_id": "a.b.c"])
        let mapped = #"{"event":"A","timestamp":1704067200,"a":{"b":{"c":\#(deep)}}}"#
        // Read to its end without overflowing; the session id it maps to is an array, which is
        // an invalid id (not an absent one) since 2026-12-05.
        if case .reject(.invalidID, _) = parse(mapped, .canonical, mapping: mapping) {} else { Issue.record("deeply nested mapped line not rejected for its id") }
    }

    // MARK: - Field mappings

    @Test func aMappingReadsAnExportNoDialectDescribes() throws {
        let mapping = try FieldMapping([
            "event": "name", "timestamp": "data.ts", "session_id": "props.sid", "anonymous_id": "props.visitor.id",
            "url": "data.page.href", "value": "data.amount", "country": "geo.cc",
        ])
        let r = try record(#"{"name":"Purchase","data":{"ts":"2024-01-01T00:32:00Z","amount":"12.50","page":{"href":"https://film.example/donate?utm_source=fb"}},"props":{"sid":"s-1","visitor":{"id":"v-1"}},"geo":{"cc":"de"},"value":999}"#, .canonical, mapping: mapping)
        #expect(r.event == "Purchase")
        #expect(r.timestamp == 1_704_069_120_000)
        #expect(r.sessionID == "s-1")
        #expect(r.visitorID == "v-1")
        #expect(r.path == "/donate")
        #expect(r.query == "utm_source=fb")
        #expect(r.properties.value?.description == "12.5", "the mapped value wins over the top-level one")
        #expect(r.country == "DE")
    }

    @Test func aMappingAppliesOnTopOfTheDialect() throws {
        let mapping = try FieldMapping(["session_id": "properties.$window_id", "user_id": "properties.$user_id", "city": "properties.town"])
        let r = try record(#"{"event":"$pageview","distinct_id":"d","timestamp":"2024-01-01T00:00:00Z","properties":{"$session_id":"sess","$window_id":"win","$user_id":null,"$geoip_city_name":"Lyon","$current_url":"/w"}}"#, .posthog, mapping: mapping)
        #expect(r.event == "PageView")
        #expect(r.sessionID == "win", "a mapped path wins over the dialect")
        #expect(r.userID == nil)
        #expect(r.city == "Lyon", "an absent mapped path leaves the dialect's value")

        let canonical = try record(#"{"event":"A","timestamp":1704067200,"session_id":"top","p":{"sid":null}}"#, .canonical, mapping: try FieldMapping(["session_id": "p.sid"]))
        #expect(canonical.sessionID == "top", "a null mapped value leaves the dialect's value")
    }

    /// A mapped path holding `""` or an object names no value: the dialect's stays (until
    /// 2026-12-05 it was wiped: the session id, the amount and the URL lost); an object where
    /// an id is mapped is an invalid id, as in the canonical dialect. A mapped `$pageview` is a
    /// PageView like the dialect's own.
    @Test func aMappedEmptyTextOrObjectLeavesTheDialectsValue() throws {
        let mapping = try FieldMapping(["session_id": "properties.sid2", "value": "properties.amount2", "url": "properties.page2", "event": "kind"])
        let line = #"{"uuid":"u3","event":"Purchase","kind":"","distinct_id":"d1","timestamp":"2024-05-22T12:02:00Z","properties":{"$session_id":"s-1","sid2":"","amount2":"","value":7,"page2":{"x":1},"$current_url":"https://film.example/a?fbclid=Q"}}"#
        let r = try record(line, .posthog, mapping: mapping)
        #expect(r.sessionID == "s-1")
        #expect(r.properties.value == Amount(micros: 7_000_000))
        #expect(r.path == "/a" && r.query == "fbclid=Q")
        #expect(r.event == "Purchase")
        let objectID = #"{"uuid":"u4","event":"Purchase","distinct_id":"d1","timestamp":"2024-05-22T12:02:00Z","properties":{"$session_id":"s-1","sid2":{"a":1}}}"#
        #expect(reason(parse(objectID, .posthog, mapping: mapping)) == .invalidID)
        let mappedView = #"{"uuid":"u5","event":"x","kind":"$pageview","distinct_id":"d1","timestamp":"2024-05-22T12:02:00Z","properties":{"$current_url":"https://film.example/b"}}"#
        #expect(try record(mappedView, .posthog, mapping: mapping).event == "PageView")
    }

    @Test func mappingEdgeCases() throws {
        // Two fields from one path, an escaped key, and the later of two equal keys.
        let mapping = try FieldMapping(["anonymous_id": "ids.uid", "user_id": "ids.uid", "event": "ev.name"])
        let r = try record(#"{"ev":{"name":"First"},"timestamp":1704067200,"ids":{"u\u0069d":"x-1"},"ev":{"name":"Second"}}"#, .canonical, mapping: mapping)
        #expect(r.visitorID == "x-1")
        #expect(r.userID == "x-1")
        #expect(r.event == "Second")

        // A path through something that is not an object finds nothing.
        #expect(reason(parse(#"{"ev":"flat","timestamp":1704067200}"#, .canonical, mapping: mapping)) == .missingEvent)
        #expect(reason(parse(#"{"ev":{"name":"A"},"meta":{}}"#, .canonical, mapping: try FieldMapping(["timestamp": "meta.time", "event": "ev.name"]))) == .missingTimestamp)
        #expect(reason(parse(#"{"ev":{"name":"A"},"meta":{"time":"soon"}}"#, .canonical, mapping: try FieldMapping(["timestamp": "meta.time", "event": "ev.name"]))) == .badTimestamp)
        // Broken JSON inside a mapped object is bad JSON.
        #expect(reason(parse(#"{"event":"A","timestamp":1704067200,"m":{"x" 1}}"#, .canonical, mapping: try FieldMapping(["city": "m.x"]))) == .badJSON)
    }

    @Test(arguments: [
        ["session": "a"],
        ["properties": "a"],
        ["event": ""],
        ["event": "a..b"],
        ["event": ".a"],
        ["event": "a."],
        ["value": "items[0].price"],
        ["value": #"a.b\.c"#],
    ])
    func badMappingsAreRefused(paths: [String: String]) {
        #expect(throws: FieldMappingError.self) { try FieldMapping(paths) }
    }

    @Test func everyTargetNameIsAccepted() throws {
        let names = FieldMapping.targetNames
        #expect(names.contains("anonymous_id") && names.contains("distinct_id") && names.contains("watch_time"))
        let mapping = try FieldMapping(Dictionary(uniqueKeysWithValues: names.map { ($0, "m." + $0) }))
        #expect(mapping.paths.count == names.count)
    }

    /// Identify, Group and Alias calls are users, not events, and Screen calls an app's
    /// screens: skipped, not rejected.
    @Test(arguments: ["identify", "group", "alias", "screen"])
    func segmentUserCallsAreSkipped(type: String) {
        var bytes = Array(#"{"type":"\#(type)","anonymousId":"a","userId":"u","traits":{"email":"x@example.com"},"timestamp":"2024-01-01T00:00:00Z"}"#.utf8)
        let outcome = bytes.withUnsafeMutableBytes { NDJSONParser(dialect: .segment).parse(UnsafeRawBufferPointer($0)) }
        guard case .skip(let reason) = outcome else {
            Issue.record("\(type) call was not skipped: \(outcome)")
            return
        }
        #expect(reason == .notAnEvent)
    }

    /// Segment's `timestamp`, else `originalTimestamp`, else `receivedAt`, in any key order.
    @Test(arguments: [
        (#""receivedAt":"2024-01-01T00:00:03Z","originalTimestamp":"2024-01-01T00:00:02Z","timestamp":"2024-01-01T00:00:01Z""#, Int64(1_704_067_201_000)),
        (#""timestamp":"2024-01-01T00:00:01Z","originalTimestamp":"2024-01-01T00:00:02Z","receivedAt":"2024-01-01T00:00:03Z""#, Int64(1_704_067_201_000)),
        (#""receivedAt":"2024-01-01T00:00:03Z","originalTimestamp":"2024-01-01T00:00:02Z""#, Int64(1_704_067_202_000)),
        (#""originalTimestamp":"2024-01-01T00:00:02Z","receivedAt":"2024-01-01T00:00:03Z""#, Int64(1_704_067_202_000)),
        (#""receivedAt":"2024-01-01T00:00:03Z""#, Int64(1_704_067_203_000)),
        // A time that is null or empty is not given: the next one is taken.
        (#""timestamp":null,"originalTimestamp":"2024-01-01T00:00:02Z""#, Int64(1_704_067_202_000)),
        (#""receivedAt":"2024-01-01T00:00:03Z","timestamp":"""#, Int64(1_704_067_203_000)),
    ])
    func segmentTimesInTheirOrderOfPreference(times: String, expected: Int64) throws {
        let r = try record(#"{"type":"track","event":"Signup","anonymousId":"a-1",\#(times)}"#, .segment)
        #expect(r.timestamp == expected)
    }

    /// PostHog's bookkeeping events are no visit's events: skipped as `not_an_event`.
    @Test(arguments: ["$identify", "$set", "$create_alias", "$groupidentify", "$feature_flag_called", "$web_vitals"])
    func postHogBookkeepingIsSkipped(event: String) {
        let outcome = parse(#"{"event":"\#(event)","distinct_id":"d-1","timestamp":"2024-01-01T00:00:00Z","properties":{"$session_id":"s-1"}}"#, .posthog)
        guard case .skip(let reason) = outcome else {
            Issue.record("\(event) was not skipped: \(outcome)")
            return
        }
        #expect(reason == .notAnEvent)
    }

    /// `$pageleave` and `$autocapture` are the visitor's own doing: kept under their names.
    @Test func postHogVisitEventsAreKept() throws {
        for event in ["$pageleave", "$autocapture"] {
            let r = try record(#"{"event":"\#(event)","distinct_id":"d-1","timestamp":"2024-01-01T00:00:00Z","properties":{"$session_id":"s-1"}}"#, .posthog)
            #expect(r.event == event)
        }
    }

    /// A mapping that supplies the event name is read before the dialect names events, so a
    /// mapped `$pageview` is a PageView as well.
    @Test func aMappedPostHogPageViewIsAPageView() throws {
        let mapping = try FieldMapping(["event": "kind"])
        let r = try record(#"{"kind":"$pageview","distinct_id":"d-1","timestamp":"2024-01-01T00:00:00Z","properties":{"$session_id":"s-1","$current_url":"https://film.example/"}}"#, .posthog, mapping: mapping)
        #expect(r.event == "PageView")
    }
}
