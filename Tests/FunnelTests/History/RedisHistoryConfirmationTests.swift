import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import FunnelWriters
import Testing

/// The Redis history sends a chunk's writes and reads their replies later, before its next
/// command (see `RedisHistoryStore.send(writes:)`): a refused write must still fail the run,
/// and writes whose connection was lost before their replies came must still be stored.
@Suite struct RedisHistoryConfirmationTests {
    private func change(group: String, position: String) -> HistoryChange {
        var record = Record(origin: .client, event: "PageView", timestamp: 1_709_251_200_000)
        record.position = position
        record.sessionID = String(group.dropFirst(2))
        var change = HistoryChange()
        change.records = [(group: group, position: position, data: RecordCoding.encode(record))]
        return change
    }

    private func store(_ server: RedisServer) throws -> RedisHistoryStore {
        RedisHistoryStore(url: try RedisURL(server.url, environment: [:]), prefix: "",
                          retry: RedisRetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(20)))
    }

    @Test func aRefusedWriteFailsTheNextCommandAndTheCommit() throws {
        let server = try RedisServer()
        defer { server.stop() }
        // The group's key holds a string: the history's HSET on it is refused (WRONGTYPE).
        _ = try server.connect().command("SET", "funnel:rec:s:taken", "not a hash")
        let history = try store(server)
        try history.apply(change(group: "s:taken", position: "p1"))
        #expect { _ = try history.records(ofGroups: ["s:other"]) } throws: { error in
            "\(error)".contains("Redis history at") && "\(error)".contains("WRONGTYPE")
        }
        let again = try store(server)
        try again.apply(change(group: "s:taken", position: "p2"))
        #expect { try again.commit() } throws: { "\($0)".contains("WRONGTYPE") }
    }

    @Test func writesWhoseConnectionWasLostAreSentAgain() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let history = try store(server)
        try history.apply(change(group: "s:first", position: "p1"))
        try history.commit()
        // The next chunk's writes go out while the server holds writes back, and the
        // connection they went out on is closed before the server got to them.
        let admin = try server.connect()
        _ = try admin.command("CLIENT", "PAUSE", "10000", "WRITE")
        try history.apply(change(group: "s:second", position: "p2"))
        _ = try admin.command("CLIENT", "KILL", "TYPE", "normal")
        _ = try admin.command("CLIENT", "UNPAUSE")
        #expect(try admin.command("EXISTS", "funnel:rec:s:second") == .integer(0), "the lost writes were applied after all")
        let read = try history.records(ofGroups: ["s:first", "s:second"])
        #expect(read["s:second"]?.map(\.position) == ["p2"])
        #expect(read["s:first"]?.map(\.position) == ["p1"])
        try history.commit()
        #expect(try server.keys(matching: "funnel:rec:*").sorted() == ["funnel:rec:s:first", "funnel:rec:s:second"])
    }
}
