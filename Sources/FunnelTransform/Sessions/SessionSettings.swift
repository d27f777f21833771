/// How sessions are cut (SPEC 4; pipeline keys `sessions.timeout`, `sessions.max_duration`).
public struct SessionSettings: Sendable, Hashable {
    /// A record more than this after the session's last record starts a new session.
    public var timeoutMillis: Int64 = 30 * 60 * 1000
    /// A session this old takes no more records.
    public var maxDurationMillis: Int64 = 24 * 60 * 60 * 1000
    /// A client PageView and a log page view of the same path this close are one page view.
    public var pageViewMergeWindowMillis: Int64 = 10_000

    public init() {}
}
