import FunnelCore
import FunnelWriters

/// A history whose changes are written on a thread of their own while the run goes on
/// reading it: the flush thread plans the next chunk while the last chunk's change goes in.
///
/// At L (3 million lines) the history's writes took a quarter of the flush thread's time, and
/// the flush thread sets the pace of a run: with the writes in line, the next chunk waited for
/// them and the reader for the next chunk. Here a change is remembered as pending when it is
/// handed over, written in pieces (each piece a `HistoryChange` of its own, about
/// `pieceItems` items, so that reads get the store between pieces) and forgotten once all of it is in the
/// store. A read asks the store, then adds what pending changes hold: records and event
/// holders are added to what the store has (the same position is kept once), a visitor's row
/// and a session's deletion replace what it has. A piece already in the store reads the same
/// either way, which is why a read may fall anywhere between two pieces; the pending changes
/// are taken before the store is asked, so a change that finishes meanwhile is seen from one
/// side or the other. Every read and every piece takes the store's turn (`StoreTurn`): the
/// store (one SQLite connection) is used by one thread at a time, and a waiting read goes
/// before the writer's next piece.
final class WriteBehindHistory: HistoryStore, @unchecked Sendable {
    /// Items (records, visitors, event holders, sessions) per piece: the most a read waits
    /// for. At L the flush thread's 1,230 reads waited 2.1 to 2.2 s in all with 4,000, 0.92 s
    /// with 1,000, for the same instructions (S).
    static let pieceItems = 1_000

    private let store: HistoryStore
    private let pieceItems: Int
    private let turn = StoreTurn()
    /// Guards `pending` and `failure`.
    private let state = ThreadCondition()
    private var pending: [Pending] = []
    private var nextID = 0
    private var failure: SinkError?
    private var changes: BoundedQueue<(id: Int, change: HistoryChange)>?
    private var writer: WorkerThread?

    init(_ store: HistoryStore, pieceItems: Int = WriteBehindHistory.pieceItems) {
        self.store = store
        self.pieceItems = max(1, pieceItems)
    }

    // MARK: - Writing

    /// Hands `change` to the writer, waiting while one more change waits already (what the
    /// writer holds stays a chunk or two). Throws what an earlier change failed with.
    func apply(_ change: HistoryChange) throws(SinkError) {
        if let failure = state.locked({ failure }) { throw failure }
        let queue = try startWriter()
        let id = state.locked { () -> Int in
            nextID += 1
            pending.append(Pending(id: nextID, change: change))
            return nextID
        }
        // Cut into pieces by the writer, not here: when pieces were copies of their items,
        // cutting took 1.1% of the bench's S run on the flush thread.
        if !queue.push((id, change)) { try drain() }
    }

    /// Waits until every change handed over is in the store; throws what one failed with.
    /// `apply` starts a new writer afterwards.
    func drain() throws(SinkError) {
        changes?.close()
        writer?.join()
        changes = nil
        writer = nil
        if let failure = state.locked({ failure }) { throw failure }
    }

    /// Drains, then commits the store.
    func commit() throws(SinkError) {
        try drain()
        try store.commit()
    }

    private func startWriter() throws(SinkError) -> BoundedQueue<(id: Int, change: HistoryChange)> {
        if let changes { return changes }
        let queue = BoundedQueue<(id: Int, change: HistoryChange)>(capacity: 1)
        writer = try WorkerThread(name: "funnel-history") { [self, store, pieceItems] in
            while let (id, change) = queue.pop() {
                do throws(SinkError) {
                    for piece in Self.pieces(of: change, items: pieceItems) {
                        turn.take(reading: false)
                        defer { turn.give() }
                        try store.apply(change, piece: piece)
                    }
                } catch {
                    state.locked { failure = error }
                    queue.close()
                    return
                }
                // Taken out under the lock, freed after it: freeing a change's items (cold by
                // now) inside it kept the flush thread's reads waiting for the lock.
                let done = state.locked { pending.firstIndex { $0.id == id }.map { pending.remove(at: $0) } }
                withExtendedLifetime(done) {}
            }
        }
        changes = queue
        return queue
    }

