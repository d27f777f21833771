import FunnelCore
@testable import FunnelPipeline
import FunnelWriters
import Testing

/// The history as the flushes use it: changes written on a thread of their own while reads go
/// on. Whatever the writer has got to, a read gives what the store would give had every
/// change handed over been written in line.
@Suite struct WriteBehindHistoryTests {
    /// Small deterministic generator (a PCG step), so a failure names its seed.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    /// Changes as a run's flushes make them: new records of a few groups (each group's next to
    /// each other, positions never repeated), event holders, visitor rows (some emptied),
    /// sessions deleted and, now and then, session bodies.
    static func changes(seed: UInt64, count: Int) -> [HistoryChange] {
        var random = Generator(state: seed)
        var position = 0
        var hadBody = Set<String>()
        var changes: [HistoryChange] = []
        for _ in 0..<count {
            var change = HistoryChange()
            for group in Set((0..<3).map { _ in "s:g\(random.next(12))" }).sorted() {
                var entries: [(group: String, position: String, data: [UInt8])] = []
                for _ in 0...random.next(3) {
                    position += 1
                    var record = Record(origin: .client, event: "PageView", timestamp: 1_709_251_200_000 + Int64(random.next(100_000)))
                    record.position = "p\(1_000_000 + position)"
                    record.sessionID = String(group.dropFirst(2))
                    record.eventID = random.next(3) == 0 ? "e\(random.next(8))" : nil
                    entries.append((group, record.position, RecordCoding.encode(record)))
                    if let id = record.eventID { change.eventHolders.append((id, EventHolder(position: record.position, group: group))) }
                }
                // A flush gives a group's records as one block (`HistoryPlanner`); single
                // entries per record are the other form a change may hold.
                if entries.count > 1, random.next(2) == 0 {
                    change.records.append((group, entries[0].position, RecordCoding.block(entries.map(\.data))))
                } else {
                    change.records += entries
                }
            }
            for _ in 0..<random.next(4) {
                let visitor = "v\(random.next(10))"
                change.visitors[visitor] = random.next(4) == 0
                    ? VisitorRow(groups: [], sessions: [])
                    : VisitorRow(groups: ["s:g\(random.next(12))"], sessions: ["id\(random.next(10))", "id\(random.next(10))"])
            }
            if random.next(3) == 0 { change.deletedSessions = ["id\(random.next(10))"] }
            if random.next(3) == 0 {
                let id = "id\(random.next(10))"
                change.sessionBodies = [(id, Int64(random.next(1_000)), Array("body \(random.next(1_000))".utf8), hadBody.insert(id).inserted)]
            }
            changes.append(change)
        }
        return changes
    }

    /// Everything a planner may ask, in a form that does not depend on the order rows come in.
    static func snapshot(_ store: HistoryStore) throws -> String {
        let groups = (0..<12).map { "s:g\($0)" }
        let records = try store.records(ofGroups: groups)
        let holders = try store.eventHolders((0..<8).map { "e\($0)" })
        let rows = try store.visitorRows((0..<10).map { "v\($0)" })
        let bodies = try store.sessionBodies((0..<10).map { "id\($0)" }) ?? [:]
        var lines: [String] = []
        for group in groups {
            let list = (records[group] ?? []).map { RecordCoding.encode($0) }.sorted { $0.lexicographicallyPrecedes($1) }
            lines.append("\(group) \(list)")
        }
        for (id, list) in holders.sorted(by: { $0.key < $1.key }) {
            lines.append("\(id) \(list.map { "\($0.group)@\($0.position)" }.sorted())")
        }
        for (visitor, row) in rows.sorted(by: { $0.key < $1.key }) { lines.append("\(visitor) \(row.groups) \(row.sessions)") }
        for (id, body) in bodies.sorted(by: { $0.key < $1.key }) { lines.append("\(id) \(body)") }
        return lines.joined(separator: "\n")
    }

    @Test(arguments: [1, 3, 1_000])
    func readsAreWhatTheStoreGivesWithEveryChangeWrittenInLine(pieceItems: Int) throws {
        for seed in [UInt64(7), 8, 9] {
            let inLine = try SQLiteHistoryStore.temporary()
            let behind = WriteBehindHistory(try SQLiteHistoryStore.temporary(), pieceItems: pieceItems)
            for (index, change) in Self.changes(seed: seed, count: 40).enumerated() {
                try inLine.apply(change)
                try behind.apply(change)
                // Read at once: the writer is anywhere in this change or the one before.
                #expect(try Self.snapshot(behind) == Self.snapshot(inLine), "seed \(seed), change \(index)")
            }
            try behind.drain()
            #expect(try Self.snapshot(behind) == Self.snapshot(inLine), "seed \(seed), drained")
        }
    }

