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
    }

    public let schema: Schema
    public let settings: SessionSettings
    private let identity: VisitorIdentity
    private var records: [Record] = []
    private var eventIDs = Set<String>()
    private var duplicateEvents = 0

    public init(schema: Schema, settings: SessionSettings, salt: String) {
        self.schema = schema
        self.settings = settings
        identity = VisitorIdentity(salt: salt)
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
        for (key, indices) in byVisitor {
            let sorted = indices.map { records[$0] }.sorted(by: Self.timeOrder)
            let (kept, mergedHere) = PageViewMerge.merge(sorted, windowMillis: settings.pageViewMergeWindowMillis)
            merged += mergedHere
            let sessions = sessionizer.sessions(visitorKey: key, records: kept)
            let firstTouch = sessions.map(\.start).min() ?? 0
            for session in sessions {
                switch schema {
                case .mvp: output.append(MVPFields.record(for: session, firstTouch: firstTouch))
                }
            }
        }
        output.sort(by: SessionRecord.outputOrder)
        return Result(sessions: output, visitors: byVisitor.count, duplicateEvents: duplicateEvents, mergedPageViews: merged)
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
