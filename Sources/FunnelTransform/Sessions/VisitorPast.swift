import FunnelCore

/// What a visitor's later sessions need of its earlier ones (SPEC 5): how many there were,
/// the first touch, the last touch that was not direct, the consent state after its records,
/// and when its latest record, client page view and log line were. A visitor whose new
/// records all leave its earlier sessions as they are (`Transformer.continues(_:with:)`: after
/// `last`, and far enough after it to join no earlier session or merge with no earlier page
/// view) keeps those sessions, and its new ones are built from the new records and this alone
/// (`Transformer.sessions(visitor:records:past:keepsPast:)`), instead of from every record it
/// ever had.
///
/// A class, not a struct: a visitor's row (`VisitorRow`) and its rebuild's result carry it
/// through dictionaries and arrays that move their elements, and inline it made each of
/// them ten times larger (callgrind of the bench's S run: 43 million more instructions of
/// `memmove` for a run with no past to continue from).
public final class VisitorPast: Sendable, Hashable {
    /// Records the visitor's sessions were built from (after duplicate events were dropped).
    public let records: Int
    /// The latest record's timestamp.
    public let last: Int64
    /// Sessions so far, withheld ones included (the next one's `session_count` is this + 1).
    public let sessions: Int
    public let firstSource: String
    public let firstTimestamp: Int64
    /// The latest session whose source is not `direct`, if any.
    public let touchSource: String?
    public let touchTimestamp: Int64?
    public let analytics: String
    public let marketing: String
    /// The latest client page view and the latest access-log line: a new record merges with
    /// an earlier one only within the page-view merge window of one of the other kind.
    public let lastClientView: Int64?
    public let lastLogLine: Int64?
    /// The start of the session the latest record is in, the one a later record without a
    /// client session could join: it cannot once it is `sessions.max_duration` old, however
    /// close it comes (a visitor active around the clock, such as a monitor without cookies,
    /// is never quiet for the timeout). Nil in rows written before 2026-12-04 (evening),
    /// which continue only after the timeout.
    public let currentStart: Int64?
    /// The latest sessions and where the visitor stood before them, when its next records may
    /// join them (nil when no point before them is one to continue from).
    public let tail: VisitorTail?

    public init(records: Int, last: Int64, sessions: Int, firstSource: String, firstTimestamp: Int64,
                touchSource: String?, touchTimestamp: Int64?, analytics: String, marketing: String,
                lastClientView: Int64?, lastLogLine: Int64?, currentStart: Int64?, tail: VisitorTail? = nil) {
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
        self.currentStart = currentStart
        self.tail = tail
    }

    /// The stored form's items, in order (see `VisitorRow`); `currentStart` last, and only
    /// when known, so rows of 11 items (before it) still read. The tail is stored apart.
    public var items: [String] {
        var items: [String] = [String(records), String(last), String(sessions), firstSource, String(firstTimestamp),
                               touchSource ?? "", touchTimestamp.map(String.init) ?? "", analytics, marketing,
                               lastClientView.map(String.init) ?? "", lastLogLine.map(String.init) ?? ""]
        if let currentStart { items.append(String(currentStart)) }
        return items
    }

    public static func == (a: VisitorPast, b: VisitorPast) -> Bool { a.items == b.items && a.tail == b.tail }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(items)
        hasher.combine(tail)
    }

    /// This past with `tail`.
    public func with(tail: VisitorTail?) -> VisitorPast {
        VisitorPast(records: records, last: last, sessions: sessions, firstSource: firstSource, firstTimestamp: firstTimestamp,
                    touchSource: touchSource, touchTimestamp: touchTimestamp, analytics: analytics, marketing: marketing,
                    lastClientView: lastClientView, lastLogLine: lastLogLine, currentStart: currentStart, tail: tail)
    }

    public convenience init?(items: [String]) {
        guard items.count == 11 || items.count == 12, let records = Int(items[0]), let last = Int64(items[1]),
              let sessions = Int(items[2]), let firstTimestamp = Int64(items[4]) else { return nil }
        var currentStart: Int64?
        if items.count == 12 {
            guard let start = Int64(items[11]) else { return nil }
            currentStart = start
        }
        func time(_ item: String) -> Int64?? { item.isEmpty ? .some(nil) : Int64(item).map { .some($0) } }
        guard let touchTimestamp = time(items[6]), let lastClientView = time(items[9]), let lastLogLine = time(items[10]),
              items[5].isEmpty == (touchTimestamp == nil) else { return nil }
        self.init(records: records, last: last, sessions: sessions, firstSource: items[3], firstTimestamp: firstTimestamp,
                  touchSource: items[5].isEmpty ? nil : items[5], touchTimestamp: touchTimestamp, analytics: items[7], marketing: items[8],
                  lastClientView: lastClientView, lastLogLine: lastLogLine, currentStart: currentStart)
    }
}

extension VisitorPast {
    /// Where `records` (a build's, sorted by time, before `PageViewMerge`) leave a visitor that
    /// `past` (if any) left before them, with the touches and consent their sessions ended
    /// with: what a build keeps for the next (`Transformer.sessions(visitor:records:past:keepsPast:)`)
    /// and the point before a tail (`Transformer.tail(at:unmerged:merged:past:consent:)`). Nil
    /// with no session and no record at all.
    convenience init?(past: VisitorPast?, adding records: ArraySlice<Record>, touches: VisitorTouches.Tracker, consent: ConsentState,
                      currentStart: Int64?, tail: VisitorTail? = nil) {
        guard let first = touches.first, let last = records.last.map({ max($0.timestamp, past?.last ?? .min) }) ?? past?.last else { return nil }
        self.init(records: (past?.records ?? 0) + records.count, last: last, sessions: touches.count,
                  firstSource: first.source, firstTimestamp: first.timestamp, touchSource: touches.lastTouch?.source,
                  touchTimestamp: touches.lastTouch?.timestamp, analytics: consent.analytics, marketing: consent.marketing,
                  lastClientView: records.last { Transformer.mergesAsClientView($0) }?.timestamp ?? past?.lastClientView,
                  lastLogLine: records.last { $0.origin == .accessLog }?.timestamp ?? past?.lastLogLine,
                  currentStart: currentStart, tail: tail)
    }
}

