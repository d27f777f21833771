import FunnelCore

/// A visitor's latest sessions, which its next records may still change, and where the
/// visitor stood before them: what lets a run continue a visitor whose new records join its
/// latest session (a visitor without cookies active across midnight, a monitor polling around
/// the clock) by rebuilding that session, not every session the visitor ever had.
///
/// `before` is the `VisitorPast` a build of the records before `records` alone would have
/// left, and every record here continues it (`Transformer.continues(_:with:)`): so these
/// records and a run's new ones, built from `before`, give the sessions a rebuild from every
/// record gives (the same argument as for `VisitorPast`, applied at an earlier point). The
/// counts are those that build from `before` gave, for a run to count only what its records
/// change.
public final class VisitorTail: Sendable, Hashable {
    /// 100,000 records, the default of `limits.warn_visitor_records`: a tail is stored whole
    /// in its visitor's row (some 200 bytes a record), read with the row and decoded to be
    /// rebuilt, and one this long is itself the rebuild the warning names.
    public static let defaultMaxRecords = 100_000

    public let before: VisitorPast
    /// The sessions built from `records`, withheld ones excepted: the ids a rebuild from
    /// `before` replaces.
    public let sessionIDs: [String]
    public let merged: Int
    public let withheld: Int
    public let overCap: Int
    /// The records after `before`, as `RecordCoding.encode` writes them, in time order.
    public let records: [[UInt8]]

    public init(before: VisitorPast, sessionIDs: [String], merged: Int, withheld: Int, overCap: Int, records: [[UInt8]]) {
        self.before = before
        self.sessionIDs = sessionIDs
        self.merged = merged
        self.withheld = withheld
        self.overCap = overCap
        self.records = records
    }

    /// The text items of the stored form (see `VisitorRow`): the counts, `before`'s item count
    /// and items, the session ids' count and ids; the records follow them as bytes.
    public var items: [String] {
        let past = before.items
        return [String(merged), String(withheld), String(overCap), String(past.count)] + past + [String(sessionIDs.count)] + sessionIDs
    }

    /// Reads `items` followed by the records; nil when they are not in that form.
    public convenience init?(items: [[UInt8]]) {
        func text(_ index: Int) -> String? { index < items.count ? String(decoding: items[index], as: UTF8.self) : nil }
        func number(_ index: Int) -> Int? { text(index).flatMap { Int($0) } }
        guard let merged = number(0), let withheld = number(1), let overCap = number(2), let pastCount = number(3), pastCount >= 0,
              let idCount = number(4 + pastCount), idCount >= 0, items.count >= 5 + pastCount + idCount else { return nil }
        guard let before = VisitorPast(items: (4..<(4 + pastCount)).map { text($0)! }) else { return nil }
        let ids = ((5 + pastCount)..<(5 + pastCount + idCount)).map { text($0)! }
        self.init(before: before, sessionIDs: ids, merged: merged, withheld: withheld, overCap: overCap,
                  records: Array(items[(5 + pastCount + idCount)...]))
    }

    /// The records, decoded; nil if one is damaged.
    public func decodedRecords() -> [Record]? {
        var decoded: [Record] = []
        decoded.reserveCapacity(records.count)
        for encoding in records {
            guard let record = RecordCoding.decode(encoding) else { return nil }
            decoded.append(record)
        }
        return decoded
    }

    public static func == (a: VisitorTail, b: VisitorTail) -> Bool { a.items == b.items && a.records == b.records }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(items)
        hasher.combine(records)
    }
}
