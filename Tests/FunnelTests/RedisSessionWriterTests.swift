import Foundation
import FunnelCore
import FunnelTestSupport
import FunnelWriters
import Testing

/// Every test here talks to its own real `redis-server` (see `RedisServer`), so they can run
/// in parallel; nothing is mocked.
struct RedisSessionWriterTests {
    // MARK: - Commands

    @Test func exactCommandsForASession() {
        let session = SessionRecord(
            id: "abc123", start: 1_704_067_200_000,
            fields: [Field("utm_source", .string("google")), Field("donation_completed", .bool(true)),
                     Field("donation_amount", .amount(Amount(micros: 12_500_000))), Field("created_at", .integer(1_704_067_200_000))],
            events: [EventRecord(name: "PageView", timestamp: 1_704_067_200_000),
                     EventRecord(name: "Purchase", properties: [Field("value", .amount(Amount(micros: 12_500_000)))], timestamp: 1_704_067_260_000)])
        let list = RedisSessionCommands.commands(for: session, layout: RedisKeyLayout(), sortedSet: false, ttlSeconds: nil)
        #expect(list.map(Self.words) == [
            ["MULTI"],
            ["DEL", "sess:abc123", "events:sess:abc123"],
            ["HSET", "sess:abc123", "utm_source", "google", "donation_completed", "true", "donation_amount", "12.5",
             "created_at", "1704067200000"],
            ["RPUSH", "events:sess:abc123", #"{"event":"PageView","timestamp":1704067200000}"#,
             #"{"event":"Purchase","value":12.5,"timestamp":1704067260000}"#],
            ["EXEC"],
        ])

