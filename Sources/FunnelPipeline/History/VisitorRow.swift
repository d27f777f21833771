import FunnelCore
import FunnelTransform
import FunnelWriters

/// What the history keeps about one visitor besides its records: the client-session groups
/// last resolved to it and the session ids last written for it.
///
/// Both lists are stored as one value (an SQLite row, a Redis string), because a rebuilt
/// visitor always reads and replaces both: one write and one read per visitor instead of a
/// delete and an insert per list item.
public struct VisitorRow: Sendable, Hashable {
    /// Kept in their stored form (`StoredTexts`): a row is read and written whole whenever
    /// its visitor is touched, and a visitor's lists grow with every visit it ever made.
    public var groups: StoredTexts
    public var sessions: StoredTexts
    /// Where the visitor's sessions leave it, so that a later run can continue it instead of
    /// rebuilding it (`VisitorPast`); nil in rows written before 2026-12-04.
    public var past: VisitorPast?
    /// For a sink that writes sessions as it goes (Redis), the digest of what it holds of each
    /// session (`Flusher.sentDigest`), in the order of `sessions`, 0 where unknown; empty when
    /// none is known. A later run that rebuilds the visitor leaves a session whose digest is
    /// unchanged unwritten (a visitor back every night rewrote every earlier session each
    /// night; rows written before 2026-12-07 have none).
    public var digests: [UInt64] = []

    public init(groups: StoredTexts, sessions: StoredTexts, past: VisitorPast? = nil) {
        self.groups = groups
        self.sessions = sessions
        self.past = past
    }

    public init(groups: [String], sessions: [String], past: VisitorPast? = nil) {
        self.init(groups: StoredTexts(groups), sessions: StoredTexts(sessions), past: past)
    }

    /// The digest stored for each session id that has one.
    public var digestsByID: [String: UInt64] {
        guard digests.count == sessions.count else { return [:] }
        var result: [String: UInt64] = [:]
        for (id, digest) in zip(sessions, digests) where digest != 0 { result[id] = digest }
        return result
    }

    public var isEmpty: Bool { groups.isEmpty && sessions.isEmpty }

    /// The stored form: each group as `<byte length>:<bytes>`, then `|`, then each session id
    /// the same way, then, for a visitor with a past, `|` and its compact item
    /// (`VisitorPast.compactItem`; rows written before 2026-12-07 hold its twelve items as
    /// texts, still read), and for one with a
    /// tail, `|`, the tail's items and its records' encodings (bytes as they are). Length
    /// prefixes keep any id or encoding intact whatever bytes it holds, and SQLite can write
    /// the first two parts with `group_concat` (see `SQLiteHistoryStore`).
    /// The lists are copied as they are stored (`StoredTexts`); all is written by one
    /// `ByteWriter` in room for the whole row, then made an array once.
    public func encoded() -> [UInt8] {
        // Room for all at the first try (a writer that overflows writes again).
        let room = past.map { past in
            64 + (past.tail.map { tail in
                tail.items.reduce(0) { $0 + $1.utf8.count + 12 } + tail.records.reduce(0) { $0 + $1.count + 12 }
            } ?? 0)
        } ?? 0
        return ByteWriter.bytes(capacity: groups.bytes.count + sessions.bytes.count + digests.count * 16 + 32 + room) { out in
            func put(_ item: UnsafeBufferPointer<UInt8>) {
                out.writeDecimal(item.count)
                out.write(UInt8(ascii: ":"))
                out.write(item)
            }
            groups.bytes.withUnsafeBufferPointer { out.write($0) }
            out.write(UInt8(ascii: "|"))
            sessions.bytes.withUnsafeBufferPointer { out.write($0) }
            if !digests.isEmpty {
                // `#` and the digests as one item, 16 hex digits each: a `|` would be the past.
                out.write(UInt8(ascii: "#"))
                out.writeDecimal(digests.count * 16)
                out.write(UInt8(ascii: ":"))
                for digest in digests { Self.writeHex(digest, to: &out) }
            }
            if let past {
                out.write(UInt8(ascii: "|"))
                past.compactItem.withUnsafeBufferPointer { put($0) }
                if let tail = past.tail {
                    out.write(UInt8(ascii: "|"))
                    for item in tail.items {
                        var item = item
                        item.withUTF8 { put($0) }
                    }
                    for record in tail.records { record.withUnsafeBufferPointer { put($0) } }
                }
            }
        }
    }

