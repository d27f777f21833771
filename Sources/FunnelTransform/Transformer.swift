import FunnelCore

/// Turns records into session records (SPEC 4, 5, 7).
///
/// The work is split so that history can be carried across runs (SPEC 10): `normalize` turns
/// a kept record into what is stored (visitor key, device, geography; no IP, agent or raw
/// query), `group(of:)` names the group it is stored under, and `sessions(visitor:records:)`
/// rebuilds one visitor's sessions from all of that visitor's records. A visitor's sessions
/// are a function of the visitor's records alone, which is what makes any sequence of runs
/// agree with one run over the union of their days.
///
/// `add` and `finish` are the same for one run without history.
public final class Transformer {
    public struct Result: Sendable {
        public var sessions: [SessionRecord]
        public var visitors: Int
        public var duplicateEvents: Int
        public var mergedPageViews: Int
        /// Sessions not written because the visitor denied analytics consent (SPEC 11).
        public var withheldSessions: Int
    }

    /// One visitor's rebuilt sessions.
    public struct VisitorSessions: Sendable {
        public var sessions: [SessionRecord]
        public var withheld: Int
        public var merged: Int
        /// Events dropped by the per-session cap.
        public var overCap: Int
        /// Where the visitor is left, for a later run to continue from (nil without records).
        public var past: VisitorPast?
    }

    public let configuration: TransformConfiguration
    public var schema: Schema { configuration.schema }
    public var settings: SessionSettings { configuration.sessions }
    let identity: VisitorIdentity
    let agents: UserAgentClassifier
    private var records: [Record] = []
    private var eventIDs = Set<String>()
    private var duplicateEvents = 0

    /// `agents` classifies the records' agents for `normalize` (device and browser only: its
    /// bot patterns do not matter here). The reader passes its `RecordFilter`'s, which has just
    /// classified the same agent: one cache lookup per line instead of two.
    public init(configuration: TransformConfiguration, agents: UserAgentClassifier = UserAgentClassifier()) {
        self.configuration = configuration
        self.agents = agents
        identity = VisitorIdentity(salt: configuration.salt)
    }

    public convenience init(schema: Schema, settings: SessionSettings, salt: String) {
        self.init(configuration: TransformConfiguration(schema: schema, sessions: settings, salt: salt))
    }

    /// A visitor key as outputs may name it: a key that is a client session id holding an
    /// e-mail or IP address (a record with no visitor id takes its session id) as the
    /// session's id is written (`VisitorIdentity.standIn(forSessionID:)`); others as they are.
    public func shownVisitorKey(_ key: String) -> String {
        VisitorIdentity.needsStandIn(key) ? identity.standIn(forSessionID: key) : key
    }

    // MARK: - Normalizing

    /// What is kept of a record: its visitor key (visitor id, else fingerprint), device and
    /// browser, MaxMind geography, the referrer's host and only the campaign parameters of its
    /// query. The IP address, user agent, referrer URL and other query parameters are dropped.
    public func normalize(_ record: consuming Record) -> Record {
        var r = record
        if let id = r.visitorID {
            // An e-mail address used as visitor id (`@`, or `%40` URL-encoded), or an IP
            // address, is replaced by its keyed hash.
            r.visitorKey = VisitorIdentity.needsStandIn(id) ? identity.standIn(forAddressID: id) : id
        } else if let ip = r.ip, !ip.isEmpty {
            r.visitorKey = identity.fingerprint(ip: ip, userAgent: r.userAgent)
        }
        if let agent = r.userAgent, !agent.isEmpty {
            let info = agents.classify(agent)
            r.deviceType = info.deviceType.rawValue
            r.browser = info.browser.rawValue
        }
        if let ip = r.ip, !ip.isEmpty, r.country == nil || r.city == nil, let geo = configuration.geo?.lookup(ip: ip) {
            r.geoCountry = geo.countryCode
            r.geoCity = geo.city
        }
        if let referrer = r.referrer {
            r.referrerHost = URLParts.host(of: referrer).flatMap { host in
                var name = host
                return name.withUTF8(URLParts.isHostName) ? ClientAddress.dottedQuad(ofHost: host) : nil
            }
        }
        r.query = r.query.flatMap(Self.campaignQuery)
        r.ip = nil
        r.userAgent = nil
        r.referrer = nil
        r.method = nil
        r.status = nil
        return r
    }

