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

    /// Deletes the noted sessions that their visitor's stored row does not list, clears the
    /// notes and returns how many were deleted. A note without a visitor is left alone.
    static func reconcile(_ journal: SentSessionsJournal, store: HistoryStore, sink: SessionSink) throws(SinkError) -> Int {
        let notes = try journal.members()
        guard !notes.isEmpty else { return 0 }
        var byVisitor: [String: [String]] = [:]
        for note in notes {
            guard let (visitor, id) = SentSessionsJournal.parse(note), !visitor.isEmpty else { continue }
            byVisitor[visitor, default: []].append(id)
        }
        let rows = try store.visitorRows(byVisitor.keys.sorted())
        var strays: [String] = []
        for (visitor, ids) in byVisitor {
            let listed = Set(rows[visitor]?.sessions ?? [])
            strays += ids.filter { !listed.contains($0) }
        }
        strays.sort()
        try sink.delete(strays)
        try journal.clear()
        return strays.count
    }
}
