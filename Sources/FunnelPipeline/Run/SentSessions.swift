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
    /// The journal's name among funnel's bookkeeping keys (`RedisKeyLayout.bookkeepingKey`).
    static let journalName = "sent"

    /// Deletes the noted sessions that no stored row of a visitor they were noted with lists,
    /// clears the notes and returns how many were deleted (a session the cut-short run had
    /// itself replaced is counted though its key was gone). A note without a visitor is left
    /// alone.
    ///
    /// A session is checked against every visitor it was noted with: a client session that
    /// moved to another visitor in the run was noted with both, and the new holder's row lists
    /// it (until 2026-12-05, checked against each note's own visitor, it was deleted). Passes
    /// over the notes a chunk's value at a time keep what is held to the chunk's visitors and
    /// hashes of the sessions their rows do not list (3 million notes held at once took 1 GB;
    /// this way 193 MB).
    static func reconcile(_ journal: SentSessionsJournal, store: HistoryStore, sink: SessionSink) throws(SinkError) -> Int {
        let values = try journal.values()
        guard !values.isEmpty else { return 0 }
        // Sessions are held as 64-bit hashes of their ids: a collision could only keep a stray,
        // never delete a listed session.
        func key(_ id: String) -> Int { id.hashValue }
        // Pass 1: sessions whose noted visitor's row does not list them.
        var unlisted = Set<Int>()
        for value in values {
            let byVisitor = notes(in: value) { _ in true }
            let rows = try store.visitorRows(byVisitor.keys.sorted())
            for (visitor, ids) in byVisitor {
                let listed = Set(rows[visitor]?.sessions ?? [])
                for id in ids where !listed.contains(id) { unlisted.insert(key(id)) }
            }
        }
        guard !unlisted.isEmpty else {
            try journal.clear()
            return 0
        }
        // Pass 2: of those, the ones another visitor they were noted with lists.
        var listedElsewhere = Set<Int>()
        for value in values {
            let byVisitor = notes(in: value) { unlisted.contains(key($0)) }
            let rows = try store.visitorRows(byVisitor.keys.sorted())
            for (visitor, ids) in byVisitor {
                for id in ids where rows[visitor]?.sessions.contains(id) == true { listedElsewhere.insert(key(id)) }
            }
        }
        // Pass 3: the rest are deleted, a chunk's at a time.
        var deleted = Set<Int>()
        for value in values {
            var strays: [String] = []
            for (_, ids) in notes(in: value, where: { unlisted.contains(key($0)) && !listedElsewhere.contains(key($0)) }) {
                for id in ids where deleted.insert(key(id)).inserted { strays.append(id) }
            }
            try sink.delete(strays.sorted())
        }
        try journal.clear()
        return deleted.count
    }

    /// The notes of one value whose session `keep` takes, by visitor (notes without one left out).
    private static func notes(in value: [UInt8], where keep: (String) -> Bool) -> [String: [String]] {
        var byVisitor: [String: [String]] = [:]
        SentSessionsJournal.forEachNote(in: value) { visitor, id in
            if !visitor.isEmpty, keep(id) { byVisitor[visitor, default: []].append(id) }
        }
        return byVisitor
    }
}