    /// Reads `encoded()`'s form; nil when the bytes are not in it.
    public init?<Bytes: Collection<UInt8>>(encoded bytes: Bytes) where Bytes.Index == Int {
        let read = bytes.withContiguousStorageIfAvailable { Self.read($0) } ?? Array(bytes).withUnsafeBufferPointer { Self.read($0) }
        guard let read else { return nil }
        self = read
    }

    private static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> VisitorRow? {
        // Where the two lists end, and whether their lengths are all without leading zeros
        // (their items are walked here once: `StoredTexts(validated:canonical:)`).
        var listEnds: [Int] = []
        var canonical = [true, true]
        var pastItems: [ArraySlice<UInt8>] = []
        var tailItems: [[UInt8]] = []
        var digests: [UInt64] = []
        // Which part the items go to: 0 groups, 1 session ids, 2 the past, 3 its tail.
        var part = 0
        // Whether the next item is the session digests (after a `#` closing the ids).
        var digestItem = false
        var sessionCount = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "|") {
                guard part < 3, !digestItem else { return nil }
                if part < 2 && listEnds.count == part { listEnds.append(index) }
                part += 1
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "#") {
                guard part == 1, digests.isEmpty, !digestItem else { return nil }
                listEnds.append(index)
                digestItem = true
                index += 1
                continue
            }
            guard let (start, length, leadingZero) = StoredTexts.readLength(bytes, at: index) else { return nil }
            if leadingZero && part < 2 && !digestItem { canonical[part] = false }
            let item = UnsafeBufferPointer(rebasing: bytes[start..<(start + length)])
            index = start + length
            if digestItem {
                guard let read = Self.readHex(item), read.count == sessionCount, !read.isEmpty else { return nil }
                digests = read
                digestItem = false
                continue
            }
            switch part {
            case 0: break
            case 1: sessionCount += 1
            case 2: pastItems.append(ArraySlice(item))
            default: tailItems.append(Array(item))
            }
        }
        guard part >= 1, !digestItem else { return nil }
        if listEnds.count < 2 { listEnds.append(bytes.count) }
        let groups = StoredTexts(validated: UnsafeBufferPointer(rebasing: bytes[0..<listEnds[0]]), canonical: canonical[0])
        let sessions = StoredTexts(validated: UnsafeBufferPointer(rebasing: bytes[(listEnds[0] + 1)..<listEnds[1]]), canonical: canonical[1])
        var past: VisitorPast?
        if part >= 2 {
            // One item in the compact form (since 2026-12-07), or the text form's eleven or twelve.
            let compact = pastItems.count == 1 ? VisitorPast(compact: pastItems[0]) : nil
            guard let read = compact ?? VisitorPast(items: pastItems.map { String(decoding: $0, as: UTF8.self) }) else { return nil }
            past = read
            if part == 3 {
                guard let tail = VisitorTail(items: tailItems) else { return nil }
                past = read.with(tail: tail)
            }
        }
        var row = VisitorRow(groups: groups, sessions: sessions, past: past)
        row.digests = digests
        return row
    }

    private static func writeHex(_ value: UInt64, to out: inout ByteWriter) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { digits in
            for shift in stride(from: 60, through: 0, by: -4) { out.write(digits[Int((value >> UInt64(shift)) & 0xF)]) }
        }
    }

    /// The digests of `writeHex`'s form, nil when it is not that.
    private static func readHex<Bytes: Collection<UInt8>>(_ item: Bytes) -> [UInt64]? where Bytes.Index == Int {
        guard item.count % 16 == 0 else { return nil }
        var result: [UInt64] = []
        result.reserveCapacity(item.count / 16)
        var value: UInt64 = 0
        var digits = 0
        for byte in item {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
            digits += 1
            if digits == 16 {
                result.append(value)
                value = 0
                digits = 0
            }
        }
        return result
    }

    /// The row of a visitor as a store reads it, or an error naming the damaged value.
    static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, visitor: String, store: String) throws(SinkError) -> VisitorRow where Bytes.Index == Int {
        guard let row = VisitorRow(encoded: bytes) else {
            throw SinkError("\(store): the stored row of visitor \(visitor) is damaged (\(String(decoding: bytes.prefix(80), as: UTF8.self))); restore the history from a backup or rebuild it with a backfill into an empty output")
        }
        return row
    }
}
