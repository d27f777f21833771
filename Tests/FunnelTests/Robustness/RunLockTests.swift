import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import FunnelWriters
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The Redis run lock over a connection that does not last: taken again when its `SET`'s
/// reply was lost, released over a new connection when the old one was killed, and named in a
/// warning when it cannot be released at all.
@Suite(.serialized)
struct RunLockTests {
    static let quick = RedisRetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(10), maxDelay: .milliseconds(20), maxTotalWait: .seconds(1))

    static var token: String {
        hostName + " \(getpid()) \(ProcessLiveness.startTime(of: getpid()) ?? 0)"
    }

    static var hostName: String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A lock naming a live process of this host that is not its holder (the pid given to
    /// another process since: the holder's start time differs) is taken over; one naming the
    /// live holder is not; one in the old form (host and pid) is judged by the pid alone (a
    /// review: a reused pid refused every run for up to a day).
    @Test func aLockWhosePidWasReusedIsTakenOver() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let folder = TestFiles.temporaryFolder("run-lock-reused")
        defer { TestFiles.remove(folder) }
        let admin = try server.connect()
        let parent = getppid()
        let started = try #require(ProcessLiveness.startTime(of: parent))
        _ = try admin.command("SET", "funnel:lock", "\(Self.hostName) \(parent) \(started + 1)")
        let lock = try RunLock(folder: folder)
        #expect(try lock.lockRedis(url: RedisURL(server.url), prefix: "", retry: Self.quick) == nil)
        #expect(try admin.command("GET", "funnel:lock") == .string(Array(Self.token.utf8)))
        #expect(lock.release(retry: Self.quick) == nil)
        for holder in ["\(Self.hostName) \(parent) \(started)", "\(Self.hostName) \(parent)"] {
            _ = try admin.command("SET", "funnel:lock", holder)
            let other = try RunLock(folder: folder)
            #expect(throws: PipelineError.self, "\(holder)") { _ = try other.lockRedis(url: RedisURL(server.url), prefix: "", retry: Self.quick) }
            other.release(retry: Self.quick)
        }
    }

    /// Until 2026-12-05 the release went over the lock's own connection with `try?`: a
    /// connection killed during the run (a Redis restart, `CLIENT KILL`) left the key behind
    /// after an exit 0, and another host's run was refused for a day.
    @Test func aLockWhoseConnectionWasKilledIsReleasedOverANewOne() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let folder = TestFiles.temporaryFolder("run-lock-killed")
        defer { TestFiles.remove(folder) }
        let lock = try RunLock(folder: folder)
        #expect(try lock.lockRedis(url: RedisURL(server.url), prefix: "", retry: Self.quick) == nil)
        let admin = try server.connect()
        #expect(try admin.command("GET", "funnel:lock") == .string(Array(Self.token.utf8)))
        #expect(try admin.command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes") == .integer(1))
        #expect(lock.release(retry: Self.quick) == nil)
        #expect(try admin.command("EXISTS", "funnel:lock") == .integer(0))
    }

    @Test func aLockThatCannotBeReleasedIsNamedInAWarning() throws {
        let server = try RedisServer()
        let folder = TestFiles.temporaryFolder("run-lock-gone")
        defer { TestFiles.remove(folder) }
        let lock = try RunLock(folder: folder)
        #expect(try lock.lockRedis(url: RedisURL(server.url), prefix: "p:", retry: Self.quick) == nil)
        server.stop()
        let warning = lock.release(retry: Self.quick) ?? ""
        #expect(warning.hasPrefix("the run lock p:funnel:lock on redis://127.0.0.1:\(server.port)/0 could not be released"), "\(warning)")
        #expect(warning.contains("expires"), "\(warning)")
        // The folder's lock is released all the same.
        #expect(throws: Never.self) { _ = try RunLock(folder: folder) }
    }

    /// A `SET` that took the key but whose reply was lost is retried; the key then holds this
    /// run's own token, which is taken as taken, not as another run's lock.
    @Test func aLockHoldingThisRunsOwnTokenIsTaken() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let folder = TestFiles.temporaryFolder("run-lock-own")
        defer { TestFiles.remove(folder) }
        let admin = try server.connect()
        _ = try admin.command("SET", "funnel:lock", Self.token)
        let lock = try RunLock(folder: folder)
        #expect(try lock.lockRedis(url: RedisURL(server.url), prefix: "", retry: Self.quick) == nil)
        #expect(lock.release(retry: Self.quick) == nil)
        #expect(try admin.command("EXISTS", "funnel:lock") == .integer(0))
    }
}
