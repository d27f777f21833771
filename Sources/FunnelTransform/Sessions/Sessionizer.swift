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

    /// `records` must be one visitor's, sorted by (timestamp, sequence).
    func sessions(visitorKey: String, records: [Record]) -> [Session] {
        var sessions: [Session] = []
        var byClientID: [String: Int] = [:]
        var current: Int?
        for record in records {
            if let clientID = record.sessionID {
                if let index = byClientID[clientID] {
                    sessions[index].records.append(record)
                    sessions[index].last = max(sessions[index].last, record.timestamp)
                    current = index
                } else {
                    byClientID[clientID] = sessions.count
                    current = sessions.count
                    sessions.append(Session(id: clientID, isClientSession: true, start: record.timestamp, last: record.timestamp,
                                            campaign: nil, records: [record]))
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
                                    campaign: campaign, records: [record]))
        }
        return sessions
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
