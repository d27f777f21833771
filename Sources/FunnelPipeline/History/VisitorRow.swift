import FunnelTransform
import FunnelWriters

/// What the history keeps about one visitor besides its records: the client-session groups
/// last resolved to it and the session ids last written for it.
///
/// Both lists are stored as one value (an SQLite row, a Redis string), because a rebuilt
/// visitor always reads and replaces both: one write and one read per visitor instead of a
/// delete and an insert per list item.
public struct VisitorRow: Sendable, Hashable {
    public var groups: [String]
    public var sessions: [String]
    /// Where the visitor's sessions leave it, so that a later run can continue it instead of
    /// rebuilding it (`VisitorPast`); nil in rows written before 2026-12-04.
    public var past: VisitorPast?

    public init(groups: [String], sessions: [String], past: VisitorPast? = nil) {
        self.groups = groups
        self.sessions = sessions
        self.past = past
    }

    public var isEmpty: Bool { groups.isEmpty && sessions.isEmpty }

    /// The stored form: each group as `<byte length>:<bytes>`, then `|`, then each session id
    /// the same way. Length prefixes keep any id intact whatever characters it holds, and
    /// SQLite can write the same text with `group_concat` (see `SQLiteHistoryStore`).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        func put(_ item: String) {
            out.appendDecimal(item.utf8.count)
            out.append(UInt8(ascii: ":"))
            out.appendUTF8(item)
        }
        for group in groups { put(group) }
        out.append(UInt8(ascii: "|"))
        for id in sessions { put(id) }
        if let past {
            out.append(UInt8(ascii: "|"))
            for item in past.items { put(item) }
        }
        return out
    }

    /// Reads `encoded()`'s form; nil when the bytes are not in it.
    public init?<Bytes: Collection<UInt8>>(encoded bytes: Bytes) where Bytes.Index == Int {
        var groups: [String] = []
        var sessions: [String] = []
        var pastItems: [String]?
        var inSessions = false
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "|") {
                guard pastItems == nil else { return nil }
                if inSessions { pastItems = [] } else { inSessions = true }
                index += 1
                continue
            }
            var length = 0
            var digits = 0
            while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), digits < 10 {
                length = length * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
                digits += 1
            }
            guard digits > 0, index < bytes.endIndex, bytes[index] == UInt8(ascii: ":"), bytes.endIndex - index - 1 >= length else { return nil }
            let item = String(decoding: bytes[(index + 1)..<(index + 1 + length)], as: UTF8.self)
            if pastItems != nil { pastItems!.append(item) } else if inSessions { sessions.append(item) } else { groups.append(item) }
            index += 1 + length
        }
        guard inSessions else { return nil }
        var past: VisitorPast?
        if let pastItems {
            guard let read = VisitorPast(items: pastItems) else { return nil }
            past = read
        }
        self.init(groups: groups, sessions: sessions, past: past)
    }

    /// The row of a visitor as a store reads it, or an error naming the damaged value.
    static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, visitor: String, store: String) throws(SinkError) -> VisitorRow where Bytes.Index == Int {
        guard let row = VisitorRow(encoded: bytes) else {
            throw SinkError("\(store): the stored row of visitor \(visitor) is damaged (\(String(decoding: bytes.prefix(80), as: UTF8.self))); restore the history from a backup or rebuild it with a backfill into an empty output")
        }
        return row
    }
}
