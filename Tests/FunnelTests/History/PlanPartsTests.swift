@testable import FunnelPipeline
import FunnelTestSupport
import FunnelTransform
import Foundation
import Testing

/// A chunk whose visitors have records stored is planned in parts of about a chunk's records
/// (`HistoryPlanner.parts`): a visitor the chunk adds to is rebuilt from all of its records,
/// and until 2026-12-07 a chunk of visitors back every night read back ten times its own
/// records by their tenth night (rv76a: 836 MB where the first night took 141 MB).
@Suite struct PlanPartsTests {
    /// A line of the night before that arrives late (a log rotated late), from before the
    /// visitor's stored records: the visitor is rebuilt whole, not continued.
    enum LateLine {
        /// A visit of its own an hour before the visitor's (every later session's ordinal moves).
        case visitBefore
        /// In the visitor's client session of the night before, between its two page views
        /// (that session changes, the ones before it do not).
        case inTheVisit
    }

    /// One night: `visitors` visitors, each with two page views a minute apart; with `late`,
    /// from the second night on, each also with a late line of the night before.
    static func night(_ day: Int, visitors: Int, in folder: String, late: LateLine? = nil) {
        let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
        var lines: [String] = []
        if let late, day > 1 {
            for visitor in 0..<visitors {
                let (time, session) = switch late {
                case .visitBefore: (String(format: "08:%02d:%02d", visitor / 60 % 60, visitor % 60), "l\(day)-\(visitor)")
                case .inTheVisit: (String(format: "%02d:%02d:%02d", 9 + visitor / 3600, visitor / 60 % 60, visitor % 60), "s\(day - 1)-\(visitor)")
                }
                let page = late == .inTheVisit ? "/about" : "/late"
                let stamp = late == .inTheVisit ? Self.halfMinuteLater(time) : time
                lines.append("203.0.113.7 - - [\(String(format: "%02d", day - 1))/Mar/2024:\(stamp) +0000] \"GET \(page) HTTP/2.0\" 200 512 \"-\" \"\(agent)\" \"v\(visitor)\" \"\(session)\" \"DE\"")
            }
        }
        for second in 0..<(visitors + 60) {
            for (visitor, page) in [(second, "/?utm_source=newsletter"), (second - 60, "/trailer")] where visitor >= 0 && visitor < visitors {
                let time = String(format: "%02d:%02d:%02d", 9 + second / 3600, second / 60 % 60, second % 60)
                lines.append("203.0.113.7 - - [\(String(format: "%02d", day))/Mar/2024:\(time) +0000] \"GET \(page) HTTP/2.0\" 200 512 \"-\" \"\(agent)\" \"v\(visitor)\" \"s\(day)-\(visitor)\" \"DE\"")
            }
        }
        TestFiles.gzip(lines.joined(separator: "\n") + "\n", to: folder + "/access-2024-03-\(String(format: "%02d", day)).log.gz")
    }

    /// Six nights of 200 visitors back every night (`night`), run one night at a time with
    /// one chunk a night (`whole`) and with chunks of 40 records (`parts`), each into its own
    /// folder or into `sink`'s real redis-server, emptied first; after each night, the summary
    /// and what the night wrote (its files, or the server's sessions).
    /// `hh:mm:ss` thirty seconds later (within the hour).
    static func halfMinuteLater(_ time: String) -> String {
        let parts = time.split(separator: ":").compactMap { Int($0) }
        let seconds = parts[0] * 3600 + parts[1] * 60 + parts[2] + 30
        return String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }

    private static func sixNights(sink: Pipeline.SinkKind, continueAt: Int, late: LateLine? = nil, folder name: String) throws
        -> (days: [String], whole: [(summary: RunSummary, written: String)], parts: [(summary: RunSummary, written: String)]) {
        let folder = TestFiles.temporaryFolder(name)
        defer { TestFiles.remove(folder) }
        let days = (1...6).map { String(format: "2024-03-%02d", $0) }
        for day in 1...6 { Self.night(day, visitors: 200, in: folder, late: late) }
        let pipeline = HeavyVisitorTests.pipeline(in: folder, warnAt: 1_000_000, continueAt: continueAt)
        let server = sink == .redis ? try RedisServer() : nil
        defer { server?.stop() }
        func nights(into output: String, chunkRecords: Int) throws -> [(summary: RunSummary, written: String)] {
            if let server { _ = try server.connect().command("FLUSHALL") }
            return try days.map { day in
                let summary = try RunsOverTimeTests.run(pipeline, days: [day], sink: sink, output: output, redisURL: server?.url, chunkRecords: chunkRecords)
                let written = try server?.dumpSessions()
                    ?? (TestFiles.readText(output + "/sessions.ndjson") ?? "") + (TestFiles.readText(output + "/deleted.ndjson") ?? "")
                return (summary, written)
            }
        }
        return (days, try nights(into: folder + "/whole", chunkRecords: 100_000), try nights(into: folder + "/parts", chunkRecords: 40))
    }

