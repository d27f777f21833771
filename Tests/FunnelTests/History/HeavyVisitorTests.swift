@testable import FunnelPipeline
import FunnelTestSupport
import Foundation
import Testing

/// A visitor rebuilt from `limits.warn_visitor_records` records or more is named in the run's
/// warnings: every run that adds to a visitor rebuilds all of its records, so one that never
/// goes away makes each night cost more (docs/operations.md, "Visitors who never go away").
@Suite struct HeavyVisitorTests {
    /// One day's access log: `heavy` page views a minute apart from the visitor `heavy` (a new
    /// client session every 20), and three ordinary visitors.
    /// (`lines`: only the first so many, as a log still being written holds them.)
    private static func day(_ date: String, heavy: Int, in folder: String, lines count: Int? = nil) {
        let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
        let (year, month, dayOfMonth) = (date.prefix(4), ["03": "Mar"][String(date.dropFirst(5).prefix(2))]!, date.suffix(2))
        func line(_ seconds: Int, _ visitor: String, _ session: String, _ page: String) -> String {
            let time = String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            return "203.0.113.7 - - [\(dayOfMonth)/\(month)/\(year):\(time) +0000] \"GET \(page) HTTP/2.0\" 200 512 \"-\" \"\(agent)\" \"\(visitor)\" \"\(session)\" \"DE\""
        }
        var lines = (0..<heavy).map { line(60 * $0, "heavy", "h\(date)-\($0 / 20)", ["/", "/trailer", "/about"][$0 % 3]) }
        lines += (0..<3).map { line(7 * 3600 + 900 * $0, "v\(date)-\($0)", "s\(date)-\($0)", "/?utm_source=newsletter") }
        lines.sort { $0.split(separator: "[")[1] < $1.split(separator: "[")[1] }
        TestFiles.gzip(lines.prefix(count ?? lines.count).joined(separator: "\n") + "\n", to: "\(folder)/access-\(date).log.gz")
    }

    static func pipeline(in folder: String, warnAt limit: Int, continueAt continued: Int = 1_000_000) -> String {
        let path = folder + "/pipeline.yaml"
        TestFiles.write(path, """
            sources:
              - kind: access_log
                format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid" "$cookie_sid" "$http_cf_ipcountry"'
                visitor_cookie: vid
                session_cookie: sid
                paths: ["access-{date}.log.gz"]
            site:
              hosts: [film.example]
            limits:
              warn_visitor_records: \(limit)
              continue_visitor_records: \(continued)
            sink:
              kind: ndjson
              output: out/

            """)
        return path
    }

