import Foundation
import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import FunnelWriters
import Testing

/// `funnel inspect SESSION_ID` (SPEC 9) against a real redis-server loaded by `funnel run`:
/// what it prints is what Redis holds (fields in stored order, events in stored order, each
/// key's type and expiry), a missing session exits 1, an unreadable Redis exits 3, and a
/// password never appears.
@Suite(.serialized)
struct InspectCommandTests {
    private func funnel(_ arguments: [String], environment: [String: String?] = ["REDIS_PASSWORD": nil]) throws -> CommandResult {
        try #require(TestFiles.exists(CommandLineTests.binary), "no funnel executable at \(CommandLineTests.binary); build it or set FUNNEL_BINARY")
        return try CommandRunner.run(CommandLineTests.binary, arguments, environment: environment, timeout: .seconds(60))
    }

    private func strings(_ reply: RedisReply) -> [String] {
        guard case .array(let items) = reply else { return [] }
        return items.map { $0.text ?? "" }
    }

    /// What Redis holds for `key`'s session, in the lines `inspect` must print for it.
    private func expectedLines(_ connection: RedisConnection, hashKey: String, eventsKey: String, sortedSet: Bool) throws -> [String] {
        let flat = strings(try connection.command("HGETALL", hashKey))
        // In the schema's order (Redis keeps a hash's order only while it is small).
        let order = FieldLayout(schema: .enhanced).fieldNames
        func rank(_ name: String) -> Int { order.firstIndex(of: name) ?? Int.max }
        let pairs: [(String, String)] = stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) }
            .sorted { a, b in rank(a.0) != rank(b.0) ? rank(a.0) < rank(b.0) : a.0 < b.0 }
        let width = pairs.map { $0.0.count }.max() ?? 0
        var lines: [String] = []
        for (name, value) in pairs {
            var line = "  " + name + String(repeating: " ", count: width - name.count + 2) + SessionInspector.fieldText(value)
            if SessionInspector.timeFields.contains(name) { line += "  (" + SessionInspector.utc(Int64(value)!) + ")" }
            lines.append(line)
        }
        let events = strings(try connection.command(sortedSet ? "ZRANGE" : "LRANGE", eventsKey, "0", "-1"))
        let digits = String(events.count).count
        for (index, event) in events.enumerated() {
            let number = String(index + 1)
            lines.append("  " + String(repeating: " ", count: digits - number.count) + number + "  " + SessionInspector.printable(event))
        }
        return lines
    }

    @Test(arguments: [("seed_mvp", false), ("seed_enhanced", true), ("demo", false)])
    func printsEveryFieldAndEventAsRedisHoldsThem(_ fixture: String, _ sortedSet: Bool) throws {
        let server = try RedisServer()
        defer { server.stop() }
        var pipeline = CommandLineTests.fixture(fixture)
        if fixture == "demo" { pipeline = FixtureCase.repositoryRoot + "/pipelines/demo.yaml" }
        let output = TestFiles.temporaryFolder("inspect-demo")
        defer { TestFiles.remove(output) }
        let run = try funnel(["run", pipeline, "--sink", "redis", "--redis-url", server.url, "--output", output, "--progress", "never"]
                             + (fixture == "demo" ? ["--date", "2024-03-01"] : []))
        try #require(run.status == 0, "\(run)")
        let ids = try server.keys(matching: "sess:*").map { String($0.dropFirst(5)) }.sorted()
        try #require(!ids.isEmpty)
        let connection = try server.connect()
        for id in ids.prefix(5) {
            let shown = try funnel(["inspect", id, "--redis-url", server.url])
            #expect(shown.status == 0, "\(shown)")
            let lines = shown.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let fieldCount = strings(try connection.command("HGETALL", "sess:" + id)).count / 2
            let eventCount = strings(try connection.command(sortedSet ? "ZRANGE" : "LRANGE", "events:sess:" + id, "0", "-1")).count
            #expect(lines.first == "session \(id)")
            #expect(lines.contains("sess:\(id) (hash, \(fieldCount) fields, no expiry)"), "\(shown.stdout)")
            let type = sortedSet ? "zset" : "list"
            #expect(lines.contains("events:sess:\(id) (\(type), \(eventCount) event\(eventCount == 1 ? "" : "s"), no expiry)"), "\(shown.stdout)")
            let body = lines.filter { $0.hasPrefix("  ") }
            #expect(body == (try expectedLines(connection, hashKey: "sess:" + id, eventsKey: "events:sess:" + id, sortedSet: sortedSet)))
            #expect(fieldCount > 5 && eventCount > 0)
        }
    }

    /// A hash Redis no longer keeps small (a value over 64 bytes) gives `HGETALL` its fields in
    /// no set order: inspect shows them in the schema's, and a value's line break as `\n`.
    @Test func aLargeSessionShowsItsFieldsInTheSchemasOrderOneToALine() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let folder = TestFiles.temporaryFolder("inspect-large")
        defer { TestFiles.remove(folder) }
        // A C1 CSI (clear screen) and a line separator: escaped in the field and the event too
        // (printed raw until 2026-12-06; a review).
        // And a backslash before an n, which is no line break (rv75b: shown alike).
        let content = "trailer " + String(repeating: "long ", count: 40) + "\nsecond line\u{9B}2J\u{2028}end\\nthird"
        TestFiles.write(folder + "/events.ndjson", """
            {"event":"PageView","timestamp":1704067200000,"session_id":"s-large","anonymous_id":"v","url":"https://film.example/?utm_source=fb&utm_medium=paid&utm_campaign=launch","country":"DE","city":"Berlin"}
            {"event":"ViewContent","timestamp":1704067201000,"session_id":"s-large","anonymous_id":"v","content":\(String(decoding: try JSONEncoder().encode(content), as: UTF8.self))}
            {"event":"Purchase","timestamp":1704067202000,"session_id":"s-large","anonymous_id":"v","value":25}

            """)
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["events.ndjson"]
            schema: enhanced
            sink:
              kind: redis

            """)
        let run = try funnel(["run", folder + "/pipeline.yaml", "--redis-url", server.url, "--output", folder + "/out", "--progress", "never"])
        try #require(run.status == 0, "\(run)")
        let connection = try server.connect()
        let encoding = try connection.command("OBJECT", "ENCODING", "sess:s-large")
        #expect(encoding.text == "hashtable", "\(encoding)")
        let shown = try funnel(["inspect", "s-large", "--redis-url", server.url])
        #expect(shown.status == 0, "\(shown)")
        let body = shown.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
        let names = body.map { String($0.dropFirst(2).prefix { $0 != " " }) }.filter { !$0.allSatisfy(\.isNumber) }
        let stored = Set(strings(try connection.command("HKEYS", "sess:s-large")))
        #expect(names == FieldLayout(schema: .enhanced).fieldNames.filter(stored.contains))
        #expect(!shown.stdout.contains("\nsecond line"))
        #expect(shown.stdout.contains("long \\nsecond line"))
        #expect(!shown.stdout.unicodeScalars.contains { $0.value == 0x9B || $0.value == 0x2028 }, "\(shown.stdout)")
        #expect(shown.stdout.components(separatedBy: "line\\u009b2J\\u2028end").count == 3, "\(shown.stdout)")
        #expect(shown.stdout.components(separatedBy: #"end\\nthird"#).count == 3, "\(shown.stdout)")
        #expect(!shown.stdout.contains("half a session"))
        // One key of the two gone (deleted, evicted or expired apart): said (rv73e).
        _ = try connection.command("DEL", "events:sess:s-large")
        let half = try funnel(["inspect", "s-large", "--redis-url", server.url])
        #expect(half.status == 0 && half.stdout.contains("events:sess:s-large (missing)"), "\(half)")
        #expect(half.stdout.contains("half a session: events:sess:s-large is gone and sess:s-large is not"), "\(half)")
    }

    @Test func aMissingSessionExits1NamingBothKeys() throws {
        let server = try RedisServer()
        defer { server.stop() }
        let shown = try funnel(["inspect", "0123456789abcdef", "--redis-url", server.url])
        #expect(shown.status == 1, "\(shown)")
        #expect(shown.stdout.isEmpty)
        #expect(shown.stderr.contains("no session 0123456789abcdef in Redis at redis://127.0.0.1:\(server.port)/0: neither sess:0123456789abcdef nor events:sess:0123456789abcdef exists"), "\(shown)")
    }

    @Test func anUnreachableRedisExits3() throws {
        let shown = try funnel(["inspect", "0123456789abcdef", "--redis-url", "redis://127.0.0.1:1/0"])
        #expect(shown.status == 3, "\(shown)")
        #expect(shown.stderr.contains("cannot read session 0123456789abcdef from Redis at redis://127.0.0.1:1/0"), "\(shown)")
    }

    /// The pipeline's sink gives the URL, the key prefix, the hash tags; the TTL shows; the
    /// password comes from REDIS_PASSWORD and is never printed.
    @Test func thePipelinesSinkGivesURLPrefixAndHashTags() throws {
        let server = try RedisServer(arguments: ["--requirepass", "inspect-s3cret"])
        defer { server.stop() }
        let folder = TestFiles.temporaryFolder("inspect-prefix")
        defer { TestFiles.remove(folder) }
        let seed = TestFiles.readText(CommandLineTests.fixture("seed_mvp"))!
        let sources = seed[..<seed.range(of: "sink:")!.lowerBound]
        let events = FixtureCase.repositoryRoot + "/fixtures/seed_mvp/"
        TestFiles.write(folder + "/pipeline.yaml", sources.replacingOccurrences(of: "paths: [\"", with: "paths: [\"\(events)") + """
            sink:
              kind: redis
              url: \(server.url)
              output: \(folder)/out
              key_prefix: "film:"
              hash_tags: true
              ttl: 90d
            """)
        let environment: [String: String?] = ["REDIS_PASSWORD": "inspect-s3cret"]
        let run = try funnel(["run", folder + "/pipeline.yaml", "--progress", "never"], environment: environment)
        try #require(run.status == 0, "\(run)")
        let key = try #require(try server.keys(matching: "film:sess:*").first)
        let id = String(key.dropFirst("film:sess:{".count).dropLast())
        let shown = try funnel(["inspect", id, "--pipeline", folder + "/pipeline.yaml"], environment: environment)
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.stdout.contains("film:sess:{\(id)} (hash, "), "\(shown)")
        #expect(shown.stdout.contains("film:events:sess:{\(id)} (list, "), "\(shown)")
        #expect(shown.stdout.contains(", expires in 89d 23h)") || shown.stdout.contains(", expires in 90d 0h)"), "\(shown)")
        #expect(!shown.stdout.contains("inspect-s3cret") && !shown.stderr.contains("inspect-s3cret"))
        // Without the password the read fails with status 3, and still names no password.
        let refused = try funnel(["inspect", id, "--pipeline", folder + "/pipeline.yaml"])
        #expect(refused.status == 3, "\(refused)")
        // operations.md's read-only user, its key patterns without the prefix: the refusal names
        // the commands and the patterns this pipeline needs (rv74d, rv74e), and with them it reads.
        let admin = try RedisConnection(url: RedisURL(server.url, environment: ["REDIS_PASSWORD": "inspect-s3cret"]))
        let readOnly = ["funnel-read", "on", ">read-s3cret", "resetkeys", "resetchannels", "-@all", "+auth", "+hello", "+select", "+type", "+ttl", "+hgetall", "+lrange", "+zrange"]
        _ = try admin.command((["ACL", "SETUSER"] + readOnly + ["~sess:*", "~events:sess:*"]).map { Array($0.utf8) })
        let reader = "redis://funnel-read@127.0.0.1:\(server.port)/0"
        let keys = try funnel(["inspect", id, "--pipeline", folder + "/pipeline.yaml", "--redis-url", reader], environment: ["REDIS_PASSWORD": "read-s3cret"])
        #expect(keys.status == 3 && keys.stderr.contains("NOPERM") && keys.stderr.contains("(+type +ttl +hgetall +lrange +zrange), and the keys ~film:sess:{*} ~film:events:sess:{*}"), "\(keys)")
        _ = try admin.command((["ACL", "SETUSER"] + readOnly + ["~film:sess:*", "~film:events:sess:*"]).map { Array($0.utf8) })
        let read = try funnel(["inspect", id, "--pipeline", folder + "/pipeline.yaml", "--redis-url", reader], environment: ["REDIS_PASSWORD": "read-s3cret"])
        #expect(read.status == 0, "\(read)")
    }

    @Test func timesShowInUTCToTheMillisecond() {
        #expect(SessionInspector.utc(1704909600000) == "2024-01-10 18:00:00.000 UTC")
        #expect(SessionInspector.utc(1709251199999) == "2024-02-29 23:59:59.999 UTC")
        #expect(SessionInspector.utc(0) == "1970-01-01 00:00:00.000 UTC")
        #expect(SessionInspector.utc(-1) == "1969-12-31 23:59:59.999 UTC")
        #expect(SessionInspector.timeFields == ["created_at", "session_end", "first_touch_timestamp", "last_touch_timestamp"])
    }

    @Test func durationsShowTheirTwoLargestUnits() {
        #expect(SessionInspector.duration(42) == "42s")
        #expect(SessionInspector.duration(3 * 60 + 5) == "3m 5s")
        #expect(SessionInspector.duration(3 * 3600 + 5 * 60 + 9) == "3h 5m")
        #expect(SessionInspector.duration(90 * 86_400 - 1) == "89d 23h")
    }
}
