import FunnelCore
@testable import FunnelPipeline
import Testing

/// The run's scratch: what flat-file sinks write at the end comes out of it in output order.
struct RunScratchTests {
    private func session(_ id: String, start: Int64) -> SessionRecord {
        SessionRecord(id: id, start: start, fields: [], events: [EventRecord(name: "PageView", timestamp: start)])
    }

    @Test func deletedIdsComeOutInByteOrderAndOnlyIfAnEarlierRunWroteThem() throws {
        let scratch = try RunScratch()
        // Ids deleted by the run, out of order; "Zed" < "abc" < "abd" < "é" in bytes.
        var plan = HistoryPlanner.Plan()
        plan.deleted = ["é", "abd", "Zed", "abc", "never-written"]
        var stored: [String: [UInt8]] = [:]
        for id in ["é", "abd", "Zed", "abc"] { stored[id] = Array("{}".utf8) }
        try scratch.keep(plan, stored: stored, bytes: [])
        #expect(try scratch.deleted() == ["Zed", "abc", "abd", "é"])

        // A later chunk writes one of them again: it is no longer deleted.
        var again = HistoryPlanner.Plan()
        again.sessions = [session("abd", start: 5)]
        try scratch.keep(again, stored: stored, bytes: [RunScratch.Bytes(body: Array("{}".utf8), encoded: nil)])
        #expect(try scratch.deleted() == ["Zed", "abc", "é"])
        var live: [String] = []
        try scratch.forEachSession { live.append($0.id) }
        #expect(live == ["abd"])
    }

    /// `keep` tells which sessions the run already sent in exactly this version: same digest
    /// as the last one kept for the id, and not deleted since.
    @Test func keepReportsSessionsAlreadySentInTheSameVersion() throws {
        let scratch = try RunScratch()
        func keep(_ versions: [(String, UInt64?)], deleted: [String] = []) throws -> [Bool] {
            var plan = HistoryPlanner.Plan()
            plan.sessions = versions.map { session($0.0, start: 1) }
            plan.deleted = deleted
            return try scratch.keep(plan, stored: nil, bytes: versions.map { RunScratch.Bytes(body: [], encoded: nil, sent: $0.1) })
        }
        #expect(try keep([("a", 1), ("b", 2), ("c", nil)]) == [false, false, false])
        // Same version of a, a changed b, c still without a digest (a sink that sends nothing as it goes).
        #expect(try keep([("a", 1), ("b", 3), ("c", nil)]) == [true, false, false])
        #expect(try keep([("b", 3), ("c", nil)]) == [true, false])
        // Deleted since it was sent: sending the same version again is needed.
        #expect(try keep([], deleted: ["a"]) == [])
        #expect(try keep([("a", 1)]) == [false])
        #expect(try keep([("a", 1)]) == [true])
        // Kept without a digest since: nothing known to be sent.
        #expect(try keep([("b", nil)]) == [false])
        #expect(try keep([("b", 3)]) == [false])
    }

    /// With a memory of few ids (`sentGeneration`), older ids are forgotten and sent again,
    /// never the other way: a session reported as sent is one the full memory reports as sent,
    /// and an id kept just before is still known.
    @Test(arguments: [1, 2, 5])
    func aSmallMemoryOfSentIdsForgetsButNeverClaimsTooMuch(generation: Int) throws {
        let full = try RunScratch()
        let small = try RunScratch(sentGeneration: generation)
        var random = WriteBehindHistoryTests.Generator(state: 99)
        var forgotten = 0
        for _ in 0..<300 {
            var plan = HistoryPlanner.Plan()
            let id = "s\(random.next(12))"
            var bytes: [RunScratch.Bytes] = []
            if random.next(8) == 0 {
                plan.deleted = [id]
            } else {
                plan.sessions = [session(id, start: 1)]
                bytes = [RunScratch.Bytes(body: [], encoded: nil, sent: UInt64(random.next(3)))]
            }
            let expected = try full.keep(plan, stored: nil, bytes: bytes)
            let got = try small.keep(plan, stored: nil, bytes: bytes)
            #expect(got.count == expected.count)
            for (g, e) in zip(got, expected) {
                #expect(!g || e)
                if e && !g { forgotten += 1 }
            }
            // The same version again at once: known to both.
            if let sent = bytes.first?.sent {
                #expect(try small.keep(plan, stored: nil, bytes: [RunScratch.Bytes(body: [], encoded: nil, sent: sent)]) == [true])
                _ = try full.keep(plan, stored: nil, bytes: bytes)
            }
        }
        // Twelve ids in turn and generations of at most five: some were forgotten.
        #expect(forgotten > 0)
    }

