import FunnelCore
import FunnelTransform
import FunnelWriters

/// Merges a run's records with the stored history and rebuilds every visitor the run touches
/// (SPEC 10): the visitors of the run's groups, the visitors that held or now hold a client
/// session the run adds to, and the holders of event ids the run repeats. A visitor's
/// sessions depend on that visitor's records only, so rebuilding exactly these visitors after
/// any sequence of runs gives what one run over all their days gives.
struct HistoryPlanner {
    struct Plan {
        /// Sessions of every rebuilt visitor, in output order.
        var sessions: [SessionRecord] = []
        /// Ids written before by a rebuilt visitor and not part of it any more.
        var deleted: [String] = []
        /// Ids the rebuilt visitors' stored rows listed: for a history that keeps no bodies
        /// (Redis), whether a session the run sees for the first time was written before it.
        /// Empty for one that keeps them, which answers that from the bodies.
        var listedBefore: Set<String> = []
        /// The digests the rebuilt visitors' stored rows keep of their sessions
        /// (`VisitorRow.digests`), by id: for a history without bodies, what the sink holds.
        var storedDigests: [String: UInt64] = [:]
        /// For a history without bodies, by continued visitor: its new row's digests as far as
        /// the plan knows them (`addContinued`).
        var continuedDigests: [String: ContinuedDigests] = [:]
        var change = HistoryChange()
        /// Counts per rebuilt visitor, not summed: a long run rebuilds a visitor again when a
        /// later chunk of its input reaches it, and the run's scratch keeps only the last counts.
        var perVisitor: [VisitorCounts] = []
        /// The rebuilt visitors with at least `warnVisitorRecords` records, and how many.
        var heavyVisitors: [(visitor: String, records: Int)] = []
        /// Records the rebuilt visitors' sessions were built from, new and read back.
        var builtRecords = 0
    }

    struct VisitorCounts {
        var visitor: String
        /// False for a visitor rebuilt only to delete what it held.
        var counted: Bool
        var duplicateEvents: Int
        var mergedPageViews: Int
        var withheldSessions: Int
        var overEventCap: Int
        /// Continued from its past: the counts are its new records' only, to be added to what
        /// the run counted for it before (`RunScratch.totals`).
        var continued = false
    }

    /// Holders of one event id looked through one by one; more are kept in a set.
    static let holdersScanned = 32

    let transformer: Transformer
    let store: HistoryStore
    /// `Pipeline.warnVisitorRecords`.
    var warnVisitorRecords = Pipeline.defaultWarnVisitorRecords
    /// `Pipeline.continueVisitorRecords`: a visitor whose sessions were built from this many
    /// records or more keeps a tail in its past (`VisitorTail`: its latest sessions' records),
    /// so that it is continued from before them when new records join them; with fewer, only
    /// when its new records leave every earlier session as it is. Every visitor keeps a past
    /// since 2026-12-07 (before, only those of this many records, and the others were rebuilt
    /// from all their records whenever they came back: rv76a's 30,000 visitors back every
    /// night, night 10 24.4 s of CPU against 3.5 s).
    var continueVisitorRecords = Pipeline.defaultContinueVisitorRecords
    /// `Pipeline.continuesVisitors`: false rebuilds every visitor whole.
    var continuesVisitors = true

    /// A chunk's groups decoded, on both cores.
    func decode(_ held: inout [HeldGroup]) -> [NewGroup] {
        // Records wait as their encoding only (a third of a record's memory); they are
        // decoded here, on both cores, and each group's encodings become the one value the
        // history keeps of them (`HistoryChange.records`) on the worker that decoded them,
        // which also frees the group's held list. Before, the change held three values per
        // record, which the flush thread retained and the history's writer joined into the
        // block and freed, across cores: at M (`perf`), 13 to 14% of the writer's samples
        // and about 5% of the flush thread's.
        var newGroups = Parallel.map(mutating: &held) { entry -> NewGroup in
            let list = exchange(&entry.records, with: [])
            var records: [Record] = []
            records.reserveCapacity(list.count)
            var kept: [[UInt8]] = []
            kept.reserveCapacity(list.count)
            var eventIDs: [(id: String, position: String)] = []
            // The encodings were written by the reader's thread long before and have left
            // the cache: asked for all at once, their loads overlap instead of each waiting
            // (a load of an array's header was two thirds of this step's own samples at M).
            for index in list.indices.prefix(Self.prefetchCount) { Prefetch.storage(of: list[index].data) }
            for item in list {
                guard let record = RecordCoding.decode(item.data) else { continue }
                if let id = record.eventID { eventIDs.append((id, record.position)) }
                records.append(record)
                kept.append(item.data)
            }
            // Made once from its parts, which move in: a group built field by field was copied
            // whole on its way out (about 0.4% of M's samples).
            let visitor = records.isEmpty ? nil : HashedText(Transformer.visitor(ofGroup: entry.group.text, records: records))
            return NewGroup(group: entry.group, records: records, value: RecordCoding.storedValue(of: kept), eventIDs: eventIDs,
                            firstPosition: records.first?.position ?? "", visitor: visitor)
        }
        newGroups.removeAll { $0.records.isEmpty }
        return newGroups
    }

    /// Groups of a chunk planned together, and the rows of their visitors when already read
    /// (`parts(_:budget:)`).
    struct Part {
        var groups: [NewGroup]
        var rows: [String: VisitorRow]?
    }

