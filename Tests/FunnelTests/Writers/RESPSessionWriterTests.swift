import FunnelCore
import FunnelTestSupport
import FunnelWriters
import Testing

/// The RESP file must load into Redis exactly what the live writer stores: the integration
/// test loads the same sessions both ways into two real servers and compares their dumps.
struct RESPSessionWriterTests {
    @Test func exactBytesForASmallSession() throws {
        let session = SessionRecord(
            id: "abc123", start: 1_704_067_200_000,
            fields: [Field("utm_source", .string("news letter")), Field("donation_amount", .amount(Amount(micros: 12_500_000)))],
            events: [EventRecord(name: "PageView", timestamp: 1_704_067_200_000)])
        let folder = TestFiles.temporaryFolder("funnel-resp")
        defer { TestFiles.remove(folder) }
        let writer = try RESPSessionWriter(folder: folder, layout: RedisKeyLayout(), sortedSet: false, ttlSeconds: nil)
        try writer.write([session])
        #expect(!TestFiles.exists(folder + "/redis.resp"), "the file must not appear before finish()")
        try writer.finish()
        #expect(writer.sessionsWritten == 1)

        let expected = "*1\r\n$5\r\nMULTI\r\n"
            + "*3\r\n$3\r\nDEL\r\n$11\r\nsess:abc123\r\n$18\r\nevents:sess:abc123\r\n"
            + "*6\r\n$4\r\nHSET\r\n$11\r\nsess:abc123\r\n$10\r\nutm_source\r\n$11\r\nnews letter\r\n"
            + "$15\r\ndonation_amount\r\n$4\r\n12.5\r\n"
            + "*3\r\n$5\r\nRPUSH\r\n$18\r\nevents:sess:abc123\r\n$46\r\n{\"event\":\"PageView\",\"timestamp\":1704067200000}\r\n"
            + "*1\r\n$4\r\nEXEC\r\n"
        #expect(TestFiles.readText(folder + "/redis.resp") == expected)
    }

    @Test func lengthsCountBytesNotCharacters() throws {
        let session = SessionRecord(id: "s", start: 0, fields: [Field("city", .string("Zürich\r\n"))], events: [])
        let folder = TestFiles.temporaryFolder("funnel-resp")
        defer { TestFiles.remove(folder) }
        let writer = try RESPSessionWriter(
            folder: folder, layout: RedisKeyLayout(prefix: "fn:", hashTags: true), sortedSet: true, ttlSeconds: 60)
        try writer.write([session])
        try writer.finish()
        let expected = "*1\r\n$5\r\nMULTI\r\n"
            + "*3\r\n$3\r\nDEL\r\n$11\r\nfn:sess:{s}\r\n$18\r\nfn:events:sess:{s}\r\n"
            + "*4\r\n$4\r\nHSET\r\n$11\r\nfn:sess:{s}\r\n$4\r\ncity\r\n$9\r\nZürich\r\n\r\n"
            + "*3\r\n$6\r\nEXPIRE\r\n$11\r\nfn:sess:{s}\r\n$2\r\n60\r\n"
            + "*3\r\n$6\r\nEXPIRE\r\n$18\r\nfn:events:sess:{s}\r\n$2\r\n60\r\n"
            + "*1\r\n$4\r\nEXEC\r\n"
        #expect(TestFiles.read(folder + "/redis.resp") == Array(expected.utf8))
    }

    @Test func aNonPositiveTTLIsRefused() {
        let folder = TestFiles.temporaryFolder("funnel-resp")
        defer { TestFiles.remove(folder) }
        #expect(throws: SinkError.self) { try RESPSessionWriter(folder: folder, layout: RedisKeyLayout(), sortedSet: false, ttlSeconds: 0) }
    }

    @Test(arguments: [(false, Int?.none), (true, Int?.some(86_400))])
    func redisCLIPipeLoadsWhatTheLiveWriterStores(sortedSet: Bool, ttlSeconds: Int?) throws {
        let sessions = Self.variedSessions(300)
        let layout = RedisKeyLayout(prefix: "fn:")

        let direct = try RedisServer()
        let writer = try RedisSessionWriter(
            url: RedisURL(direct.url, environment: [:]), layout: layout, sortedSet: sortedSet, ttlSeconds: ttlSeconds)
        try writer.write(sessions)
        try writer.finish()

        let piped = try RedisServer()
        let folder = TestFiles.temporaryFolder("funnel-resp")
        defer { TestFiles.remove(folder) }
        let file = try RESPSessionWriter(folder: folder, layout: layout, sortedSet: sortedSet, ttlSeconds: ttlSeconds)
        try file.write(Array(sessions[..<120]))
        try file.write(Array(sessions[120...]))
        try file.finish()

        let commands = sessions.reduce(0) {
            $0 + RedisSessionCommands.commands(for: $1, layout: layout, sortedSet: sortedSet, ttlSeconds: ttlSeconds).count
        }
        let result = try CommandRunner.run(
            "/bin/sh", ["-c", "exec redis-cli -p \(piped.port) --pipe < '\(folder)/redis.resp'"], timeout: .seconds(60))
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("errors: 0, replies: \(commands)"), "\(result)")

        let expected = try direct.dump()
        #expect(expected.contains("fn:sess:"))
        #expect(try piped.dump() == expected)
    }

    /// Sessions whose values need care on every layer: spaces, quotes, backslashes, CR/LF,
    /// non-ASCII, empty strings, sessions without fields or events, many events.
    static func variedSessions(_ count: Int) -> [SessionRecord] {
        let texts = [
            "google", "news \"letter\"", "back\\slash", "multi\nline", "crlf\r\nvalue", "Zürich", "東京 🎬",
            "", " leading and trailing ", "tab\tand\u{1}control", "*3\r\n$3\r\nDEL", "{\"json\":[1,2]}",
        ]
        return (0..<count).map { index in
            let id = "s" + String(index, radix: 16) + (index % 7 == 0 ? "-x_y.z" : "")
            let start = 1_704_067_200_000 + Int64(index) * 1000
            var fields: [Field] = []
            if index % 13 != 5 {
                fields = [
                    Field("utm_source", .string(texts[index % texts.count])),
                    Field("landing_page", .string("/p/" + texts[(index / 3) % texts.count])),
                    Field("donation_completed", .bool(index % 4 == 1)),
                    Field("donation_amount", .amount(Amount(micros: Int64(index) * 12_345))),
                    Field("created_at", .integer(start)),
                ]
            }
            var events: [EventRecord] = []
            if index % 5 != 0 {
                events = (0..<(index % 9 + 1)).map { k in
                    EventRecord(
                        name: k == 0 ? "PageView" : "Video\(k)",
                        properties: k % 2 == 0 ? [] : [Field("content", .string(texts[(index + k) % texts.count]))],
                        timestamp: start + Int64(k / 2) * 250)  // equal timestamps too: zset ties order by member
                }
            }
            return SessionRecord(id: id, start: start, fields: fields, events: events)
        }
    }
}
