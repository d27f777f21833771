#if canImport(Glibc)
import Glibc
#endif
import FunnelCore
import FunnelPipeline
import FunnelTestSupport
import Testing

/// SPEC 10: after any sequence of runs over any set of days, in any order and with repeats,
/// the stored sessions equal what one run over the union of those days produces, including
/// sessions across midnight, `session_count` and first/last touch.
@Suite(.serialized)
struct RunsOverTimeTests {
    /// Four days of generated traffic written as daily files, and a pipeline over `{date}`.
    final class Days {
        let folder = TestFiles.temporaryFolder("runs-over-time")
        var dates: [String] = []

        init(seed: UInt64, visitors: Int) {
            var generator = TrafficGenerator(seed: seed)
            generator.spreadSeconds = 3 * 86_400 + 40_000
            let traffic = generator.generate(visitors: visitors)
            for (date, files) in traffic.byDay() {
                dates.append(date)
                TestFiles.gzip(files.web1.joined(separator: "\n") + "\n", to: "\(folder)/web1-\(date).log.gz")
                TestFiles.gzip(files.web2.joined(separator: "\n") + "\n", to: "\(folder)/web2-\(date).log.gz")
                TestFiles.gzip(files.events.joined(separator: "\n") + "\n", to: "\(folder)/events-\(date).ndjson.gz")
            }
            dates.sort()
            TestFiles.write(folder + "/pipeline.yaml", generator.pipelineFile(
                logPaths: ["web1-{date}.log.gz", "web2-{date}.log.gz"], eventPaths: ["events-{date}.ndjson.gz"], schema: "enhanced"))
        }

        deinit { TestFiles.remove(folder) }

        /// `keyFilterBytes` replaces the pipeline's bound on the history's key filter.
        /// `continueVisitorRecords` replaces the pipeline's `limits.continue_visitor_records`.
        func run(days: [String], sink: Pipeline.SinkKind, output: String, redisURL: String? = nil, keyFilterBytes: Int? = nil,
                 continueVisitorRecords: Int? = nil, continuesVisitors: Bool = true) throws -> RunSummary {
            try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: days, sink: sink, output: output, redisURL: redisURL,
                                      keyFilterBytes: keyFilterBytes, continueVisitorRecords: continueVisitorRecords,
                                      continuesVisitors: continuesVisitors)
        }

        /// The session keys (`RedisServer.dumpSessions`) that one run over every day leaves in
        /// a Redis of its own: what daily runs, backfills and older histories must end at.
        func sessionsOfOneRedisRun(output: String) throws -> String {
            let server = try RedisServer()
            defer { server.stop() }
            _ = try run(days: dates, sink: .redis, output: output, redisURL: server.url)
            return try server.dumpSessions()
        }

        /// A Redis history an older funnel wrote: the first two days are run, `downgrade`
        /// rewrites what they stored in the older layout, the other days are run on top, and
        /// their sessions must equal one run over every day; `inspect` then looks at the keys.
        func checkOlderRedisHistory(_ name: String, downgrade: (RedisServer) throws -> Void, inspect: (RedisServer) throws -> Void) throws {
            let scratch = TestFiles.temporaryFolder(name)
            defer { TestFiles.remove(scratch) }
            let whole = try sessionsOfOneRedisRun(output: scratch + "/whole")
            let server = try RedisServer()
            defer { server.stop() }
            _ = try run(days: Array(dates.prefix(2)), sink: .redis, output: scratch + "/daily", redisURL: server.url)
            try downgrade(server)
            _ = try run(days: Array(dates.dropFirst(2)), sink: .redis, output: scratch + "/daily", redisURL: server.url)
            #expect(try server.dumpSessions() == whole)
            try inspect(server)
        }