extension VisitorPast {
    /// The compact stored form (`VisitorRow` since 2026-12-07): one binary item instead of
    /// twelve decimal texts. Since every visitor keeps a past, its size is every row's: the
    /// text form made the bench's L history's visitor rows 28 -> 160 bytes and its day 10
    /// to 25% slower (SQLite's random inserts into a visitors table outgrowing its cache,
    /// the history writer's system time 3.5 -> 6.8 s), a padding of 130 bytes alone the
    /// same again. Layout: the form's version (2), a byte of which optional fields are
    /// there, then unsigned LEB128 varints: records, sessions, `last` (zigzag), and each
    /// other time as `last` minus it (zigzag), then the four texts, each a byte: 1 to
    /// `knownTexts.count` for a known word, 0 followed by a varint length and the bytes for
    /// any other.
    public var compactItem: [UInt8] {
        // Room for everything at once: grown as it was written, the array was allocated three
        // times a past, and with the times' array literal 1,920 instructions a past of the
        // bench's S (32.8 million, one past per rebuilt visitor).
        var out: [UInt8] = []
        // (Two bytes, eight varints of at most 10 bytes, four texts' marks and lengths.)
        out.reserveCapacity(2 + 8 * 10 + 4 * 11 + firstSource.utf8.count + (touchSource?.utf8.count ?? 0) + analytics.utf8.count + marketing.utf8.count)
        out.append(Self.compactVersion)
        out.append(0)
        var flags: UInt8 = 0
        func put(_ value: UInt64) { LEB128.forEachByte(value) { out.append($0) } }
        func put(signed value: Int64) { put(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }
        func put(text: String) {
            if let index = Self.knownTexts.firstIndex(of: text) {
                out.append(UInt8(index + 1))
            } else {
                out.append(0)
                put(UInt64(text.utf8.count))
                out.append(contentsOf: text.utf8)
            }
        }
        put(UInt64(max(0, records)))
        put(UInt64(max(0, sessions)))
        put(signed: last)
        put(signed: last &- firstTimestamp)
        func put(_ time: Int64?, bit: UInt8) {
            guard let time else { return }
            flags |= 1 << bit
            put(signed: last &- time)
        }
        put(touchTimestamp, bit: 0)
        put(lastClientView, bit: 1)
        put(lastLogLine, bit: 2)
        put(currentStart, bit: 3)
        if touchSource != nil { flags |= 1 << 4 }
        out[1] = flags
        put(text: firstSource)
        if let touchSource { put(text: touchSource) }
        put(text: analytics)
        put(text: marketing)
        return out
    }

    /// The first byte of `compactItem`'s form (a text form's first item is a decimal count).
    static let compactVersion: UInt8 = 2

    /// Words a past's texts mostly are (consent states and common sources), stored as one
    /// byte each. Part of the stored form: add at the end only, never reorder.
    static let knownTexts = ["pending", "granted", "denied", "direct", "google", "facebook", "instagram", "newsletter", "email", "bing"]

    /// Reads `compactItem`'s form; nil when the bytes are not in it.
    public convenience init?<Bytes: Collection<UInt8>>(compact bytes: Bytes) where Bytes.Index == Int {
        var index = bytes.startIndex
        func byte() -> UInt8? {
            guard index < bytes.endIndex else { return nil }
            defer { index += 1 }
            return bytes[index]
        }
        func varint() -> UInt64? { LEB128.read(bytes, &index, shiftLimit: 64) }
        func signed() -> Int64? {
            guard let raw = varint() else { return nil }
            return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
        }
        func text() -> String? {
            guard let first = byte() else { return nil }
            if first > 0 { return first <= Self.knownTexts.count ? Self.knownTexts[Int(first) - 1] : nil }
            guard let length = varint(), length <= UInt64(bytes.endIndex - index) else { return nil }
            defer { index += Int(length) }
            return String(decoding: bytes[index..<(index + Int(length))], as: UTF8.self)
        }
        guard byte() == Self.compactVersion, let flags = byte(), flags < 1 << 5, let records = varint(), records <= UInt64(Int.max),
              let sessions = varint(), sessions <= UInt64(Int.max), let last = signed(), let first = signed() else { return nil }
        var times: [Int64?] = []
        for bit in 0..<4 {
            if flags & (1 << UInt8(bit)) == 0 { times.append(nil); continue }
            guard let delta = signed() else { return nil }
            times.append(last &- delta)
        }
        guard let firstSource = text() else { return nil }
        var touchSource: String?
        if flags & (1 << 4) != 0 {
            guard let read = text() else { return nil }
            touchSource = read
        }
        guard let analytics = text(), let marketing = text(), index == bytes.endIndex,
              (touchSource == nil) == (times[0] == nil) else { return nil }
        self.init(records: Int(records), last: last, sessions: Int(sessions), firstSource: firstSource, firstTimestamp: last &- first,
                  touchSource: touchSource, touchTimestamp: times[0], analytics: analytics, marketing: marketing,
                  lastClientView: times[1], lastLogLine: times[2], currentStart: times[3])
    }
}