    /// A chunk's groups in parts, each planned (and its change applied) before the next, so
    /// that what a plan holds stays near `budget` records when the chunk's visitors have
    /// records stored: a visitor the chunk adds to is rebuilt from all of its records, and a
    /// chunk of 20,000 new records of visitors back every night read back ten times as many
    /// by their tenth night (rv76a: 836 MB). What is stored is estimated from the visitors'
    /// rows (`storedEstimate`), read here once, a slice of `rowsPerRead` visitors at a time,
    /// and what their rows hold (`rowWeight`): a continued visitor reads back none of its
    /// records, but its row lists every session and client session it ever had, and a night
    /// of 30,000 visitors back for their tenth night held 53 MB of such rows at once (rv76a,
    /// `jeprof`). A chunk within twice the budget is one part, planned with those rows when
    /// they are within the budget. Parts fall where chunks could: what a run writes does not
    /// depend on them.
    func parts(_ groups: [NewGroup], budget: Int) throws(SinkError) -> [Part] {
        // The chunk's visitors in the order of their first groups, and their client-session
        // groups of the chunk.
        var keys: [HashedText] = []
        var chunkGroups: [HashedText: [Int]] = .init(minimumCapacity: groups.count)
        for index in groups.indices {
            guard let visitor = groups[index].visitor else { continue }
            if chunkGroups[visitor] == nil { keys.append(visitor) }
            chunkGroups[visitor, default: []].append(index)
        }
        // What each visitor with a row adds to its first group's cost. A visitor with a past
        // is rebuilt whole, not continued, when a record of the chunk comes before that past
        // and before the point before its tail (a line that arrives late: a log rotated
        // late, a client event sent days after), or when its client session of this chunk has
        // records stored already (flushed open earlier in the run, by the cap on open
        // sessions), since a continued visitor's groups of the chunk must be all new. (A row's
        // groups are searched in their order, `lists(_:anyOf:)`: a visitor of thousands of
        // client sessions looked up in its list for each of them was quadratic, and made a set
        // at every flush, as slow for one of 160,000.)
        var stored: [HashedText: Int] = [:]
        var rows: [String: VisitorRow]? = [:]
        var rowsWeight = 0
        var start = 0
        while start < keys.count {
            let slice = keys[start..<min(keys.count, start + Self.rowsPerRead)]
            start += slice.count
            let read = try store.visitorRows(slice.map(\.text))
            guard !read.isEmpty else { continue }
            for visitor in slice {
                guard let row = read[visitor.text] else { continue }
                var whole = !continuesVisitors
                if !whole, let past = row.past, let indices = chunkGroups[visitor] {
                    let from = past.tail?.before
                    whole = indices.contains { index in
                        !continues(past, groups[index].records) && !(from.map { continues($0, groups[index].records) } ?? false)
                    }
                    if !whole {
                        let sessionGroups = indices.lazy.map { groups[$0].group.text }.filter(Transformer.isSessionGroup)
                        if !sessionGroups.isEmpty { whole = Self.lists(row.groups, anyOf: sessionGroups) }
                    }
                }
                let weight = Self.rowWeight(row)
                rowsWeight += weight
                stored[visitor] = weight + (whole ? row.past?.records ?? 0 : Self.storedEstimate(row, continueVisitorRecords: continueVisitorRecords))
            }
            // Kept for the plan while they are few; past the budget, each part reads its own.
            if rows != nil {
                if rowsWeight <= budget { rows!.merge(read) { $1 } } else { rows = nil }
            }
        }
        var costs: [Int] = []
        costs.reserveCapacity(groups.count)
        var counted = Set<HashedText>()
        var total = 0
        for group in groups {
            var cost = group.records.count
            if let visitor = group.visitor, let storedCost = stored[visitor], counted.insert(visitor).inserted { cost += storedCost }
            costs.append(cost)
            total += cost
        }
        let budget = max(1, budget)
        guard total > 2 * budget else { return [Part(groups: groups, rows: rows)] }
        // Even parts, in the chunk's order. A visitor's stored records are counted at its first
        // group only: a later group of it that falls in another part rebuilds it there again,
        // as a later chunk would.
        let target = total / ((total + budget - 1) / budget)
        var parts: [Part] = []
        var current: [NewGroup] = []
        var sum = 0
        for (group, cost) in zip(groups, costs) {
            if !current.isEmpty && sum + cost > target {
                parts.append(Part(groups: current, rows: nil))
                current = []
                sum = 0
            }
            current.append(group)
            sum += cost
        }
        if !current.isEmpty { parts.append(Part(groups: current, rows: nil)) }
        return parts
    }

    /// Whether a row's client-session groups hold any of `groups`: the stored items are
    /// compared by their hashes (`HashedText.hash(of:)`), a text made only where one matches.
    /// Texts are equal here when their bytes are (before 968f561 a `Set<String>` also took two
    /// spellings of one Unicode text for one; a review, rv83a): it only feeds `parts`' cost
    /// estimate, and the readers let no id beyond printable ASCII through.
    static func lists<Groups: Collection<String>>(_ stored: StoredTexts, anyOf groups: Groups) -> Bool {
        guard !stored.isEmpty, !groups.isEmpty else { return false }
        let texts = Set(groups)
        let hashes = StoredTexts.Hashes(texts.lazy.map { HashedText($0).hash })
        var found = false
        stored.forEachMatch(mayMatch: hashes.contains, { texts.contains($0) }) { _, _ in found = true }
        return found
    }

