import FunnelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// funnel killed with SIGKILL at random points of a Redis load and of a flat-file write
/// (issue 5, SPEC 8): no session in Redis is ever half-written (one transaction each), no
/// flat file is ever half-written (temporary name, fsync, rename), and a re-run gives exactly
/// the clean result. Half of the kills land at a random moment of the run, half at a random
/// moment after the writing has visibly begun, so both phases are hit whatever the machine's
/// speed.
@Suite(.serialized)
struct CrashSafetyTests {
    /// Generated traffic (at 1,000 visitors, a second or so of work for a debug build) and its
    /// pipeline (also used by `RefusedThreadTests`).
    final class Inputs {
        let folder = TestFiles.temporaryFolder("crash-inputs")
        var pipeline: String { folder + "/pipeline.yaml" }

        init(visitors: Int = 1000, seed: UInt64 = 5_0505) {
            var generator = TrafficGenerator(seed: seed)
            let traffic = generator.generate(visitors: visitors)
            traffic.writeFiles(to: folder)
            TestFiles.write(pipeline, """
                sources:
                  - kind: access_log
                    format: '\(TrafficGenerator.logFormat)'
                    visitor_cookie: vid
                    session_cookie: sid
                    paths: ["web1.log.gz", "web2.log.gz"]
                  - kind: ndjson
                    paths: ["events.ndjson.gz"]
                identity:
                  salt: "\(generator.salt)"
                schema: enhanced
                sink:
                  kind: ndjson
                  output: out
                """)
        }

        deinit { TestFiles.remove(folder) }
    }

    static let kills = 5

    private func funnel(_ arguments: [String]) throws -> BackgroundCommand {
        try #require(TestFiles.exists(CommandLineTests.binary), "no funnel executable at \(CommandLineTests.binary); build it or set FUNNEL_BINARY")
        return try BackgroundCommand(CommandLineTests.binary, arguments, environment: ["REDIS_PASSWORD": nil])
    }

    private func run(_ arguments: [String]) throws -> CommandResult {
        try funnel(arguments).wait(timeout: .seconds(30))
    }

    /// The kills' random moments, from a seed each failure message names, so that a failing
    /// series can be played again: `FUNNEL_CRASH_SEED=<seed> swift test --filter CrashSafety`.
    struct SeededRandom: RandomNumberGenerator {
        let seed: UInt64
        private var state: UInt64

        init() {
            let given = getenv("FUNNEL_CRASH_SEED").flatMap { UInt64(String(cString: $0)) }
            seed = given ?? UInt64.random(in: 0...UInt64.max)
            state = seed
        }

        /// SplitMix64.
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// What a kill did: its plan and outcome for failure messages, and whether it landed on a
    /// running process (a series whose kills all came after the run's end tested no crash).
    struct Kill: CustomStringConvertible {
        var description: String
        var landed: Bool
    }

    /// Kills `command` after a random share of `typical` seconds (even `round`s), or a random
    /// few milliseconds after `writing()` first holds (odd ones).
    private func kill(_ command: BackgroundCommand, round: Int, typical: Double, writing: () -> Bool,
                      random: inout SeededRandom) -> Kill {
        let plan: String
        if round % 2 == 0 {
            let delay = Double.random(in: 0.05...1.0, using: &random) * typical
            plan = "after \(Int(delay * 1000)) ms"
            let deadline = ContinuousClock.now + .milliseconds(Int(delay * 1000))
            while ContinuousClock.now < deadline && command.isRunning { usleep(1_000) }
        } else {
            let extra = Int.random(in: 0...40, using: &random)
            plan = "\(extra) ms after writing began"
            while command.isRunning && !writing() { usleep(500) }
            usleep(useconds_t(extra * 1000))
        }
        let wasRunning = command.isRunning
        command.kill(SIGKILL)
        let result = command.wait(timeout: .seconds(30))
        return Kill(description: "seed \(random.seed), kill \(plan): \(wasRunning ? "killed, status \(result.status)" : "had already exited with \(result.status)")",
                    landed: wasRunning)
    }

    // MARK: - Flat files

