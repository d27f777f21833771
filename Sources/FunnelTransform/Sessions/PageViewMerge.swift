import FunnelCore

/// Joins a client PageView and the access-log line of the same page view (SPEC 4).
///
/// Both describe one visit to one page: the client event is kept, with its timestamp, and gets
/// what only the log line knows (referrer, device and browser, geography, campaign query,
/// host, country). Records are normalized by then: the log line's IP and agent are already
/// reduced to these. Each log line
/// merges with the nearest unmerged client PageView of the same visitor and path within the
/// window whose client session id does not contradict its own.
enum PageViewMerge {
    /// Merges within one visitor's records, sorted by time. Returns the records left and how
    /// many log lines were merged away.
    static func merge(_ records: [Record], windowMillis: Int64) -> (records: [Record], merged: Int) {
        let clientViews = records.indices.filter { records[$0].origin == .client && records[$0].event == "PageView" && records[$0].path != nil }
        guard !clientViews.isEmpty, records.contains(where: { $0.origin == .accessLog }) else { return (records, 0) }
        var result = records
        var taken = Set<Int>()
        var removed = Set<Int>()
        for index in records.indices where records[index].origin == .accessLog {
            let line = records[index]
            var best: Int?
            var bestDistance = Int64.max
            // Records are sorted by time: start at the first client view inside the window.
            var low = 0
            var high = clientViews.count
            while low < high {
                let mid = (low + high) / 2
                if records[clientViews[mid]].timestamp < line.timestamp - windowMillis { low = mid + 1 } else { high = mid }
            }
            for candidate in clientViews[low...] {
                let view = records[candidate]
                if view.timestamp > line.timestamp + windowMillis { break }
                let distance = abs(view.timestamp - line.timestamp)
                guard !taken.contains(candidate), view.path == line.path else { continue }
                if let a = view.sessionID, let b = line.sessionID, a != b { continue }
                if distance < bestDistance {
                    best = candidate
                    bestDistance = distance
                }
            }
            guard let best else { continue }
            taken.insert(best)
            removed.insert(index)
            var view = result[best]
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
            result[best] = view
        }
        guard !removed.isEmpty else { return (records, 0) }
        return (result.enumerated().filter { !removed.contains($0.offset) }.map(\.element), removed.count)
    }
}
