import FunnelCore

/// Joins a client PageView and the access-log line of the same page view (SPEC 4).
///
/// Both describe one visit to one page: the client event is kept, with its timestamp, and gets
/// what only the log line knows (referrer, device and browser, geography, campaign query,
/// host, country and city, the session cookie's client session id). Records are normalized by then: the log line's IP and agent are already
/// reduced to these. Each log line
/// merges with the nearest unmerged client PageView of the same visitor and path within the
/// window whose client session id does not contradict its own.
enum PageViewMerge {
    /// Merges within one visitor's records, sorted by time, in place: the client views get
    /// the log lines' fields and the merged log lines are removed. Returns how many log lines
    /// were merged away. In place, because a record's fields sit behind a copy-on-write
    /// reference: completing a copy of the list would copy every merged view's fields.
    static func merge(_ records: inout [Record], windowMillis: Int64) -> Int {
        guard records.contains(where: Transformer.mergesAsClientView), records.contains(where: { $0.origin == .accessLog }) else { return 0 }
        // The client views' places, which of them are taken, and the merged lines' places, in
        // one temporary allocation (on the stack always for a visitor of up to 42 records,
        // 1 KiB; beyond, where the runtime finds the thread's stack has room, else on the heap): three
        // arrays made and grown for every visitor with both kinds of record were about 2,000
        // instructions of such a visitor (callgrind of the bench's S).
        let count = records.count
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * count) { buffer in
            let base = buffer.baseAddress!
            let clientViews = base
            let taken = base + count
            let removed = base + 2 * count
            var views = 0
            for index in records.indices where Transformer.mergesAsClientView(records[index]) {
                clientViews[views] = index
                taken[views] = 0
                views += 1
            }
            var removedCount = 0
            // Ascending: the log lines are visited in order.
            for index in records.indices where records[index].origin == .accessLog {
                // Merging changes none of what is compared here (time, path, session id, origin).
                let line = records[index]
                var best: Int?
                var bestDistance = Int64.max
                // Records are sorted by time: start at the first client view inside the window.
                var low = 0
                var high = views
                while low < high {
                    let mid = (low + high) / 2
                    if records[clientViews[mid]].timestamp < line.timestamp - windowMillis { low = mid + 1 } else { high = mid }
                }
                for place in low..<views {
                    let candidate = clientViews[place]
                    let timestamp = records[candidate].timestamp
                    if timestamp > line.timestamp + windowMillis { break }
                    let distance = abs(timestamp - line.timestamp)
                    guard taken[place] == 0 else { continue }
                    let path = records[candidate].path
                    guard path == line.path || samePathDecoded(path, line.path) else { continue }
                    if let a = records[candidate].sessionID, let b = line.sessionID, a != b { continue }
                    if distance < bestDistance {
                        best = place
                        bestDistance = distance
                    }
                }
                guard let best else { continue }
                taken[best] = 1
                removed[removedCount] = index
                removedCount += 1
                complete(&records[clientViews[best]], from: line)
            }
            guard removedCount > 0 else { return 0 }
            var kept = 0
            var next = 0
            for index in records.indices {
                if next < removedCount && removed[next] == index {
                    next += 1
                    continue
                }
                if kept != index { records.swapAt(kept, index) }
                kept += 1
            }
            records.removeLast(records.count - kept)
            return removedCount
        }
    }

    /// Whether two paths that differ as written are one path once their percent escapes are
    /// normalized: a browser's `location` says `/café` or `/caf%C3%A9` where the server logs
    /// `/caf%c3%a9` (rv69d: one visit was two page views). RFC 3986's equivalence: escapes of
    /// unreserved characters and of bytes beyond ASCII are decoded, others (`%2F`, `%25`)
    /// kept with their hex in upper case, so `/a%2Fb` is not `/a/b` (rv69f). Only for the
    /// comparison: each record keeps its path as written.
    static func samePathDecoded(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b, a.utf8.contains(UInt8(ascii: "%")) || b.utf8.contains(UInt8(ascii: "%")) else { return false }
        return decoded(a) == decoded(b)
    }

    private static func decoded(_ path: String) -> [UInt8] {
        let bytes = Array(path.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if let byte = Hex.percentEscape(bytes, at: index) {
                let unreserved = (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- 0x30 < 10 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
                if unreserved || byte >= 0x80 { out.append(byte) } else { Hex.appendPercentEscape(byte, to: &out) }
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    /// Gives a client view what only its log line knows.
    private static func complete(_ view: inout Record, from line: Record) {
        if view.referrerHost == nil { view.referrerHost = line.referrerHost }
        if view.deviceType == nil {
            view.deviceType = line.deviceType
            view.browser = line.browser
        }
        if view.visitorKey == nil { view.visitorKey = line.visitorKey }
        if view.geoCountry == nil && view.geoCity == nil {
            view.geoCountry = line.geoCountry
            view.geoCity = line.geoCity
        }
        if view.query == nil { view.query = line.query }
        if view.host == nil { view.host = line.host }
        if view.country == nil { view.country = line.country }
        // A city of the line's country only: never a city of one country beside another's.
        if view.city == nil && view.country == line.country { view.city = line.city }
        // The session cookie's id: the line belongs to that client session (SPEC 4), and so
        // does the view it is merged into. Until 2026-12-06 the merged view lost it, and a view
        // more than the timeout after the session's last record started a session of its own.
        if view.sessionID == nil { view.sessionID = line.sessionID }
    }
}