    /// About how many stored records a rebuild of the visitor of `row` reads back: a visitor
    /// continued from its past reads its tail (none, for a past without one); one without a
    /// past (a row written before 2026-12-07) was built from fewer than
    /// `continueVisitorRecords` records, counted here as `recordsPerStoredSession` a session
    /// up to that. (`parts` counts a visitor with a past whose chunk's client session has
    /// records stored already as rebuilt whole; one rebuilt whole for a reason the plan finds
    /// later, a record before its past, an event id another visitor holds or a client session
    /// it lost, is not foreseen.)
    static func storedEstimate(_ row: VisitorRow, continueVisitorRecords: Int) -> Int {
        if let past = row.past { return past.tail?.records.count ?? 0 }
        return max(0, min(continueVisitorRecords - 1, recordsPerStoredSession * max(1, row.sessions.count)))
    }

    /// Records a stored session is taken to hold in `storedEstimate` (an ordinary visit's few
    /// page views and events).
    static let recordsPerStoredSession = 4

    /// What holding the row of a visitor costs a plan, in records: one for the row and its
    /// past, and one for each `rowItemsPerRecord` items of its lists of client sessions and
    /// session ids. A decoded record of the chunk held about 1.1 KB, a row's item (a string
    /// of 20 to 40 bytes, in the row read, in the row written and encoded) about 250 bytes
    /// (`jeprof` of rv76a's seventh night: 39 MB of rows, 22 MB of 20,000 records). Since the
    /// lists are kept as bytes (`StoredTexts`) an item holds about a tenth of that, so the
    /// weight overstates a row and parts come out smaller than they need, never larger
    /// (rv76a's nights, 968f561 against 5e87c13: 118 to 155 MB against 124 to 151 MB, the
    /// tenth 129 against 141 MB); not measured again to be set anew.
    static func rowWeight(_ row: VisitorRow) -> Int {
        1 + (row.groups.count + row.sessions.count) / rowItemsPerRecord
    }

    static let rowItemsPerRecord = 4

    /// Visitors whose rows `parts` reads at a time: about 2,000 rows of 40 items, 7 MB.
    static let rowsPerRead = 2_000

