import FunnelWriters

/// The sessions a Redis run cut short sent that no stored visitor row lists, found by the
/// notes it made before sending them (`SentSessionsJournal`) and deleted by the next run.
///
/// A run sends a chunk's sessions while the history stores the chunk's visitor rows. Cut
/// short in between, it leaves sessions their rows do not list; running it again rebuilds
/// them, but a run of other days first may rebuild such a visitor from the row that never
/// listed them and leave them in Redis for good (a review found 37 in a three-night load on
/// 2026-12-05). Deleting them at the next run's start leaves Redis as the history describes
/// it; the unfinished run's own re-run then writes them again from its records.
enum SentSessions {
    /// The journal's key after the pipeline's `key_prefix`.
    static let journalKey = "funnel:sent"

    /// Deletes the noted sessions that no stored row of a visitor they were noted with lists,
    /// clears the notes and returns how many were deleted (a session the cut-short run had
    /// itself replaced is counted though its key was gone). A note without a visitor is left
    /// alone.
    ///
    /// A session is checked against every visitor it was noted with: a client session that
    /// moved to another visitor in the run was noted with both, and the new holder's row lists
    /// it (until 2026-12-05, checked against each note's own visitor, it was deleted). Two
    /// passes over the notes, a chunk's value at a time, keep what is held to the chunk's
    /// visitors and the few sessions their rows do not list (a review measured 1 GB for 3
    /// million notes held at once).
    static func reconcile(_ journal: SentSessionsJournal, store: HistoryStore, sink: SessionSink) throws(SinkError) -> Int {
        let values = try journal.values()
        guard !values.isEmpty else { return 0 }
        // Pass 1: sessions whose noted visitor's row does not list them.
        var unlisted = Set<String>()
        for value in values {
            var byVisitor: [String: [String]] = [:]
            SentSessionsJournal.forEachNote(in: value) { visitor, id in
                if !visitor.isEmpty { byVisitor[visitor, default: []].append(id) }
            }
            let rows = try store.visitorRows(byVisitor.keys.sorted())
            for (visitor, ids) in byVisitor {
                let listed = Set(rows[visitor]?.sessions ?? [])
                for id in ids where !listed.contains(id) { unlisted.insert(id) }
            }
        }
        // Pass 2: of those, the ones no other visitor they were noted with lists.
        var holders: [String: Set<String>] = [:]
        for value in values {
            SentSessionsJournal.forEachNote(in: value) { visitor, id in
                if !visitor.isEmpty, unlisted.contains(id) { holders[id, default: []].insert(visitor) }
            }
        }
        let rows = try store.visitorRows(Set(holders.values.joined()).sorted())
        let strays = unlisted.filter { id in !(holders[id] ?? []).contains { rows[$0]?.sessions.contains(id) == true } }.sorted()
        try sink.delete(strays)
        try journal.clear()
        return strays.count
    }
}
