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
    public var groups: [String]
    public var sessions: [String]
    /// Where the visitor's sessions leave it, so that a later run can continue it instead of
    /// rebuilding it (`VisitorPast`); nil in rows written before 2026-12-04.
    public var past: VisitorPast?
    /// For a sink that writes sessions as it goes (Redis), the digest of what it holds of each
    /// session (`Flusher.sentDigest`), in the order of `sessions`, 0 where unknown; empty when
    /// none is known. A later run that rebuilds the visitor leaves a session whose digest is
    /// unchanged unwritten (a visitor back every night rewrote every earlier session each
    /// night; rows written before 2026-12-07 have none).
    public var digests: [UInt64] = []

    public init(groups: [String], sessions: [String], past: VisitorPast? = nil) {
        self.groups = groups
        self.sessions = sessions
        self.past = past
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
    /// Written by a `ByteWriter`: appending to an array, each item's text through the generic
    /// `String.UTF8View` path, took about 1,600 instructions per visitor on the bench's S.
    public func encoded() -> [UInt8] {
        ByteWriter.bytes(capacity: 512) { out in
            func put(_ item: UnsafeBufferPointer<UInt8>) {
                out.writeDecimal(item.count)
                out.write(UInt8(ascii: ":"))
                out.write(item)
            }
            func put(_ text: String) {
                var text = text
                text.withUTF8 { put($0) }
            }
            for group in groups { put(group) }
            out.write(UInt8(ascii: "|"))
            for id in sessions { put(id) }
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
                    for item in tail.items { put(item) }
                    for record in tail.records { record.withUnsafeBufferPointer { put($0) } }
                }
            }
        }
    }

    /// Reads `encoded()`'s form; nil when the bytes are not in it.
    public init?<Bytes: Collection<UInt8>>(encoded bytes: Bytes) where Bytes.Index == Int {
        var groups: [String] = []
        var sessions: [String] = []
        var pastItems: [ArraySlice<UInt8>] = []
        var tailItems: [[UInt8]] = []
        var digests: [UInt64] = []
        // Which part the items go to: 0 groups, 1 session ids, 2 the past, 3 its tail.
        var part = 0
        // Whether the next item is the session digests (after a `#` closing the ids).
        var digestItem = false
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "|") {
                guard part < 3, !digestItem else { return nil }
                part += 1
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "#") {
                guard part == 1, digests.isEmpty, !digestItem else { return nil }
                digestItem = true
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
            let item = bytes[(index + 1)..<(index + 1 + length)]
            if digestItem {
                guard let read = Self.readHex(item), read.count == sessions.count, !read.isEmpty else { return nil }
                digests = read
                digestItem = false
                index += 1 + length
                continue
            }
            switch part {
            case 0: groups.append(String(decoding: item, as: UTF8.self))
            case 1: sessions.append(String(decoding: item, as: UTF8.self))
            case 2: pastItems.append(ArraySlice(item))
            default: tailItems.append(Array(item))
            }
            index += 1 + length
        }
        guard part >= 1, !digestItem else { return nil }
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
        self.init(groups: groups, sessions: sessions, past: past)
        self.digests = digests
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