    /// The campaign parameters of a query (utm_* and click ids), re-encoded in their order;
    /// nil when there are none.
    static func campaignQuery(_ query: String) -> String? {
        var text = query
        return text.withUTF8 { bytes -> String? in
            switch campaignQuery(bytes: bytes) {
            case .none: return nil
            // A landing query is usually all campaign parameters, and is then returned as it
            // is, without an array or a new string.
            case .prefix(let count): return count == bytes.count ? query : String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<count]), as: UTF8.self)
            case .copied(let kept): return String(decoding: kept, as: UTF8.self)
            }
        }
    }

    /// What `campaignQuery` keeps of a query's bytes.
    enum CampaignQuery {
        case none
        /// The query's first bytes (all of them, often).
        case prefix(Int)
        case copied([UInt8])
    }

    static func campaignQuery(bytes: UnsafeBufferPointer<UInt8>) -> CampaignQuery {
        // While every part so far is a campaign parameter, the kept text is the query's own
        // first `prefixEnd` bytes; it is copied out only at the first part dropped.
        var kept: [UInt8] = []
        var copying = false
        var prefixEnd = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "&") { end += 1 }
            var nameEnd = start
            while nameEnd < end && bytes[nameEnd] != UInt8(ascii: "=") { nameEnd += 1 }
            if end > start && isCampaignName(UnsafeBufferPointer(rebasing: bytes[start..<nameEnd])) {
                if copying {
                    if !kept.isEmpty { kept.append(UInt8(ascii: "&")) }
                    kept.append(contentsOf: bytes[start..<end])
                } else {
                    prefixEnd = end
                }
            } else if !copying {
                copying = true
                kept.append(contentsOf: bytes[0..<prefixEnd])
            }
            start = end + 1
        }
        if !copying { return prefixEnd == 0 ? .none : .prefix(prefixEnd) }
        return kept.isEmpty ? .none : .copied(kept)
    }

    private static let clickIDNameBytes = Campaign.clickIDNames.map { Array($0.utf8) }

    /// Whether a query parameter's name (as written, percent-decoded only when it has an
    /// escape) is `utm_*` or a click id.
    private static func isCampaignName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        if name.contains(UInt8(ascii: "%")) || name.contains(UInt8(ascii: "+")) {
            let decoded = QueryParameters.decode(name)
            return decoded.hasPrefix("utm_") || Campaign.clickIDNames.contains(decoded)
        }
        if name.count >= 4 && name[0] == UInt8(ascii: "u") && name[1] == UInt8(ascii: "t") && name[2] == UInt8(ascii: "m")
            && name[3] == UInt8(ascii: "_") { return true }
        return clickIDNameBytes.contains { $0.elementsEqual(name) }
    }

    /// The group a normalized record is stored under: its client session (`s:ID`), else its
    /// visitor (`v:KEY`).
    public static func group(of record: Record) -> String {
        if let sessionID = record.sessionID { return tagged(UInt8(ascii: "s"), sessionID) }
        return group(ofVisitor: record.visitorKey ?? "")
    }

    /// The group a visitor's records without a client session are stored under (`v:KEY`).
    public static func group(ofVisitor visitor: String) -> String {
        tagged(UInt8(ascii: "v"), visitor)
    }

    /// Whether `group` (as `group(of:)` names it) is a client session's (`s:ID`) rather than a
    /// visitor's (`v:KEY`).
    public static func isSessionGroup(_ group: String) -> Bool {
        group.utf8.first == UInt8(ascii: "s")
    }

    /// The visitor a stored group's records belong to: a client session's by
    /// `visitor(ofSessionGroup:sessionID:)`, a visitor's group its key. The inverse of
    /// `group(of:)` for readers of stored groups, so that the tags are spelled here only.
    public static func visitor(ofGroup group: String, records: [Record]) -> String {
        var group = group
        let key = group.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0.dropFirst(2)), as: UTF8.self) }
        return isSessionGroup(group) ? visitor(ofSessionGroup: records, sessionID: key) : key
    }

    /// `tag`, a colon, then `key`, written into the new string at once (a `+` grew a string
    /// from the first part, about 400 instructions a record on the reader's thread).
    private static func tagged(_ tag: UInt8, _ key: String) -> String {
        var key = key
        return key.withUTF8 { tagged(tag, bytes: $0) }
    }

    static func tagged(_ tag: UInt8, bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count + 2) { buffer in
            buffer[0] = tag
            buffer[1] = UInt8(ascii: ":")
            _ = UnsafeMutableBufferPointer(rebasing: buffer[2...]).initialize(fromContentsOf: bytes)
            return bytes.count + 2
        }
    }

    /// All records of one client session belong to one visitor: the visitor named by the
    /// session's earliest record with a visitor id, else by its earliest fingerprinted record,
    /// else the session id itself (SPEC 4).
    public static func visitor(ofSessionGroup records: [Record], sessionID: String) -> String {
        var best: Record?
        for record in records where record.visitorKey != nil {
            guard let current = best else { best = record; continue }
            let explicit = record.visitorID != nil
            let currentExplicit = current.visitorID != nil
            if explicit && !currentExplicit || explicit == currentExplicit && timeOrder(record, current) { best = record }
        }
        return best?.visitorKey ?? sessionID
    }

    /// Time order with the read position breaking ties (SPEC 4).
    public static func timeOrder(_ a: Record, _ b: Record) -> Bool {
        a.timestamp != b.timestamp ? a.timestamp < b.timestamp : RecordPosition.precedes(a.position, b.position)
    }

    // MARK: - Sessions of one visitor

    /// Rebuilds a visitor's sessions from all of the visitor's normalized records (any order;
    /// event-id duplicates already removed).
    /// `records` is consumed: given the only reference to the list, the page-view merge
    /// completes the records in place instead of copying their fields.
    ///
    /// With `past`, `records` are a visitor's new records only, all later than its earlier
    /// ones as `continues(_:with:)` requires (`HistoryPlanner` checks): its earlier sessions
    /// stay as they were, and the new ones are built as a rebuild from every record would
    /// build them (their touches, ordinals and consent carry on from `past`).
    ///
    /// `keepsPast`: whether to return where the visitor is left (`VisitorSessions.past`); a
    /// continued visitor's always is. `keepsTail`: whether that past keeps a tail
    /// (`VisitorTail`: the latest sessions' records, so that records joining them can be
    /// continued too), which costs the row those records.
    public func sessions(visitor key: String, records: consuming [Record], past: VisitorPast? = nil, keepsPast: Bool = false, keepsTail: Bool = true) -> VisitorSessions {
        var kept = consume records
        kept.sort(by: Self.timeOrder)
        let keepsPast = keepsPast || past != nil
        // The records as they are before merging, for where they leave the visitor and its
        // tail (`VisitorTail`); shared with `kept` until the merge completes a view (a visitor
        // with a past only: few).
        let unmerged = keepsPast ? kept : []
        let merged = PageViewMerge.merge(&kept, windowMillis: settings.pageViewMergeWindowMillis)
        let consent = ConsentState.Timeline(records: kept, initial: past.map { ConsentState(analytics: $0.analytics, marketing: $0.marketing) } ?? ConsentState())
        var overCap = 0
        var (sessions, currentStart) = Sessionizer(settings: settings).sessions(visitorKey: key, records: kept)
        // Sessions starting in the same millisecond are in input order, as their records are
        // (SPEC 4): their first records' positions (by session id until 2026-12-06, which
        // gave the later-read session the first touch and ordinal 1).
        sessions.sort { a, b in
            if a.start != b.start { return a.start < b.start }
            if let first = a.records.first?.position, let second = b.records.first?.position, first != second {
                return RecordPosition.precedes(first, second)
            }
            return a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
        }
        var cut = keepsPast && keepsTail ? TailCut(sessions: sessions, records: kept) : nil
        // One session at a time, its facts a local value: kept in an array until the touches
        // were known, each session's facts (some thirty strings) were copied to be passed on,
        // about 1,100 instructions a session. The touches of a session depend only on the
        // sessions before it.
        var touches = past.map(VisitorTouches.Tracker.init(past:)) ?? VisitorTouches.Tracker()
        var output: [SessionRecord] = []
        output.reserveCapacity(sessions.count)
        var withheld = 0
        for index in sessions.indices {
            // Moved out of the list rather than copied from it (a copy retained every field
            // of the session, and the list released them again).
            let session = exchange(&sessions[index], with: Self.emptySession)
            // The cap is on the events written; the session's fields come from all its records
            // (rv75c: 12,000 VideoProgress events before a campaign's page view left the
            // donation to `direct`, without its utm fields, click id or page views).
            let (written, dropped) = EventCap.apply(session.records, max: configuration.maxEventsPerSession)
            overCap += dropped
            let inTail = cut.map { index >= $0.index } ?? false
            if inTail && index == cut!.index { cut!.touches = touches }
            if inTail { cut!.overCap += dropped }
            let facts = SessionFacts(session: session, written: written, siteHosts: configuration.siteHosts)
            let touch = touches.next(channel: facts.channel, start: facts.start)
            let state = consent.state(at: facts.end)
            if state.analyticsDenied {
                withheld += 1
                if inTail { cut!.withheld += 1 }
                continue
            }
            let record = switch schema {
            case .mvp: MVPFields.record(for: facts, firstTouch: touch.firstTouchTimestamp, consent: state)
            case .enhanced: EnhancedFields.record(for: facts, touches: touch, consent: state, slots: configuration.slots)
            }
            output.append(SessionTexts.redacted(record, standIn: identity.standIn(forSessionID:)))
            if inTail { cut!.sessionIDs.append(output[output.count - 1].id) }
        }
        var after: VisitorPast?
        if !unmerged.isEmpty {
            after = VisitorPast(past: past, adding: unmerged[...], touches: touches, consent: consent.final, currentStart: currentStart,
                                tail: cut.flatMap { tail(at: $0, unmerged: unmerged, merged: kept, past: past, consent: consent) })
        }
        return VisitorSessions(sessions: output, withheld: withheld, merged: merged, overCap: overCap, past: after)
    }

    /// Whether a visitor's new `record` leaves its earlier sessions as they are, so that the
    /// visitor can be continued from `past` rather than rebuilt: it comes after every earlier
    /// record, after the earlier records of the kind it could merge with by more than the
    /// page-view merge window (`PageViewMerge`), and, without a client session, after them all
    /// by more than the session timeout or at least the maximum duration after the start of
    /// the session the latest record is in (a record without one may join that session only,
    /// and only within both; a client session's records start one of their own).
    public func continues(_ past: VisitorPast, with record: Record) -> Bool {
        guard record.timestamp > past.last else { return false }
        if record.sessionID == nil && record.timestamp - past.last <= settings.timeoutMillis {
            // A visitor active around the clock: its session is closed by its age alone.
            guard let start = past.currentStart, record.timestamp - start >= settings.maxDurationMillis else { return false }
        }
        let window = settings.pageViewMergeWindowMillis
        if record.origin == .accessLog, let view = past.lastClientView, record.timestamp - view <= window { return false }
        if Self.mergesAsClientView(record), let line = past.lastLogLine, record.timestamp - line <= window { return false }
        return true
    }

    /// A client page view with a path: what `PageViewMerge` merges log lines into.
    static func mergesAsClientView(_ record: Record) -> Bool {
        record.origin == .client && record.event == "PageView" && record.path != nil
    }

    /// What a session moved out of a list leaves in its place: nothing to free.
    private static let emptySession = Sessionizer.Session(id: "", isClientSession: false, start: 0, last: 0, campaign: nil, records: [])

    /// Keeps, per `event_id`, only the record with the smallest position: the one a single run
    /// over all days reads first (SPEC 4). Returns the records left and how many were dropped.
    public static func removingDuplicateEvents(_ records: [Record], winners: [String: String]) -> (records: [Record], dropped: Int) {
        // No contested id (the usual flush): the records as they are, without a pass or a copy.
        guard !winners.isEmpty else { return (records, 0) }
        var dropped = 0
        let kept = records.filter { record in
            guard let id = record.eventID, let winner = winners[id], winner != record.position else { return true }
            dropped += 1
            return false
        }
        return (kept, dropped)
    }

    // MARK: - One run without history

    /// Adds a kept record in read order. Returns false when an earlier record had the same
    /// `event_id` (the first one read wins).
    @discardableResult
    public func add(_ record: Record) -> Bool {
        if let eventID = record.eventID {
            guard eventIDs.insert(eventID).inserted else {
                duplicateEvents += 1
                return false
            }
        }
        var normalized = normalize(record)
        if normalized.position.isEmpty { normalized.position = RecordPosition.make(source: 0, pattern: 0, day: nil, path: "", line: records.count) }
        records.append(normalized)
        return true
    }

    public func finish() -> Result {
        var groups: [String: [Record]] = [:]
        for record in records { groups[Self.group(of: record), default: []].append(record) }
        var byVisitor: [String: [Record]] = [:]
        for (group, members) in groups {
            let visitor = Self.visitor(ofGroup: group, records: members)
            byVisitor[visitor, default: []].append(contentsOf: members)
        }
        var output: [SessionRecord] = []
        var merged = 0
        var withheld = 0
        for (key, members) in byVisitor {
            let result = sessions(visitor: key, records: members)
            output += result.sessions
            merged += result.merged
            withheld += result.withheld
        }
        output.sort(by: SessionRecord.outputOrder)
        return Result(sessions: output, visitors: byVisitor.count, duplicateEvents: duplicateEvents,
                      mergedPageViews: merged, withheldSessions: withheld)
    }
}