    /// `change` as pieces of about `items` items each, in the order one `apply` of the store
    /// writes them (records, event holders, deletions, session bodies, visitor rows). A
    /// group's records stay in one piece: the store keeps them as one block. A piece names its
    /// records by their range in `change` (`HistoryChange.Piece`). The store sorts each
    /// piece's keys itself.
    static func pieces(of change: HistoryChange, items: Int) -> [HistoryChange.Piece] {
        var pieces: [HistoryChange.Piece] = []
        var piece = HistoryChange.Piece()
        var count = 0
        func full() {
            guard count >= items else { return }
            pieces.append(piece)
            piece = HistoryChange.Piece(records: piece.records.upperBound..<piece.records.upperBound)
            count = 0
        }
        for run in change.recordRuns {
            piece.records = piece.records.lowerBound..<run.upperBound
            count += run.count
            full()
        }
        for holder in change.eventHolders {
            piece.others.eventHolders.append(holder)
            count += 1
            full()
        }
        for id in change.deletedSessions {
            piece.others.deletedSessions.append(id)
            count += 1
            full()
        }
        for body in change.sessionBodies {
            piece.others.sessionBodies.append(body)
            count += 1
            full()
        }
        for (visitor, row) in change.visitors {
            piece.others.visitors[visitor] = row
            count += 1
            full()
        }
        if count > 0 { pieces.append(piece) }
        return pieces
    }

    // MARK: - Reading

    func records(ofGroups groups: [String]) throws(SinkError) -> [String: [Record]] {
        let changes = try pendingChanges()
        var result = try read { store throws(SinkError) -> [String: [Record]] in try store.records(ofGroups: groups) }
        for change in changes {
            let pending = change.records
            guard !pending.isEmpty else { continue }
            for group in groups {
                let list = pending.places(of: group)
                guard !list.isEmpty else { continue }
                var have = Set((result[group] ?? []).lazy.map(\.position))
                for index in list {
                    for record in RecordCoding.decodeAll(change.change.records[index].data) where have.insert(record.position).inserted {
                        result[group, default: []].append(record)
                    }
                }
            }
        }
        return result
    }

    func storedPositions(_ asked: [(group: String, positions: Set<String>)]) throws(SinkError) -> [Set<String>] {
        let changes = try pendingChanges()
        var found = try read { store throws(SinkError) -> [Set<String>] in try store.storedPositions(asked) }
        for change in changes {
            guard !change.change.records.isEmpty else { continue }
            for (index, question) in asked.enumerated() {
                let places = change.records.places(of: question.group)
                guard !places.isEmpty else { continue }
                var scan = StoredPositions(question.positions)
                for place in places { scan.scan(change.change.records[place].data) }
                found[index].formUnion(scan.found)
            }
        }
        return found
    }

    var holdsOnlyBuiltRecords: Bool { store.holdsOnlyBuiltRecords }

    func storedBuildSettings() throws(SinkError) -> String? { try store.storedBuildSettings() }

    var buildSettings: String? {
        get { store.buildSettings }
        set { store.buildSettings = newValue }
    }

    func storedRebuildNote() throws(SinkError) -> String? { try store.storedRebuildNote() }

    var rebuildNote: String? {
        get { store.rebuildNote }
        set { store.rebuildNote = newValue }
    }

    func eventHolders(_ ids: [String]) throws(SinkError) -> [String: [EventHolder]] {
        let changes = try pendingChanges()
        var result = try read { store throws(SinkError) -> [String: [EventHolder]] in try store.eventHolders(ids) }
        for change in changes {
            let pending = change.eventHolders
            guard !pending.isEmpty else { continue }
            for id in ids {
                let list = pending.places(of: id)
                guard !list.isEmpty else { continue }
                var have = Set(result[id] ?? [])
                for index in list {
                    let holder = change.change.eventHolders[index].holder
                    if have.insert(holder).inserted { result[id, default: []].append(holder) }
                }
            }
        }
        return result
    }