    /// Plans a run's new records, by the group they are stored under (each group once): one
    /// part of a chunk (`parts(_:budget:)`), against the history as the parts before it left
    /// it. Its groups are moved out of `part`: the rebuild completes merged page views in
    /// place only in records nothing else holds (a part passed by value still held them, and
    /// every such record was copied: 4 million instructions of S).
    ///
    /// Groups and visitors are keyed by `HashedText` here: each is looked up about ten times
    /// (the records read, the visitor of a group, a visitor's groups, what is missing, the
    /// members), and SipHash over its text at every lookup took 64 million instructions of
    /// the bench's S run.
    func plan(_ part: inout Part) throws(SinkError) -> Plan {
        var plan = Plan()
        var newGroups = exchange(&part.groups, with: [])
        // The rows of the chunk's visitors, read once: what the steps below need to know of a
        // visitor's past (rows of the other visitors the chunk touches are read further down).
        var preReadKeys = Set<HashedText>(minimumCapacity: newGroups.count)
        for index in newGroups.indices { if let visitor = newGroups[index].visitor { preReadKeys.insert(visitor) } }
        let preRead: [String: VisitorRow]
        if let rows = part.rows { preRead = rows } else { preRead = try store.visitorRows(preReadKeys.map(\.text)) }
        // Visitors' tails, decoded once per plan by the steps that need them, by visitor.
        var decodedTails: [String: [Record]] = [:]
        if store.holdsOnlyBuiltRecords && continuesVisitors {
            try leaveOutLinesReadAgain(&newGroups, rows: preRead, tails: &decodedTails)
            newGroups.removeAll { $0.records.isEmpty }
        }

        // Event ids the run carries: every group holding one is rebuilt, since the winner
        // (the smallest position) may move.
        var newEventIDs = Set<String>()
        var carriers: [(id: String, holder: EventHolder)] = []
        for index in newGroups.indices {
            for (id, position) in newGroups[index].eventIDs {
                newEventIDs.insert(id)
                carriers.append((id, EventHolder(position: position, group: newGroups[index].group.text)))
            }
        }
        var holders = try store.eventHolders(Array(newEventIDs))
        // An id's holders are looked through while they are few, and kept in a set once they
        // are many: an id that every event carries (rv76a: `undefined` on a day's events) was
        // a scan of all its holders for each, 85% of a run's time and quadratic in its events.
        var manyHolders: [String: Set<EventHolder>] = [:]
        for (id, holder) in carriers {
            if let list = holders[id], list.count >= Self.holdersScanned {
                guard manyHolders[id, default: Set(list)].insert(holder).inserted else { continue }
            } else if holders[id]?.contains(holder) == true {
                continue
            }
            holders[id, default: []].append(holder)
            plan.change.eventHolders.append((id, holder))
        }
        var groups = Set<HashedText>(minimumCapacity: newGroups.count)
        for index in newGroups.indices { groups.insert(newGroups[index].group) }
        for list in holders.values { for holder in list { groups.insert(HashedText(holder.group)) } }

        // A visitor's own group (`v:KEY`) whose stored records need not be read: the visitor
        // has a stored past from enough records, and the group's new records all come after
        // it (`continues`). Its stored records are read later only if the visitor must be
        // rebuilt after all.
        var unread = Set<HashedText>()
        // (An own group that also holds a stored record of one of the chunk's event ids is left
        // unread too: its visitor then fails the event check below and it is read there.)
        let ownNew = newGroups.indices.filter { !Transformer.isSessionGroup(newGroups[$0].group.text) }
        if !ownNew.isEmpty {
            let keys = ownNew.map { Transformer.visitor(ofGroup: newGroups[$0].group.text, records: []) }
            let rows = preRead
            for (index, key) in zip(ownNew, keys) {
                guard continuesVisitors, let past = rows[key]?.past else { continue }
                // (From the tail's point, none of the new records is a tail record read again:
                // a group read later after all is joined to its new records as they are.)
                if continuesAsTheyAre(past, newGroups[index].records, visitor: key, tails: &decodedTails) {
                    unread.insert(newGroups[index].group)
                }
            }
        }

        // Sized once: the run's groups and the visitors below are filled one key at a time,
        // and growing a table rehashes every key.
        var records: [HashedText: [Record]] = .init(minimumCapacity: groups.count)
        for (group, list) in try store.records(ofGroups: groups.filter { !unread.contains($0) }.map(\.text)) { records[HashedText(group)] = list }
        // The visitor each stored client-session group belonged to: the one its stored records
        // name, by the rule (`Transformer.visitor(ofSessionGroup:)`) that chose it when they
        // were stored, since a group's records only change when it is planned again. (Until
        // this was seen, every flush also stored and looked up a group -> visitor index: a
        // write per client session, 150,000 on M.)
        var previousVisitor: [HashedText: HashedText] = [:]
        for (group, list) in records where Transformer.isSessionGroup(group.text) {
            previousVisitor[group] = HashedText(Transformer.visitor(ofGroup: group.text, records: list))
        }
        // Event ids of records read from the history, whose holders may not be known yet.
        var storedIDs = Set<String>()
        for list in records.values { for record in list { if let id = record.eventID { storedIDs.insert(id) } } }
        plan.change.records.reserveCapacity(newGroups.count)
        // The visitor of each group whose records are all new, as the decoding step found it.
        var visitorOfNew: [HashedText: HashedText] = .init(minimumCapacity: newGroups.count)
        // Groups with no stored records read (all their records are new), and the positions
        // of the records carrying event ids in them: what a continued visitor may hold.
        var allNew = Set<HashedText>()
        for index in newGroups.indices {
            let group = newGroups[index].group
            let value = exchange(&newGroups[index].value, with: [])
            let list = exchange(&newGroups[index].records, with: [])
            guard let stored = records[group] else {
                allNew.insert(group)
                // Nothing stored: every record is new (a position is read once per run).
                plan.change.records.append((group.text, newGroups[index].firstPosition, value))
                records[group] = list
                visitorOfNew[group] = newGroups[index].visitor
                continue
            }
            // A position already stored is the same line read again: it is kept once.
            var byPosition: [String: Record] = [:]
            for record in stored { byPosition[record.position] = record }
            var unseen: [Int] = []
            for (offset, record) in list.enumerated() where byPosition[record.position] == nil {
                unseen.append(offset)
                byPosition[record.position] = record
            }
            if unseen.count == list.count {
                plan.change.records.append((group.text, list[0].position, value))
            } else if !unseen.isEmpty {
                plan.change.records.append((group.text, list[unseen[0]].position, Self.storedValue(value, keeping: unseen)))
            }
            records[group] = Array(byPosition.values)
        }
        newGroups = []
        // Visitors to rebuild.
        var visitorOf: [HashedText: HashedText] = .init(minimumCapacity: groups.count)
        var visitors = Set<HashedText>(minimumCapacity: groups.count + previousVisitor.count)
        for group in groups {
            let visitor = visitorOfNew[group] ?? HashedText(Transformer.visitor(ofGroup: group.text, records: records[group] ?? []))
            visitors.insert(visitor)
            if Transformer.isSessionGroup(group.text) {
                visitorOf[group] = visitor
                if let previous = previousVisitor[group] { visitors.insert(previous) }
            }
        }
        // The rows read above for own groups are not read again (a key the store has no row for
        // is absent from both).
        var storedRows: [HashedText: VisitorRow] = [:]
        for (visitor, row) in preRead { storedRows[HashedText(visitor)] = row }
        let unreadRows = visitors.lazy.filter { !preReadKeys.contains($0) }.map(\.text)
        for (visitor, row) in try store.visitorRows(Array(unreadRows)) { storedRows[HashedText(visitor)] = row }
        // Visitors continued from their past rather than rebuilt: every group of theirs this
        // chunk has records of is all new and comes after the past, none of their stored
        // groups went to another visitor, and no event id of theirs is held by a stored record.
        // Nothing of this is done for a chunk whose visitors have no past to continue from (a
        // run from an empty history, and most chunks of any run).
        var chunkGroupsOf: [HashedText: [HashedText]] = [:]
        var losing = Set<HashedText>()
        var continued: [HashedText: VisitorPast] = [:]
        // Continued from before their latest sessions (`VisitorTail`): the tail, its records.
        var reopened: [HashedText: (tail: VisitorTail, records: [Record])] = [:]
        var newCarriers = Set<String>()
        let candidates = continuesVisitors ? visitors.filter { storedRows[$0]?.past != nil } : []
        if !candidates.isEmpty {
            for group in groups {
                let visitor = visitorOf[group] ?? visitorOfNew[group] ?? HashedText(Transformer.visitor(ofGroup: group.text, records: []))
                chunkGroupsOf[visitor, default: []].append(group)
            }
            for (group, previous) in previousVisitor where visitorOf[group] != previous { losing.insert(previous) }
            for (_, holder) in carriers { newCarriers.insert(holder.position) }
        }
        for visitor in candidates {
            guard let past = storedRows[visitor]?.past, !losing.contains(visitor), let chunkGroups = chunkGroupsOf[visitor] else { continue }
            func eligible(from point: VisitorPast) -> Bool {
                chunkGroups.allSatisfy { group in
                    guard allNew.contains(group), let list = records[group], continues(point, list) else { return false }
                    return list.allSatisfy { record in
                        guard let id = record.eventID else { return true }
                        return (holders[id] ?? []).allSatisfy { newCarriers.contains($0.position) }
                    }
                }
            }
            if eligible(from: past) {
                continued[visitor] = past
            } else if let tail = past.tail, eligible(from: tail.before), let list = decodedTails[visitor.text] ?? tail.decodedRecords(),
                      Self.readsNoneAgain(list, chunkGroups.lazy.map { records[$0] ?? [] }) {
                // The new records join its latest sessions (a visitor active across the last
                // run's end): those are rebuilt from the point before them, with its records.
                continued[visitor] = tail.before
                reopened[visitor] = (tail, list)
            }
        }
        // The client-session groups of each rebuilt visitor: those its row lists that no other
        // visitor took in this chunk, and those the chunk gives it. (A continued visitor's are
        // its row's and its chunk's, put together below without a set of them all: a visitor
        // of 160,000 client sessions, made a set and sorted at every flush of a run that added
        // to it, took 8.4 s where 480,000 ordinary records take 1.5.)
        var groupsOfVisitor: [HashedText: Set<HashedText>] = .init(minimumCapacity: visitors.count)
        for visitor in visitors where continued[visitor] == nil {
            guard let stored = storedRows[visitor]?.groups, !stored.isEmpty else {
                groupsOfVisitor[visitor] = []
                continue
            }
            groupsOfVisitor[visitor] = Set(stored.lazy.map(HashedText.init).filter { visitorOf[$0] == nil || visitorOf[$0] == visitor })
        }
        for (group, visitor) in visitorOf where continued[visitor] == nil { groupsOfVisitor[visitor, default: []].insert(group) }

        // Own groups left unread whose visitor is rebuilt after all: their stored records now.
        let reread = unread.filter { continued[HashedText(Transformer.visitor(ofGroup: $0.text, records: []))] == nil }
        if !reread.isEmpty {
            for (group, list) in try store.records(ofGroups: reread.map(\.text)) {
                let key = HashedText(group)
                records[key] = list + (records[key] ?? [])
                allNew.remove(key)
                for record in list { if let id = record.eventID { storedIDs.insert(id) } }
            }
        }

        // The visitors in the set's own order: nothing the plan gives depends on it (its
        // sessions are put in output order below, each visitor's row and counts are its own,
        // the deleted ids are sorted at the run's end), and sorting them by text on the flush
        // thread took 28 million instructions of the bench's S run. Each visitor's own group
        // (`v:KEY`) is named once, for the lookups below and the members.
        let order = Array(visitors)
        let ownGroups = order.map { HashedText(Transformer.group(ofVisitor: $0.text)) }

        // Load what the rebuilt visitors hold beyond the run's groups.
        var missing = Set<HashedText>()
        for (visitor, own) in zip(order, ownGroups) where continued[visitor] == nil {
            if records[own] == nil { missing.insert(own) }
            for group in groupsOfVisitor[visitor] ?? [] where records[group] == nil { missing.insert(group) }
        }
        if !missing.isEmpty {
            for (group, list) in try store.records(ofGroups: missing.map(\.text)) {
                records[HashedText(group)] = list
                for record in list { if let id = record.eventID { storedIDs.insert(id) } }
            }
        }

        // Winners of every event id the rebuilt visitors carry (every record read is one of
        // theirs): the holders of the run's ids were read above, those of ids only stored
        // records carry are read now. An id with one holder has nothing to remove.
        let more = try store.eventHolders(Array(storedIDs.subtracting(holders.keys)))
        for (id, list) in more { holders[id] = list }
        var winners: [String: String] = [:]
        for (id, list) in holders where list.count > 1 { winners[id] = list.lazy.map(\.position).min(by: RecordPosition.precedes) }

        var inputs: [(visitor: String, records: [Record], past: VisitorPast?)?] = []
        var facts: [(groups: StoredTexts, dropped: Int, empty: Bool)] = []
        // The hashes of the chunk's client-session groups (`groups(_:of:adding:visitorOf:takenHashes:)`),
        // made once a continued visitor with stored groups needs them.
        var takenHashes: StoredTexts.Hashes?
        inputs.reserveCapacity(order.count)
        facts.reserveCapacity(order.count)
        plan.change.visitors.reserveCapacity(order.count)
        for (visitor, own) in zip(order, ownGroups) {
            let past = continued[visitor]
            // The visitor's client-session groups, in order; a continued visitor's members are
            // its new records only (its stored groups were not read, and any read for another
            // reason are left out): its chunk's groups.
            let sessionGroups: [HashedText]
            let rowGroups: StoredTexts
            if past == nil {
                let groupSet = groupsOfVisitor[visitor] ?? []
                sessionGroups = groupSet.count < 2 ? Array(groupSet) : groupSet.sorted { $0.text < $1.text }
                rowGroups = StoredTexts(sessionGroups.lazy.map(\.text))
            } else {
                let chunk = Set((chunkGroupsOf[visitor] ?? []).filter { visitorOf[$0] == visitor })
                sessionGroups = chunk.count < 2 ? Array(chunk) : chunk.sorted { $0.text < $1.text }
                if let stored = storedRows[visitor]?.groups, !stored.isEmpty {
                    if takenHashes == nil { takenHashes = StoredTexts.Hashes(visitorOf.keys.lazy.map(\.hash)) }
                    rowGroups = Self.groups(stored, of: visitor, adding: sessionGroups, visitorOf: visitorOf, takenHashes: takenHashes!)
                } else {
                    rowGroups = StoredTexts(sessionGroups.lazy.map(\.text))
                }
            }
            var members = records[own] ?? []
            if let list = reopened[visitor]?.records { members = list + members }
            for group in sessionGroups {
                guard let list = records[group] else { continue }
                if members.isEmpty { members = list } else { members += list }
            }
            let (kept, dropped) = Transformer.removingDuplicateEvents(members, winners: winners)
            if kept.count >= warnVisitorRecords { plan.heavyVisitors.append((visitor.text, kept.count)) }
            plan.builtRecords += kept.count
            inputs.append((visitor.text, kept, past))
            facts.append((rowGroups, dropped, members.isEmpty))
        }
        // The visitors' records are held by `inputs` alone from here, and each is freed on
        // the core that rebuilt it.
        records = [:]
        // Each visitor's sessions depend on that visitor's records only: rebuilt on both cores.
        let transformer = self.transformer
        var results = Parallel.map(consuming: &inputs) { input in
            // The records are taken out of the input, so the rebuild holds the only reference
            // and completes merged page views in place.
            // Every visitor keeps a past; its tail (the latest sessions' records, so that new
            // records joining them can be continued too) once it has enough records.
            let keepsTail = input.records.count + (input.past?.records ?? 0) >= continueVisitorRecords
            return transformer.sessions(visitor: input.visitor, records: exchange(&input.records, with: []), past: input.past, keepsPast: true, keepsTail: keepsTail)
        }
        // The sessions are moved out of the results, not copied: a copy retained each
        // session's text and arrays and freeing the results released them again, on memory
        // the other core wrote (1.5% of a run's samples at M, `perf`).
        var all: [SessionRecord] = []
        all.reserveCapacity(results.reduce(0) { $0 + $1.sessions.count })
        var idsOfVisitor: [[String]] = []
        idsOfVisitor.reserveCapacity(results.count)
        for index in results.indices {
            var ids: [String] = []
            ids.reserveCapacity(results[index].sessions.count)
            for session in results[index].sessions.indices {
                let moved = exchange(&results[index].sessions[session], with: Self.emptySession)
                ids.append(moved.id)
                all.append(moved)
            }
            idsOfVisitor.append(ids)
        }
        // Asked only of a history without bodies (`listedBefore`); a set insert per stored
        // session of every rebuilt visitor otherwise spent for nothing (rv70b).
        let listsBefore = !store.keepsSessionBodies
        // A continued visitor's stored ids, looked through once the plan's ids are known
        // (`addContinued`): its stored digests, the positions its new row leaves out, its new ids.
        var continuedLists: [(visitor: String, stored: StoredTexts, digests: [UInt64], removed: [Int], appended: [String])] = []
        // By index: zipped, each visitor's facts were copied through the tuple's generic
        // copy (1,000 instructions a visitor on the bench's S).
        for index in order.indices {
            let visitor = order[index]
            let newIDs = idsOfVisitor[index]
            let result = results[index]
            let input = facts[index]
            let previousSessions = storedRows[visitor]?.sessions ?? []
            // A continued visitor keeps its earlier sessions and adds the new ones; one continued
            // from before its tail keeps those before the tail's. What a rebuild or a tail no
            // longer has is deleted (a continued visitor's earlier sessions are not looked
            // through for it: every one of them is kept).
            let tail = reopened[visitor]?.tail
            let ids: StoredTexts
            // For a history without bodies, the positions of the stored ids a continued
            // visitor's new row keeps (all of them, or all but its tail's).
            var removedPositions: [Int] = []
            if continued[visitor] == nil {
                ids = StoredTexts(newIDs)
                if !previousSessions.isEmpty {
                    let current = Set(newIDs)
                    plan.deleted += previousSessions.filter { !current.contains($0) }
                }
            } else if let tail {
                let replaced = Set(tail.sessionIDs)
                let hashes = StoredTexts.Hashes(replaced.lazy.map { HashedText($0).hash })
                let (kept, removed, positions) = previousSessions.removing(mayRemove: hashes.contains) { replaced.contains($0) }
                let new = Set(newIDs)
                plan.deleted += removed.filter { !new.contains($0) }
                ids = kept.appending(contentsOf: newIDs)
                removedPositions = positions
            } else {
                ids = previousSessions.appending(contentsOf: newIDs)
            }
            if !previousSessions.isEmpty && listsBefore {
                if continued[visitor] == nil {
                    plan.listedBefore.formUnion(previousSessions)
                    // Two rows naming one id with two digests (a row left behind by a change
                    // of the id's visitor) say nothing sure of it: 0, sent.
                    if let row = storedRows[visitor], !row.digests.isEmpty { plan.storedDigests.merge(row.digestsByID) { $0 == $1 ? $0 : 0 } }
                } else {
                    continuedLists.append((visitor.text, previousSessions, storedRows[visitor]?.digests ?? [], removedPositions, newIDs))
                }
            }
            plan.change.visitors[visitor.text] = VisitorRow(groups: input.groups, sessions: ids, past: result.past)
            // A visitor left with no record (its client session moved to the visitor its id
            // names) is rebuilt only to delete what it held: no visitor of the run. Until
            // 2026-12-05 it counted when it had sessions before, so a fingerprint visitor
            // flushed before its session was identified counted beside the real one, and the
            // summary's visitors depended on where flushes fell.
            let counted = !input.empty
            // A tail's records were counted when it was built: what the new ones change is counted.
            var counts = VisitorCounts(visitor: visitor.text, counted: counted, duplicateEvents: input.dropped,
                                       mergedPageViews: result.merged - (tail?.merged ?? 0),
                                       withheldSessions: result.withheld - (tail?.withheld ?? 0), overEventCap: result.overCap - (tail?.overCap ?? 0))
            counts.continued = continued[visitor] != nil
            plan.perVisitor.append(counts)
        }
        // The positions are sorted (stable), then each session is moved once: sorting the
        // sessions themselves retained and released their fields at every step of the merge.
        let positions = all.indices.sorted { SessionRecord.outputOrder(all[$0], all[$1]) }
        plan.sessions.reserveCapacity(all.count)
        for position in positions { plan.sessions.append(exchange(&all[position], with: Self.emptySession)) }
        // A client session that moved to another visitor (its visitor id came later) is no
        // longer its former holder's, whose rebuild deletes it, and it is its new holder's,
        // whose rebuild writes it: it stays. The scratch applies deletions after writes, so
        // leaving it in `deleted` lost the session from flat-file outputs and the history.
        if !plan.deleted.isEmpty {
            let written = Set(plan.sessions.lazy.map(\.id))
            plan.deleted.removeAll { written.contains($0) }
        }
        plan.change.deletedSessions = plan.deleted
        if !continuedLists.isEmpty { Self.addContinued(continuedLists, to: &plan) }
        return plan
    }