    @Test func piecesKeepEveryItemInTheOrderTheStoreWritesThem() {
        var change = Self.changes(seed: 3, count: 30).reduce(into: HistoryChange()) { all, change in
            all.records += change.records
            all.eventHolders += change.eventHolders
            all.visitors.merge(change.visitors) { $1 }
            all.deletedSessions += change.deletedSessions
            all.sessionBodies += change.sessionBodies
        }
        // A change holds each group's records next to each other, as a flush makes it.
        let groupOrder = Dictionary(change.records.map(\.group).enumerated().map { ($1, $0) }, uniquingKeysWith: min)
        change.records = change.records.enumerated().sorted { a, b in
            groupOrder[a.element.group]! != groupOrder[b.element.group]! ? groupOrder[a.element.group]! < groupOrder[b.element.group]! : a.offset < b.offset
        }.map(\.element)
        let ranges = WriteBehindHistory.pieces(of: change, items: 4)
        // Each piece's records are a range of the change's, one after the other.
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.records.upperBound == $1.records.lowerBound })
        #expect(ranges.allSatisfy { $0.others.records.isEmpty })
        let pieces = ranges.map { HistoryChange(change, piece: $0) }
        #expect(pieces.count > 10)
        // Every item once, in the change's order, a group's records in one piece.
        #expect(pieces.flatMap(\.records).map(\.position) == change.records.map(\.position))
        for piece in pieces {
            for group in Set(piece.records.map(\.group)) {
                #expect(piece.records.filter { $0.group == group }.map(\.position) == change.records.filter { $0.group == group }.map(\.position))
            }
        }
        #expect(pieces.flatMap(\.eventHolders).map(\.holder.position) == change.eventHolders.map(\.holder.position))
        #expect(pieces.flatMap(\.deletedSessions) == change.deletedSessions)
        #expect(pieces.flatMap(\.sessionBodies).map(\.id) == change.sessionBodies.map(\.id))
        let visitors = pieces.flatMap(\.visitors.keys)
        #expect(visitors.count == change.visitors.count && Set(visitors) == Set(change.visitors.keys))
        // About `items` each: a piece goes over only to finish a group.
        let longestGroup = Dictionary(grouping: change.records, by: \.group).values.map(\.count).max() ?? 0
        for piece in pieces.dropLast() {
            let count = piece.records.count + piece.eventHolders.count + piece.deletedSessions.count + piece.sessionBodies.count + piece.visitors.count
            #expect(count >= 4 && count < 4 + longestGroup, "\(count)")
        }
        // Kinds in the store's order: no piece holds a kind that an earlier piece has passed.
        func rank(_ piece: HistoryChange) -> (first: Int, last: Int) {
            let kinds = [!piece.records.isEmpty, !piece.eventHolders.isEmpty, !piece.deletedSessions.isEmpty,
                         !piece.sessionBodies.isEmpty, !piece.visitors.isEmpty]
            return (kinds.firstIndex(of: true) ?? 0, kinds.lastIndex(of: true) ?? 0)
        }
        for (earlier, later) in zip(pieces, pieces.dropFirst()) { #expect(rank(earlier).last <= rank(later).first) }
        #expect(WriteBehindHistory.pieces(of: HistoryChange(), items: 4).isEmpty)
    }

    @Test func aChangeTheStoreRefusesFailsTheNextCallsWithItsMessage() throws {
        let behind = WriteBehindHistory(try SQLiteHistoryStore.temporary(), pieceItems: 1)
        var change = HistoryChange()
        change.sessionBodies = [("id1", 1, Array("body".utf8), true)]
        try behind.apply(change)
        try behind.drain()
        // The same session body as new again: the store refuses a key it holds.
        try behind.apply(change)
        #expect(throws: SinkError.self) { try behind.drain() }
        #expect(throws: SinkError.self) { try behind.apply(HistoryChange()) }
        #expect(throws: SinkError.self) { _ = try behind.visitorRows(["v1"]) }
        do {
            try behind.drain()
            Issue.record("drain succeeded after a failed change")
        } catch {
            #expect(error.message.contains("stored before"), "\(error.message)")
        }
    }
}
