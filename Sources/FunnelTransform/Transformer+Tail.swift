import FunnelCore

extension Transformer {
    /// Where a visitor's latest sessions begin, and what the rebuild saw of them on its way
    /// (`sessions(visitor:records:past:keepsPast:)` fills the rest in its loop): the first of
    /// the sessions, sorted by start, that every earlier session ends before.
    struct TailCut {
        /// The first tail session's place in the sorted sessions.
        let index: Int
        /// Its start: the records from this time on are the tail's.
        let time: Int64
        /// The start of the session holding the latest record before `time`: the current
        /// session of the records before the tail (`VisitorPast.currentStart`), nil if none.
        let currentStart: Int64?
        /// The touches before the tail's first session.
        var touches: VisitorTouches.Tracker?
        var sessionIDs: [String] = []
        var withheld = 0
        var overCap = 0

        /// `sessions` sorted by start; `records` the merged records they were made of, sorted
        /// by time. Nil without sessions.
        init?(sessions: [Sessionizer.Session], records: [Record]) {
            guard !sessions.isEmpty else { return nil }
            // The latest end among the sessions before each place.
            var endsBefore: [Int64] = []
            endsBefore.reserveCapacity(sessions.count)
            var latest = Int64.min
            for session in sessions {
                endsBefore.append(latest)
                latest = max(latest, session.last)
            }
            var index = sessions.count - 1
            while index > 0 && endsBefore[index] >= sessions[index].start { index -= 1 }
            self.index = index
            time = sessions[index].start
            var current: Int64?
            if index > 0, let place = records.lastIndex(where: { $0.timestamp < sessions[index].start }) {
                let record = records[place]
                current = sessions[..<index].first { session in
                    session.last == record.timestamp && session.records.contains { $0.position == record.position }
                }?.start
            }
            currentStart = current
        }
    }

    /// The tail at `cut`: where the visitor stood before it (its `past` and the records before
    /// the cut) and the records from the cut on. Nil when one of those records does not
    /// continue that point (`continues(_:with:)`: it joins or merges with something before
    /// the cut), so a later run could not rebuild from it alone, or when they are more than
    /// `TransformConfiguration.maxTailRecords`.
    ///
    /// `unmerged` and `merged` are the rebuild's records, sorted by time, before and after
    /// `PageViewMerge`.
    func tail(at cut: TailCut, unmerged: [Record], merged: [Record], past: VisitorPast?, consent: ConsentState.Timeline) -> VisitorTail? {
        guard let touches = cut.touches else { return nil }
        // Searched from the end: the tail is the short part.
        let split = unmerged.lastIndex { $0.timestamp < cut.time }.map { $0 + 1 } ?? 0
        let after = unmerged[split...]
        guard !after.isEmpty, after.count <= configuration.maxTailRecords,
              let point = VisitorPast(past: past, adding: unmerged[..<split], touches: touches, consent: consent.state(at: cut.time - 1),
                                      currentStart: cut.index > 0 ? cut.currentStart : past?.currentStart),
              after.allSatisfy({ continues(point, with: $0) }) else { return nil }
        // No merge crosses the cut (`continues` above): those of the tail are the tail's
        // records less its merged ones.
        let mergedAfter = merged.count - (merged.lastIndex { $0.timestamp < cut.time }.map { $0 + 1 } ?? 0)
        return VisitorTail(before: point, sessionIDs: cut.sessionIDs, merged: after.count - mergedAfter, withheld: cut.withheld,
                           overCap: cut.overCap, records: after.map(RecordCoding.encode))
    }
}
