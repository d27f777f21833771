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