        let zset = RedisSessionCommands.commands(
            for: session, layout: RedisKeyLayout(prefix: "fn:", hashTags: true), sortedSet: true, ttlSeconds: 86_400)
        #expect(zset.map(Self.words) == [
            ["MULTI"],
            ["DEL", "fn:sess:{abc123}", "fn:events:sess:{abc123}"],
            ["HSET", "fn:sess:{abc123}", "utm_source", "google", "donation_completed", "true", "donation_amount", "12.5",
             "created_at", "1704067200000"],
            ["ZADD", "fn:events:sess:{abc123}", "1704067200000", #"{"event":"PageView","timestamp":1704067200000}"#,
             "1704067260000", #"{"event":"Purchase","value":12.5,"timestamp":1704067260000}"#],
            ["EXPIRE", "fn:sess:{abc123}", "86400"],
            ["EXPIRE", "fn:events:sess:{abc123}", "86400"],
            ["EXEC"],
        ])

        var quiet = session
        quiet.events = []
        let noEvents = RedisSessionCommands.commands(for: quiet, layout: RedisKeyLayout(), sortedSet: false, ttlSeconds: nil)
        #expect(noEvents.map { Self.words($0).first! } == ["MULTI", "DEL", "HSET", "EXEC"])
    }

    // MARK: - Writing

    @Test func writesTwoThousandSessionsAndReadsThemBack() throws {
        let server = try RedisServer()
        let sessions = Self.sessions(2000)
        let writer = try RedisSessionWriter(url: RedisURL(server.url, environment: [:]), sortedSet: false, ttlSeconds: nil)
        // Uneven calls, so batches straddle the caller's chunks.
        for chunk in stride(from: 0, to: sessions.count, by: 700) {
            try writer.write(Array(sessions[chunk..<min(chunk + 700, sessions.count)]))
        }
        try writer.finish()
        #expect(writer.sessionsWritten == 2000)
        try Self.expectStored(sessions, in: server)
        let keys = try server.connect().command("DBSIZE")
        #expect(keys == .integer(Int64(2000 + sessions.filter { !$0.events.isEmpty }.count)))
    }

    @Test(arguments: [false, true])
    func rewritingLeavesEveryKeyByteIdentical(sortedSet: Bool) throws {
        let server = try RedisServer()
        let url = try RedisURL(server.url, environment: [:])
        let sessions = Self.sessions(2000)
        let first = try RedisSessionWriter(url: url, sortedSet: sortedSet, ttlSeconds: 3600, batchSize: 300)
        try first.write(sessions)
        try first.finish()
        let before = try Self.dumpEveryKey(server)
        let textBefore = try server.dump()

        let second = try RedisSessionWriter(url: url, sortedSet: sortedSet, ttlSeconds: 3600, batchSize: 128)
        try second.write(sessions.reversed())
        try second.finish()
        let after = try Self.dumpEveryKey(server)
        #expect(before.count == 2000 + sessions.filter { !$0.events.isEmpty }.count)
        #expect(before == after)
        #expect(textBefore == (try server.dump()))
    }

    @Test func dumpIsCanonicalText() throws {
        let server = try RedisServer()
        let session = SessionRecord(
            id: "s1", start: 5,
            fields: [Field("utm_source", .string("a\nb")), Field("country", .string("DE"))],
            events: [EventRecord(name: "PageView", timestamp: 7), EventRecord(name: "PageView", timestamp: 5)])
        let writer = try RedisSessionWriter(
            url: RedisURL(server.url, environment: [:]), layout: RedisKeyLayout(prefix: "t:"), sortedSet: true, ttlSeconds: 60)
        try writer.write([session])
        #expect(try server.dump() == """
            t:events:sess:s1 zset ttl
              5 {"event":"PageView","timestamp":5}
              7 {"event":"PageView","timestamp":7}
            t:sess:s1 hash ttl
              country=DE
              utm_source=a\\x0Ab

            """)
    }

    // MARK: - Failures

    @Test func wrongPasswordFailsAtOnceWithoutShowingIt() throws {
        let server = try RedisServer(arguments: ["--requirepass", "right-horse-battery"])
        let url = try RedisURL("redis://:wrong-staple-42@127.0.0.1:\(server.port)/0", environment: [:])
        // A refused login is not retried: no retry notice, no attempts counted. (Counted, not
        // timed: a bound on the clock failed here only on a loaded machine, and tests time
        // nothing.)
        var notices: [String] = []
        let writer = try RedisSessionWriter(url: url, sortedSet: false, ttlSeconds: nil, notice: { notices.append($0) })
        let message = Self.failure { try writer.write(Self.sessions(3)) }
        #expect(notices.isEmpty, "a refused login is not retried: \(notices)")
        #expect(!message.contains("attempts"), "\(message)")
        #expect(message.contains("WRONGPASS"))
        #expect(message.contains("redis://:***@127.0.0.1:\(server.port)/0"))
        #expect(!message.contains("wrong-staple-42") && !message.contains("right-horse-battery"))

        let anonymous = try RedisSessionWriter(url: RedisURL(server.url, environment: [:]), sortedSet: false, ttlSeconds: nil)
        let noAuth = Self.failure { try anonymous.write(Self.sessions(1)) }
        #expect(noAuth.contains("requires a password") && noAuth.contains("REDIS_PASSWORD"))

        let fromEnvironment = try RedisSessionWriter(
            url: RedisURL(server.url, environment: ["REDIS_PASSWORD": "right-horse-battery"]), sortedSet: false, ttlSeconds: nil)
        try fromEnvironment.write(Self.sessions(5))
        #expect(fromEnvironment.sessionsWritten == 5)
    }

    @Test func noServerFailsWithinSecondsNamingTheAddress() throws {
        let unreachable = try UnreachablePort()
        defer { unreachable.release() }
        let port = unreachable.port
        var notices: [String] = []
        let url = try RedisURL("redis://127.0.0.1:\(port)/0", environment: [:])
        let writer = try RedisSessionWriter(
            url: url, sortedSet: false, ttlSeconds: nil, retry: RedisRetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(50)),
            notice: { notices.append($0) })
        let message = Self.failure { try writer.write(Self.sessions(10)) }
        // Three retries, each announced; the waits the message sums (under a second) are the
        // bound.
        #expect(notices.count == 3, "\(notices)")
        #expect(message.hasPrefix("Redis at redis://127.0.0.1:\(port)/0 is unreachable after 4 attempts over 0."))
        #expect(message.hasSuffix(": Connection refused"))
        #expect(writer.sessionsWritten == 0)
    }

    @Test func defaultPolicyGivesUpAfterEightAttempts() throws {
        let unreachable = try UnreachablePort()
        defer { unreachable.release() }
        let port = unreachable.port
        let writer = try RedisSessionWriter(
            url: RedisURL("redis://127.0.0.1:\(port)/0", environment: [:]), sortedSet: false, ttlSeconds: nil)
        let message = Self.failure { try writer.write(Self.sessions(1)) }
        #expect(message.hasPrefix("Redis at redis://127.0.0.1:\(port)/0 is unreachable after 8 attempts over 12."))
    }

    @Test func errorInsideTheTransactionFailsAtOnceNamingTheSession() throws {
        // maxmemory 1 byte: DEL still runs, HSET is refused with -OOM when queued.
        let server = try RedisServer(arguments: ["--maxmemory", "1", "--maxmemory-policy", "noeviction"])
        var notices: [String] = []
        let writer = try RedisSessionWriter(url: RedisURL(server.url, environment: [:]), sortedSet: false, ttlSeconds: nil,
                                            notice: { notices.append($0) })
        let message = Self.failure { try writer.write(Self.sessions(3)) }
        #expect(notices.isEmpty, "a refused command is not retried: \(notices)")
        #expect(!message.contains("attempts"), "\(message)")
        #expect(message.contains("out of memory") && message.contains("OOM") && message.contains("session 0000000000000000"))
        #expect(message.contains("OOM command not allowed when used memory > 'maxmemory'; raise Redis's maxmemory or free memory, then run the same days again"), "\(message)")
    }

    /// A refusal's remedy by its code; an `OOM` that aborted a transaction is an `OOM` (rv74a:
    /// said as "rejected EXEC", without what to do).
    @Test func aRefusalIsSaidWithWhatToDo() {
        #expect(RedisError.remedy("EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.").contains("raise Redis's maxmemory"))
        #expect(RedisError.remedy("EXECABORT Transaction discarded because of previous errors.") == "")
        #expect(RedisError.remedy("NOPERM this user has no permissions to run the 'set' command").contains("ACL SETUSER"))
        #expect(RedisError.remedy("READONLY You can't write against a read only replica.").contains("primary"))
        // rv76b: refused in the middle of a run, these were said in Redis's words alone.
        #expect(RedisError.remedy("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.").contains("cannot save its snapshot"))
        #expect(RedisError.remedy("ERR max number of clients reached").contains("raise maxclients"))
        #expect(RedisError.remedy("ERR unknown command 'FOO'").contains("rename-command"))
        #expect(RedisError.remedy("ERR wrong number of arguments for 'get' command") == "")
        // rv76b: the refusal of a renamed EVAL quoted the whole release script in a warning.
        #expect(RedisError.advised("ERR unknown command 'EVAL', with args beginning with: 'if redis.call(\\'get\\', KEYS[1]) == ARGV[1] then' ")
            == "ERR unknown command 'EVAL'" + RedisError.remedy("ERR unknown command 'EVAL'"))
        #expect(RedisError.clause("NOPERM this user has no permissions.") == "NOPERM this user has no permissions")
        #expect(RedisError.remedy("ERR Unknown Redis command called from script script: e9f69f2b, on @user_script:1.").contains("rename-command"))
    }

    /// The sent-session notes' refusal is said as every refusal is, without the ids Redis
    /// quotes and with what to do (rv77d: a renamed `SADD` put visitor and session ids into
    /// the cron mail).
    @Test func theSentNotesRefusalQuotesNoIds() throws {
        let server = try RedisServer(arguments: ["--rename-command", "SADD", "SADD_RENAMED_5"])
        defer { server.stop() }
        let journal = SentSessionsJournal(url: try RedisURL(server.url, environment: [:]), key: "funnel:sent",
                                          retry: RedisRetryPolicy(maxAttempts: 1, initialDelay: .milliseconds(1), maxDelay: .milliseconds(1), maxTotalWait: .seconds(1)))
        do {
            try journal.add([(visitor: "visitor-secret-5", id: "session-secret-5")])
            Issue.record("SADD was expected to be refused")
        } catch {
            #expect(error.message.contains("unknown command 'SADD'") && error.message.contains("rename-command"), "\(error.message)")
            #expect(!error.message.contains("secret-5"), "\(error.message)")
        }
    }

    /// A `SELECT` refused by a renamed command or an ACL says what to do, as other refusals
    /// do (it said Redis's words alone).
    @Test func aSelectRefusedSaysWhatToDo() throws {
        let server = try RedisServer(arguments: ["--rename-command", "SELECT", "SELECT_RENAMED_5"])
        defer { server.stop() }
        do {
            _ = try RedisConnection(url: RedisURL("redis://127.0.0.1:\(server.port)/2", environment: [:]))
            Issue.record("SELECT was expected to be refused")
        } catch {
            let message = "\(error)"
            #expect(message.contains("refused SELECT 2") && message.contains("rename-command"), "\(message)")
        }
    }

    /// A write refused for want of replicas says what to do (rv76b: Redis's words alone).
    @Test func aWriteRefusedForWantOfReplicasSaysWhatToDo() throws {
        let server = try RedisServer(arguments: ["--min-replicas-to-write", "1"])
        let writer = try RedisSessionWriter(url: RedisURL(server.url, environment: [:]), sortedSet: false, ttlSeconds: nil)
        let message = Self.failure { try writer.write(Self.sessions(2)) }
        #expect(message.contains("NOREPLICAS") && message.contains("bring them back or lower it, then run the same command again"), "\(message)")
    }

    @Test func rejectsANonPositiveTTL() throws {
        #expect(throws: SinkError.self) {
            _ = try RedisSessionWriter(url: RedisURL("redis://", environment: [:]), sortedSet: false, ttlSeconds: 0)
        }
    }

    // MARK: - Transient faults

    @Test func busyScriptIsWaitedOut() throws {
        let server = try RedisServer(arguments: ["--busy-reply-threshold", "50"])
        let scriptRunning = DispatchSemaphore(value: 0)
        let scriptDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let connection = try? server.connect()
            scriptRunning.signal()
            _ = try? connection?.command(
                "EVAL", "local s = redis.call('TIME')[1] while redis.call('TIME')[1] - s < 2 do end return 1", "0")
            scriptDone.signal()
        }
        scriptRunning.wait()
        Thread.sleep(forTimeInterval: 0.3)
        let writer = try RedisSessionWriter(
            url: RedisURL(server.url, environment: [:]), sortedSet: false, ttlSeconds: nil,
            retry: RedisRetryPolicy(maxAttempts: 40, initialDelay: .milliseconds(50), maxDelay: .milliseconds(200)))
        let sessions = Self.sessions(50)
        try writer.write(sessions)
        scriptDone.wait()
        try Self.expectStored(sessions, in: server)
    }

    @Test func lostConnectionBetweenWritesIsReopened() throws {
        let server = try RedisServer()
        let writer = try RedisSessionWriter(
            url: RedisURL(server.url, environment: [:]), sortedSet: false, ttlSeconds: nil,
            retry: RedisRetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(20)))
        let sessions = Self.sessions(400)
        try writer.write(Array(sessions[..<200]))
        server.kill()
        try server.start()
        try writer.write(Array(sessions[200...]))  // the old connection is dead: EOF or EPIPE, then reconnect
        #expect(writer.sessionsWritten == 400)
        try Self.expectStored(Array(sessions[200...]), in: server)
    }

    @Test func killedAndRestartedServerMidLoadCompletesTheLoad() throws {
        let sessions = Self.sessions(4000)
        let totalKeys = 4000 + sessions.filter { !$0.events.isEmpty }.count
        // A load the kill missed (its watcher starved until the load was over, on a loaded
        // machine; rv79a) is loaded again into a new server, up to three times.
        var round = try Self.loadKilledMidway(sessions)
        for _ in 1..<3 where round.killedAt.map({ $0 >= totalKeys }) ?? true {
            round.server.stop()
            round = try Self.loadKilledMidway(sessions)
        }
        let (server, writer, killedAt, startError) = round
        defer { server.stop() }
        #expect(startError == nil)
        let killed = try #require(killedAt, "the server was never killed")
        #expect(killed < totalKeys, "the kill must land mid-load")
        #expect(writer.sessionsWritten == 4000)
        #expect(try server.connect().command("DBSIZE") == .integer(Int64(totalKeys)))
        try Self.expectStored(sessions, in: server)
    }

    /// `sessions` loaded into a new server that a watcher kills with SIGKILL once it holds
    /// 400 keys, and starts again: AOF with fsync always, so whatever Redis confirmed survives
    /// the kill, and after the restart the database must hold every session exactly once.
    private static func loadKilledMidway(_ sessions: [SessionRecord]) throws
        -> (server: RedisServer, writer: RedisSessionWriter, killedAt: Int?, startError: String?) {
        let server = try RedisServer(arguments: ["--appendonly", "yes", "--appendfsync", "always"])
        let killer = Killer()
        // A thread of its own: dispatch's pool can be saturated by parallel tests that block,
        // and a watcher that starts late would kill the server after the load is over.
        Thread.detachNewThread {
            defer { killer.done.signal() }
            let watcher = try? server.connect()
            killer.watching.signal()
            guard let watcher else { return }
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if case .integer(let keys) = try? watcher.command("DBSIZE"), keys >= 400 {
                    server.kill()
                    killer.record(keys)
                    Thread.sleep(forTimeInterval: 0.3)
                    do { try server.start() } catch { killer.fail("\(error)") }
                    return
                }
                usleep(1000)
            }
        }
        let writer = try RedisSessionWriter(
            url: RedisURL(server.url, environment: [:]), sortedSet: false, ttlSeconds: nil, batchSize: 50,
            retry: RedisRetryPolicy(maxAttempts: 30, initialDelay: .milliseconds(20), maxDelay: .milliseconds(250)))
        killer.watching.wait()
        try writer.write(sessions)
        try writer.finish()
        killer.done.wait()
        return (server, writer, killer.keysAtKill, killer.startError)
    }

    // MARK: - Helpers

    private final class Killer: @unchecked Sendable {
        let watching = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var keys: Int?
        private var error: String?
        func record(_ keys: Int64) { lock.withLock { self.keys = Int(keys) } }
        func fail(_ error: String) { lock.withLock { self.error = error } }
        var keysAtKill: Int? { lock.withLock { keys } }
        var startError: String? { lock.withLock { error } }
    }

    /// Deterministic sessions of varied shape: some without events, amounts, booleans, text
    /// with JSON escapes, ids in a fixed 16-hex-digit form.
    static func sessions(_ count: Int) -> [SessionRecord] {
        (0..<count).map { index in
            let hex = String(index, radix: 16)
            let id = String(repeating: "0", count: 16 - hex.count) + hex
            let start = 1_704_067_200_000 + Int64(index) * 1000
            let eventCount = index % 5 == 0 ? 0 : index % 7 + 1
            var events = (0..<eventCount).map { EventRecord(name: "PageView", timestamp: start + Int64($0) * 500) }
            if index % 4 == 1 {
                events.append(EventRecord(
                    name: "Purchase", properties: [Field("value", .amount(Amount(micros: Int64(index) * 10_000)))],
                    timestamp: start + 10_000))
            }
            return SessionRecord(
                id: id, start: start,
                fields: [
                    Field("utm_source", .string(index % 3 == 0 ? "google" : "news \"letter\" ✉︎")),
                    Field("landing_page", .string("/page/\(index % 11)")),
                    Field("donation_completed", .bool(index % 4 == 1)),
                    Field("donation_amount", .amount(Amount(micros: Int64(index % 4 == 1 ? index * 10_000 : 0)))),
                    Field("created_at", .integer(start)),
                ],
                events: events)
        }
    }

    static func expectStored(_ sessions: [SessionRecord], in server: RedisServer, layout: RedisKeyLayout = RedisKeyLayout()) throws {
        let connection = try server.connect()
        var mismatches = 0
        for session in sessions {
            let hash = try connection.command([Array("HGETALL".utf8), Array(layout.sessionKey(session.id).utf8)])
            let expectedHash = RedisReply.array(session.fields.flatMap { [.string(Array($0.name.utf8)), .string(Array($0.value.text.utf8))] })
            let list = try connection.command([Array("LRANGE".utf8), Array(layout.eventsKey(session.id).utf8), Array("0".utf8), Array("-1".utf8)])
            let expectedList = RedisReply.array(session.events.map { .string($0.json) })
            if hash != expectedHash || list != expectedList {
                mismatches += 1
                if mismatches <= 3 { Issue.record("session \(session.id): got \(hash) / \(list)") }
            }
        }
        #expect(mismatches == 0)
    }

    /// `DUMP` of every key: Redis's own serialization, so equal bytes mean equal values and
    /// equal encodings.
    static func dumpEveryKey(_ server: RedisServer) throws -> [String: [UInt8]] {
        let connection = try server.connect()
        guard case .array(let keys) = try connection.command("KEYS", "*") else { return [:] }
        var dumps: [String: [UInt8]] = [:]
        for case .string(let key) in keys {
            guard case .string(let value) = try connection.command([Array("DUMP".utf8), key]) else { continue }
            dumps[String(decoding: key, as: UTF8.self)] = value
        }
        return dumps
    }

    /// A loopback port with nothing listening: a server's, after stopping it.
    static func failure(_ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("expected a failure")
            return ""
        } catch {
            return "\(error)"
        }
    }

    static func words(_ command: [[UInt8]]) -> [String] { command.map { String(decoding: $0, as: UTF8.self) } }
}
