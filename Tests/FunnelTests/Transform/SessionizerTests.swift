import Crypto
import FunnelCore
import FunnelTransform
import Testing

/// Sessionization, identity, page-view merge and the `mvp` fields (SPEC 4, 5, 7), through the
/// public `Transformer` API with records built by hand.
struct SessionizerTests {
    /// 2024-01-01T00:00:00Z.
    static let t0: Int64 = 1_704_067_200_000
    static let second: Int64 = 1000
    static let minute: Int64 = 60 * second
    static let hour: Int64 = 60 * minute

    // MARK: - Helpers

    private func event(
        _ name: String, at timestamp: Int64, visitor: String? = "v1", session: String? = nil, url: String? = nil,
        origin: Record.Origin = .client, eventID: String? = nil
    ) -> Record {
        var record = Record(origin: origin, event: name, timestamp: timestamp)
        record.visitorID = visitor
        record.sessionID = session
        record.eventID = eventID
        if let url {
            let parts = URLParts(url)
            record.host = parts.host
            record.path = parts.path
            record.query = parts.query
        }
        if origin == .accessLog {
            record.method = "GET"
            record.status = 200
        }
        return record
    }

    private func pageView(at timestamp: Int64, _ url: String, visitor: String? = "v1", session: String? = nil,
                          origin: Record.Origin = .client) -> Record {
        event("PageView", at: timestamp, visitor: visitor, session: session, url: url, origin: origin)
    }

    private func transform(_ records: [Record], settings: SessionSettings = SessionSettings(), salt: String = "") -> Transformer.Result {
        let transformer = Transformer(schema: .mvp, settings: settings, salt: salt)
        for record in records { transformer.add(record) }
        return transformer.finish()
    }

    private func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// SPEC 4, computed independently of the code under test.
    private func expectedSessionID(visitorKey: String, start: Int64) -> String {
        String(hex(SHA256.hash(data: Array("\(visitorKey)|\(start)".utf8))).prefix(16))
    }

    private func expectedFingerprint(salt: String, ip: String, userAgent: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(ip)|\(userAgent)".utf8), using: SymmetricKey(data: Array(salt.utf8)))
        return "fp" + String(hex(mac).prefix(16))
    }

    private func names(_ session: SessionRecord) -> [String] { session.events.map(\.name) }

    // MARK: - Timeout and maximum duration

    @Test func recordExactlyAtTheTimeoutJoins() {
        let t0 = Self.t0
        let result = transform([pageView(at: t0, "/a"), pageView(at: t0 + 30 * Self.minute, "/b")])
        #expect(result.sessions.count == 1)
        #expect(result.sessions.first?.events.count == 2)
    }

    @Test func recordOneMillisecondPastTheTimeoutStartsANewSession() throws {
        let t0 = Self.t0
        let result = transform([pageView(at: t0, "/a"), pageView(at: t0 + 30 * Self.minute + 1, "/b")])
        try #require(result.sessions.count == 2)
        #expect(result.sessions[0].start == t0)
        #expect(result.sessions[1].start == t0 + 30 * Self.minute + 1)
        #expect(result.sessions[1][field: FieldName.landingPage] == .string("/b"))
        #expect(result.visitors == 1)
    }

    @Test func timeoutIsMeasuredFromTheLastRecordNotTheStart() {
        let t0 = Self.t0
        // Every 20 minutes for 3 hours: each gap is under the timeout, so one session.
        let records = (0...9).map { pageView(at: t0 + Int64($0) * 20 * Self.minute, "/p\($0)") }
        let result = transform(records)
        #expect(result.sessions.count == 1)
        #expect(result.sessions.first?.events.count == 10)
    }

    @Test func customTimeoutFromSettings() {
        var settings = SessionSettings()
        settings.timeoutMillis = 5 * Self.minute
        let t0 = Self.t0
        let result = transform([pageView(at: t0, "/a"), pageView(at: t0 + 5 * Self.minute, "/b"),
                                pageView(at: t0 + 10 * Self.minute + 1, "/c")], settings: settings)
        #expect(result.sessions.map { $0.events.count } == [2, 1])
    }

    @Test func maxDurationSplitsSteadyActivity() throws {
        let t0 = Self.t0
        // A record every 10 minutes for 25 hours: never idle, but a session ends at 24 h.
        let records = (0...150).map { pageView(at: t0 + Int64($0) * 10 * Self.minute, "/p") }
        let result = transform(records)
        try #require(result.sessions.count == 2)
        #expect(result.sessions[0].start == t0)
        #expect(result.sessions[0].events.count == 144)  // t0 ... t0 + 23h50m
        #expect(result.sessions[0].events.last?.timestamp == t0 + 24 * Self.hour - 10 * Self.minute)
        #expect(result.sessions[1].start == t0 + 24 * Self.hour)
        #expect(result.sessions[1].events.count == 7)
    }

