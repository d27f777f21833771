import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import FunnelWriters
import Testing

/// How the Redis history keeps a group's records: the records a flush adds to a group go in
/// one hash field (a `RecordCoding.block` when there are several), and histories written
/// before, with one field per record, are still read so that later days merge exactly.
@Suite struct RedisRecordHistoryTests {
    /// Every record stored in `funnel:rec:*`, by position, with the number of fields.
    private func storedRecords(_ server: RedisServer) throws -> (records: [String: [UInt8]], fields: Int, blocks: Int) {
        let redis = try server.connect()
        var records: [String: [UInt8]] = [:]
        var fields = 0, blocks = 0
        for key in try server.keys(matching: "funnel:rec:*") {
            guard case .array(let items) = try redis.command("HGETALL", key) else { throw SinkError("\(key) is no hash") }
            for index in stride(from: 1, to: items.count, by: 2) {
                guard case .string(let value) = items[index] else { continue }
                fields += 1
                if value.first == 0 { blocks += 1 }
                for record in RecordCoding.decodeAll(value) {
                    #expect(records[record.position] == nil, "\(record.position) stored twice")
                    records[record.position] = RecordCoding.encode(record)
                }
            }
        }
        return (records, fields, blocks)
    }

    @Test func aFlushStoresAGroupsNewRecordsAsOneField() throws {
        let days = RunsOverTimeTests.Days(seed: 61, visitors: 300)
        let scratch = TestFiles.temporaryFolder("records-redis")
        defer { TestFiles.remove(scratch) }
        let server = try RedisServer()
        defer { server.stop() }
        let summary = try days.run(days: days.dates, sink: .redis, output: scratch + "/out", redisURL: server.url)
        let stored = try storedRecords(server)
        // Every line kept as a record is stored once: the summary's `kept`, which counts the
        // records that sessions, not the reader, leave out (merged page views, repeated
        // events, those over the cap) too, as the history holds them all the same. Far fewer
        // fields hold them.
        let read = summary.kept
        #expect(summary.combinedTotal > 0)
        #expect(stored.records.count == read, "\(stored.records.count) stored, \(read) read")
        #expect(stored.blocks > 0)
        #expect(stored.fields < stored.records.count / 2, "\(stored.fields) fields for \(stored.records.count) records")
    }

    @Test func anOlderHistoryWithAFieldPerRecordIsReadAndLaterDaysMergeExactly() throws {
        var before: (records: [String: [UInt8]], fields: Int, blocks: Int) = ([:], 0, 0)
        try RunsOverTimeTests.Days(seed: 62, visitors: 300).checkOlderRedisHistory("records-redis-old") { server in
            // The records as funnel kept them before 2026-12-01: one field per position.
            let redis = try server.connect()
            var rewritten = 0
            for key in try server.keys(matching: "funnel:rec:*") {
                guard case .array(let items) = try redis.command("HVALS", key) else { continue }
                let records = items.flatMap { item -> [Record] in
                    if case .string(let value) = item { RecordCoding.decodeAll(value) } else { [] }
                }
                _ = try redis.command("DEL", key)
                var command: [[UInt8]] = [Array("HSET".utf8), Array(key.utf8)]
                for record in records { command += [Array(record.position.utf8), RecordCoding.encode(record)] }
                _ = try redis.command(command)
                rewritten += records.count
            }
            before = try storedRecords(server)
            try #require(before.blocks == 0 && before.fields == rewritten && rewritten > 0)
        } inspect: { server in
            // The older fields stay as they were; the later days' records come in blocks.
            let after = try storedRecords(server)
            #expect(after.blocks > 0)
            for (position, data) in before.records { #expect(after.records[position] == data, "\(position) changed") }
        }
    }
}