    /// Six nights of 200 visitors back every night, each night with a late line of each from
    /// the night before, run with chunks of 40 records and with one chunk a night: the same
    /// sessions, deletions and counts every night, and on the last no plan built from more
    /// than two chunks' records (each chunk's visitors have 14 records stored and a late one:
    /// built whole, as before, a chunk was 200 visitors' 17).
    @Test(arguments: [Pipeline.SinkKind.ndjson, .redis])
    func visitorsBackEveryNightArePlannedInPartsOfAboutAChunk(sink: Pipeline.SinkKind) throws {
        let (days, whole, parts) = try Self.sixNights(sink: sink, continueAt: Pipeline.defaultContinueVisitorRecords, late: .visitBefore, folder: "plan-parts")
        for (day, (one, split)) in zip(days, zip(whole, parts)) {
            #expect(split.summary.exitStatus == .success, "\(day)")
            #expect(split.written == one.written, "\(day)")
            #expect(!split.written.isEmpty, "\(day)")
            #expect(split.summary.sessions == one.summary.sessions, "\(day)")
            #expect(split.summary.visitors == one.summary.visitors, "\(day)")
            #expect(split.summary.combined == one.summary.combined, "\(day)")
        }
        // One chunk a night builds every visitor whole: 200 visitors of 2 + 5 * 3 records.
        #expect(whole.last?.summary.largestPlanRecords == 3_400)
        let largest = parts.last?.summary.largestPlanRecords ?? 0
        #expect(largest > 0 && largest <= 80, "\(largest)")
    }

    /// Visitors with a past whose client session the cap on open sessions flushed before its
    /// next records came are rebuilt whole at that next flush (a continued visitor's groups
    /// of the chunk must be all new), and the parts foresee it from their rows: here every
    /// session is flushed open by the cap (a night's 400 records within five minutes, chunks
    /// of 40) and, at `continue_visitor_records: 2`, every visitor has a past; counted as
    /// continued, a plan of 40 such visitors built all their records at once (400 on the
    /// sixth night).
    @Test(arguments: [Pipeline.SinkKind.ndjson, .redis])
    func visitorsWithAPastFlushedOpenArePlannedInParts(sink: Pipeline.SinkKind) throws {
        let (days, whole, parts) = try Self.sixNights(sink: sink, continueAt: 2, folder: "plan-parts-open")
        for (day, (one, split)) in zip(days, zip(whole, parts)) {
            #expect(split.summary.exitStatus == .success, "\(day)")
            #expect(split.written == one.written, "\(day)")
            // (Until 2026-12-07 a Redis run counted every session it rebuilt and sent, and
            // those of visitors rebuilt whole differed here.)
            #expect(split.summary.sessions == one.summary.sessions, "\(day)")
            #expect(split.summary.largestPlanRecords <= 80, "\(day): \(split.summary.largestPlanRecords)")
        }
        #expect(parts.last?.summary.builtRecords ?? 0 > 400, "visitors rebuilt whole: \(parts.last?.summary.builtRecords ?? 0)")
    }

    /// What a visitor's row says a rebuild reads back: a continued visitor its tail, one
    /// without a past a few records a session, up to the records a past is kept from.
    @Test func theStoredEstimateFollowsTheRow() throws {
        let two = VisitorRow(groups: [], sessions: ["a", "b"])
        #expect(HistoryPlanner.storedEstimate(two, continueVisitorRecords: 20) == 2 * HistoryPlanner.recordsPerStoredSession)
        #expect(HistoryPlanner.storedEstimate(two, continueVisitorRecords: 5) == 4)
        #expect(HistoryPlanner.storedEstimate(VisitorRow(groups: [], sessions: []), continueVisitorRecords: 20) == HistoryPlanner.recordsPerStoredSession)
        let many = VisitorRow(groups: [], sessions: (0..<50).map(String.init))
        #expect(HistoryPlanner.storedEstimate(many, continueVisitorRecords: 20) == 19)
        #expect(HistoryPlanner.storedEstimate(many, continueVisitorRecords: 10_000) == 200)
    }

    /// What a row costs a plan to hold grows with its lists: a visitor back for years keeps
    /// every session id in its row, which its continuation reads and writes again.
    @Test func theRowWeightFollowsItsLists() {
        #expect(HistoryPlanner.rowWeight(VisitorRow(groups: [], sessions: [])) == 1)
        let year = VisitorRow(groups: (0..<365).map { "s:\($0)" }, sessions: (0..<365).map(String.init))
        #expect(HistoryPlanner.rowWeight(year) == 1 + 730 / HistoryPlanner.rowItemsPerRecord)
        #expect(HistoryPlanner.rowWeight(year) > 100)
    }
}
