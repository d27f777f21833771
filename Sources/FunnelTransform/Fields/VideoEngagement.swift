import FunnelCore

/// Watching of video contents in one session (SPEC 5, enhanced): per content slot whether it
/// was watched and the highest percent reached, and the total watch time over all contents.
struct VideoEngagement {
    struct Slot {
        var watched = false
        var completion: Int64?
    }

    var slots: [Slot]
    /// Seconds; nil when the session has no video event.
    var totalWatchTime: Amount?

    static func isVideoEvent(_ name: String) -> Bool { name.hasPrefix("Video") }

    init(records: [Record], slots slotDefinitions: [ContentSlot]) {
        // Without regard to case: a site naming its video `Trailer` has watched the trailer
        // (until 2026-12-05 `trailer*` missed it, and trailer_watched said false).
        let patterns = slotDefinitions.map { PathPattern($0.pattern.lowercased()) }
        slots = Array(repeating: Slot(), count: slotDefinitions.count)
        // Per content: the largest watch_time, else the span from its VideoStart to its last
        // Video* event.
        var perContent: [String: (maxWatch: Amount?, start: Int64?, last: Int64)] = [:]
        var order: [String] = []
        for record in records where Self.isVideoEvent(record.event) {
            let content = record.properties.content ?? ""
            let folded = content.lowercased()
            for (index, pattern) in patterns.enumerated() where !content.isEmpty && pattern.matches(folded) {
                slots[index].watched = true
                let percent = record.properties.percent ?? (record.event == "VideoComplete" ? 100 : nil)
                if let percent { slots[index].completion = max(slots[index].completion ?? 0, percent) }
            }
            // A content is one whatever its case, as a slot matches it (`Trailer`'s VideoStart
            // and `trailer`'s VideoProgress were two contents, one never started: no time,
            // until 2026-12-06; a review). Video events without a content are one content.
            var entry = perContent[folded] ?? (nil, nil, record.timestamp)
            if perContent[folded] == nil { order.append(folded) }
            // A negative time is no time (it was summed as given until 2026-12-05: a session
            // watched for -5 s; a review), as a percent below 0 is 0.
            if let watch = record.properties.watchTime, watch >= .zero { entry.maxWatch = max(entry.maxWatch ?? watch, watch) }
            if record.event == "VideoStart", entry.start == nil { entry.start = record.timestamp }
            entry.last = max(entry.last, record.timestamp)
            perContent[folded] = entry
        }
        guard !order.isEmpty else { return }
        var total = Amount.zero
        // Whether any content gave a time: one with neither a `watch_time` nor a VideoStart
        // gives none, and a session of such contents alone has no total (until 2026-12-05 it
        // was written as 0, a trailer at 60% watched for no time).
        var timed = false
        for content in order {
            let entry = perContent[content]!
            if let watch = entry.maxWatch {
                total = total.adding(watch) ?? total
                timed = true
            } else if let start = entry.start {
                total = total.adding(Amount(micros: (entry.last - start) * 1000)) ?? total
                timed = true
            }
        }
        if timed { totalWatchTime = total }
    }
}
