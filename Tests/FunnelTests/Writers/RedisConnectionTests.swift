import Foundation
import FunnelTestSupport
import FunnelWriters
import Glibc
import Testing

/// A long pipeline reaches the server while it is still being queued, and its replies still
/// come back in order.
struct RedisConnectionTests {
    /// Polls `key` on a second connection until it exists or `attempts` polls (10 ms apart)
    /// have passed.
    private func appears(_ key: String, on server: RedisServer, attempts: Int = 500) throws -> Bool {
        let observer = try server.connect()
        for _ in 0..<attempts {
            if case .integer(1) = try observer.command("EXISTS", key) { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func commandsPastTheThresholdAreSentBeforeAnyReplyIsRead() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let connection = try server.connect()
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
        // A few commands, far below the threshold: queued only.
        for index in 0..<3 { try connection.append([Array("SET".utf8), Array("early:\(index)".utf8), value]) }
        #expect(try !appears("early:0", on: server, attempts: 20), "a short pipeline is sent by readReply, not before")
        // Enough bytes to pass the threshold: the server gets them without a readReply.
        let count = RedisConnection.sendThreshold / value.count + 10
        for index in 0..<count { try connection.append([Array("SET".utf8), Array("late:\(index)".utf8), value]) }
        #expect(try appears("early:0", on: server))
        #expect(try appears("late:0", on: server))
        #expect(connection.pendingReplies == count + 3)
        for _ in 0..<(count + 3) { #expect(try connection.readReply() == .status("OK")) }
        #expect(try connection.command("DBSIZE") == .integer(Int64(count + 3)))
    }

    /// The checks a direct load makes of each session's replies without decoding them: nil
    /// for the expected status and for an `EXEC` whose commands all ran, the reply itself
    /// otherwise (another status, an error, an `EXEC` with an error inside).
    @Test func repliesAreCheckedWithoutDecodingWhenTheyAreTheExpectedOnes() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let connection = try server.connect()
        func send(_ words: String...) throws { try connection.append(words.map { Array($0.utf8) }) }
        try send("MULTI")
        try send("SET", "k", "text")
        try send("INCR", "k")
        try send("EXEC")
        try send("MULTI")
        try send("SET", "n", "1")
        try send("EXEC")
        try send("PING")
        try send("SET")
        #expect(try connection.readReply(unlessStatus: "OK") == nil)
        #expect(try connection.readReply(unlessStatus: "QUEUED") == nil)
        #expect(try connection.readReply(unlessStatus: "QUEUED") == nil)
        // INCR of a string fails inside EXEC: the array comes back with the error in it.
        guard case .array(let results)? = try connection.readReplyUnlessArrayWithoutErrors() else {
            Issue.record("an EXEC with a failed command was taken for a clean one")
            return
        }
        #expect(results.count == 2 && results[0] == .status("OK"))
        guard case .error = results[1] else {
            Issue.record("the failed INCR is not an error: \(results[1])")
            return
        }
        #expect(try connection.readReply(unlessStatus: "OK") == nil)
        // QUEUED is a status too, but not OK.
        #expect(try connection.readReply(unlessStatus: "OK") == .status("QUEUED"))
        #expect(try connection.readReplyUnlessArrayWithoutErrors() == nil)
        // PONG is neither; SET without arguments is an error, not an array.
        #expect(try connection.readReply(unlessStatus: "PON") == .status("PONG"))
        guard case .error(let message)? = try connection.readReplyUnlessArrayWithoutErrors() else {
            Issue.record("an error reply was taken for a clean EXEC")
            return
        }
        #expect(message.contains("wrong number of arguments"))
        #expect(connection.pendingReplies == 0)
    }
}

/// What a failing Redis says never holds the password, a retried fault gives up within its
/// bound of waiting, and a test process that dies takes no server with it for good (rv70a:
/// each of the three was left untested).
struct RedisFaultBoundsTests {
    /// A server whose `AUTH` is renamed away answers it with "ERR unknown command 'AUTH',
    /// with args beginning with: '<password>'": the message funnel gives has `***` instead.
    @Test func aReplyThatEchoesThePasswordIsScrubbed() throws {
        let server = try RedisServer(arguments: ["--rename-command", "AUTH", ""])
        defer { server.stop() }
        let password = "s3cret-\(getpid())"
        let url = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port), password: password)
        var message = ""
        do {
            let connection = try RedisConnection(url: url)
            _ = try connection.command("PING")
            Issue.record("the login was expected to fail")
        } catch {
            message = error.message
        }
        #expect(message.contains("unknown command") && message.contains("***"), "\(message)")
        #expect(!message.contains(password), "\(message)")
    }