    /// A flat-file sink writes the sessions a run created or changed; `funnel export` writes
    /// the whole state. After a kill the final name holds the old file or a complete new one,
    /// and after a re-run the exported state equals a clean run's.
    @Test func aKilledFileWriteLeavesTheOldFileOrTheNewOneAndAReRunGivesTheCleanResult() throws {
        let inputs = Inputs()
        let cleanFolder = TestFiles.temporaryFolder("crash-clean")
        defer { TestFiles.remove(cleanFolder) }
        let started = ContinuousClock.now
        let clean = try run(["run", inputs.pipeline, "--output", cleanFolder, "--progress", "never"])
        let typical = Self.seconds(ContinuousClock.now - started)
        try #require(clean.status == 0, "\(clean)")
        let cleanSessions = try #require(TestFiles.read(cleanFolder + "/sessions.ndjson"))
        try #require(cleanSessions.count > 1 << 20, "the clean output is too small to be written in several pieces")
        let oldSessions = Array(#"{"session_id":"from-an-earlier-run","events":[]}"#.utf8) + [0x0A]

        var random = SeededRandom()
        var landed = 0
        for round in 0..<Self.kills {
            let output = TestFiles.temporaryFolder("crash-files")
            defer { TestFiles.remove(output) }
            TestFiles.write(output + "/sessions.ndjson", oldSessions)

            let command = try funnel(["run", inputs.pipeline, "--output", output, "--progress", "never"])
            let what = kill(command, round: round, typical: typical, writing: {
                Self.files(in: output).contains { $0.hasPrefix("sessions.ndjson.tmp-") && Self.size(output + "/" + $0) > 0 }
            }, random: &random)
            if what.landed { landed += 1 }

            // The final name holds a complete file: the old one or the new one.
            let after = TestFiles.read(output + "/sessions.ndjson")
            let whole = after == oldSessions || after == cleanSessions
            #expect(whole, "round \(round), \(what): sessions.ndjson is neither the old nor the new file (\(after?.count ?? -1) bytes)")

            let rerun = try run(["run", inputs.pipeline, "--output", output, "--progress", "never"])
            #expect(rerun.status == 0, "round \(round), \(what): \(rerun)")
            let export = try run(["export", inputs.pipeline, "--output", output, "--to", output + "/export"])
            #expect(export.status == 0, "round \(round), \(what): \(export)")
            let state = TestFiles.read(output + "/export/sessions.ndjson")
            let same = state == cleanSessions
            #expect(same, "round \(round), \(what): after the re-run the state (\(state?.count ?? -1) bytes) differs from a clean run (\(cleanSessions.count))")
            let leftovers = Self.files(in: output).filter { $0.contains(".tmp-") }
            #expect(leftovers.isEmpty, "round \(round), \(what): temporary files left after the re-run: \(leftovers)")
        }
        #expect(landed > 0, "seed \(random.seed): no kill of \(Self.kills) landed on a running run")
    }

    // MARK: - Redis

    @Test func aKilledRedisLoadLeavesWholeSessionsAndAReRunGivesTheCleanResult() throws {
        let inputs = Inputs()
        let cleanServer = try RedisServer()
        defer { cleanServer.stop() }
        let cleanFolder = TestFiles.temporaryFolder("crash-redis-clean")
        defer { TestFiles.remove(cleanFolder) }
        let redis = { (server: RedisServer, output: String) in
            ["run", inputs.pipeline, "--sink", "redis", "--redis-url", server.url, "--output", output, "--progress", "never"]
        }
        let started = ContinuousClock.now
        let clean = try run(redis(cleanServer, cleanFolder))
        let typical = Self.seconds(ContinuousClock.now - started)
        try #require(clean.status == 0, "\(clean)")
        let cleanKeys = try Self.sessionKeys(cleanServer.dump())
        try #require(cleanKeys.count > 1000)

        let server = try RedisServer()
        defer { server.stop() }
        let probe = try server.connect()
        var random = SeededRandom()
        var landed = 0
        for round in 0..<Self.kills {
            _ = try probe.command("FLUSHALL")
            let output = TestFiles.temporaryFolder("crash-redis")
            defer { TestFiles.remove(output) }
            let command = try funnel(redis(server, output))
            // Writing has begun once a session key exists (a run writes other keys first).
            let what = kill(command, round: round, typical: typical, writing: {
                guard case .array(let reply)? = try? probe.command("SCAN", "0", "MATCH", "sess:*", "COUNT", "100000"), reply.count == 2,
                      case .array(let found) = reply[1] else { return false }
                return !found.isEmpty
            }, random: &random)
            if what.landed { landed += 1 }

            // Every session present is whole and equal to the clean one: both keys, all fields.
            let keys = try Self.sessionKeys(server.dump())
            var wrong: [String] = []
            for (key, block) in keys {
                if cleanKeys[key] != block { wrong.append("\(key) differs from the clean load") }
                let partner = key.hasPrefix("sess:") ? "events:" + key : String(key.dropFirst("events:".count))
                if keys[partner] == nil { wrong.append("\(key) without \(partner)") }
            }
            #expect(wrong.isEmpty, "round \(round), \(what): \(wrong.count) half-written sessions, e.g. \(wrong.prefix(3))")

            let rerun = try run(redis(server, output))
            #expect(rerun.status == 0, "round \(round), \(what): \(rerun)")
            let again = try Self.sessionKeys(server.dump())
            let same = again == cleanKeys
            #expect(same, "round \(round), \(what): the re-run left \(again.count) session keys, the clean load \(cleanKeys.count)")
        }
        #expect(landed > 0, "seed \(random.seed): no kill of \(Self.kills) landed on a running load")
    }

    // MARK: - Helpers

    /// The `sess:*` and `events:sess:*` entries of a `RedisServer.dump()`, key to its whole
    /// text; other keys (funnel's run history) are not sessions.
    static func sessionKeys(_ dump: String) throws -> [String: String] {
        var result: [String: String] = [:]
        var key: String?
        var block = ""
        func close() {
            if let key, key.hasPrefix("sess:") || key.hasPrefix("events:sess:") { result[key] = block }
        }
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("  ") {
                block += line + "\n"
            } else {
                close()
                key = String(line.split(separator: " ").first ?? "")
                block = line + "\n"
            }
        }
        close()
        return result
    }

    static func files(in folder: String) -> [String] {
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
