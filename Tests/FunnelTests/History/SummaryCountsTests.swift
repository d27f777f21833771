@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// The summary's line counts over nights (SPEC 9): `kept`, `filtered` and `rejected` count this
/// run's lines and add up to the lines read; records folded when sessions are built (merged
/// page views, duplicate events, events over the cap) are `combined`, counted over the records
/// of every visitor the run rebuilt, stored ones included.
struct SummaryCountsTests {
    /// A pipeline of dated access logs with the visitor cookie `vid`, and with `events`
    /// dated NDJSON dumps, into `out/`.
    static func writePipeline(_ folder: String, events: Bool) {
        let dumps = events ? "\n  - kind: ndjson\n    paths: [\"events-{date}.ndjson\"]" : ""
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: access_log
                format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid"'
                visitor_cookie: vid
                paths: ["access-{date}.log"]\(dumps)
            site:
              hosts: [film.example]
            sink:
              kind: ndjson
              output: out/

            """)
    }

    /// `combined` counts over the records of the visitors a run rebuilds, their stored ones
    /// included: a night whose line comes within the session of the night before rebuilds the
    /// visitor and counts its five stored merges again; a night after that continues the
    /// visitor from its past, and counts its new records' merges only (none).
    @Test func aNightThatRebuildsAVisitorWithStoredMergesKeepsItsOwnLines() throws {
        let folder = TestFiles.temporaryFolder("summary-counts")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
        func log(_ day: Int, _ minute: Int, _ page: String) -> String {
            "192.0.2.9 - - [0\(day)/Jan/2024:10:0\(minute):00 +0000] \"GET \(page) HTTP/1.1\" 200 5 \"-\" \"\(agent)\" \"v1\""
        }
        // Day 1: five log lines and the five client PageViews they merge with.
        TestFiles.write(folder + "/access-2024-01-01.log", (0..<5).map { log(1, $0, "/p\($0)") }.joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/events-2024-01-01.ndjson", (0..<5).map {
            #"{"event":"PageView","timestamp":\#(1_704_103_200_000 + $0 * 60_000 + 2_000),"anonymous_id":"v1","url":"https://film.example/p\#($0)"}"#
        }.joined(separator: "\n") + "\n")
        // Day 2: one log line of the same visitor that arrived late, in its session of day 1.
        TestFiles.write(folder + "/access-2024-01-02.log", log(1, 8, "/again") + "\n")
        TestFiles.write(folder + "/events-2024-01-02.ndjson", "")
        // Day 3: one log line of the same visitor, the day after.
        TestFiles.write(folder + "/access-2024-01-03.log", log(3, 0, "/later") + "\n")
        TestFiles.write(folder + "/events-2024-01-03.ndjson", "")
        Self.writePipeline(folder, events: true)
        let first = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-01-01"], sink: .ndjson, output: folder + "/out")
        #expect(first.linesRead == 10 && first.kept == 10 && first.filteredTotal == 0)
        #expect(first.combined == [.mergedPageView: 5])
        let second = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-01-02"], sink: .ndjson, output: folder + "/out")
        #expect(second.linesRead == 1)
        #expect(second.kept == 1, "kept \(second.kept)")
        #expect(second.kept + second.filteredTotal + second.rejectedTotal == second.linesRead)
        #expect(second.filtered[.mergedPageView] == nil)
        #expect(second.combined == [.mergedPageView: 5])
        #expect(second.text.contains("  combined     5  (merged_page_view 5)  in the rebuilt visitors' sessions"), "\(second.text)")
        #expect(String(decoding: second.json, as: UTF8.self).contains(#""kept":1,"filtered":{},"combined":{"merged_page_view":5}"#))
        let third = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-01-03"], sink: .ndjson, output: folder + "/out")
        #expect(third.kept == 1 && third.rebuiltSessions == 1, "continued: its new session only (\(third.rebuiltSessions))")
        #expect(third.combined.isEmpty, "\(third.combined)")
    }

    /// `deleted` counts the sessions a run removed that were written before it, the same on
    /// every sink: a night whose earlier record moves a stored session's start deletes it (1),
    /// and a run that sends a session and replaces it within itself deletes none from before
    /// (rv70e: a Redis run counted those; the golden fixtures check it at a chunk of 1).
    @Test(arguments: [Pipeline.SinkKind.ndjson, .redis])
    func deletedCountsTheSessionsWrittenBeforeTheRun(sink: Pipeline.SinkKind) throws {
        let folder = TestFiles.temporaryFolder("summary-deleted")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
        func log(_ when: String, _ page: String) -> String {
            "192.0.2.9 - - [\(when) +0000] \"GET \(page) HTTP/1.1\" 200 5 \"-\" \"\(agent)\" \"v1\""
        }
        TestFiles.write(folder + "/access-2024-01-02.log", log("02/Jan/2024:00:10:00", "/b") + "\n")
        TestFiles.write(folder + "/access-2024-01-01.log", log("01/Jan/2024:23:55:00", "/a") + "\n")
        Self.writePipeline(folder, events: false)
        let server = sink == .redis ? try RedisServer() : nil
        defer { server?.stop() }
        func run(_ day: String) throws -> RunSummary {
            try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [day], sink: sink, output: folder + "/out", redisURL: server?.url)
        }
        let later = try run("2024-01-02")
        #expect(later.sessions == 1 && later.deletedSessions == 0)
        // The day before holds the visit's first page: its session starts earlier, under another id.
        let earlier = try run("2024-01-01")
        #expect(earlier.sessions == 1 && earlier.deletedSessions == 1, "\(earlier.text)")
    }

    /// `--summary-json` names the days a run was given (rv70c: a cron in local time took one
    /// day twice and skipped the next at clock changes, and no file told which day a run took);
    /// a failed run's says them too, and a run without days says null.
    @Test func theSummaryNamesTheRunsDays() throws {
        var summary = RunSummary()
        summary.setDays([try Day(parsing: "2025-10-24"), try Day(parsing: "2025-10-25")])
        #expect(summary.days == "--from 2025-10-24 --to 2025-10-25")
        #expect(String(decoding: summary.json, as: UTF8.self).contains(#""dry_run":false,"days":{"from":"2025-10-24","to":"2025-10-25"},"files":"#))
        let failed = RunSummary.failed(pipeline: "p.yaml", problem: "x", days: [try Day(parsing: "2025-10-25")])
        #expect(String(decoding: failed.json, as: UTF8.self).contains(#""days":{"from":"2025-10-25","to":"2025-10-25"}"#))
        #expect(String(decoding: RunSummary().json, as: UTF8.self).contains(#""dry_run":false,"days":null,"files":"#))
    }

    /// The summary's revenue is the sum of the written sessions' amounts even when amounts
    /// near the largest one (9,223,372,036,854) go past it and back: each session's amount was
    /// added to an amount, and the one whose sum went past was dropped (-9223372036853 here,
    /// until 2026-12-05). A sum out of range gives that bound and a warning.
    @Test(arguments: [(["1", "9223372036854", "-9223372036854"], "1", false), (["9223372036854", "9223372036854"], "9223372036854.775807", true)])
    func revenueIsSummedWithoutDroppingAnAmount(values: [String], revenue: String, warned: Bool) throws {
        let folder = TestFiles.temporaryFolder("summary-revenue")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/events.ndjson", values.enumerated().map { index, value in
            #"{"event":"Purchase","timestamp":\#(1_704_103_200_000 + index * 60_000),"anonymous_id":"v\#(index)","value":\#(value)}"#
        }.joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["events.ndjson"]
            site:
              hosts: [film.example]
            sink:
              kind: ndjson
              output: out/

            """)
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-01-01"], sink: .ndjson, output: folder + "/out")
        #expect(summary.conversions == values.count)
        #expect(summary.revenue.description == revenue)
        #expect(summary.warnings.contains { $0.hasPrefix("the revenue of the sessions written is beyond") } == warned, "\(summary.warnings)")
    }

    /// Damage is no line: a hole of NUL bytes before a line (the line is read) and a gzip
    /// stream cut short are reported in rejects.ndjson and counted as `damaged`, apart from
    /// `rejected` and its rate, so kept, filtered and rejected still add up to the lines read
    /// (until 2026-12-05 they did not, and a hole in a small file tripped the reject limit with
    /// advice to check the format).
    @Test func damageIsCountedApartFromTheLines() throws {
        let folder = TestFiles.temporaryFolder("summary-damage")
        defer { TestFiles.remove(folder) }
        func event(_ minute: Int) -> String {
            #"{"event":"PageView","timestamp":"2024-01-01T10:0\#(minute):00Z","anonymous_id":"v1","url":"https://film.example/p\#(minute)"}"#
        }
        var bytes = Array((event(0) + "\n" + event(1) + "\n" + event(2) + "\n").utf8)
        bytes += [0, 0, 0] + Array((event(3) + "\n").utf8)
        TestFiles.write(folder + "/ev.ndjson", bytes)
        TestFiles.gzip((4..<9).map(event).joined(separator: "\n") + "\n", to: folder + "/cut.ndjson.gz")
        let whole = try #require(TestFiles.read(folder + "/cut.ndjson.gz"))
        TestFiles.write(folder + "/cut.ndjson.gz", whole.prefix(whole.count - 12))
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["ev.ndjson", "cut.ndjson.gz"]
            sink:
              kind: ndjson
              output: out/

            """)
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.kept + summary.filteredTotal + summary.rejectedTotal == summary.linesRead, "\(summary.text)")
        #expect(summary.rejectedTotal == 0 && summary.rejectRate == 0, "\(summary.text)")
        #expect(summary.files.map(\.rejected) == [0, 0], "each file's rejected lines add up with the run's")
        #expect(summary.files.map { $0.damage != nil } == [false, true])
        #expect(summary.damaged == [.nulHole: 1, .gzipDamaged: 1], "\(summary.text)")
        #expect(summary.exitStatus == .inputDamaged, "the cut gzip file: \(summary.text)")
        #expect(!summary.problems.contains { $0.contains("format setting") }, "\(summary.problems)")
        #expect(summary.warnings.contains { $0.hasPrefix("1 hole of NUL bytes a crash left in its file") }, "\(summary.warnings)")
        #expect(summary.text.contains("  damaged      2  (gzip_damaged 1, nul_hole 1)"), "\(summary.text)")
        let rejects = TestFiles.readText(folder + "/out/rejects.ndjson") ?? ""
        #expect(rejects.contains(#""reason":"nul_hole""#) && rejects.contains(#""reason":"gzip_damaged""#), "\(rejects)")
    }

    /// A client session whose first hit has no visitor id is first the fingerprint visitor's,
    /// then, once a later hit names its visitor, that visitor's. The fingerprint visitor, left
    /// with no record, is no visitor of the run, wherever the flushes fall (until 2026-12-05 it
    /// counted when a flush came between the two hits: 3 visitors with one record a chunk, 2
    /// with one chunk, the same sessions written).
    @Test func visitorsDoNotDependOnWhereFlushesFall() throws {
        let folder = TestFiles.temporaryFolder("summary-visitors")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
        TestFiles.write(folder + "/access.log", #"1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /landing HTTP/1.1" 200 1 "-" "\#(agent)" "-" "S1""# + "\n")
        TestFiles.write(folder + "/events.ndjson", """
            {"event":"PageView","timestamp":"2024-01-01T01:00:00Z","anonymous_id":"other","url":"https://film.example/x"}
            {"event":"PageView","timestamp":"2024-01-01T02:00:00Z","anonymous_id":"v1","session_id":"S1","url":"https://film.example/y"}

            """)
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: access_log
                format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid" "$cookie_sid"'
                visitor_cookie: vid
                session_cookie: sid
                paths: ["access.log"]
              - kind: ndjson
                paths: ["events.ndjson"]
            site:
              hosts: [film.example]
            sink:
              kind: ndjson
              output: out/

            """)
        var outputs: [String] = []
        for chunk in [1, 20_000] {
            let output = folder + "/out-\(chunk)"
            let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: output, chunkRecords: chunk)
            #expect(summary.visitors == 2, "chunk \(chunk): \(summary.text)")
            #expect(summary.sessions == 2, "chunk \(chunk): \(summary.text)")
            outputs.append(TestFiles.readText(output + "/sessions.ndjson") ?? "")
        }
        #expect(outputs[0] == outputs[1] && !outputs[0].isEmpty)
    }
}
