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
        var change = HistoryChange()
        var visitors = 0
        var duplicateEvents = 0
        var mergedPageViews = 0
        var withheldSessions = 0
        var overEventCap = 0
        /// The same counts per rebuilt visitor: a long run rebuilds a visitor again when a
        /// later chunk of its input reaches it, and keeps only the last counts.
        var perVisitor: [VisitorCounts] = []
    }

    struct VisitorCounts {
        var visitor: String
        /// False for a visitor rebuilt only to delete what it held.
        var counted: Bool
        var duplicateEvents: Int
        var mergedPageViews: Int
        var withheldSessions: Int
        var overEventCap: Int
    }

    let transformer: Transformer
    let store: HistoryStore

    func plan(_ newRecords: [Record]) throws(SinkError) -> Plan {
        var plan = Plan()
        var newByGroup: [String: [Int]] = [:]
        for (index, record) in newRecords.enumerated() { newByGroup[Transformer.group(of: record), default: []].append(index) }

        // Event ids the run carries: every group holding one is rebuilt, since the winner
        // (the smallest position) may move.
        let newEventIDs = Array(Set(newRecords.compactMap(\.eventID)))
        var holders = try store.eventHolders(newEventIDs)
        for record in newRecords {
            if let id = record.eventID {
                let holder = EventHolder(position: record.position, group: Transformer.group(of: record))
                if !(holders[id] ?? []).contains(holder) {
                    holders[id, default: []].append(holder)
                    plan.change.eventHolders.append((id, holder))
                }
            }
        }
        var groups = Set(newByGroup.keys)
        for list in holders.values { for holder in list { groups.insert(holder.group) } }

        var records = try store.records(ofGroups: Array(groups))
        for (group, indices) in newByGroup {
            // A position already stored is the same line read again: it is kept once.
            var byPosition: [String: Record] = [:]
            for record in records[group] ?? [] { byPosition[record.position] = record }
            for record in indices.map({ newRecords[$0] }) where byPosition[record.position] == nil {
                plan.change.records.append((group, record.position, RecordCoding.encode(record)))
                byPosition[record.position] = record
            }
            records[group] = Array(byPosition.values)
        }

        // Visitors to rebuild.
        let sessionGroups = groups.filter { $0.hasPrefix("s:") }
        let previousVisitor = try store.visitors(ofSessionGroups: Array(sessionGroups))
        var visitorOf: [String: String] = [:]
        var visitors = Set<String>()
        for group in groups {
            if group.hasPrefix("s:") {
                let visitor = Transformer.visitor(ofSessionGroup: records[group] ?? [], sessionID: String(group.dropFirst(2)))
                visitorOf[group] = visitor
                visitors.insert(visitor)
                if let previous = previousVisitor[group] { visitors.insert(previous) }
            } else {
                visitors.insert(String(group.dropFirst(2)))
            }
        }
        let storedGroups = try store.sessionGroups(ofVisitors: Array(visitors))
        var groupsOfVisitor: [String: Set<String>] = [:]
        for visitor in visitors {
            var set = Set(storedGroups[visitor] ?? [])
            set = set.filter { visitorOf[$0] == nil || visitorOf[$0] == visitor }
            groupsOfVisitor[visitor] = set
        }
        for (group, visitor) in visitorOf { groupsOfVisitor[visitor, default: []].insert(group) }

        // Load what the rebuilt visitors hold beyond the run's groups.
        var missing = Set<String>()
        for (visitor, sessionGroupSet) in groupsOfVisitor {
            if records["v:" + visitor] == nil { missing.insert("v:" + visitor) }
            for group in sessionGroupSet where records[group] == nil { missing.insert(group) }
        }
        if !missing.isEmpty {
            for (group, list) in try store.records(ofGroups: Array(missing)) { records[group] = list }
        }

        // Winners of every event id the rebuilt visitors carry.
        var allIDs = Set<String>()
        for (visitor, sessionGroupSet) in groupsOfVisitor {
            for group in sessionGroupSet.union(["v:" + visitor]) {
                for record in records[group] ?? [] { if let id = record.eventID { allIDs.insert(id) } }
            }
        }
        let more = try store.eventHolders(Array(allIDs.subtracting(holders.keys)))
        for (id, list) in more { holders[id] = list }
        var winners: [String: String] = [:]
        for (id, list) in holders { winners[id] = list.map(\.position).min() }

        let previousSessions = try store.sessionIDs(ofVisitors: Array(visitors))
        for visitor in visitors.sorted() {
            let sessionGroupSet = groupsOfVisitor[visitor] ?? []
            var members = records["v:" + visitor] ?? []
            for group in sessionGroupSet.sorted() { members += records[group] ?? [] }
            let (kept, dropped) = Transformer.removingDuplicateEvents(members, winners: winners)
            plan.duplicateEvents += dropped
            let result = transformer.sessions(visitor: visitor, records: kept)
            plan.mergedPageViews += result.merged
            plan.withheldSessions += result.withheld
            plan.overEventCap += result.overCap
            plan.sessions += result.sessions
            let ids = result.sessions.map(\.id)
            let current = Set(ids)
            plan.deleted += (previousSessions[visitor] ?? []).filter { !current.contains($0) }
            plan.change.visitorSessions[visitor] = ids
            plan.change.visitorGroups[visitor] = sessionGroupSet.sorted()
            let counted = !members.isEmpty || !(previousSessions[visitor] ?? []).isEmpty
            if counted { plan.visitors += 1 }
            plan.perVisitor.append(VisitorCounts(visitor: visitor, counted: counted, duplicateEvents: dropped, mergedPageViews: result.merged,
                                                 withheldSessions: result.withheld, overEventCap: result.overCap))
        }
        plan.change.groupVisitor = visitorOf
        plan.sessions.sort(by: SessionRecord.outputOrder)
        plan.change.deletedSessions = plan.deleted
        return plan
    }
}
