import FunnelCore

/// What a visitor's later sessions need of its earlier ones (SPEC 5): how many there were,
/// the first touch, the last touch that was not direct, the consent state after its records,
/// and when its latest record was. A visitor whose new records all come more than the
/// session timeout after `last` keeps its earlier sessions as they are, and its new sessions
/// are built from the new records and this alone (`Transformer.sessions(visitor:records:past:)`),
/// instead of from every record it ever had.
public struct VisitorPast: Sendable, Hashable {
    /// Records the visitor's sessions were built from (after duplicate events were dropped).
    public var records: Int
    /// The latest record's timestamp.
    public var last: Int64
    /// Sessions so far, withheld ones included (the next one's `session_count` is this + 1).
    public var sessions: Int
    public var firstSource: String
    public var firstTimestamp: Int64
    /// The latest session whose source is not `direct`, if any.
    public var touchSource: String?
    public var touchTimestamp: Int64?
    public var analytics: String
    public var marketing: String
    /// The latest client page view and the latest access-log line: a new record merges with
    /// an earlier one only within the page-view merge window of one of the other kind.
    public var lastClientView: Int64?
    public var lastLogLine: Int64?

    public init(records: Int, last: Int64, sessions: Int, firstSource: String, firstTimestamp: Int64,
                touchSource: String?, touchTimestamp: Int64?, analytics: String, marketing: String,
                lastClientView: Int64?, lastLogLine: Int64?) {
        self.records = records
        self.last = last
        self.sessions = sessions
        self.firstSource = firstSource
        self.firstTimestamp = firstTimestamp
        self.touchSource = touchSource
        self.touchTimestamp = touchTimestamp
        self.analytics = analytics
        self.marketing = marketing
        self.lastClientView = lastClientView
        self.lastLogLine = lastLogLine
    }

    /// The stored form's items, in order (see `VisitorRow`).
    public var items: [String] {
        [String(records), String(last), String(sessions), firstSource, String(firstTimestamp),
         touchSource ?? "", touchTimestamp.map(String.init) ?? "", analytics, marketing,
         lastClientView.map(String.init) ?? "", lastLogLine.map(String.init) ?? ""]
    }

    public init?(items: [String]) {
        guard items.count == 11, let records = Int(items[0]), let last = Int64(items[1]), let sessions = Int(items[2]),
              let firstTimestamp = Int64(items[4]) else { return nil }
        func time(_ item: String) -> Int64?? { item.isEmpty ? .some(nil) : Int64(item).map { .some($0) } }
        guard let touchTimestamp = time(items[6]), let lastClientView = time(items[9]), let lastLogLine = time(items[10]),
              items[5].isEmpty == (touchTimestamp == nil) else { return nil }
        self.init(records: records, last: last, sessions: sessions, firstSource: items[3], firstTimestamp: firstTimestamp,
                  touchSource: items[5].isEmpty ? nil : items[5], touchTimestamp: touchTimestamp, analytics: items[7], marketing: items[8],
                  lastClientView: lastClientView, lastLogLine: lastLogLine)
    }
}