    /// The output order is the same whether the sessions are sorted into it by the pass that
    /// finds the deleted ids (`ordered`, a run that walks in order) or by the walk itself:
    /// sessions by start, then id, each at its latest version, the deleted ones left out.
    @Test func orderKeptFromTheStartIsTheOrderBuiltAtTheEnd() throws {
        func walk(ordered: Bool) throws -> [String] {
            let scratch = try RunScratch(ordered: ordered)
            var first = HistoryPlanner.Plan()
            first.sessions = [session("b", start: 2), session("a", start: 3), session("c", start: 1), session("d", start: 2)]
            try scratch.keep(first, stored: nil, bytes: first.sessions.map { RunScratch.Bytes(body: Array($0.id.utf8), encoded: nil) })
            // A later chunk moves a before everything, deletes d and adds e.
            var second = HistoryPlanner.Plan()
            second.sessions = [session("a", start: 0), session("e", start: 2)]
            second.deleted = ["d"]
            try scratch.keep(second, stored: nil, bytes: second.sessions.map { RunScratch.Bytes(body: Array($0.id.utf8), encoded: nil) })
            var seen: [String] = []
            try scratch.forEachSession { seen.append($0.id + "@" + String($0.start)) }
            return seen
        }
        let expected = ["a@0", "c@1", "b@2", "e@2"]
        #expect(try walk(ordered: true) == expected)
        #expect(try walk(ordered: false) == expected)
    }

    /// The totals, read on another thread while the sessions are walked (what the run's end
    /// does), count each visitor's last rebuild once.
    @Test func totalsReadWhileTheSessionsAreWalkedCountEachVisitorsLastRebuild() throws {
        let scratch = try RunScratch()
        for round in 0..<3 {
            var plan = HistoryPlanner.Plan()
            plan.sessions = (0..<200).map { session("s\(round)-\($0)", start: Int64($0)) }
            plan.perVisitor = (0..<100).map {
                HistoryPlanner.VisitorCounts(visitor: "v\($0)", counted: true, duplicateEvents: round, mergedPageViews: 1,
                                             withheldSessions: 0, overEventCap: $0 == 7 ? round : 0)
            }
            try scratch.keep(plan, stored: nil, bytes: plan.sessions.map { RunScratch.Bytes(body: Array($0.id.utf8), encoded: nil) })
        }
        var totals: RunScratch.Totals?
        let reader = try WorkerThread(name: "test-totals") { totals = try? scratch.totals() }
        var walked = 0
        try scratch.forEachSession { _ in walked += 1 }
        reader.join()
        #expect(walked == 600)
        let read = try #require(totals)
        #expect(read.visitors == 100)
        #expect(read.duplicateEvents == 200)
        #expect(read.mergedPageViews == 100)
        #expect(read.overEventCap == 2)
    }

    /// Without bytes (a live sink whose history keeps no bodies) the walk gives the same
    /// sessions with the same flags and counts, in whatever order, and no bytes.
    @Test func walkWithoutBytesGivesTheSameSessionsAndFlags() throws {
        let scratch = try RunScratch()
        var first = HistoryPlanner.Plan()
        first.sessions = [session("b", start: 2), session("a", start: 3), session("c", start: 1)]
        first.deleted = ["gone"]
        try scratch.keep(first, stored: ["a": Array("{\"a\":1}".utf8), "gone": Array("{}".utf8)],
                         bytes: first.sessions.map { RunScratch.Bytes(body: Array("{\"\($0.id)\":1}".utf8), encoded: nil) })
        // A later chunk deletes c and writes "gone" again.
        var second = HistoryPlanner.Plan()
        second.sessions = [session("gone", start: 4)]
        second.deleted = ["c"]
        try scratch.keep(second, stored: [:], bytes: [RunScratch.Bytes(body: Array("{}".utf8), encoded: Array("E".utf8))])

        func walk(bytes: Bool) throws -> [String: RunScratch.Session] {
            var seen: [String: RunScratch.Session] = [:]
            try scratch.forEachSession(bytes: bytes) { seen[$0.id] = $0 }
            return seen
        }
        let unordered = try walk(bytes: false)
        let ordered = try walk(bytes: true)
        #expect(Set(unordered.keys) == ["a", "b", "gone"])
        #expect(Set(ordered.keys) == Set(unordered.keys))
        for (id, session) in ordered {
            let other = try #require(unordered[id])
            #expect(other.start == session.start)
            #expect(other.unchanged == session.unchanged)
            #expect(other.deletedOnce == session.deletedOnce)
            #expect(other.existed == session.existed)
            #expect(other.converted == session.converted)
            #expect(other.body.isEmpty && other.encoded.isEmpty)
        }
        // a is what the earlier run left, gone was deleted once and written again.
        #expect(unordered["a"]?.unchanged == true)
        #expect(unordered["b"]?.unchanged == false)
        #expect(unordered["gone"]?.deletedOnce == true)
        #expect(ordered["gone"]?.encoded == Array("E".utf8))
    }

