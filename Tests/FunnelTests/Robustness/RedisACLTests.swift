import FunnelTestSupport
import FunnelWriters
import Testing

/// The README's `ACL SETUSER funnel ...` line gives funnel all it needs and little more: a
/// load through that user (schema enhanced for `ZADD`, a TTL for `EXPIRE`, a second run that
/// reads the history, and the lock taken and released) equals a load by the default user, and
/// the user cannot touch other keys or run other commands.
struct RedisACLTests {
    static let password = "acl-user-pass-5"

    /// The ACL line as the README shows it, with the test's password; without `+info +scan`
    /// when `keyFilter` is false (an ACL set up before funnel kept a key filter), without
    /// `+mget +mset` when `manyKeys` is false (one set up before funnel used them), without
    /// `+hscan` when `hashScan` is false (likewise).
    static func aclArguments(keyFilter: Bool = true, manyKeys: Bool = true, hashScan: Bool = true) throws -> [String] {
        let readme = try #require(TestFiles.readText(FixtureCase.repositoryRoot + "/README.md"))
        let line = try #require(readme.split(separator: "\n").first { $0.hasPrefix("ACL SETUSER funnel ") }, "no ACL line in README.md")
        return line.split(separator: " ").map { $0 == ">CHANGE-ME" ? ">" + password : String($0) }
            .filter { keyFilter || ($0 != "+info" && $0 != "+scan") }
            .filter { manyKeys || ($0 != "+mget" && $0 != "+mset") }
            .filter { hashScan || $0 != "+hscan" }
    }

    private func pipeline(in folder: String) -> String {
        let demo = FixtureCase.repositoryRoot + "/fixtures/demo"
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: access_log
                format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid" "$cookie_sid" "$http_cf_ipcountry"'
                visitor_cookie: vid
                session_cookie: sid
                paths: ["\(demo)/access-*-2024-03-01.log.gz"]
              - kind: ndjson
                paths: ["\(demo)/events-2024-03-01.ndjson.gz"]
            identity:
              salt: "demo"
            schema: enhanced
            sink:
              kind: redis
              ttl: 30d
              output: out
            """)
        return folder + "/pipeline.yaml"
    }

    private func funnel(_ arguments: [String], password: String?) throws -> CommandResult {
        try #require(TestFiles.exists(CommandLineTests.binary), "no funnel executable at \(CommandLineTests.binary); build it or set FUNNEL_BINARY")
        return try CommandRunner.run(CommandLineTests.binary, arguments, environment: ["REDIS_PASSWORD": password], timeout: .seconds(60))
    }

    /// The sessions a load by the default user of a plain Redis leaves (`dumpSessions`).
    private func referenceLoad(_ pipeline: String, _ folder: String) throws -> String {
        let reference = try RedisServer()
        defer { reference.stop() }
        let plain = try funnel(["run", pipeline, "--redis-url", reference.url, "--output", folder + "/ref", "--progress", "never"], password: nil)
        try #require(plain.status == 0, "\(plain)")
        return try reference.dumpSessions()
    }

    @Test(arguments: [(true, true), (false, true), (true, false)])
    func aLoadThroughTheLeastPrivilegedUserEqualsALoadByTheDefaultUser(keyFilter: Bool, manyKeys: Bool) throws {
        let folder = TestFiles.temporaryFolder("acl")
        defer { TestFiles.remove(folder) }
        let pipeline = pipeline(in: folder)
        let expected = try referenceLoad(pipeline, folder)
        #expect(expected.contains(" ttl\n") && expected.contains(" zset"), "the load should use EXPIRE and ZADD")

        let server = try RedisServer(arguments: ["--requirepass", "admin-pass-5"])
        defer { server.stop() }
        let admin = try server.connect()
        let acl = try Self.aclArguments(keyFilter: keyFilter, manyKeys: manyKeys)
        #expect(acl.contains("+scan") == keyFilter)
        #expect(acl.contains("+mset") == manyKeys && acl.contains("+mget") == manyKeys)
        guard case .status("OK") = try admin.command(acl.map { Array($0.utf8) }) else {
            Issue.record("the README's ACL line was refused: \(acl)")
            return
        }
        let url = "redis://funnel@127.0.0.1:\(server.port)/0"
        for round in 1...2 {
            let result = try funnel(["run", pipeline, "--redis-url", url, "--output", folder + "/out", "--progress", "never"], password: Self.password)
            #expect(result.status == 0, "round \(round): \(result)")
            #expect(try server.dumpSessions() == expected, "round \(round): the ACL user's load differs from the default user's")
            // The lock was released (by EVAL), not left for the next run to take over.
            #expect(try admin.command("EXISTS", "funnel:lock") == .integer(0), "round \(round): funnel:lock was not released")
        }

        // The user is as limited as it looks: no other keys, no other commands.
        let user = try RedisConnection(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port), username: "funnel", password: Self.password))
        for command in [["SET", "other:key", "x"], ["GET", "other:key"], ["FLUSHALL"], ["KEYS", "*"], ["CONFIG", "GET", "dir"]] {
            let reply = try user.command(command.map { Array($0.utf8) })
            guard case .error(let message) = reply else {
                Issue.record("\(command) was allowed: \(reply)")
                continue
            }
            #expect(message.hasPrefix("NOPERM"), "\(command): \(message)")
        }
    }

    /// A Redis whose redis.conf renamed the commands the history may do without (`INFO` and
    /// `SCAN` for its key filter, `HSCAN`, `MGET`, `MSET`) loads what a plain one does, night
    /// after night: they are done without, as when an ACL refuses them (rv76b: a renamed
    /// `INFO` or `SCAN` failed the history, exit 3).
    @Test func aLoadWithoutTheOptionalCommandsEqualsALoadWithThem() throws {
        let folder = TestFiles.temporaryFolder("renamed")
        defer { TestFiles.remove(folder) }
        let pipeline = pipeline(in: folder)
        let expected = try referenceLoad(pipeline, folder)

        let renamed = ["INFO", "SCAN", "HSCAN", "MGET", "MSET"].flatMap { ["--rename-command", $0, "\($0)-RENAMED-5"] }
        let server = try RedisServer(arguments: renamed)
        defer { server.stop() }
        let admin = try server.connect()
        guard case .error(let refusal) = try admin.command("INFO", "keyspace") else {
            Issue.record("INFO was not renamed")
            return
        }
        #expect(RedisError.isUnknownCommand(refusal), "\(refusal)")
        for round in 1...2 {
            let result = try funnel(["run", pipeline, "--redis-url", server.url, "--output", folder + "/out", "--progress", "never"], password: nil)
            #expect(result.status == 0, "round \(round): \(result)")
            #expect(try server.dumpSessions() == expected, "round \(round): the load differs from one with every command")
            #expect(try admin.command("EXISTS", "funnel:lock") == .integer(0), "round \(round): funnel:lock was not released")
        }
    }
}
