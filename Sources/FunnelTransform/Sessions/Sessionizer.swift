import FunnelCore

/// Cuts one visitor's records into sessions by event time (SPEC 4).
///
/// A record with a client session id belongs to that session. A record without one joins the
/// visitor's current session when it is within the timeout of the session's last record, the
/// session is younger than the maximum duration, and (outside client-id sessions) it does not
/// carry a different campaign; otherwise it starts a session whose id is derived from the
/// visitor key and its start, so re-runs give the same ids.
struct Sessionizer {
    struct Session {
        var id: String
        var isClientSession: Bool
        var start: Int64
        var last: Int64
        var campaign: Campaign?
        var records: [Record]
    }

    let settings: SessionSettings

    /// `records` must be one visitor's, sorted by (timestamp, sequence). Returns the sessions
    /// and the start of the current one, which the latest record joined or started: a later
    /// record without a client session can join that session only (`VisitorPast.currentStart`).
    func sessions(visitorKey: String, records: [Record]) -> (sessions: [Session], currentStart: Int64?) {
        var sessions: [Session] = []
        var clientSessions = ClientSessions()
        var current: Int?
        for (position, record) in records.enumerated() {
            if let clientID = record.sessionID {
                // A client session's records mostly follow one another: the current session is
                // compared before the others are searched.
                if let index = current.flatMap({ sessions[$0].isClientSession && sessions[$0].id == clientID ? $0 : nil })
                    ?? clientSessions.index(of: clientID, in: sessions) {
                    sessions[index].records.append(record)
                    sessions[index].last = max(sessions[index].last, record.timestamp)
                    current = index
                } else {
                    current = sessions.count
                    sessions.append(Session(id: clientID, isClientSession: true, start: record.timestamp, last: record.timestamp,
                                            campaign: nil, records: Self.firstRecords(record, left: records.count - position)))
                    clientSessions.added(at: sessions.count - 1, of: sessions)
                }
                continue
            }
            let campaign = record.query.flatMap { Campaign(QueryParameters($0)) }
            if let index = current, joins(sessions[index], record, campaign) {
                sessions[index].records.append(record)
                sessions[index].last = max(sessions[index].last, record.timestamp)
                if sessions[index].campaign == nil { sessions[index].campaign = campaign }
                continue
            }
            current = sessions.count
            sessions.append(Session(id: VisitorIdentity.sessionID(visitorKey: visitorKey, start: record.timestamp),
                                    isClientSession: false, start: record.timestamp, last: record.timestamp,
                                    campaign: campaign, records: Self.firstRecords(record, left: records.count - position)))
        }
        return (sessions, current.map { sessions[$0].start })
    }

    /// A new session's records, with room for the next few: grown from one record by
    /// appending, a session of four or five (the bench's average) was allocated three times,
    /// about 400 instructions each (callgrind of the bench's S: 15 million in all).
    private static func firstRecords(_ record: Record, left: Int) -> [Record] {
        var records: [Record] = []
        records.reserveCapacity(min(left, 8))
        records.append(record)
        return records
    }

    /// Finds a visitor's client sessions by id: by looking through its few sessions, and by a
    /// table once it has many. Nearly every visitor has one to three sessions, and a table
    /// per visitor hashed each id into it for nothing (11 million instructions of the bench's
    /// S run); a visitor with thousands (a crawler keeping cookies) still finds each at once.
    private struct ClientSessions {
        static let searchLimit = 16
        private var byID: [String: Int]?

        func index(of id: String, in sessions: [Session]) -> Int? {
            if let byID { return byID[id] }
            return sessions.lastIndex { $0.isClientSession && $0.id == id }
        }

        /// Called after the client session at `index` was appended to `sessions`.
        mutating func added(at index: Int, of sessions: [Session]) {
            if byID != nil {
                byID![sessions[index].id] = index
            } else if sessions.count > Self.searchLimit {
                var table: [String: Int] = [:]
                for (place, session) in sessions.enumerated() where session.isClientSession { table[session.id] = place }
                byID = table
            }
        }
    }

    private func joins(_ session: Session, _ record: Record, _ campaign: Campaign?) -> Bool {
        guard record.timestamp - session.last <= settings.timeoutMillis,
              record.timestamp - session.start < settings.maxDurationMillis else { return false }
        if session.isClientSession { return true }
        // A new campaign opens a new session, except at the very same millisecond as the
        // session's start, where a split would derive the same session id twice.
        if let campaign, campaign != session.campaign, record.timestamp > session.start { return false }
        return true
    }
}
