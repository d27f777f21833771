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
}