    /// Waits are summed, and the next one that would pass `maxTotalWait` is not waited: the
    /// run gives up then, however many attempts are left.
    @Test func retriesStopAtTheirBoundOfWaiting() throws {
        let policy = RedisRetryPolicy(maxAttempts: 100, initialDelay: .milliseconds(40), maxDelay: .milliseconds(40),
                                      maxTotalWait: .milliseconds(130))
        var attempts = 0
        var notices: [String] = []
        var message = ""
        do {
            _ = try policy.run(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 1)), reset: {}, notice: { notices.append($0) }) { () throws(RedisError) -> Int in
                attempts += 1
                throw RedisError(.connection, "connection refused")
            }
        } catch {
            message = error.message
        }
        // 40 + 40 + 40 ms waited; a fourth wait would make 160 ms, past the 130 ms bound.
        #expect(attempts == 4 && notices.count == 3, "\(attempts) attempts, \(notices)")
        #expect(message.contains("is unreachable after 4 attempts"), "\(message)")
    }

    /// A server still loading its dataset (`LOADING`) is waited for up to `loadingWait`, its
    /// attempts not counted, and said once; past it, the run is told to wait for the load
    /// (rv76b: a 30 s load failed the run after 13 s, the eight attempts spent).
    @Test func aServerStillLoadingIsWaitedFor() throws {
        // About 4 s of loading: 20,000 keys at 200 us each, answering while it loads.
        let server = try RedisServer(arguments: ["--key-load-delay", "200", "--loading-process-events-interval-bytes", "1024"])
        defer { server.stop() }
        let admin = try server.connect()
        _ = try admin.command("EVAL", "for i = 1, 20000 do redis.call('SET', 'k' .. i, 'v') end", "0")
        #expect(try admin.command("SAVE") == .status("OK"))
        server.kill()
        try server.start(whileLoading: true)
        let url = try RedisURL(server.url)
        let few = RedisRetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(50), maxDelay: .milliseconds(200), maxTotalWait: .seconds(1),
                                   loadingWait: .seconds(60))
        var notices: [String] = []
        var connection: RedisConnection?
        let keys = try few.run(url: url, connection: &connection, notice: { notices.append($0) }) { live throws(RedisError) -> RedisReply in
            let reply = try live.command("DBSIZE")
            if case .error(let message) = reply { try RedisError.throwIfTransient(message, message) }
            return reply
        }
        #expect(keys == .integer(20_000))
        #expect(notices.count == 1 && notices[0].contains("is loading its dataset (LOADING); waiting for it"), "\(notices)")

        // A wait too short for the load: the message says to run again once it has loaded.
        server.kill()
        try server.start(whileLoading: true)
        var impatient = few
        impatient.loadingWait = .milliseconds(300)
        var message = ""
        do {
            connection = nil
            _ = try impatient.run(url: url, connection: &connection) { live throws(RedisError) -> RedisReply in
                let reply = try live.command("DBSIZE")
                if case .error(let message) = reply { try RedisError.throwIfTransient(message, message) }
                return reply
            }
        } catch {
            message = error.message
        }
        #expect(message.contains("was still loading its dataset after") && message.contains("once it has loaded"), "\(message)")
    }

    /// A server whose test process is gone (here: its owner file names a process that has
    /// ended) is stopped by the next test process's first server, and its folder removed.
    @Test func aServerWhoseTestProcessIsGoneIsStopped() throws {
        let orphan = try RedisServer()
        defer { orphan.stop() }
        let connection = try orphan.connect()
        #expect(try connection.command("PING") == .status("PONG"))
        // A process that has ended, its pid not reused this soon.
        let ended = try CommandRunner.run("/bin/sh", ["-c", "echo $$"], environment: [:], timeout: .seconds(10))
        let endedPid = try #require(Int32(ended.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let owner = orphan.directory.appendingPathComponent(RedisServer.ownerFile)
        let text = try String(contentsOf: owner, encoding: .utf8)
        let serverPid = try #require(text.split(separator: " ").last.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        try "\(endedPid) \(serverPid)\n".write(to: owner, atomically: true, encoding: .utf8)
        RedisServer.reapOrphans()
        #expect(!FileManager.default.fileExists(atPath: orphan.directory.path))
        var stopped = false
        for _ in 0..<200 where !stopped {
            stopped = (try? RedisConnection(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: orphan.port))).command("PING")) == nil
            if !stopped { usleep(10_000) }
        }
        #expect(stopped)
        // A server whose test process is alive (this one) is left alone.
        let live = try RedisServer()
        defer { live.stop() }
        RedisServer.reapOrphans()
        #expect(try live.connect().command("PING") == .status("PONG"))
    }
}
