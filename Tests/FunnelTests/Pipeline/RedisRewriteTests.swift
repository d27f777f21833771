import Foundation
import FunnelPipeline
import FunnelTestSupport
import Testing

/// A long run into a live Redis rebuilds a returning visitor with all its sessions; it sends a
/// session again only when the rebuild changed it.
struct RedisRewriteTests {
    /// Watches every command a real redis-server receives (`redis-cli monitor`) during a run
    /// that flushes every 500 records, and checks that no session's transaction repeats the
    /// one sent for it before, while Redis ends up exactly as after one flush at the end.
    @Test func aRebuildSendsOnlyTheSessionsItChanged() throws {
        let folder = TestFiles.temporaryFolder("redis-rewrites")
        defer { TestFiles.remove(folder) }
        var generator = TrafficGenerator(seed: 20_240_302)
        let traffic = generator.writeDay(visitors: 1000, to: folder)
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try server.connect()

        func run(chunkRecords: Int?, output: String) throws {
            var options = RunOptions()
            options.sink = .redis
            options.redisURL = server.url
            options.output = folder + "/" + output
            options.progress = .never
            options.chunkRecords = chunkRecords
            let summary = try Runner(pipeline: PipelineLoader.load(path: folder + "/pipeline.yaml"), options: options, report: { _ in }).run()
            #expect(summary.exitStatus == .success)
        }
        try run(chunkRecords: nil, output: "whole")
        let whole = try server.dumpSessions()
        _ = try redis.command("FLUSHALL")

        let log = folder + "/monitor.txt"
        let monitor = try BackgroundCommand("/bin/sh", ["-c", "exec redis-cli -p \(server.port) monitor > '\(log)'"])
        defer { monitor.kill() }
        try waitUntil("redis-cli monitor is attached") {
            guard case .string(let clients) = try redis.command("CLIENT", "LIST") else { return false }
            return String(decoding: clients, as: UTF8.self).contains("flags=O")
        }
        try run(chunkRecords: 500, output: "chunked")
        let end = "funnel-test-end-of-run"
        _ = try redis.command("ECHO", end)
        try waitUntil("the monitor log has the whole run") { TestFiles.readText(log)?.contains(end) == true }
        monitor.kill()
        _ = monitor.wait()

        #expect(try server.dumpSessions() == whole, "flushing early changed what Redis holds")
        let sent = try #require(TestFiles.readText(log)).split(separator: "\n")
        let writes = Self.sessionTransactions(sent)
        var last: [Substring: [Substring]] = [:]
        var repeats = 0
        var changed = 0
        for (key, commands) in writes {
            if let before = last[key] {
                if before == commands {
                    repeats += 1
                    if repeats <= 3 { Issue.record("\(key) was sent again unchanged") }
                } else {
                    changed += 1
                }
            }
            last[key] = commands
        }
        #expect(repeats == 0)
        // The run did rebuild sessions it had sent and sent the changed ones again; the last
        // write of every generated session stored it (a lone DEL deletes).
        #expect(changed > 0)
        #expect(last.values.filter { $0.count > 1 }.count == traffic.expected.count)
        #expect(writes.count == last.count + changed)
    }

    /// What the sessions of earlier nights are left as.
    enum EarlierNights: String, CaseIterable, CustomTestStringConvertible {
        /// Nothing in the way: a session a night leaves as it was is not sent again.
        case leftAsTheyAre
        /// `sink.ttl`: every write starts the keys' time again, so every session is sent.
        case withATTL
        /// A run that wrote to the history did not finish: its rows may list sessions it never
        /// sent (here one is deleted), so every session is sent, which repairs them.
        case afterAFailedRun
        var testDescription: String { rawValue }
    }

    /// A night that rebuilds visitors back from earlier nights (here each has a late line in
    /// its visit of the night before, which rebuilds it whole; until 2026-12-07 every visitor
    /// under `continue_visitor_records` was rebuilt whole when it came back) sends only the
    /// sessions it changed, as a flat-file run writes only those: until 2026-12-07 it sent
    /// every earlier session of theirs again each night (rv76a's tenth night, 30,000 visitors
    /// back every night: 1,170,000 sessions sent for 60,000 lines). A stored row keeps a digest of each session of its visitor
    /// (`VisitorRow.digests`), and a session whose digest is the stored one is left as it is;
    /// not with a TTL, nor while a run that wrote to the history is unfinished. Counted by the
    /// server's `MULTI`s (the sessions' transactions; the history uses none), and Redis ends
    /// as one run over the three nights leaves it.
    @Test(arguments: EarlierNights.allCases)
    func aNightSendsOnlyTheSessionsItChanged(_ earlier: EarlierNights) throws {
        let folder = TestFiles.temporaryFolder("redis-unchanged-\(earlier.rawValue)")
        defer { TestFiles.remove(folder) }
        let days = (1...3).map { String(format: "2024-03-%02d", $0) }
        for day in 1...3 { PlanPartsTests.night(day, visitors: 30, in: folder, late: .inTheVisit) }
        let pipeline = HeavyVisitorTests.pipeline(in: folder, warnAt: 1_000_000)
        if earlier == .withATTL {
            let text = try #require(TestFiles.readText(pipeline))
            TestFiles.write(pipeline, text.replacingOccurrences(of: "  output: out/", with: "  output: out/\n  ttl: 90d"))
        }
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try server.connect()
        func transactions() throws -> Int { try redis.infoNumber("commandstats", "cmdstat_multi:calls=") ?? 0 }
        var sent: [Int] = []
        var summaries: [RunSummary] = []
        for (index, day) in days.enumerated() {
            if index == 2, earlier == .afterAFailedRun {
                // Of the first night, a session its run listed and never sent.
                guard case .array(let keys) = try redis.command("KEYS", "sess:*"), case .string(let key)? = keys.first else {
                    Issue.record("no session keys")
                    return
                }
                _ = try redis.command([Array("DEL".utf8), key])
                _ = try redis.command("SET", "funnel:unfinished", "access-2024-02-01.log.gz")
            }
            _ = try redis.command("CONFIG", "RESETSTAT")
            let summary = try RunsOverTimeTests.run(pipeline, days: [day], sink: .redis, output: folder + "/nightly", redisURL: server.url)
            #expect(summary.exitStatus == .success, "\(day)")
            sent.append(try transactions())
            summaries.append(summary)
        }
        let nightly = try server.dumpSessions()
        let flat = try days.map { try RunsOverTimeTests.run(pipeline, days: [$0], sink: .ndjson, output: folder + "/flat").sessions }
        #expect(flat == [30, 60, 60], "each night's own sessions and the night before's, changed")
        #expect(summaries.map(\.rebuiltSessions) == [30, 60, 90], "every visitor rebuilt whole")
        // Every session of the rebuilt visitors, as before, where the stored digests are not
        // trusted: all nights with a TTL, the night after the failed run.
        let expected = switch earlier {
        case .leftAsTheyAre: flat
        case .withATTL: [30, 60, 90]
        case .afterAFailedRun: [30, 60, 90]
        }
        #expect(sent == expected)
        #expect(summaries.map(\.sessions) == expected, "the summary counts the sessions sent")
        _ = try redis.command("FLUSHALL")
        #expect(try RunsOverTimeTests.run(pipeline, days: days, sink: .redis, output: folder + "/one", redisURL: server.url).exitStatus == .success)
        #expect(try server.dumpSessions() == nightly)
    }