    /// What a history without bodies needs of continued visitors' stored ids, without a set
    /// or a map of them all (a visitor of 160,000 sessions, into Redis, took 0.4 s at every
    /// flush that added to it): `listedBefore` and `storedDigests` are asked of the plan's
    /// sessions and deleted ids only, so a stored id is put in them only when it is one of
    /// those (or already in `storedDigests`, from another row: the two digests then meet by
    /// the same rule); and the digests of the new row's kept ids are the stored row's, at
    /// their positions, but for those ids (`Plan.ContinuedDigests`, which `Flusher` finishes).
    /// (Two continued visitors' rows naming one id none of those names, which no run makes,
    /// each keep their own digest of it, where rebuilt ones would both say 0.)
    private static func addContinued(_ lists: [(visitor: String, stored: StoredTexts, digests: [UInt64], removed: [Int], appended: [String])],
                                     to plan: inout Plan) {
        var asked = Set(plan.sessions.lazy.map(\.id))
        asked.formUnion(plan.deleted)
        asked.formUnion(plan.storedDigests.keys)
        let hashes = StoredTexts.Hashes(asked.lazy.map { HashedText($0).hash })
        for list in lists {
            let known = list.digests.count == list.stored.count
            var found: [(position: Int, id: String)] = []
            list.stored.forEachMatch(mayMatch: hashes.contains, { asked.contains($0) }) { position, id in
                plan.listedBefore.insert(id)
                if known, list.digests[position] != 0 {
                    plan.storedDigests[id] = plan.storedDigests[id].map { $0 == list.digests[position] ? $0 : 0 } ?? list.digests[position]
                }
                found.append((position, id))
            }
            // Positions in the new row: the removed ones left out, those after them moved up.
            var kept = known ? list.digests : [UInt64](repeating: 0, count: list.stored.count)
            var overrides: [(position: Int, id: String)] = []
            if list.removed.isEmpty {
                overrides = found
            } else {
                let removed = Set(list.removed)
                kept = kept.indices.filter { !removed.contains($0) }.map { kept[$0] }
                for (position, id) in found where !removed.contains(position) {
                    overrides.append((position - list.removed.lazy.filter { $0 < position }.count, id))
                }
            }
            plan.continuedDigests[list.visitor] = ContinuedDigests(kept: kept, overrides: overrides, appended: list.appended)
        }
    }

