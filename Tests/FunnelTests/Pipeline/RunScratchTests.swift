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
}
