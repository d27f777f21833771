import FunnelCore

/// Turns kept records into session records (SPEC 4, 5, 7).
///
/// Records arrive in read order (`add`); sessions come out of `finish()` ordered by
/// (`created_at`, `session_id`). Sessions are rebuilt from event time only, so the order of
/// files and lines never changes the result.
public final class Transformer {
    public struct Result: Sendable {
        public var sessions: [SessionRecord]
        public var visitors: Int
        public var duplicateEvents: Int
        public var mergedPageViews: Int
        /// Sessions not written because the visitor denied analytics consent (SPEC 11).
        public var withheldSessions: Int
    }

    public let configuration: TransformConfiguration
    public var schema: Schema { configuration.schema }
    public var settings: SessionSettings { configuration.sessions }
    private let identity: VisitorIdentity
    private let agents = UserAgentClassifier()
    private var records: [Record] = []
    private var eventIDs = Set<String>()
    private var duplicateEvents = 0

    public init(configuration: TransformConfiguration) {
        self.configuration = configuration
        identity = VisitorIdentity(salt: configuration.salt)
    }

    public convenience init(schema: Schema, settings: SessionSettings, salt: String) {
        self.init(configuration: TransformConfiguration(schema: schema, sessions: settings, salt: salt))
    }

    /// Adds a record that passed the filters and the identity rule. Returns false when an
    /// earlier record had the same `event_id` (the first one read wins).
    @discardableResult
    public func add(_ record: Record) -> Bool {
        if let eventID = record.eventID {
            guard eventIDs.insert(eventID).inserted else {
                duplicateEvents += 1
                return false
            }
        }
        var record = record
        record.sequence = records.count
        records.append(record)
        return true
    }

    public func finish() -> Result {
        let visitorOfSession = resolveClientSessions()
        var byVisitor: [String: [Int]] = [:]
        for index in records.indices {
            let record = records[index]
            let key = record.sessionID.flatMap { visitorOfSession[$0] } ?? visitorKey(record)
            byVisitor[key, default: []].append(index)
        }
        let sessionizer = Sessionizer(settings: settings)
        var output: [SessionRecord] = []
        var merged = 0
        var withheld = 0
        for (key, indices) in byVisitor {
            let sorted = indices.map { records[$0] }.sorted(by: Self.timeOrder)
            let (kept, mergedHere) = PageViewMerge.merge(sorted, windowMillis: settings.pageViewMergeWindowMillis)
            merged += mergedHere
            let consent = ConsentState.Timeline(records: kept)
            let facts = sessionizer.sessions(visitorKey: key, records: kept)
                .sorted { $0.start != $1.start ? $0.start < $1.start : $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
                .map { SessionFacts(session: $0, siteHosts: configuration.siteHosts) }
            let touches = Self.touches(facts)
            for (index, session) in facts.enumerated() {
                let state = consent.state(at: session.end)
                if state.analyticsDenied {
                    withheld += 1
                    continue
                }
                switch schema {
                case .mvp:
                    output.append(MVPFields.record(for: session, firstTouch: touches[index].firstTouchTimestamp, consent: state))
                case .enhanced:
                    let agent = session.userAgent.map { agents.classify($0) }
                    let geo = session.country == nil || session.city == nil ? session.ip.flatMap { configuration.geo?.lookup(ip: $0) } : nil
                    output.append(EnhancedFields.record(for: session, touches: touches[index], consent: state,
                                                        slots: configuration.slots, agent: agent, geo: geo))
                }
            }
        }
        output.sort(by: SessionRecord.outputOrder)
        return Result(sessions: output, visitors: byVisitor.count, duplicateEvents: duplicateEvents,
                      mergedPageViews: merged, withheldSessions: withheld)
    }

    /// First touch, last non-direct touch and ordinal of each of a visitor's sessions, given
    /// in start order (SPEC 5).
    static func touches(_ sessions: [SessionFacts]) -> [VisitorTouches] {
        guard let first = sessions.first else { return [] }
        let firstSource = first.channel.source
        var lastTouch: (source: String, timestamp: Int64)?
        return sessions.enumerated().map { index, session in
            let channel = session.channel
            if !channel.isDirect { lastTouch = (channel.source, session.start) }
            return VisitorTouches(firstTouchSource: firstSource, firstTouchTimestamp: first.start,
                                  lastTouchSource: lastTouch?.source ?? Channel.direct.source,
                                  lastTouchTimestamp: lastTouch?.timestamp ?? session.start, sessionCount: index + 1)
        }
    }

    private static func timeOrder(_ a: Record, _ b: Record) -> Bool {
        a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.sequence < b.sequence
    }

    /// The visitor key of a record without a client session id: its visitor id, else its
    /// fingerprint, else (no IP either) nothing but its session id.
    private func visitorKey(_ record: Record) -> String {
        if let visitorID = record.visitorID { return visitorID }
        if let ip = record.ip, !ip.isEmpty { return identity.fingerprint(ip: ip, userAgent: record.userAgent) }
        return record.sessionID ?? ""
    }

    /// All records of one client session must land in one visitor: the visitor of the
    /// session's earliest record that names one (visitor id first, then fingerprint).
    private func resolveClientSessions() -> [String: String] {
        var best: [String: (explicit: Bool, record: Int)] = [:]
        for index in records.indices {
            let record = records[index]
            guard let sessionID = record.sessionID else { continue }
            let explicit = record.visitorID != nil
            guard let current = best[sessionID] else {
                best[sessionID] = (explicit, index)
                continue
            }
            let other = records[current.record]
            if explicit && !current.explicit || explicit == current.explicit && Self.timeOrder(record, other) {
                best[sessionID] = (explicit, index)
            }
        }
        return best.mapValues { visitorKey(records[$0.record]) }
    }
}