    /// The digests of a continued visitor's new row before its new sessions are made: the
    /// stored row's for the ids it keeps (0 where it had none), in order; the kept positions
    /// whose id is one of the plan's (its digest is then the plan's, as for a rebuilt
    /// visitor's ids); and the ids appended after them.
    struct ContinuedDigests {
        var kept: [UInt64]
        var overrides: [(position: Int, id: String)]
        var appended: [String]
    }

    /// Leaves out of the chunk the records its groups already hold in the history (lines read
    /// again: a day run again, a log read again as it grows), for the groups of visitors with
    /// a past whose new records do not continue it as they are (since 2026-12-07 any visitor's;
    /// before, a visitor's of `continueVisitorRecords` records: the bench's M run again took
    /// 10.2 to 11.4 s, rebuilding its 150,000 visitors, where it takes 4.0 to 4.4 s now).
    ///
    /// Such a visitor is continued from its past instead of rebuilt only when every new record
    /// of it comes after that past (or after the point before its tail, none of the tail's
    /// records among them). Lines read again come before it: without this, a day run again
    /// read and rebuilt every record the visitor ever had (a monitor polling around the clock:
    /// 279,230 records and 353 MB after 20 days, for a run of 200 ordinary visitors' 60 MB).
    /// A record stored in its group is the same line (a position is stored once), and in a
    /// store that commits a run's changes together the visitor's row was built with it: left
    /// out, the rebuild it would have caused gives what the history holds. The store reads
    /// the group's stored records as bytes, and only for these groups, which a run of new
    /// days has only where a record continues neither the past nor the point before its
    /// tail (a client event dated days back, arriving late): rv79b's twelve nights of 300
    /// visitors, each night's first run, asked for none. The tails it decodes go into
    /// `tails`, by visitor.
    private func leaveOutLinesReadAgain(_ newGroups: inout [NewGroup], rows: [String: VisitorRow], tails: inout [String: [Record]]) throws(SinkError) {
        var asked: [Int] = []
        for index in newGroups.indices {
            guard let visitor = newGroups[index].visitor?.text, let past = rows[visitor]?.past else { continue }
            if !continuesAsTheyAre(past, newGroups[index].records, visitor: visitor, tails: &tails) { asked.append(index) }
        }
        guard !asked.isEmpty else { return }
        // All at once: a Redis history reads them in few round trips.
        let stored = try store.storedPositions(asked.map { (newGroups[$0].group.text, Set(newGroups[$0].records.lazy.map(\.position))) })
        for (index, positions) in zip(asked, stored) where !positions.isEmpty { newGroups[index].leaveOut(positions) }
    }