    /// After a run that wrote to the history and did not finish, a night that continues its
    /// visitors (it sends only their new sessions) keeps no digest of their earlier sessions in
    /// their rows (`HistoryPlanner.ContinuedDigests`): the stored ones may be of sessions the
    /// failed run never sent (here one is deleted). A later night that rebuilds them whole then
    /// sends those sessions, which repairs them, and Redis ends as one run over the nights
    /// leaves it.
    @Test func aContinuedVisitorAfterAFailedRunForgetsItsEarlierDigests() throws {
        let folder = TestFiles.temporaryFolder("redis-continued-failed")
        defer { TestFiles.remove(folder) }
        let days = (1...3).map { String(format: "2024-03-%02d", $0) }
        // Night 3 has a late line in each visitor's visit of night 2: they are rebuilt whole.
        for day in 1...3 { PlanPartsTests.night(day, visitors: 30, in: folder, late: day == 3 ? .inTheVisit : nil) }
        let pipeline = HeavyVisitorTests.pipeline(in: folder, warnAt: 1_000_000)
        let server = try RedisServer()
        defer { server.stop() }
        let redis = try server.connect()
        var summaries: [RunSummary] = []
        for (index, day) in days.enumerated() {
            if index == 1 {
                guard case .array(let keys) = try redis.command("KEYS", "sess:*"), case .string(let key)? = keys.first else {
                    Issue.record("no session keys")
                    return
                }
                _ = try redis.command([Array("DEL".utf8), key])
                _ = try redis.command("SET", "funnel:unfinished", "access-2024-02-01.log.gz")
            }
            // The failed run run again and finished: the rows' digests are trusted again.
            if index == 2 { _ = try redis.command("DEL", "funnel:unfinished") }
            summaries.append(try RunsOverTimeTests.run(pipeline, days: [day], sink: .redis, output: folder + "/nightly", redisURL: server.url))
        }
        #expect(summaries.map(\.exitStatus) == [.success, .success, .success])
        #expect(summaries.map(\.rebuiltSessions) == [30, 30, 90], "night 2 continues every visitor, night 3 rebuilds them whole")
        #expect(summaries.map(\.sessions) == [30, 30, 90], "night 3 sends the sessions of night 1 too: their digests were forgotten")
        let nightly = try server.dumpSessions()
        _ = try redis.command("FLUSHALL")
        #expect(try RunsOverTimeTests.run(pipeline, days: days, sink: .redis, output: folder + "/one", redisURL: server.url).exitStatus == .success)
        #expect(try server.dumpSessions() == nightly, "the session the failed run lost is written again")
    }

    /// The session transactions in a `MONITOR` log, in order: the `DEL` line naming the keys,
    /// and every command between `MULTI` and `EXEC` (the history's own writes are left out).
    private static func sessionTransactions(_ lines: [Substring]) -> [(key: Substring, commands: [Substring])] {
        var open: [Substring: [Substring]] = [:]
        var writes: [(key: Substring, commands: [Substring])] = []
        for line in lines {
            // 1796067686.800687 [0 127.0.0.1:44542] "MULTI"
            guard let bracket = line.range(of: "] ") else { continue }
            let client = line[line.firstIndex(of: "[")!..<bracket.lowerBound]
            let command = line[bracket.upperBound...]
            if command == "\"MULTI\"" {
                open[client] = []
            } else if command == "\"EXEC\"" {
                if let commands = open.removeValue(forKey: client), let del = commands.first, del.hasPrefix("\"DEL\" \"sess:") {
                    writes.append((del, commands))
                }
            } else if open[client] != nil {
                open[client]!.append(command)
            }
        }
        return writes
    }

    private func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while try !condition() {
            try #require(ContinuousClock.now <= deadline, "timed out waiting until \(what)")
            usleep(10_000)
        }
    }
}
