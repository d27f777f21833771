import FunnelTestSupport
import Testing

/// No secret reaches what funnel prints or writes (issue 5): the Redis password, whether it
/// comes from the URL or from `REDIS_PASSWORD`, and the fingerprint salt never appear on
/// stderr, stdout, in `--summary-json`, `rejects.ndjson` or any other file of the output
/// folder, on success or on failure. (`CommandLineTests` covers stderr of a refused login.)
struct SecretHygieneTests {
    static let salt = "pepper-7f3a9c-salt"

    private func pipeline(in folder: String) -> String {
        let source = FixtureCase.repositoryRoot + "/fixtures/seed_mvp/events.ndjson"
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["\(source)", "bad.ndjson"]
            identity:
              salt: "\(Self.salt)"
            limits:
              max_reject_rate: 0.5
            sink:
              kind: redis
              output: out
            """)
        // A reject, so rejects.ndjson has content to scan too.
        TestFiles.write(folder + "/bad.ndjson", "{\"event\":\"PageView\"}\n")
        return folder + "/pipeline.yaml"
    }

    /// Everything a run left: its output, its error output and every file it wrote.
    private func everything(_ result: CommandResult, folder: String) throws -> String {
        let listing = try CommandRunner.run("/bin/sh", ["-c", "find '\(folder)' -type f ! -name '*.yaml' ! -name 'bad.ndjson' -exec cat {} +"])
        return result.stdout + result.stderr + listing.stdout
    }

    private func funnel(_ arguments: [String], password: String?) throws -> CommandResult {
        try #require(TestFiles.exists(CommandLineTests.binary), "no funnel executable at \(CommandLineTests.binary); build it or set FUNNEL_BINARY")
        return try CommandRunner.run(CommandLineTests.binary, arguments, environment: ["REDIS_PASSWORD": password], timeout: .seconds(30))
    }

    @Test(arguments: [
        // (password in the URL, password in REDIS_PASSWORD, the server's password, expected exit status)
        ("url-secret-1", nil, "server-secret-1", 3 as Int32),
        (nil, "env-secret-2", "server-secret-2", 3),
        (nil, "server-secret-3", "server-secret-3", 0),
        ("server-secret-4", nil, "server-secret-4", 0),
    ] as [(String?, String?, String, Int32)])
    func noSecretInOutputSummaryOrFiles(_ inURL: String?, _ inEnvironment: String?, _ serverPassword: String, _ status: Int32) throws {
        let server = try RedisServer(arguments: ["--requirepass", serverPassword])
        defer { server.stop() }
        let folder = TestFiles.temporaryFolder("secrets")
        defer { TestFiles.remove(folder) }
        let url = inURL.map { "redis://:\($0)@127.0.0.1:\(server.port)/0" } ?? server.url
        let result = try funnel(["run", pipeline(in: folder), "--redis-url", url, "--summary-json", folder + "/summary.json", "--progress", "never"],
                                password: inEnvironment)
        #expect(result.status == status, "\(result)")
        let summary = try #require(TestFiles.readText(folder + "/summary.json"), "no summary written")
        #expect(summary.contains("\"exit_status\":\(status)"), "\(summary)")
        if status == 0 { #expect(TestFiles.readText(folder + "/out/rejects.ndjson")?.contains("missing_timestamp") == true) }
        let text = try everything(result, folder: folder)
        for secret in [inURL, inEnvironment, serverPassword, Self.salt].compactMap({ $0 }) {
            #expect(!text.contains(secret), "'\(secret)' appears in what the run printed or wrote")
        }
    }
}