    /// A continued visitor's client-session groups for its new row: its stored row's, less
    /// any another visitor took in this chunk (`visitorOf`, whose keys' hashes are
    /// `takenHashes`), and its chunk's (`new`, sorted by text), in the order and without the
    /// repeats a rebuild's set of them all gives (sorted by text). A row's list is in that
    /// order already (a plan writes it so; a history migrated from the per-item tables of the
    /// first versions was sorted by SQLite or Redis's byte order, the same for ids of
    /// printable ASCII), which `StoredTexts.merging` checks, not trusts: a list out of it is
    /// made a set and sorted as a rebuild does. The stored items are copied as they are: a set
    /// of them and a sort took a visitor of 160,000 client sessions 0.3 s at every flush that
    /// added to it.
    static func groups(_ stored: StoredTexts, of visitor: HashedText, adding new: [HashedText], visitorOf: [HashedText: HashedText],
                       takenHashes: StoredTexts.Hashes) -> StoredTexts {
        let kept = takenHashes.isEmpty ? stored : stored.removing(mayRemove: takenHashes.contains) { group in
            visitorOf[HashedText(group)].map { $0 != visitor } ?? false
        }.kept
        if let merged = kept.merging(sorted: new.map(\.text)) { return merged }
        return StoredTexts(Set(kept.map(HashedText.init) + new).sorted { $0.text < $1.text }.lazy.map(\.text))
    }

