import FunnelCore
import FunnelPipeline
import FunnelTestSupport
import Testing

/// Runs every `fixtures/<case>/` through the NDJSON sink and through a real Redis and compares
/// the outputs with `expected/` byte for byte. `FUNNEL_UPDATE_GOLDEN=1 make test` rewrites the
/// expected files instead (review the diff before committing it).
@Suite(.serialized)
struct GoldenFixtureTests {
    static let update = RunEnvironmentForTests.value("FUNNEL_UPDATE_GOLDEN") == "1"

    @Test(arguments: FixtureCase.all)
    func ndjsonSinkMatchesExpected(_ fixture: FixtureCase) throws {
        let output = TestFiles.temporaryFolder("golden-\(fixture.name)")
        defer { TestFiles.remove(output) }
        var options = RunOptions()
        options.sink = .ndjson
        options.output = output
        options.progress = .never
        let summary = try Runner(pipeline: PipelineLoader.load(path: fixture.pipelinePath), options: options, report: { _ in }).run()

        let sessions = TestFiles.readText(output + "/sessions.ndjson") ?? "(missing)"
        let rejects = (TestFiles.readText(output + "/rejects.ndjson") ?? "(missing)").replacingAll(fixture.folder + "/", with: "")
        try compare(fixture, "sessions.ndjson", sessions)
        try compare(fixture, "rejects.ndjson", rejects)
        try compare(fixture, "exit_status", "\(summary.exitStatus.rawValue)\n")
    }

    @Test(arguments: FixtureCase.all)
    func redisSinkMatchesExpectedAndRerunsIdentically(_ fixture: FixtureCase) throws {
        let server = try RedisServer()
        defer { server.stop() }
        let output = TestFiles.temporaryFolder("golden-redis-\(fixture.name)")
        defer { TestFiles.remove(output) }
        var options = RunOptions()
        options.sink = .redis
        options.redisURL = server.url
        options.output = output
        options.progress = .never
        let pipeline = try PipelineLoader.load(path: fixture.pipelinePath)
        let first = try Runner(pipeline: pipeline, options: options, report: { _ in }).run()
        let dump = try server.dump()
        try compare(fixture, "redis.txt", dump)
        try compare(fixture, "exit_status", "\(first.exitStatus.rawValue)\n")

        // A second run over the same inputs leaves Redis identical (SPEC 8.1).
        let second = try Runner(pipeline: pipeline, options: options, report: { _ in }).run()
        #expect(second.exitStatus == first.exitStatus)
        #expect(try server.dump() == dump)
    }

    private func compare(_ fixture: FixtureCase, _ name: String, _ actual: String) throws {
        let path = fixture.expectedFolder + "/" + name
        if Self.update {
            TestFiles.write(path, actual)
            return
        }
        let expected = try #require(TestFiles.readText(path), "missing \(path); run with FUNNEL_UPDATE_GOLDEN=1 to create it")
        #expect(actual == expected, "\(fixture.name)/\(name) differs from expected")
    }
}
