import Foundation
import FunnelCore
import FunnelTestSupport
import FunnelWriters
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A Redis that stops answering (SIGSTOP: the port still accepts connections, nothing comes
/// back) is the fault a connect timeout cannot see: only the command timeout turns it into an
/// error and a retry, so the run ends within a bound instead of hanging (issue 5).
struct RedisSilenceTests {
    private func writer(_ server: RedisServer, attempts: Int, notice: RedisRetryNotice? = nil) throws -> RedisSessionWriter {
        try RedisSessionWriter(
            url: RedisURL(server.url, environment: [:]), sortedSet: false, ttlSeconds: nil, batchSize: 100,
            retry: RedisRetryPolicy(maxAttempts: attempts, initialDelay: .milliseconds(50), maxDelay: .milliseconds(200)),
            notice: notice, connectTimeout: .milliseconds(300), commandTimeout: .milliseconds(300))
    }

    @Test func eachRetryOfASilentServerIsAnnouncedBeforeItsWait() throws {
        let server = try RedisServer()
        defer {
            server.resume()
            server.stop()
        }
        server.pause()
        // The writer retries on the calling thread, so the notices arrive here in order.
        var lines: [String] = []
        let silent = try writer(server, attempts: 3, notice: { lines.append($0) })
        let message = RedisSessionWriterTests.failure { try silent.write(RedisSessionWriterTests.sessions(10)) }
        #expect(message.contains("after 3 attempts"), "\(message)")
        // Two retries, each named with the address, the attempt and the wait; the last
        // failure is the error itself, not a notice.
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.allSatisfy { $0.hasPrefix("Redis at redis://127.0.0.1:\(server.port)/0: ") }, "\(lines)")
        #expect(lines.first?.hasSuffix("(attempt 1 of 3); trying again in 0.1 s") == true, "\(lines)")
        #expect(lines.last?.hasSuffix("(attempt 2 of 3); trying again in 0.1 s") == true, "\(lines)")
    }

    @Test func aServerThatStopsAnsweringFailsWithinTheBoundAndARerunCompletesTheLoad() throws {
        let server = try RedisServer()
        defer {
            server.resume()
            server.stop()
        }
        let sessions = RedisSessionWriterTests.sessions(300)
        server.pause()
        var notices: [String] = []
        let silent = try writer(server, attempts: 3, notice: { notices.append($0) })
        let message = RedisSessionWriterTests.failure { try silent.write(sessions) }
        // Three command timeouts of 0.3 s and 0.15 s of backoff: two retries announced, then
        // the error. (Counted, not timed: tests time nothing; a writer that never gave up
        // would hang the suite.)
        #expect(notices.count == 2, "\(notices)")
        #expect(message.contains("127.0.0.1:\(server.port)") && message.contains("after 3 attempts"), "\(message)")
        #expect(silent.sessionsWritten == 0)

        server.resume()
        try writer(server, attempts: 3).write(sessions)
        try RedisSessionWriterTests.expectStored(sessions, in: server)
    }

    @Test func aServerSilentForAMomentIsWaitedOut() throws {
        let server = try RedisServer()
        defer {
            server.resume()
            server.stop()
        }
        let sessions = RedisSessionWriterTests.sessions(300)
        server.pause()
        let resumed = BoolFlag()
        // A thread of its own, so a saturated dispatch pool cannot delay the resume. The flag
        // is set before the server resumes: set after, the write could complete and be
        // checked between the two (seen once on a loaded machine), which says nothing of
        // whether it waited.
        Thread.detachNewThread {
            usleep(800_000)
            resumed.set()
            server.resume()
        }
        try writer(server, attempts: 20).write(sessions)
        #expect(resumed.value)
        try RedisSessionWriterTests.expectStored(sessions, in: server)
    }
}

private final class BoolFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
}