    /// Whether `records` (new, of one visitor) all leave its earlier sessions as they are
    /// (`Transformer.continues(_:with:)`).
    private func continues(_ past: VisitorPast, _ records: [Record]) -> Bool {
        !records.isEmpty && records.allSatisfy { transformer.continues(past, with: $0) }
    }

    /// Whether no record of `lists` is one of `tail`'s read again (a day run again: its lines
    /// have the positions of stored ones). Those come after the point before the tail as the
    /// tail's own records do, and a group left unread would store them twice: the visitor is
    /// rebuilt instead, which reads its groups and keeps each position once.
    private static func readsNoneAgain<Lists: Sequence<[Record]>>(_ tail: [Record], _ lists: Lists) -> Bool {
        let positions = Set(tail.lazy.map(\.position))
        return lists.allSatisfy { list in list.allSatisfy { !positions.contains($0.position) } }
    }

    /// What the history keeps of the records at `offsets` of a group's stored `value`, whose
    /// encodings are the group's records in order.
    private static func storedValue(_ value: [UInt8], keeping offsets: [Int]) -> [UInt8] {
        var encodings: [[UInt8]] = []
        RecordCoding.forEachEncoding(in: value) { encodings.append(Array($0)) }
        return RecordCoding.storedValue(of: offsets.map { encodings[$0] })
    }

    /// Whether a visitor's new records of one group continue its stored past as they are:
    /// from the past itself, or from the point before its tail with none of them a tail
    /// record read again (the tail decoded once per visitor into `tails`).
    private func continuesAsTheyAre(_ past: VisitorPast, _ list: [Record], visitor: String, tails: inout [String: [Record]]) -> Bool {
        if continues(past, list) { return true }
        guard let tail = past.tail, continues(tail.before, list) else { return false }
        if tails[visitor] == nil, let decoded = tail.decodedRecords() { tails[visitor] = decoded }
        guard let records = tails[visitor] else { return false }
        return Self.readsNoneAgain(records, [list])
    }

    /// The most encodings of one group asked for ahead (`Prefetch`).
    private static let prefetchCount = 16

    /// A group of the chunk, decoded: its records and the value the history keeps of them
    /// (their encoding, or their block for several; the records in the same order).
    ///
    /// What the flush thread needs of the records themselves is read here as well, by the
    /// worker that decoded them and still has them in its cache: their event ids and
    /// positions, the first record's position and the group's visitor
    /// (`Transformer.visitor(ofGroup:records:)`, which reads every record of a client
    /// session's group). Read on the flush thread, each record's first load waited for memory
    /// the other core had written.
    struct NewGroup {
        let group: HashedText
        var records: [Record]
        var value: [UInt8]
        var eventIDs: [(id: String, position: String)]
        var firstPosition: String
        let visitor: HashedText?

        /// The group without its records at `positions` (`value` and the rest to match).
        mutating func leaveOut(_ positions: Set<String>) {
            let keep = records.indices.filter { !positions.contains(records[$0].position) }
            records = keep.map { records[$0] }
            value = keep.isEmpty ? [] : HistoryPlanner.storedValue(value, keeping: keep)
            eventIDs.removeAll { positions.contains($0.position) }
            firstPosition = records.first?.position ?? ""
        }
    }

    /// What a session moved out of a list (`exchange`, which neither retains nor releases)
    /// leaves in its place: no text or array to free.
    private static let emptySession = SessionRecord(id: "", start: 0, fields: [], events: [])
}