    /// Many chunks that write, rewrite and delete ids of one pool: the walk and the deleted
    /// ids are each id's last version, as a model of "the last chunk wins" says.
    /// With little memory (a few hundred bytes) every chunk's versions go to sorted runs on
    /// disk, and the runs are merged level by level: the same answer.
    @Test(arguments: [8 << 20, 600])
    func manyChunksLeaveEachIdsLastVersion(memoryBytes: Int) throws {
        let scratch = try RunScratch(memoryBytes: memoryBytes)
        var random = WriteBehindHistoryTests.Generator(state: 12345)
        func next(_ bound: Int) -> Int { random.next(bound) }
        // id -> (start, body) when written last, nil when deleted last; and ids ever deleted.
        var model: [String: (start: Int64, body: String)?] = [:]
        var everDeleted = Set<String>()
        for chunk in 0..<12 {
            var ids = Set<String>()
            while ids.count < 80 { ids.insert("id\(next(150))") }
            var plan = HistoryPlanner.Plan()
            // Every id was written before the run (a history without bodies asks the plan).
            plan.listedBefore = ids
            var bodies: [RunScratch.Bytes] = []
            for id in ids.sorted() {
                if next(5) == 0 {
                    plan.deleted.append(id)
                    model[id] = .some(nil)
                    everDeleted.insert(id)
                } else {
                    let start = Int64(next(40))
                    plan.sessions.append(session(id, start: start))
                    bodies.append(RunScratch.Bytes(body: Array("\(id)#\(chunk)".utf8), encoded: nil))
                    model[id] = (start, "\(id)#\(chunk)")
                }
            }
            try scratch.keep(plan, stored: nil, bytes: bodies)
        }
        var walked: [String] = []
        var deletedOnce = Set<String>()
        try scratch.forEachSession { session in
            walked.append("\(session.id)@\(session.start)=\(String(decoding: session.body, as: UTF8.self))")
            if session.deletedOnce { deletedOnce.insert(session.id) }
        }
        let live = model.compactMap { id, last in last.map { (id: id, start: $0.start, body: $0.body) } }
            .sorted { ($0.start, $0.id) < ($1.start, $1.id) }
        #expect(walked.count > 50)
        #expect(walked == live.map { "\($0.id)@\($0.start)=\($0.body)" })
        #expect(try scratch.deleted() == model.filter { $0.value == nil }.keys.sorted())
        #expect(deletedOnce == everDeleted.filter { model[$0]! != nil })
    }

    /// Bodies of a few KiB from many chunks, walked in output order: more chunks than the
    /// walk's read windows, so windows are replaced, and a few bodies larger than a window's
    /// quarter, read alone. Each session comes back with its last body, byte for byte.
    @Test(arguments: [4 << 20, 50_000])
    func bodiesOfManyChunksComeBackWhole(memoryBytes: Int) throws {
        let scratch = try RunScratch(memoryBytes: memoryBytes)
        var random = WriteBehindHistoryTests.Generator(state: 4242)
        var model: [String: (start: Int64, body: [UInt8])] = [:]
        for chunk in 0..<90 {
            var plan = HistoryPlanner.Plan()
            var bytes: [RunScratch.Bytes] = []
            var ids = Set<String>()
            while ids.count < 30 { ids.insert("id\(random.next(2_000))") }
            for id in ids.sorted() {
                let start = Int64(chunk * 10 + random.next(400))
                let length = random.next(20) == 0 ? 9_000 + random.next(9_000) : 200 + random.next(3_000)
                let body = (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ chunk &* 7 &+ id.count) }
                plan.sessions.append(session(id, start: start))
                bytes.append(RunScratch.Bytes(body: body, encoded: nil))
                model[id] = (start, body)
            }
            try scratch.keep(plan, stored: nil, bytes: bytes)
        }
        var walked: [(String, Int64)] = []
        var wrong = 0
        try scratch.forEachSession { session in
            walked.append((session.id, session.start))
            if model[session.id]?.body != session.body || session.encoded != session.body { wrong += 1 }
        }
        #expect(wrong == 0)
        let expected = model.map { ($0.key, $0.value.start) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        #expect(walked.map(\.0) == expected.map(\.0))
        #expect(walked.map(\.1) == expected.map(\.1))
    }
}
