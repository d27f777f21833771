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