    func visitorRows(_ visitors: [String]) throws(SinkError) -> [String: VisitorRow] {
        let changes = try pendingChanges()
        var result = try read { store throws(SinkError) -> [String: VisitorRow] in try store.visitorRows(visitors) }
        guard !changes.isEmpty else { return result }
        for visitor in visitors {
            // The newest pending row is the visitor's; an empty one removed it.
            guard let row = changes.lazy.reversed().compactMap({ $0.change.visitors[visitor] }).first else { continue }
            result[visitor] = row.isEmpty ? nil : row
        }
        return result
    }

    var keepsSessionBodies: Bool { store.keepsSessionBodies }

    func sessionBodies(_ ids: [String]) throws(SinkError) -> [String: [UInt8]]? {
        let changes = try pendingChanges()
        guard var result = try read({ store throws(SinkError) -> [String: [UInt8]]? in try store.sessionBodies(ids) }) else { return nil }
        guard changes.contains(where: { !$0.change.deletedSessions.isEmpty || !$0.change.sessionBodies.isEmpty }) else { return result }
        let wanted = Set(ids)
        // In the order the store applies them: a change deletes, then writes bodies.
        for pending in changes {
            for id in pending.change.deletedSessions where wanted.contains(id) { result[id] = nil }
            for body in pending.change.sessionBodies where wanted.contains(body.id) { result[body.id] = body.body }
        }
        return result
    }

    /// `body` given the store, which no other thread uses meanwhile.
    private func read<T>(_ body: (HistoryStore) throws(SinkError) -> T) throws(SinkError) -> T {
        turn.take(reading: true)
        defer { turn.give() }
        return try body(store)
    }

    /// The pending changes, oldest first, taken before the store is read (see the type's
    /// comment); throws what the writer failed with.
    private func pendingChanges() throws(SinkError) -> [Pending] {
        let (changes, failure) = state.locked { (pending, self.failure) }
        if let failure { throw failure }
        return changes
    }

    /// A change handed over and not yet all in the store, with its records and event holders
    /// indexed for reads the first time a read needs them (most changes are written before
    /// any read asks). Only the flush thread reads.
    private final class Pending: @unchecked Sendable {
        let id: Int
        let change: HistoryChange
        /// Places in `change.records` and `change.eventHolders` by group and by event id.
        private var recordIndex: PlaceIndex?
        private var holderIndex: PlaceIndex?

        init(id: Int, change: HistoryChange) {
            self.id = id
            self.change = change
        }

        var records: PlaceIndex {
            if let recordIndex { return recordIndex }
            let records = change.records
            let index = PlaceIndex(count: records.count) { records[$0].group }
            recordIndex = index
            return index
        }

        var eventHolders: PlaceIndex {
            if let holderIndex { return holderIndex }
            let holders = change.eventHolders
            let index = PlaceIndex(count: holders.count) { holders[$0].id }
            holderIndex = index
            return index
        }
    }

    /// Who uses the store, reads first. A plain mutex let the writer take it back between
    /// two pieces before a waiting read got it, so that reads waited for whole changes: 3.3
    /// to 3.5 s of the flush thread's time at L (1,230 reads), against the piece they should
    /// wait for at most.
    private final class StoreTurn: @unchecked Sendable {
        private let condition = ThreadCondition()
        private var busy = false
        private var readsWaiting = 0

        /// Waits until the store is free; the writer (`reading` false) also lets every read
        /// waiting go first.
        func take(reading: Bool) {
            condition.locked {
                if reading { readsWaiting += 1 }
                while busy || (!reading && readsWaiting > 0) { condition.wait() }
                if reading { readsWaiting -= 1 }
                busy = true
            }
        }

        func give() {
            condition.locked {
                busy = false
                condition.broadcast()
            }
        }
    }
}