    @Test func customMaxDurationFromSettings() {
        var settings = SessionSettings()
        settings.maxDurationMillis = Self.hour
        let t0 = Self.t0
        let records = (0...12).map { pageView(at: t0 + Int64($0) * 10 * Self.minute, "/p") }  // 2 hours
        let result = transform(records, settings: settings)
        #expect(result.sessions.map(\.start) == [t0, t0 + Self.hour, t0 + 2 * Self.hour])
    }

    // MARK: - Campaigns

    @Test func campaignChangeInsideTheTimeoutSplits() throws {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0, "/watch?utm_source=facebook&utm_campaign=launch"),
            pageView(at: t0 + 2 * Self.minute, "/about"),
            pageView(at: t0 + 5 * Self.minute, "/watch?utm_source=google&utm_campaign=launch"),
        ])
        try #require(result.sessions.count == 2)
        #expect(result.sessions[0][field: FieldName.utmSource] == .string("facebook"))
        #expect(result.sessions[0].events.count == 2)
        #expect(result.sessions[1][field: FieldName.utmSource] == .string("google"))
        #expect(result.sessions[1].start == t0 + 5 * Self.minute)
        // Both sessions belong to the same visitor: the first touch is the first session.
        #expect(result.sessions[1][field: FieldName.firstTouchTimestamp] == .integer(t0))
    }

    /// A record with a campaign in the millisecond its session started joins it (SPEC 4's
    /// split would give the new session the same id): a session that had no campaign takes
    /// that one, as its `utm_*` fields do, so the same campaign later joins and another
    /// splits; a session that had one keeps it (docs/fields.md; rv73a found the docs said
    /// only the second).
    @Test(arguments: [
        // Taken: the session had none.
        (["/x", "/y?utm_source=b", "/z?utm_source=b", "/w?utm_source=c"], ["b", "c"]),
        // Kept: the session had one.
        (["/x?utm_source=a", "/y?utm_source=b", "/z?utm_source=a", "/w?utm_source=b"], ["a", "b"]),
    ])
    func aCampaignInASessionsFirstMillisecondIsItsCampaign(pages: [String], sources: [String]) throws {
        // The first two in one millisecond, then a minute apart.
        let times = [Self.t0, Self.t0, Self.t0 + Self.minute, Self.t0 + 2 * Self.minute]
        let result = transform(zip(times, pages).map { pageView(at: $0, $1) })
        #expect(result.sessions.map { $0.events.count } == [3, 1])
        #expect(result.sessions.map { $0[field: FieldName.utmSource] } == sources.map { .string($0) })
    }

    @Test func clickIDChangeSplitsToo() {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0, "/watch?fbclid=AAA"),
            pageView(at: t0 + Self.minute, "/watch?fbclid=BBB"),
        ])
        #expect(result.sessions.count == 2)
    }

    /// Each part of the campaign tuple splits on its own (SPEC 4: utm_source, utm_medium,
    /// utm_campaign, utm_content, utm_term and the click id), the others unchanged.
    @Test(arguments: ["utm_source=google", "utm_medium=cpc", "utm_campaign=summer", "utm_content=ad_2", "utm_term=indie+film",
                      "gclid=Cj0", "fbclid=Iw2"])
    func eachPartOfTheCampaignSplitsAlone(_ change: String) {
        let t0 = Self.t0
        let base = "utm_source=facebook&utm_medium=paid&utm_campaign=launch&utm_content=ad_1&utm_term=film"
        let name = change.prefix { $0 != "=" }
        let changed = base.split(separator: "&").contains { $0.hasPrefix(name + "=") }
            ? base.split(separator: "&").map { $0.hasPrefix(name + "=") ? Substring(change) : $0 }.joined(separator: "&")
            : base + "&" + change
        let result = transform([
            pageView(at: t0, "/watch?" + base),
            pageView(at: t0 + Self.minute, "/watch?" + base),
            pageView(at: t0 + 2 * Self.minute, "/watch?" + changed),
        ])
        #expect(result.sessions.count == 2, "\(changed)")
        #expect(result.sessions.last?.start == t0 + 2 * Self.minute)
    }

    @Test func sameCampaignRepeatedDoesNotSplit() {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0, "/watch?utm_source=facebook&utm_medium=paid&utm_campaign=launch"),
            pageView(at: t0 + 5 * Self.minute, "/donate"),
            pageView(at: t0 + 10 * Self.minute, "/watch?utm_source=facebook&utm_medium=paid&utm_campaign=launch"),
            pageView(at: t0 + 12 * Self.minute, "/watch?utm_campaign=launch&utm_medium=paid&utm_source=facebook&other=1"),
        ])
        #expect(result.sessions.count == 1)
        #expect(result.sessions.first?.events.count == 4)
    }

    @Test func campaignChangeDoesNotSplitAClientIDSession() throws {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0, "/watch?utm_source=facebook", session: "client-1"),
            pageView(at: t0 + 5 * Self.minute, "/watch?utm_source=google", session: "client-1"),
        ])
        try #require(result.sessions.count == 1)
        #expect(result.sessions[0].id == "client-1")
        #expect(result.sessions[0][field: FieldName.utmSource] == .string("facebook"))
    }

    @Test func clientIDSessionIgnoresTheTimeout() throws {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0, "/a", session: "client-1"),
            pageView(at: t0 + 2 * Self.hour, "/b", session: "client-1"),
        ])
        try #require(result.sessions.count == 1)
        #expect(result.sessions[0].id == "client-1")
        #expect(result.sessions[0].events.count == 2)
    }

    // MARK: - Order

    private func mixedDay() -> [Record] {
        let t0 = Self.t0
        var purchase = event("Purchase", at: t0 + 3 * Self.minute, visitor: "v2")
        purchase.properties.value = Amount(micros: 25_000_000)
        return [
            pageView(at: t0, "/watch?utm_source=facebook&fbclid=Xy", visitor: "v1"),
            pageView(at: t0 + Self.minute, "/donate", visitor: "v1"),
            pageView(at: t0 + 2 * Self.hour, "/watch", visitor: "v1"),
            pageView(at: t0 + 2 * Self.hour + 20 * Self.minute, "/watch?utm_source=google", visitor: "v1"),
            pageView(at: t0 + 30 * Self.second, "/", visitor: "v2"),
            purchase,
            pageView(at: t0 + 40 * Self.minute, "/thanks", visitor: "v2"),
            pageView(at: t0 + 10 * Self.minute, "/a", visitor: "v3", session: "s-3"),
            event("ViewContent", at: t0 + 11 * Self.minute, visitor: "v3", session: "s-3"),
        ]
    }

    @Test func recordsOutOfOrderGiveTheSameSessions() throws {
        let ordered = mixedDay()
        let expected = transform(ordered)
        #expect(expected.sessions.count == 6)
        #expect(transform(ordered.reversed()).sessions == expected.sessions)
        // A fixed permutation that interleaves visitors.
        let permutation = [4, 8, 2, 0, 6, 1, 7, 3, 5]
        try #require(permutation.sorted() == Array(ordered.indices))
        #expect(transform(permutation.map { ordered[$0] }).sessions == expected.sessions)
    }

    @Test func equalTimestampsKeepInputOrder() throws {
        let t0 = Self.t0
        let first = transform([pageView(at: t0, "/first"), event("ViewContent", at: t0), pageView(at: t0, "/second")])
        let session = try #require(first.sessions.first)
        #expect(names(session) == ["PageView", "ViewContent", "PageView"])
        #expect(session[field: FieldName.landingPage] == .string("/first"))

        let swapped = transform([pageView(at: t0, "/second"), event("ViewContent", at: t0), pageView(at: t0, "/first")])
        #expect(swapped.sessions.first?[field: FieldName.landingPage] == .string("/second"))
    }

    @Test func outputIsOrderedByCreatedAtThenSessionID() throws {
        let t0 = Self.t0
        var records: [Record] = []
        for visitor in 0..<12 {
            // Pairs of visitors start at the same millisecond, so ties are broken by the id.
            records.append(pageView(at: t0 + Int64((11 - visitor) / 2) * Self.minute, "/", visitor: "visitor-\(visitor)"))
        }
        records.append(pageView(at: t0 - Self.hour, "/", visitor: "z-client", session: "zzzz"))
        records.append(pageView(at: t0 - Self.hour, "/", visitor: "a-client", session: "aaaa"))
        let sessions = transform(records).sessions
        try #require(sessions.count == 14)
        #expect(sessions[0].id == "aaaa")
        #expect(sessions[1].id == "zzzz")
        for (a, b) in zip(sessions, sessions.dropFirst()) {
            #expect(a.start < b.start || (a.start == b.start && a.id < b.id), "\(a.id)@\(a.start) before \(b.id)@\(b.start)")
        }
        #expect(sessions.map { $0[field: FieldName.createdAt] } == sessions.map { FieldValue?.some(.integer($0.start)) })
    }

    // MARK: - Client session ids

    @Test func clientSessionSpanningRecordsWithAndWithoutVisitorIDIsOneSession() throws {
        let t0 = Self.t0
        // The access log saw the first page before the visitor cookie was set: it has the
        // session cookie, an IP and an agent, but no visitor id.
        var first = pageView(at: t0, "/watch", visitor: nil, session: "sess-42", origin: .accessLog)
        first.ip = "198.51.100.7"
        first.userAgent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"
        let second = event("ViewContent", at: t0 + Self.minute, visitor: "anon-1", session: "sess-42")
        let third = pageView(at: t0 + 2 * Self.minute, "/donate", visitor: "anon-1", session: "sess-42")
        // A later record of the same visitor without a session id joins the current session.
        let fourth = event("InitiateCheckout", at: t0 + 3 * Self.minute, visitor: "anon-1")
        for records in [[first, second, third, fourth], [fourth, third, second, first]] {
            let result = transform(records)
            try #require(result.sessions.count == 1)
            #expect(result.sessions[0].id == "sess-42")
            #expect(names(result.sessions[0]) == ["PageView", "ViewContent", "PageView", "InitiateCheckout"])
            #expect(result.sessions[0][field: FieldName.landingPage] == .string("/watch"))
            #expect(result.sessions[0][field: FieldName.donationInitiated] == .bool(true))
            #expect(result.visitors == 1)
        }
    }

    @Test func recordWithOnlyASessionIDUsesItAsVisitorKey() throws {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0, "/a", visitor: nil, session: "only-session"),
            pageView(at: t0 + Self.minute, "/b", visitor: nil, session: "only-session"),
        ])
        try #require(result.sessions.count == 1)
        #expect(result.sessions[0].id == "only-session")
        #expect(result.visitors == 1)
    }

    /// A visitor's client sessions are found by id whether it has a few (looked through) or
    /// many (a table past `Sessionizer`'s search limit of 16): records taking turns between
    /// 3, then 40 sessions, given in reverse, each session keeping exactly its own.
    @Test(arguments: [3, 40])
    func interleavedClientSessionsEachKeepTheirOwnRecords(count: Int) throws {
        let t0 = Self.t0
        let records = (0..<(count * 5)).map { i in
            event("ViewContent", at: t0 + Int64(i) * Self.second, session: "c\(i % count)")
        }
        let result = transform(Array(records.reversed()))
        try #require(result.sessions.count == count)
        #expect(Set(result.sessions.map(\.id)) == Set((0..<count).map { "c\($0)" }))
        for session in result.sessions {
            let k = try #require(Int(session.id.dropFirst()))
            #expect(session.start == t0 + Int64(k) * Self.second)
            #expect(session.events.map(\.timestamp) == (0..<5).map { t0 + Int64(k + $0 * count) * Self.second })
        }
    }

    // MARK: - De-duplication

    @Test func duplicateEventIDsKeepTheFirstRead() throws {
        let t0 = Self.t0
        let transformer = Transformer(schema: .mvp, settings: SessionSettings(), salt: "")
        var first = event("Purchase", at: t0 + Self.minute, eventID: "evt-1")
        first.properties.value = Amount(micros: 25_000_000)
        // Read second, though earlier in time and with another value: still a duplicate.
        var second = event("Purchase", at: t0, eventID: "evt-1")
        second.properties.value = Amount(micros: 40_000_000)
        var other = event("Purchase", at: t0 + 2 * Self.minute, eventID: "evt-2")
        other.properties.value = Amount(micros: 5_000_000)
        #expect(transformer.add(first))
        #expect(!transformer.add(second))
        #expect(transformer.add(other))
        #expect(!transformer.add(first))
        let result = transformer.finish()
        #expect(result.duplicateEvents == 2)
        let session = try #require(result.sessions.first)
        #expect(session.events.map(\.timestamp) == [t0 + Self.minute, t0 + 2 * Self.minute])
        #expect(session[field: FieldName.donationAmount] == .amount(Amount(micros: 30_000_000)))
    }

    @Test func eventsWithoutEventIDAreNeverDuplicates() {
        let t0 = Self.t0
        let transformer = Transformer(schema: .mvp, settings: SessionSettings(), salt: "")
        #expect(transformer.add(event("VideoProgress", at: t0)))
        #expect(transformer.add(event("VideoProgress", at: t0)))
        let result = transformer.finish()
        #expect(result.duplicateEvents == 0)
        #expect(result.sessions.first?.events.count == 2)
    }

    // MARK: - Page-view merge

    private func mergePair(logOffset: Int64, logPath: String = "/watch") -> Transformer.Result {
        let t0 = Self.t0
        let client = pageView(at: t0, "https://film.example/watch", visitor: "v1")
        var line = pageView(at: t0 + logOffset, logPath + "?utm_source=facebook&utm_medium=paid&utm_campaign=launch&utm_content=ad_7",
                            visitor: "v1", origin: .accessLog)
        line.ip = "203.0.113.9"
        line.userAgent = "Mozilla/5.0 (iPhone) Safari/604.1"
        line.referrer = "https://l.facebook.com/"
        return transform([line, client])
    }

    @Test func clientAndLogPageViewOfTheSamePathWithin10sAreOne() throws {
        for offset: Int64 in [-10_000, -3_000, 0, 2_000, 10_000] {
            let result = mergePair(logOffset: offset)
            try #require(result.sessions.count == 1, "offset \(offset)")
            let session = result.sessions[0]
            #expect(session.events == [EventRecord(name: "PageView", timestamp: Self.t0)], "offset \(offset)")
            #expect(session.start == Self.t0)
            #expect(session[field: FieldName.createdAt] == .integer(Self.t0))
            // The log line supplied the query string, hence the utm fields.
            #expect(session[field: FieldName.utmSource] == .string("facebook"))
            #expect(session[field: FieldName.utmMedium] == .string("paid"))
            #expect(session[field: FieldName.utmCampaign] == .string("launch"))
            #expect(session[field: FieldName.utmContent] == .string("ad_7"))
            #expect(session[field: FieldName.landingPage] == .string("/watch"))
            #expect(result.mergedPageViews == 1)
        }
    }

    @Test func pageViews11sApartStayTwo() throws {
        for offset: Int64 in [11_000, -11_000] {
            let result = mergePair(logOffset: offset)
            #expect(result.mergedPageViews == 0)
            let events = result.sessions.flatMap(\.events)
            #expect(events.count == 2)
            #expect(events.allSatisfy { $0.name == "PageView" })
        }
    }

    @Test func pageViewsOfDifferentPathsStayTwo() {
        let result = mergePair(logOffset: 1_000, logPath: "/donate")
        #expect(result.mergedPageViews == 0)
        #expect(result.sessions.flatMap(\.events).count == 2)
    }

    /// One path spelled two ways, with escapes in either case or none, is one page view
    /// (rv69d: a browser's `/café` and the server's `/caf%C3%A9` were two); the client's
    /// spelling is kept. An escaped reserved character is not the character (`%2F` is no
    /// `/`, `%25` no raw `%`: rv69f).
    @Test(arguments: [("https://film.example/caf%C3%A9", "/caf%c3%a9", true), ("https://film.example/café", "/caf%C3%A9", true),
                      ("https://film.example/%7Efilm/x", "/~film/x", true), ("https://film.example/caf%C3%A9", "/cafe", false),
                      ("https://film.example/a%2", "/a%2", true), ("https://film.example/a%25", "/a%", false),
                      ("https://film.example/docs/a%2Fb", "/docs/a/b", false), ("https://film.example/a%2fb", "/a%2Fb", true)])
    func onePathSpelledTwoWaysIsOnePageView(_ client: String, _ logPath: String, _ one: Bool) throws {
        let t0 = Self.t0
        let result = transform([pageView(at: t0 + 1_000, logPath, visitor: "v1", origin: .accessLog), pageView(at: t0, client, visitor: "v1")])
        #expect(result.mergedPageViews == (one ? 1 : 0), "\(client) \(logPath)")
        #expect(result.sessions.flatMap(\.events).count == (one ? 1 : 2))
    }

    @Test func oneLogLineMergesWithOneClientPageViewOnly() throws {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0, "/watch"),
            pageView(at: t0 + 4_000, "/watch"),
            pageView(at: t0 + 1_000, "/watch", origin: .accessLog),
        ])
        #expect(result.mergedPageViews == 1)
        let session = try #require(result.sessions.first)
        #expect(session.events.map(\.timestamp) == [t0, t0 + 4_000])
    }

    /// Two log lines of one path near one client view: the first line visited takes the
    /// view, and the other stays a page view of its own.
    @Test func oneClientPageViewTakesOneLogLineOnly() throws {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0, "/watch"),
            pageView(at: t0 + 1_000, "/watch", origin: .accessLog),
            pageView(at: t0 + 2_000, "/watch", origin: .accessLog),
        ])
        #expect(result.mergedPageViews == 1)
        let session = try #require(result.sessions.first)
        #expect(session.events.map(\.timestamp) == [t0, t0 + 2_000])
    }

    /// A visitor of many records (beyond the 1 KiB the merge always keeps on the stack): every log line
    /// merges with the client view of its path nearest in time, once, and a line without one
    /// stays; the views keep their times, in order.
    @Test func aVisitorOfManyRecordsMergesEachLineWithItsNearestView() throws {
        let t0 = Self.t0
        var records: [Record] = []
        var expected: [Int64] = []
        for step in 0..<60 {
            let at = t0 + Int64(step) * 20_000
            records.append(pageView(at: at, "https://film.example/p\(step % 7)", visitor: "v1"))
            expected.append(at)
            // Nearer to this view than to the next of its path; every fifth line has a path no view has.
            let path = step % 5 == 4 ? "/lonely\(step)" : "/p\(step % 7)"
            records.append(pageView(at: at + 3_000, path, visitor: "v1", origin: .accessLog))
            if step % 5 == 4 { expected.append(at + 3_000) }
        }
        let result = transform(Array(records.reversed()))
        #expect(result.mergedPageViews == 48)
        #expect(result.sessions.flatMap(\.events).map(\.timestamp).sorted() == expected.sorted())
    }

    /// The log line's session cookie goes with it into the client view it merges with (SPEC 4:
    /// the record carries a client session id), so a view more than the timeout after the
    /// session's last record stays in that session; its city goes with its country.
    @Test func aMergedViewKeepsTheLogLinesClientSessionAndCity() throws {
        let t0 = Self.t0
        var first = pageView(at: t0, "/a?utm_source=fb", session: "CS1", origin: .accessLog)
        first.country = "DE"
        first.city = "Berlin"
        var line = pageView(at: t0 + 40 * Self.minute + 2_000, "/b", session: "CS1", origin: .accessLog)
        line.country = "DE"
        line.city = "Berlin"
        let client = pageView(at: t0 + 40 * Self.minute, "https://film.example/b")
        let transformer = Transformer(schema: .enhanced, settings: SessionSettings(), salt: "")
        for record in [first, line, client] { transformer.add(record) }
        let result = transformer.finish()
        #expect(result.mergedPageViews == 1)
        try #require(result.sessions.count == 1, "\(result.sessions.map(\.id))")
        let session = result.sessions[0]
        #expect(session.id == "CS1")
        #expect(session.events.map(\.timestamp) == [t0, t0 + 40 * Self.minute])
        #expect(session[field: FieldName.sessionCount] == .integer(1))

        // A client view on its own, without country or city, takes both from its line.
        let alone = Transformer(schema: .enhanced, settings: SessionSettings(), salt: "")
        alone.add(line)
        alone.add(client)
        let merged = try #require(alone.finish().sessions.first)
        #expect(merged[field: FieldName.country] == .string("DE"))
        #expect(merged[field: FieldName.city] == .string("Berlin"))

        // A view with the line's country and no city takes its city; one with another
        // country keeps its own and takes none.
        for (country, city) in [("DE", "Berlin"), ("FR", nil)] as [(String, String?)] {
            var view = client
            view.country = country
            let other = Transformer(schema: .enhanced, settings: SessionSettings(), salt: "")
            other.add(line)
            other.add(view)
            let session = try #require(other.finish().sessions.first)
            #expect(session[field: FieldName.country] == .string(country))
            #expect(session[field: FieldName.city] == city.map { .string($0) }, "\(country)")
        }
    }

    /// Two sessions of one visitor starting in the same millisecond are in input order
    /// (SPEC 4: input order breaks ties), whatever their ids: the one read first is the
    /// visitor's first session and first touch.
    @Test(arguments: [("Z1", "A2"), ("A2", "Z1")])
    func sessionsStartingTogetherAreInInputOrder(_ readFirst: String, _ readSecond: String) throws {
        let t0 = Self.t0
        let transformer = Transformer(schema: .enhanced, settings: SessionSettings(), salt: "")
        transformer.add(pageView(at: t0, "/?utm_source=first", session: readFirst))
        transformer.add(pageView(at: t0, "/?utm_source=second", session: readSecond))
        let sessions = transformer.finish().sessions
        let one = try #require(sessions.first { $0.id == readFirst })
        let two = try #require(sessions.first { $0.id == readSecond })
        #expect(one[field: FieldName.sessionCount] == .integer(1))
        #expect(two[field: FieldName.sessionCount] == .integer(2))
        #expect(two[field: FieldName.firstTouchSource] == .string("first"))
        #expect(two[field: FieldName.lastTouchSource] == .string("second"))
    }

    // MARK: - Ids

    @Test func derivedSessionIDIsSHA256OfVisitorKeyAndStart() throws {
        let t0 = Self.t0
        let start = t0 + 123
        let result = transform([pageView(at: start, "/"), pageView(at: start + Self.minute, "/b")])
        let session = try #require(result.sessions.first)
        #expect(session.id == expectedSessionID(visitorKey: "v1", start: start))
        #expect(session.id.count == 16)
        #expect(session.id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        // Stable across runs and independent of anything but key and start.
        #expect(transform([pageView(at: start, "/other")]).sessions.first?.id == session.id)
    }

    @Test func fingerprintIsHMACOfIPAndAgentWithTheSalt() throws {
        let t0 = Self.t0
        let ip = "203.0.113.9"
        let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.0.0 Safari/537.36"
        func anonymous(at timestamp: Int64, agent: String = agent) -> Record {
            var record = pageView(at: timestamp, "/watch", visitor: nil, origin: .accessLog)
            record.ip = ip
            record.userAgent = agent
            return record
        }
        for salt in ["", "pepper"] {
            let key = expectedFingerprint(salt: salt, ip: ip, userAgent: agent)
            #expect(key.count == 18 && key.hasPrefix("fp"))
            let result = transform([anonymous(at: t0), anonymous(at: t0 + Self.minute)], salt: salt)
            try #require(result.sessions.count == 1)
            #expect(result.sessions[0].id == expectedSessionID(visitorKey: key, start: t0), "salt '\(salt)'")
        }
        #expect(expectedFingerprint(salt: "", ip: ip, userAgent: agent) != expectedFingerprint(salt: "pepper", ip: ip, userAgent: agent))
        // Another agent from the same IP is another visitor.
        let two = transform([anonymous(at: t0), anonymous(at: t0 + Self.minute, agent: "Mozilla/5.0 (iPhone) Safari/604.1")])
        #expect(two.visitors == 2)
        #expect(two.sessions.count == 2)
    }

    @Test func firstTouchIsTheVisitorsEarliestSessionStart() throws {
        let t0 = Self.t0
        let result = transform([
            pageView(at: t0 + 5 * Self.hour, "/c", visitor: "v1"),
            pageView(at: t0 + Self.hour, "/a", visitor: "v1"),
            pageView(at: t0 + 3 * Self.hour, "/b", visitor: "v1"),
            pageView(at: t0 + 2 * Self.hour, "/x", visitor: "v2"),
        ])
        let v1 = result.sessions.filter { $0[field: FieldName.landingPage] != .string("/x") }
        try #require(v1.count == 3)
        #expect(v1.allSatisfy { $0[field: FieldName.firstTouchTimestamp] == .integer(t0 + Self.hour) })
        let v2 = try #require(result.sessions.first { $0[field: FieldName.landingPage] == .string("/x") })
        #expect(v2[field: FieldName.firstTouchTimestamp] == .integer(t0 + 2 * Self.hour))
        #expect(result.visitors == 2)
    }

    // MARK: - MVP fields

    @Test func mvpFieldsOfAConvertingSession() throws {
        let t0 = Self.t0
        let s = "c-1"
        var videoStart = event("VideoStart", at: t0 + 2 * Self.second, session: s)
        videoStart.properties.content = "intro_v1"
        var viewContent = event("ViewContent", at: t0 + 3 * Self.second, session: s)
        viewContent.properties.content = "trailer_main"
        var checkout = event("InitiateCheckout", at: t0 + 4 * Self.second, session: s)
        checkout.properties.value = Amount(micros: 99_000_000)
        var purchase1 = event("Purchase", at: t0 + 5 * Self.second, session: s)
        purchase1.properties.value = Amount(jsonNumber: Array("12.5".utf8))
        var purchase2 = event("Purchase", at: t0 + 6 * Self.second, session: s)
        purchase2.properties.value = Amount(jsonNumber: Array("0.1".utf8))
        var withCountry = pageView(at: t0 + 7 * Self.second, "/thanks", session: s)
        withCountry.country = "DE"
        var laterCountry = event("Custom", at: t0 + 8 * Self.second, session: s)
        laterCountry.country = "FR"

        let records = [
            pageView(at: t0, "https://film.example/watch?ref=newsletter", session: s),
            pageView(at: t0 + Self.second,
                     "/watch/trailer?utm_source=face%20book&utm_medium=paid+social&utm_campaign=spring%2Blaunch&utm_content=ad%E2%9C%93&fbclid=IwAR0_AbCdEf-GhI",
                     session: s),
            pageView(at: t0 + 1_500, "/x?utm_source=other&fbclid=second", session: s),
            videoStart, viewContent, checkout, purchase1, purchase2, withCountry, laterCountry,
        ]
        let result = transform(records)
        try #require(result.sessions.count == 1)
        let session = result.sessions[0]
        #expect(session.id == s)
        #expect(session.fields == [
            Field(FieldName.utmSource, .string("face book")),
            Field(FieldName.utmMedium, .string("paid social")),
            Field(FieldName.utmCampaign, .string("spring+launch")),
            Field(FieldName.utmContent, .string("ad✓")),
            Field(FieldName.firstTouchTimestamp, .integer(t0)),
            Field(FieldName.landingPage, .string("/watch")),
            Field(FieldName.contentViewed, .string("trailer_main")),
            Field(FieldName.donationInitiated, .bool(true)),
            Field(FieldName.donationCompleted, .bool(true)),
            Field(FieldName.donationAmount, .amount(Amount(micros: 12_600_000))),
            Field(FieldName.fbclid, .string("IwAR0_AbCdEf-GhI")),
            Field(FieldName.country, .string("DE")),
            Field(FieldName.createdAt, .integer(t0)),
        ])
        #expect(session[field: FieldName.donationAmount]?.text == "12.6")
        // Events: only Purchase keeps a property (its value), in time order.
        #expect(names(session) == ["PageView", "PageView", "PageView", "VideoStart", "ViewContent", "InitiateCheckout",
                                   "Purchase", "Purchase", "PageView", "Custom"])
        #expect(session.events.map { $0.properties.map(\.name) }.filter { !$0.isEmpty } == [["value"], ["value"]])
        #expect(String(decoding: session.events[6].json, as: UTF8.self) == #"{"event":"Purchase","value":12.5,"timestamp":1704067205000}"#)
        #expect(String(decoding: session.events[0].json, as: UTF8.self) == #"{"event":"PageView","timestamp":1704067200000}"#)
    }

    @Test func mvpFieldsOfABrowsingSession() throws {
        let t0 = Self.t0
        var videoStart = event("VideoStart", at: t0 + Self.second)
        videoStart.properties.content = "trailer_2"
        var otherStart = event("VideoStart", at: t0 + 2 * Self.second)
        otherStart.properties.content = "intro"
        var checkout = event("InitiateCheckout", at: t0 + 3 * Self.second)
        checkout.properties.value = Amount(micros: 10_000_000)
        let result = transform([pageView(at: t0, "/?ref=x"), videoStart, otherStart, checkout])
        let session = try #require(result.sessions.first)
        #expect(session[field: FieldName.contentViewed] == .string("trailer_2"))
        #expect(session[field: FieldName.landingPage] == .string("/"))
        #expect(session[field: FieldName.donationInitiated] == .bool(true))
        #expect(session[field: FieldName.donationCompleted] == .bool(false))
        // No amount without a completed donation, and absent fields are left out, not empty.
        #expect(session[field: FieldName.donationAmount] == nil)
        for name in [FieldName.utmSource, FieldName.utmMedium, FieldName.utmCampaign, FieldName.utmContent, FieldName.fbclid, FieldName.country] {
            #expect(session[field: name] == nil, "\(name)")
        }
        #expect(session.fields.map(\.name) == [FieldName.firstTouchTimestamp, FieldName.landingPage, FieldName.contentViewed,
                                               FieldName.donationInitiated, FieldName.donationCompleted, FieldName.createdAt])
    }

    /// White space alone is no value (SPEC 5: left out, never empty): a utm value of `%20` or
    /// `+`, a content of spaces; a value with text around its spaces stays as it is.
    @Test func textsOfWhiteSpaceAloneAreLeftOut() throws {
        let t0 = Self.t0
        var viewContent = event("ViewContent", at: t0 + Self.second)
        viewContent.properties.content = " \t "
        let result = transform([pageView(at: t0, "/?utm_source=%20&utm_medium=+&utm_campaign=%20+%20&utm_content=+a+"), viewContent])
        let session = try #require(result.sessions.first)
        for name in [FieldName.utmSource, FieldName.utmMedium, FieldName.utmCampaign, FieldName.contentViewed] {
            #expect(session[field: name] == nil, "\(name)")
        }
        #expect(session[field: FieldName.utmContent] == .string(" a "))
    }

    /// A consent answer with spaces around it is that answer (`"denied "`: until 2026-12-06 no
    /// answer, and the session was written with its click id); two words are none.
    @Test(arguments: [("denied ", "denied"), (" Denied\t", "denied"), (" granted", "granted"), ("denied\n", "denied"), ("denied\r\n", "denied"),
                      ("not denied", "pending")])
    func aConsentAnswerWithSpacesAroundItCounts(answer: String, state: String) throws {
        var consent = event("Consent", at: Self.t0 + Self.second)
        consent.properties.marketing = answer
        let transformer = Transformer(schema: .enhanced, settings: SessionSettings(), salt: "")
        transformer.add(pageView(at: Self.t0, "/?fbclid=AbC"))
        transformer.add(consent)
        let session = try #require(transformer.finish().sessions.first)
        #expect(session[field: FieldName.consentMarketing] == .string(state))
        #expect((session[field: FieldName.fbclid] == nil) == (state == "denied"))
    }

    @Test func sessionWithoutPageViewHasNoLandingPageAndDefaultsFalse() throws {
        let result = transform([event("Consent", at: Self.t0)])
        let session = try #require(result.sessions.first)
        #expect(session[field: FieldName.landingPage] == nil)
        #expect(session[field: FieldName.contentViewed] == nil)
        #expect(session[field: FieldName.donationInitiated] == .bool(false))
        #expect(session[field: FieldName.donationCompleted] == .bool(false))
    }

    @Test func purchaseWithoutValueCompletesWithoutAmount() throws {
        let result = transform([event("Purchase", at: Self.t0)])
        let session = try #require(result.sessions.first)
        #expect(session[field: FieldName.donationCompleted] == .bool(true))
        #expect(session[field: FieldName.donationAmount] == nil)
        #expect(session.events == [EventRecord(name: "Purchase", timestamp: Self.t0)])
    }

    @Test func schemaFieldNamesAreTheSpecsAndOnlyThose() {
        #expect(FieldName.mvp == [
            "utm_source", "utm_medium", "utm_campaign", "utm_content", "first_touch_timestamp", "landing_page",
            "content_viewed", "donation_initiated", "donation_completed", "donation_amount", "fbclid", "country", "created_at",
        ])
        // Every field the transformer writes is one of them, in that order.
        let result = transform(mixedDay())
        for session in result.sessions {
            let order = session.fields.map { FieldName.mvp.firstIndex(of: $0.name) ?? -1 }
            #expect(!order.contains(-1))
            #expect(order == order.sorted())
        }
    }

    /// A client session id that is an e-mail or IP address is written as its keyed hash
    /// (`em`/`ip` + 16 hex digits) and kept as it came in the records and the history, whose
    /// keys and visitor rows (a record with neither visitor id nor address is its session's
    /// visitor) a history written before holds under it: hashed there too, a session continued
    /// by a later run became two, one of them losing its first day (a review, 2026-12-05).
    @Test(arguments: [("fan@example.org", "em"), ("198.51.100.23", "ip"), ("10.0.0.9:443", "ip")])
    func anAddressSessionIDIsWrittenHashedAndKeptAsItCame(id: String, prefix: String) {
        let transformer = Transformer(schema: .mvp, settings: SessionSettings(), salt: "s")
        let first = transformer.normalize(pageView(at: Self.t0, "https://film.example/a", visitor: nil, session: id))
        let second = transformer.normalize(pageView(at: Self.t0 + Self.minute, "https://film.example/b", visitor: nil, session: id))
        #expect(first.sessionID == id)
        #expect(Transformer.group(of: first) == "s:" + id)
        let built = transformer.sessions(visitor: id, records: [first, second]).sessions
        #expect(built.count == 1)
        #expect(built.first?.id.hasPrefix(prefix) == true && built.first?.id.count == 18, "\(built.first?.id ?? "none")")
    }
}