        /// The same for a flat-file history: the first two days are run, `downgrade` rewrites
        /// the history file in the older layout, `later` days (by default the others) are run
        /// on top, `inspect` looks at the file, and the export must equal one run over every
        /// day.
        func checkOlderSQLiteHistory(_ name: String, later: [String]? = nil, downgrade: (String) throws -> Void,
                                     inspect: (String) throws -> Void) throws {
            let scratch = TestFiles.temporaryFolder(name)
            defer { TestFiles.remove(scratch) }
            _ = try run(days: dates, sink: .ndjson, output: scratch + "/whole")
            let output = scratch + "/daily"
            let path = output + "/" + SQLiteHistoryStore.fileName
            _ = try run(days: Array(dates.prefix(2)), sink: .ndjson, output: output)
            try downgrade(path)
            _ = try run(days: later ?? Array(dates.dropFirst(2)), sink: .ndjson, output: output)
            try inspect(path)
            _ = try Exporter.export(historyFolder: output, to: output + "/export")
            #expect(TestFiles.readText(output + "/export/sessions.ndjson") == TestFiles.readText(scratch + "/whole/sessions.ndjson"))
        }
    }

    /// One run of the pipeline file over `days`; `continuesVisitors: false` rebuilds every
    /// visitor whole (`Pipeline.continuesVisitors`).
    static func run(_ pipeline: String, days: [String], sink: Pipeline.SinkKind, output: String, redisURL: String? = nil,
                    keyFilterBytes: Int? = nil, continueVisitorRecords: Int? = nil, continuesVisitors: Bool = true,
                    chunkRecords: Int? = nil) throws -> RunSummary {
        var loaded = try PipelineLoader.load(path: pipeline)
        if let keyFilterBytes { loaded.keyFilterBytes = keyFilterBytes }
        if let continueVisitorRecords { loaded.continueVisitorRecords = continueVisitorRecords }
        loaded.continuesVisitors = continuesVisitors
        var options = RunOptions()
        options.days = try days.map { try Day(parsing: $0) }
        options.sink = sink
        options.output = output
        options.redisURL = redisURL
        options.progress = .never
        options.chunkRecords = chunkRecords
        return try Runner(pipeline: loaded, options: options, report: { _ in }).run()
    }

    /// Day-by-day sequences: every day at least once, in a random order, with random repeats.
    static func orders(of dates: [String], count: Int, seed: UInt64) -> [[String]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            var order = dates
            random.shuffle(&order)
            for _ in 0..<Int(random.next(upTo: 4)) {
                order.insert(dates[Int(random.next(upTo: UInt64(dates.count)))], at: Int(random.next(upTo: UInt64(order.count + 1))))
            }
            return order
        }
    }

    /// Run twice: with visitors rebuilt as by default, and with every visitor that can be
    /// continued from its past continued (`limits.continue_visitor_records: 1`).
    @Test(arguments: [Pipeline.defaultContinueVisitorRecords, 1])
    func redisAfterAnyOrderOfDailyRunsEqualsOneRunOverAllDays(continueAt: Int) throws {
        let days = Days(seed: 77, visitors: 600)
        #expect(days.dates.count >= 4, "the generator should spread traffic over several days")
        let whole = try RedisServer()
        defer { whole.stop() }
        let scratch = TestFiles.temporaryFolder("runs-over-time-out")
        defer { TestFiles.remove(scratch) }
        let summary = try days.run(days: days.dates, sink: .redis, output: scratch, redisURL: whole.url)
        #expect(summary.exitStatus == .success)
        let expected = try whole.dumpSessions()
        #expect(expected.contains("session_count=2"), "the traffic should hold return visitors")
        #expect(Self.crossesMidnight(expected), "the traffic should hold sessions across midnight")

        let server = try RedisServer()
        defer { server.stop() }
        for order in Self.orders(of: days.dates, count: 12, seed: 11) {
            _ = try server.connect().command("FLUSHALL")
            // A Redis emptied under a folder that loaded it is refused until the folder's count
            // of committed runs goes (`OperationsTests.aRedisThatLostTheNightsBeforeIsRefused`).
            unlink(scratch + "/manifest.ndjson.generation")
            for date in order {
                let result = try days.run(days: [date], sink: .redis, output: scratch, redisURL: server.url, continueVisitorRecords: continueAt)
                #expect(result.exitStatus == .success)
            }
            #expect(try server.dumpSessions() == expected, "order \(order) differs from one run over all days")
        }
    }

    /// Run twice, as the Redis test above.
    @Test(arguments: [Pipeline.defaultContinueVisitorRecords, 1])
    func flatFilesAppliedInOrderOrExportedEqualOneRunOverAllDays(continueAt: Int) throws {
        let days = Days(seed: 78, visitors: 400)
        let single = TestFiles.temporaryFolder("runs-over-time-single")
        defer { TestFiles.remove(single) }
        _ = try days.run(days: days.dates, sink: .ndjson, output: single)
        let expected = try #require(TestFiles.readText(single + "/sessions.ndjson"))
        #expect(!expected.isEmpty)

        for order in Self.orders(of: days.dates, count: 5, seed: 12) {
            let output = TestFiles.temporaryFolder("runs-over-time-daily")
            defer { TestFiles.remove(output) }
            // A warehouse that upserts each run's sessions by id and applies its deletions.
            var warehouse: [String: String] = [:]
            for date in order {
                _ = try days.run(days: [date], sink: .ndjson, output: output, continueVisitorRecords: continueAt)
                for line in (TestFiles.readText(output + "/sessions.ndjson") ?? "").split(separator: "\n") {
                    warehouse[Self.field("session_id", in: line)] = String(line)
                }
                for line in (TestFiles.readText(output + "/deleted.ndjson") ?? "").split(separator: "\n") {
                    warehouse[Self.field("session_id", in: line)] = nil
                }
            }
            let applied = warehouse.values.sorted { a, b in
                let (ta, tb) = (Int64(Self.field("created_at", in: Substring(a)))!, Int64(Self.field("created_at", in: Substring(b)))!)
                return ta != tb ? ta < tb : Self.field("session_id", in: Substring(a)) < Self.field("session_id", in: Substring(b))
            }.map { $0 + "\n" }.joined()
            #expect(applied == expected, "applying the outputs of \(order) differs from one run")

            _ = try Exporter.export(historyFolder: output, to: output + "/export")
            #expect(TestFiles.readText(output + "/export/sessions.ndjson") == expected, "export after \(order) differs from one run")
        }
    }

    /// A client session first seen without a visitor id belongs to its fingerprint; when a later
    /// day's record names its visitor, it moves, and the fingerprint's visitor must let it go,
    /// or that visitor's next rebuild takes it back (its second session would count the first);
    /// and the session, deleted by its former holder and written by its new one in the same
    /// run, must stay. Daily runs in any order end where one run over the three days ends.
    @Test func aClientSessionThatLearnsItsVisitorLeavesTheFormerHolder() throws {
        let folder = TestFiles.temporaryFolder("runs-over-time-moves")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
        func line(_ time: String, _ path: String, visitor: String, session: String) -> String {
            #"198.51.100.7 - - [\#(time) +0000] "GET \#(path) HTTP/1.1" 200 10 "-" "\#(agent)" "\#(visitor)" "\#(session)""#
        }
        let days = [
            ("2024-03-01", line("01/Mar/2024:23:50:00", "/watch?utm_source=facebook", visitor: "-", session: "S1")),
            ("2024-03-02", line("02/Mar/2024:00:05:00", "/donate", visitor: "V1", session: "S1")),
            ("2024-03-03", line("03/Mar/2024:10:00:00", "/watch", visitor: "-", session: "S2")),
        ]
        for (date, text) in days {
            TestFiles.gzip(text + "\n", to: "\(folder)/web1-\(date).log.gz")
            TestFiles.gzip("", to: "\(folder)/events-\(date).ndjson.gz")
        }
        TestFiles.write(folder + "/pipeline.yaml", TrafficGenerator(seed: 1).pipelineFile(logPaths: ["web1-{date}.log.gz"], eventPaths: ["events-{date}.ndjson.gz"], schema: "enhanced"))
        func run(_ dates: [String], sink: Pipeline.SinkKind, output: String, redisURL: String? = nil) throws {
            let summary = try Self.run(folder + "/pipeline.yaml", days: dates, sink: sink, output: output, redisURL: redisURL)
            #expect(summary.exitStatus == .success)
        }
        let all = days.map(\.0)

        let single = folder + "/single"
        try run(all, sink: .ndjson, output: single)
        let expected = try #require(TestFiles.readText(single + "/sessions.ndjson"))
        // S2 is its visitor's only session: S1 went to V1.
        let second = try #require(expected.split(separator: "\n").first { Self.field("session_id", in: $0) == "S2" })
        #expect(Self.field("session_count", in: second) == "1")

        let whole = try RedisServer()
        defer { whole.stop() }
        try run(all, sink: .redis, output: folder + "/whole", redisURL: whole.url)
        let expectedRedis = try whole.dumpSessions()
        let server = try RedisServer()
        defer { server.stop() }
        for order in [all, all.reversed(), [all[1], all[2], all[0]], [all[0], all[2], all[1]]] {
            let output = folder + "/daily-" + order.joined(separator: "-")
            for date in order { try run([date], sink: .ndjson, output: output) }
            _ = try Exporter.export(historyFolder: output, to: output + "/export")
            #expect(TestFiles.readText(output + "/export/sessions.ndjson") == expected, "export after \(order) differs from one run")

            _ = try server.connect().command("FLUSHALL")
            unlink(output + "-redis/manifest.ndjson.generation")
            for date in order { try run([date], sink: .redis, output: output + "-redis", redisURL: server.url) }
            #expect(try server.dumpSessions() == expectedRedis, "Redis after \(order) differs from one run")
        }
    }

    /// Two servers' logs of one day with the same base name in two folders
    /// (`logs/*/access-{date}.log.gz`) are two inputs: a visitor seen on both keeps both views
    /// when the days are run one at a time, as in one run over both (until 2026-12-05 their
    /// lines had the same positions, and a later day's rebuild kept one server's).
    @Test func twoFilesWithOneNameInTwoFoldersAreTwoInputs() throws {
        let folder = TestFiles.temporaryFolder("runs-over-time-names")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
        func line(_ time: String, _ path: String) -> String {
            #"198.51.100.9 - - [\#(time) +0000] "GET \#(path) HTTP/1.1" 200 10 "-" "\#(agent)" "-" "-""#
        }
        for path in ["/logs", "/logs/web1", "/logs/web2"] { mkdir(folder + path, 0o755) }
        TestFiles.gzip(line("01/Mar/2024:10:00:00", "/from-web1") + "\n", to: folder + "/logs/web1/access-2024-03-01.log.gz")
        TestFiles.gzip(line("01/Mar/2024:10:05:00", "/from-web2") + "\n", to: folder + "/logs/web2/access-2024-03-01.log.gz")
        TestFiles.gzip(line("02/Mar/2024:10:00:00", "/day-two") + "\n", to: folder + "/logs/web1/access-2024-03-02.log.gz")
        TestFiles.gzip("", to: folder + "/logs/web2/access-2024-03-02.log.gz")
        for date in ["2024-03-01", "2024-03-02"] { TestFiles.gzip("", to: "\(folder)/events-\(date).ndjson.gz") }
        TestFiles.write(folder + "/pipeline.yaml", TrafficGenerator(seed: 1).pipelineFile(logPaths: ["logs/*/access-{date}.log.gz"], eventPaths: ["events-{date}.ndjson.gz"], schema: "enhanced"))
        let all = ["2024-03-01", "2024-03-02"]
        let single = folder + "/single"
        #expect(try Self.run(folder + "/pipeline.yaml", days: all, sink: .ndjson, output: single).exitStatus == .success)
        let expected = try #require(TestFiles.readText(single + "/sessions.ndjson"))
        // One session of the visitor's two views on day one (the fingerprint is the same).
        #expect(expected.contains("\"page_views\":2"), "\(expected)")
        for order in [all, all.reversed(), [all[0], all[1], all[0]]] {
            let output = folder + "/daily-" + order.joined(separator: "-") + "-\(order.count)"
            for date in order { #expect(try Self.run(folder + "/pipeline.yaml", days: [date], sink: .ndjson, output: output).exitStatus == .success) }
            _ = try Exporter.export(historyFolder: output, to: output + "/export")
            #expect(TestFiles.readText(output + "/export/sessions.ndjson") == expected, "export after \(order) differs from one run")
        }
    }

    /// True when some session hash of a Redis dump starts on one UTC day and ends on the next.
    static func crossesMidnight(_ dump: String) -> Bool {
        var created: Int64?
        for line in dump.split(separator: "\n") {
            if line.hasPrefix("  created_at=") { created = Int64(line.dropFirst(13)) }
            if line.hasPrefix("  session_end="), let start = created, let end = Int64(line.dropFirst(14)),
               start / 86_400_000 != end / 86_400_000 { return true }
            if !line.hasPrefix("  ") { created = nil }
        }
        return false
    }

    /// The value of a top-level key in one of funnel's own NDJSON lines (string or number).
    static func field(_ name: String, in line: Substring) -> String {
        guard let range = line.firstRange(of: "\"\(name)\":") else { return "" }
        var rest = line[range.upperBound...]
        if rest.first == "\"" {
            rest = rest.dropFirst()
            return String(rest.prefix { $0 != "\"" })
        }
        return String(rest.prefix { $0.isNumber || $0 == "-" })
    }
}