    /// By default an ordinary visitor who comes back every night is continued from its second
    /// night on, not rebuilt whole (until 2026-12-05's night only from 10,000 records: a
    /// review's visitors back every day for 403 days were rebuilt nightly, 80,352 sessions to
    /// write 503; until 2026-12-07 from 20 records: nights 2 to 5 rebuilt 8, 12, 16 and 20
    /// sessions); the nights end as one run over them does.
    @Test func aVisitorBackEveryNightIsContinuedByDefault() throws {
        let folder = TestFiles.temporaryFolder("heavy-default")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
        let days = (1...12).map { String(format: "2024-03-%02d", $0) }
        for (index, day) in days.enumerated() {
            let lines = (0..<4).map { visit in
                "198.51.100.9 - - [\(String(format: "%02d", index + 1))/Mar/2024:1\(visit):00:00 +0000] \"GET /watch HTTP/2.0\" 200 512 \"-\" \"\(agent)\" \"vback\" \"-\" \"DE\""
            }
            TestFiles.gzip(lines.joined(separator: "\n") + "\n", to: folder + "/access-\(day).log.gz")
        }
        let path = folder + "/pipeline.yaml"
        TestFiles.write(path, try #require(TestFiles.readText(Self.pipeline(in: folder, warnAt: 100_000))).replacing(#/\n +continue_visitor_records: [0-9]+/#, with: ""))
        #expect(try PipelineLoader.load(path: path).continueVisitorRecords == Pipeline.defaultContinueVisitorRecords)
        #expect(try RunsOverTimeTests.run(path, days: days, sink: .ndjson, output: folder + "/one").sessions == 48)
        var rebuilt: [Int] = []
        for day in days {
            rebuilt.append(try RunsOverTimeTests.run(path, days: [day], sink: .ndjson, output: folder + "/nights").rebuiltSessions)
        }
        // Rebuilt whole, night n would rebuild 4n sessions; continued, its 4 new ones.
        #expect(rebuilt == Array(repeating: 4, count: days.count), "\(rebuilt)")
        _ = try Exporter.export(historyFolder: folder + "/nights", to: folder + "/export")
        #expect(TestFiles.readText(folder + "/export/sessions.ndjson") == TestFiles.readText(folder + "/one/sessions.ndjson"))
    }

    @Test func aVisitorPastTheLimitIsNamedOnceItsHistoryGetsThere() throws {
        let folder = TestFiles.temporaryFolder("heavy-visitor")
        defer { TestFiles.remove(folder) }
        Self.day("2024-03-01", heavy: 40, in: folder)
        Self.day("2024-03-02", heavy: 40, in: folder)
        let pipeline = Self.pipeline(in: folder, warnAt: 60)

        // Rebuilt whole (`Pipeline.continuesVisitors`), as a visitor whose new records come
        // before its stored ones is: a continued one is not named (the tests below).
        let first = try RunsOverTimeTests.run(pipeline, days: ["2024-03-01"], sink: .ndjson, output: folder + "/out", continuesVisitors: false)
        #expect(first.exitStatus == .success && first.warnings.isEmpty, "\(first.warnings)")

        // The second day adds to the visitor: its 40 stored records are rebuilt with the 40 new.
        let second = try RunsOverTimeTests.run(pipeline, days: ["2024-03-02"], sink: .ndjson, output: folder + "/out", continuesVisitors: false)
        #expect(second.exitStatus == .success)
        #expect(second.warnings.count == 1)
        let warning = second.warnings.first ?? ""
        #expect(warning.hasPrefix("1 visitor was rebuilt from 60 records or more (the most: heavy, 80)"), "\(warning)")
        #expect(warning.contains("filters.bot_patterns"), "\(warning)")
        #expect(second.text.contains("  warning      1 visitor was rebuilt"), "\(second.text)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(second.json)) as? [String: Any])
        #expect((json["warnings"] as? [String]) == second.warnings)
        #expect((json["problems"] as? [String]) == [])
    }

    /// A visitor built from `limits.continue_visitor_records` records or more whose new day
    /// comes after its stored records is continued: the run builds its new sessions only
    /// (rebuilt counts them), names no heavy visitor, and the history ends as one run over
    /// both days leaves it. Either day run again afterwards brings only lines the history
    /// holds: they are left out and no visitor is rebuilt, with the same end.
    @Test func aVisitorWithAPastIsContinuedWithTheSameSessions() throws {
        let folder = TestFiles.temporaryFolder("heavy-continued")
        defer { TestFiles.remove(folder) }
        Self.day("2024-03-01", heavy: 40, in: folder)
        Self.day("2024-03-02", heavy: 40, in: folder)
        let pipeline = Self.pipeline(in: folder, warnAt: 60, continueAt: 30)
        let single = try RunsOverTimeTests.run(pipeline, days: ["2024-03-01", "2024-03-02"], sink: .ndjson, output: folder + "/single")
        #expect(single.exitStatus == .success)
        let expected = TestFiles.readText(folder + "/single/sessions.ndjson")

        let first = try RunsOverTimeTests.run(pipeline, days: ["2024-03-01"], sink: .ndjson, output: folder + "/daily")
        #expect(first.rebuiltSessions == 2 + 3, "the heavy visitor's two sessions and three visitors' one")
        let second = try RunsOverTimeTests.run(pipeline, days: ["2024-03-02"], sink: .ndjson, output: folder + "/daily")
        #expect(second.exitStatus == .success)
        #expect(second.rebuiltSessions == 2 + 3, "continued: the new day's sessions only, not the first day's two again")
        #expect(second.warnings.isEmpty, "a continued visitor is not rebuilt: \(second.warnings)")
        _ = try Exporter.export(historyFolder: folder + "/daily", to: folder + "/daily/export")
        #expect(TestFiles.readText(folder + "/daily/export/sessions.ndjson") == expected)

        for date in ["2024-03-01", "2024-03-02"] {
            let again = try RunsOverTimeTests.run(pipeline, days: [date], sink: .ndjson, output: folder + "/daily")
            // (Until 2026-12-07 the day's three ordinary visitors, under 20 records, were rebuilt.)
            #expect(again.rebuiltSessions == 0, "\(date) again: lines the history holds, left out, for every visitor")
            #expect(again.warnings.isEmpty, "\(again.warnings)")
            _ = try Exporter.export(historyFolder: folder + "/daily", to: folder + "/daily/export")
            #expect(TestFiles.readText(folder + "/daily/export/sessions.ndjson") == expected, "\(date) again")
        }
    }

    /// A day's log read again as it grows (a run before the day ends, another after): the
    /// lines the first run stored are left out and the visitor with a long past is continued
    /// with the new ones, in flat files and in a real redis-server (also through the README's
    /// Redis user without `+hscan`, which reads the stored records whole); the sessions end as
    /// one run over the whole log leaves them.
    @Test(arguments: [(Pipeline.SinkKind.ndjson, true), (.redis, true), (.redis, false)])
    func aLogReadAgainAsItGrowsLeavesOutTheLinesStoredBefore(sink: Pipeline.SinkKind, hashScan: Bool) throws {
        let folder = TestFiles.temporaryFolder("heavy-growing")
        defer { TestFiles.remove(folder) }
        Self.day("2024-03-01", heavy: 40, in: folder)
        Self.day("2024-03-02", heavy: 60, in: folder)
        let pipeline = Self.pipeline(in: folder, warnAt: 90, continueAt: 30)
        let server = sink == .redis ? try RedisServer() : nil
        defer { server?.stop() }
        var url = server?.url
        if let server, !hashScan {
            let acl = try RedisACLTests.aclArguments(hashScan: false)
            #expect(!acl.contains("+hscan") && acl.contains("+hvals"))
            #expect(try server.connect().command(acl.map { Array($0.utf8) }) == .status("OK"))
            url = "redis://funnel:\(RedisACLTests.password)@127.0.0.1:\(server.port)/0"
        }
        func sessions(_ name: String) throws -> String {
            try server?.dumpSessions() ?? TestFiles.readText(folder + "/\(name)/sessions.ndjson") ?? ""
        }
        let one = try RunsOverTimeTests.run(pipeline, days: ["2024-03-01", "2024-03-02"], sink: sink, output: folder + "/one", redisURL: url)
        #expect(one.exitStatus == .success)
        let expected = try sessions("one")
        if let server { _ = try server.connect().command("FLUSHALL") }

        // The second day's log as it was at 00:20: its first 20 lines, the heavy visitor's
        // first client session.
        Self.day("2024-03-02", heavy: 60, in: folder, lines: 20)
        for date in ["2024-03-01", "2024-03-02"] {
            let night = try RunsOverTimeTests.run(pipeline, days: [date], sink: sink, output: folder + "/daily", redisURL: url)
            #expect(night.exitStatus == .success && night.warnings.isEmpty, "\(night.warnings)")
        }
        Self.day("2024-03-02", heavy: 60, in: folder)
        let again = try RunsOverTimeTests.run(pipeline, days: ["2024-03-02"], sink: sink, output: folder + "/daily", redisURL: url)
        #expect(again.exitStatus == .success)
        #expect(again.warnings.isEmpty, "continued with the 40 new lines: \(again.warnings)")
        #expect(again.rebuiltSessions == 2 + 3, "the two client sessions of the new lines, the day's three visitors")
        if sink == .ndjson {
            _ = try Exporter.export(historyFolder: folder + "/daily", to: folder + "/daily/export")
            #expect(TestFiles.readText(folder + "/daily/export/sessions.ndjson") == expected)
        } else {
            #expect(try sessions("daily") == expected)
        }
    }

    /// A Redis history takes a run's writes chunk by chunk, so a run cut short may leave
    /// records of a visitor whose row it never wrote. Such a run stays listed as unfinished
    /// (`funnel:unfinished`) until a run of its files finishes, and while it is listed no line
    /// read again is left out: running the day again rebuilds the visitor from every record
    /// (and repairs its row), and the days after end as one run over all leaves them.
    /// (Simulated: the first day run in full, then the row written before it put back and
    /// the day listed as unfinished, as a run killed after its records and before its rows
    /// leaves them.)
    @Test func aRedisRunCutShortIsRepairedByRunningItAgain() throws {
        let folder = TestFiles.temporaryFolder("heavy-unfinished")
        defer { TestFiles.remove(folder) }
        let days = ["2024-03-01", "2024-03-02", "2024-03-03"]
        for date in days { Self.day(date, heavy: 40, in: folder) }
        let pipeline = Self.pipeline(in: folder, warnAt: 60, continueAt: 30)
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try server.connect()
        func run(_ date: String) throws -> RunSummary {
            let summary = try RunsOverTimeTests.run(pipeline, days: [date], sink: .redis, output: folder + "/daily", redisURL: server.url)
            #expect(summary.exitStatus == .success)
            return summary
        }
        _ = try RunsOverTimeTests.run(pipeline, days: days, sink: .redis, output: folder + "/one", redisURL: server.url)
        let expected = try server.dumpSessions()
        _ = try redis.command("FLUSHALL")

        _ = try run(days[1])
        let rowAfterSecondDay = try redis.command("GET", "funnel:visitor:heavy")
        guard case .string(let row) = rowAfterSecondDay else { Issue.record("no row for heavy: \(rowAfterSecondDay)"); return }
        _ = try run(days[0])
        #expect(try redis.command("GET", "funnel:unfinished") == .null, "a finished run leaves no unfinished run")
        _ = try redis.command([Array("SET".utf8), Array("funnel:visitor:heavy".utf8), row])
        _ = try redis.command("SET", "funnel:unfinished", "access-\(days[0]).log.gz")

        let third = try run(days[2])
        #expect(third.warnings == ["a run of access-\(days[0]).log.gz wrote to this Redis and did not finish: run it again (the same command); until then its days' sessions may be missing or stale (docs/operations.md, \"After a failed night\")"],
                "continued, and the unfinished run named: \(third.warnings)")
        #expect(try redis.command("GET", "funnel:unfinished") == .string(Array("access-\(days[0]).log.gz".utf8)),
                "a run of other files leaves the unfinished one listed")
        let again = try run(days[0])
        #expect(again.warnings.first?.hasPrefix("1 visitor was rebuilt from 60 records or more (the most: heavy, 120)") == true,
                "rebuilt from every record while a run is unfinished: \(again.warnings)")
        #expect(try redis.command("GET", "funnel:unfinished") == .null, "running its files again finishes it")
        #expect(try server.dumpSessions() == expected)
        let later = try run(days[1])
        #expect(later.warnings.isEmpty && later.rebuiltSessions == 0, "nothing unfinished: lines read again left out (\(later.warnings))")
        #expect(try server.dumpSessions() == expected)
    }

    /// One run over several days continues a visitor with a long past as nightly runs do: a
    /// flush of more than a chunk plans its groups in the order the stream passed them, so the
    /// visitor's later sessions come in later chunks than its earlier ones. (In the waiting
    /// table's order, its sessions were split across a flush's chunks at random, and every
    /// chunk with one before its past rebuilt it whole: 280,800 records at one flush of a
    /// 20-day run.) The sessions are those of the same run without continuation, in flat files
    /// and in a real redis-server (whose history is its own).
    @Test(arguments: [Pipeline.SinkKind.ndjson, .redis])
    func oneRunOverManyDaysContinuesAVisitorAcrossAFlushsChunks(sink: Pipeline.SinkKind) throws {
        let folder = TestFiles.temporaryFolder("heavy-one-run")
        defer { TestFiles.remove(folder) }
        let days = ["2024-03-01", "2024-03-02", "2024-03-03"]
        // Ten client sessions of 20 records a day: each fills a chunk of its own.
        for date in days { Self.day(date, heavy: 200, in: folder) }
        let pipeline = Self.pipeline(in: folder, warnAt: 100, continueAt: 30)
        let server = sink == .redis ? try RedisServer() : nil
        defer { server?.stop() }
        func run(into name: String, continues: Bool = true) throws -> (summary: RunSummary, sessions: String) {
            if let server { _ = try server.connect().command("FLUSHALL") }
            let summary = try RunsOverTimeTests.run(pipeline, days: days, sink: sink, output: folder + "/" + name, redisURL: server?.url,
                                                    continuesVisitors: continues, chunkRecords: 20)
            let sessions = try server?.dumpSessions() ?? TestFiles.readText(folder + "/\(name)/sessions.ndjson") ?? ""
            return (summary, sessions)
        }

        let continued = try run(into: "continued")
        #expect(continued.summary.exitStatus == .success)
        #expect(continued.summary.warnings.isEmpty, "continued at every chunk once past 30 records: \(continued.summary.warnings)")
        #expect(continued.summary.sessions == 3 * (10 + 3))

        let rebuilt = try run(into: "rebuilt", continues: false)
        #expect(rebuilt.summary.warnings.first?.hasPrefix("1 visitor was rebuilt from 100 records or more (the most: heavy, 600)") == true,
                "without continuation every chunk rebuilds it: \(rebuilt.summary.warnings)")
        #expect(!continued.sessions.isEmpty && continued.sessions == rebuilt.sessions)
    }

    /// A visitor without cookies polling every five minutes around the clock (a monitor), from
    /// `start` seconds into the first day: never quiet for the timeout, so each day's records
    /// come within it of the day before. Nightly runs continue it all the same: from where its
    /// latest session started when that session has reached `sessions.max_duration` (a start
    /// at midnight: days and sessions line up), else from before that session, which the run
    /// rebuilds with the new records (`VisitorTail`). The third night then writes one or two
    /// sessions instead of all three and, at a warning limit between, names no heavy visitor;
    /// the history ends as one run over the three days leaves it, and that run's sessions are
    /// those of the same run without continuation. In that run the visitor's group, which the
    /// stream never passes by the timeout, is flushed once it has waited a session's longest,
    /// and continued: never built from all its records at once.
    @Test(arguments: [0, 25 * 60], [Pipeline.SinkKind.ndjson, .redis])
    func aVisitorWithoutCookiesActiveAroundTheClockIsContinuedEveryNight(start: Int, sink: Pipeline.SinkKind) throws {
        let folder = TestFiles.temporaryFolder("heavy-monitor")
        defer { TestFiles.remove(folder) }
        let days = ["2024-03-01", "2024-03-02", "2024-03-03"]
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
        for (index, date) in days.enumerated() {
            let lines = stride(from: index == 0 ? start : 0, to: 86_400, by: 300).map { seconds in
                let time = String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                return "198.51.100.9 - - [0\(index + 1)/Mar/2024:\(time) +0000] \"GET /watch HTTP/2.0\" 200 512 \"-\" \"\(agent)\" \"-\" \"-\" \"DE\""
            }
            TestFiles.gzip(lines.joined(separator: "\n") + "\n", to: "\(folder)/access-\(date).log.gz")
        }
        // Every record of the three days is above the limit, a day and a session below it.
        let pipeline = Self.pipeline(in: folder, warnAt: 700, continueAt: 30)
        let server = sink == .redis ? try RedisServer() : nil
        defer { server?.stop() }
        func sessions(_ name: String) throws -> String {
            try server?.dumpSessions() ?? TestFiles.readText(folder + "/\(name)/sessions.ndjson") ?? ""
        }
        func nights(into name: String, continues: Bool) throws -> RunSummary {
            if let server { _ = try server.connect().command("FLUSHALL") }
            var last: RunSummary?
            for date in days {
                last = try RunsOverTimeTests.run(pipeline, days: [date], sink: sink, output: folder + "/" + name, redisURL: server?.url,
                                                 continuesVisitors: continues)
                #expect(last?.exitStatus == .success)
            }
            return try #require(last)
        }

        if let server { _ = try server.connect().command("FLUSHALL") }
        // Chunks of 100: the stream never passes the visitor, and the open groups reach the cap
        // (8 chunks) after 800 records; it is flushed before, once it has waited a day.
        let one = try RunsOverTimeTests.run(pipeline, days: days, sink: sink, output: folder + "/one", redisURL: server?.url, chunkRecords: 100)
        #expect(one.sessions == 3 && one.warnings.isEmpty, "\(one.sessions) \(one.warnings)")
        let expected = try sessions("one")
        if let server { _ = try server.connect().command("FLUSHALL") }
        _ = try RunsOverTimeTests.run(pipeline, days: days, sink: sink, output: folder + "/whole", redisURL: server?.url,
                                      continuesVisitors: false, chunkRecords: 20)
        #expect(try sessions("whole") == expected, "one run continuing it from flush to flush, against one rebuilding it")

        let rebuilt = try nights(into: "rebuilt", continues: false)
        #expect(rebuilt.rebuiltSessions == 3)
        #expect(rebuilt.warnings.first?.hasPrefix("1 visitor was rebuilt from 700 records or more") == true, "\(rebuilt.warnings)")

        let continued = try nights(into: "continued", continues: true)
        #expect(continued.rebuiltSessions == (start == 0 ? 1 : 2), "the new session, and the latest one if it was still open")
        #expect(continued.warnings.isEmpty, "\(continued.warnings)")
        func continuedSessions() throws -> String? {
            guard sink == .ndjson else { return try sessions("continued") }
            _ = try Exporter.export(historyFolder: folder + "/continued", to: folder + "/continued/export")
            return TestFiles.readText(folder + "/continued/export/sessions.ndjson")
        }
        #expect(try continuedSessions() == expected)
        // A night run again (the last, whose lines are the tail's and before it; a middle
        // one): every line is one the history holds, so the visitor is not rebuilt.
        for date in [days[2], days[1]] {
            let again = try RunsOverTimeTests.run(pipeline, days: [date], sink: sink, output: folder + "/continued", redisURL: server?.url,
                                                  continueVisitorRecords: 30)
            #expect(again.rebuiltSessions == 0 && again.warnings.isEmpty, "\(date) again: \(again.rebuiltSessions) \(again.warnings)")
        }
        #expect(try continuedSessions() == expected)
    }

    /// A record that comes late (a log rotated after midnight holding yesterday's last lines)
    /// and before the visitor's latest session but after the session timeout past the one
    /// before: the visitor is continued from before its latest session, which the late record
    /// now starts under another id. That session is written under its new id and the old one
    /// deleted, as a rebuild of every record does; the history ends as one run leaves it.
    @Test func aLateRecordThatMovesTheLatestSessionsStartReplacesIt() throws {
        let folder = TestFiles.temporaryFolder("heavy-late")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
        func line(_ day: Int, _ time: String) -> String {
            "198.51.100.9 - - [0\(day)/Mar/2024:\(time) +0000] \"GET /watch HTTP/2.0\" 200 512 \"-\" \"\(agent)\" \"-\" \"-\" \"DE\""
        }
        TestFiles.gzip([line(1, "08:00:00"), line(1, "08:10:00"), line(1, "23:40:00"), line(1, "23:50:00")].joined(separator: "\n") + "\n",
                       to: folder + "/access-2024-03-01.log.gz")
        TestFiles.gzip([line(1, "23:20:00"), line(2, "00:05:00"), line(2, "00:15:00")].joined(separator: "\n") + "\n",
                       to: folder + "/access-2024-03-02.log.gz")
        let pipeline = Self.pipeline(in: folder, warnAt: 1_000)
        let days = ["2024-03-01", "2024-03-02"]
        let one = try RunsOverTimeTests.run(pipeline, days: days, sink: .ndjson, output: folder + "/one")
        #expect(one.sessions == 2, "08:00 and 23:20 (the 23:40 one does not exist in one run)")
        let expected = TestFiles.readText(folder + "/one/sessions.ndjson")

        for (name, continues, written) in [("continued", true, 1), ("rebuilt", false, 2)] {
            let first = try RunsOverTimeTests.run(pipeline, days: [days[0]], sink: .ndjson, output: folder + "/" + name, continueVisitorRecords: 1,
                                                  continuesVisitors: continues)
            #expect(first.sessions == 2)
            let second = try RunsOverTimeTests.run(pipeline, days: [days[1]], sink: .ndjson, output: folder + "/" + name, continueVisitorRecords: 1,
                                                   continuesVisitors: continues)
            #expect(second.rebuiltSessions == written, "\(name): the 23:20 session only, or both")
            #expect(TestFiles.readText(folder + "/\(name)/deleted.ndjson")?.split(separator: "\n").count == 1, "\(name): the 23:40 session")
            _ = try Exporter.export(historyFolder: folder + "/" + name, to: folder + "/\(name)/export")
            #expect(TestFiles.readText(folder + "/\(name)/export/sessions.ndjson") == expected, "\(name)")
        }
    }

    /// Into Redis (a history without session bodies), a visitor continued from before its
    /// tail knows its tail's sessions from its stored row only (`HistoryPlanner.addContinued`,
    /// which looks through the row's ids for the plan's): a tail session the new records leave
    /// as it was is not sent again (the row's digest of it), the latest one a late record
    /// moves is deleted under its old id (listed before) and written under its new one, and
    /// Redis ends as one run over both days leaves it.
    @Test func aVisitorContinuedFromBeforeItsTailIntoRedisKnowsItsTail() throws {
        let folder = TestFiles.temporaryFolder("heavy-tail-redis")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
        func line(_ day: Int, _ time: String, _ visitor: String, _ session: String) -> String {
            "198.51.100.9 - - [0\(day)/Mar/2024:\(time) +0000] \"GET /watch HTTP/2.0\" 200 512 \"-\" \"\(agent)\" \"\(visitor)\" \"\(session)\" \"DE\""
        }
        // Visitor v1: client session a from 23:00 to 23:50 around client session b at 23:30
        // and 23:35, so its tail holds both; a line of no client session at 00:10 the next
        // night joins a, the latest, and leaves b as it was. Visitor v2 (no cookies, a
        // fingerprint): 08:00, then 23:40 and 23:50; the next night a late line at 23:20
        // starts its latest session earlier.
        TestFiles.gzip([line(1, "08:00:00", "-", "-"), line(1, "23:00:00", "v1", "a"), line(1, "23:30:00", "v1", "b"), line(1, "23:35:00", "v1", "b"),
                        line(1, "23:40:00", "-", "-"), line(1, "23:50:00", "v1", "a"), line(1, "23:50:00", "-", "-")].joined(separator: "\n") + "\n",
                       to: folder + "/access-2024-03-01.log.gz")
        TestFiles.gzip([line(1, "23:20:00", "-", "-"), line(2, "00:10:00", "v1", "-"), line(2, "00:15:00", "-", "-")].joined(separator: "\n") + "\n",
                       to: folder + "/access-2024-03-02.log.gz")
        let pipeline = Self.pipeline(in: folder, warnAt: 1_000)
        let server = try RedisServer()
        defer { server.stop() }
        let days = ["2024-03-01", "2024-03-02"]
        let one = try RunsOverTimeTests.run(pipeline, days: days, sink: .redis, output: folder + "/one", redisURL: server.url)
        let expected = try server.dumpSessions()
        _ = try server.connect().command("FLUSHALL")
        let first = try RunsOverTimeTests.run(pipeline, days: [days[0]], sink: .redis, output: folder + "/nights", redisURL: server.url,
                                              continueVisitorRecords: 1)
        let second = try RunsOverTimeTests.run(pipeline, days: [days[1]], sink: .redis, output: folder + "/nights", redisURL: server.url,
                                               continueVisitorRecords: 1)
        #expect(one.sessions == 4 && first.sessions == 4, "v1's a and b, v2's two: \(one.text) \(first.text)")
        #expect(second.rebuiltSessions == 3, "v1's a and b, v2's latest under its new id: \(second.text)")
        #expect(second.sessions == 2, "b is left as it was, not sent: \(second.text)")
        #expect(second.deletedSessions == 1, "v2's session under its old id: \(second.text)")
        #expect(try server.dumpSessions() == expected)
    }

    /// A client session on every line of a log (a monitor that keeps its cookie) never closes
    /// within the run, so the cap on open sessions flushes it with everything else held, and
    /// each later flush rebuilt it from all its records. Once flushed open it waits until the
    /// stream passes it or the run ends, so it is built twice in all: here 2,917 records built
    /// for the run's 2,794 (flushed every 8 chunks, 34,982); the sessions are those of a run
    /// that flushes once, in flat files and in a real redis-server.
    @Test(arguments: [Pipeline.SinkKind.ndjson, .redis])
    func aSessionThatNeverClosesIsNotRebuiltAtEveryFlush(sink: Pipeline.SinkKind) throws {
        let folder = TestFiles.temporaryFolder("heavy-open")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
        func line(_ seconds: Int, _ visitor: String, _ session: String, _ page: String) -> String {
            let time = String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            return "203.0.113.7 - - [01/Mar/2024:\(time) +0000] \"GET \(page) HTTP/2.0\" 200 512 \"-\" \"\(agent)\" \"\(visitor)\" \"\(session)\" \"DE\""
        }
        // 2,000 records of the monitor two seconds apart, and between them 400 visitors of two
        // page views each, a minute apart, whose sessions the stream passes.
        let heavy = 2_000
        var lines: [String] = []
        for index in 0..<heavy {
            lines.append(line(2 * index, "monitor", "fixed", "/watch?i=\(index)"))
            if index % 5 == 0 { lines.append(line(2 * index, "v\(index)", "s\(index)", "/?utm_source=newsletter")) }
            if index % 5 == 0 && index >= 30 { lines.append(line(2 * index, "v\(index - 30)", "s\(index - 30)", "/trailer")) }
        }
        TestFiles.gzip(lines.joined(separator: "\n") + "\n", to: folder + "/access-2024-03-01.log.gz")
        let pipeline = Self.pipeline(in: folder, warnAt: 1_000_000)
        let server = sink == .redis ? try RedisServer() : nil
        defer { server?.stop() }
        func sessions(_ name: String) throws -> String {
            try server?.dumpSessions() ?? TestFiles.readText(folder + "/\(name)/sessions.ndjson") ?? ""
        }
        let once = try RunsOverTimeTests.run(pipeline, days: ["2024-03-01"], sink: sink, output: folder + "/once", redisURL: server?.url,
                                             chunkRecords: 100_000)
        let expected = try sessions("once")
        #expect(once.builtRecords == lines.count, "every record once")
        if let server { _ = try server.connect().command("FLUSHALL") }

        let chunked = try RunsOverTimeTests.run(pipeline, days: ["2024-03-01"], sink: sink, output: folder + "/chunked", redisURL: server?.url,
                                                chunkRecords: 10)
        #expect(chunked.exitStatus == .success)
        #expect(try sessions("chunked") == expected)
        #expect(chunked.sessions == once.sessions)
        // The monitor built at the first cap (80-odd records) and at the end; the other
        // visitors' records about once each (the cap flushes their open sessions too).
        #expect(chunked.builtRecords > lines.count)
        #expect(chunked.builtRecords < lines.count + heavy / 10, "\(chunked.builtRecords)")
    }

    /// A visitor known by its client session alone has that session's id for its key, which
    /// may be an e-mail or IP address: the warning names it as the outputs do, never as it
    /// came (until 2026-12-06 it went to stderr and `--summary-json` as it came, SPEC 11).
    @Test(arguments: ["Fan@Example.org", "198.51.100.23"])
    func aVisitorNamedByAnAddressIsNamedAsTheOutputsNameIt(session: String) throws {
        let folder = TestFiles.temporaryFolder("heavy-address")
        defer { TestFiles.remove(folder) }
        let lines = (0..<5).map { #"{"event":"PageView","timestamp":\#(1_709_251_200_000 + 60_000 * $0),"session_id":"\#(session)","url":"https://film.example/"}"# }
        TestFiles.write(folder + "/events-2024-03-01.ndjson", lines.joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["events-{date}.ndjson"]
            limits:
              warn_visitor_records: 2
            sink:
              kind: ndjson
              output: out/

            """)
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-03-01"], sink: .ndjson, output: folder + "/out")
        let warning = try #require(summary.warnings.first { $0.contains("rebuilt from 2 records or more") }, "\(summary.warnings)")
        let written = try #require(TestFiles.readText(folder + "/out/sessions.ndjson"))
        let id = try #require(written.split(separator: "\"").dropFirst(3).first.map(String.init))
        #expect(id.hasPrefix(session.contains("@") ? "em" : "ip") && !written.contains(session), "\(written)")
        #expect(warning.contains("(the most: \(id), 5)") && !warning.contains(session), "\(warning)")
    }

    /// The visitor with the most records is named (the smaller key among equals), each
    /// visitor counted once at its largest, and past `HeavyVisitors.kept` the count says so.
    @Test func theWarningNamesTheLargestAndCountsTheRest() {
        var heavy = HeavyVisitors(limit: 10)
        #expect(heavy.warning() == nil)
        heavy.add([("b", 12), ("c", 30)])
        heavy.add([("a", 30), ("b", 20)])
        #expect(heavy.records == ["a": 30, "b": 20, "c": 30])
        let warning = heavy.warning() ?? ""
        #expect(warning.hasPrefix("3 visitors were rebuilt from 10 records or more (the most: a, 30)"), "\(warning)")
        heavy.add((0..<2 * HeavyVisitors.kept).map { ("v\($0)", 11) })
        #expect(heavy.records.count == HeavyVisitors.kept)
        #expect(heavy.warning()?.hasPrefix("\(HeavyVisitors.kept) or more visitors were rebuilt") == true)
    }
}
