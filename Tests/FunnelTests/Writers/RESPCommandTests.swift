@testable import FunnelWriters
import FunnelCore
import Testing

/// The wire form of a command, byte for byte, with lengths around every power of ten (the
/// length digits are written most significant first, without a String).
struct RESPCommandTests {
    @Test(arguments: [0, 1, 9, 10, 11, 99, 100, 101, 999, 1_000, 65_535, 100_000, 1_234_567])
    func bulkLengthsAreDecimal(length: Int) {
        let argument = [UInt8](repeating: UInt8(ascii: "x"), count: length)
        var out: [UInt8] = []
        RESPCommand.append([Array("SET".utf8), argument], to: &out)
        let expected = "*2\r\n$3\r\nSET\r\n$\(length)\r\n" + String(repeating: "x", count: length) + "\r\n"
        #expect(out == Array(expected.utf8))
    }

    @Test func argumentCountsAreDecimalAndCommandsFollowEachOther() {
        var out: [UInt8] = Array("prefix".utf8)
        let arguments = (0..<12).map { Array("a\($0)".utf8) }
        RESPCommand.append(arguments, to: &out)
        RESPCommand.append([Array("EXEC".utf8)], to: &out)
        let expected = "prefix*12\r\n" + (0..<12).map { "$\("a\($0)".utf8.count)\r\na\($0)\r\n" }.joined() + "*1\r\n$4\r\nEXEC\r\n"
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }
}

/// A removed session's commands are `MULTI`, `DEL` both keys, `EXEC`, with or without a TTL
/// (rv69c: two `EXPIRE`s on the keys just deleted followed the `DEL` when `ttl` was set); a
/// written session still gets both.
struct TombstoneCommandTests {
    @Test(arguments: [nil, 7200] as [Int?])
    func aRemovedSessionIsItsDeleteAlone(ttlSeconds: Int?) {
        let layout = RedisKeyLayout(prefix: "p:")
        let names = RedisSessionCommands.commands(for: .tombstone("abc"), layout: layout, sortedSet: true, ttlSeconds: ttlSeconds)
            .map { String(decoding: $0[0], as: UTF8.self) }
        #expect(names == ["MULTI", "DEL", "EXEC"])
        var wire: [UInt8] = []
        RedisSessionCommands.appendRESP(for: .tombstone("abc"), layout: layout, sortedSet: true, ttlSeconds: ttlSeconds, to: &wire)
        #expect(!String(decoding: wire, as: UTF8.self).contains("EXPIRE"))
        let written = SessionRecord(id: "abc", start: 1, fields: [Field("a", .integer(1))], events: [])
        let withTTL = RedisSessionCommands.commands(for: written, layout: layout, sortedSet: true, ttlSeconds: ttlSeconds).map { String(decoding: $0[0], as: UTF8.self) }
        #expect(withTTL == ["MULTI", "DEL", "HSET"] + (ttlSeconds == nil ? [] : ["EXPIRE", "EXPIRE"]) + ["EXEC"])
    }
}
