@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// A run whose session settings differ from those the stored sessions were built with says
/// so, once, with the remedy, and exits 2 (rv69d: a night with `timeout: 10m` after nights
/// with `30m` exited 0 with a store no single run makes, SPEC 10).
@Suite(.serialized)
struct BuildSettingsTests {
    static func pipeline(_ folder: String, timeout: String, schema: String = "mvp") -> String {
        let path = folder + "/pipeline.yaml"
        TestFiles.write(path, """
            sources:
              - kind: ndjson
                paths: ["ev-{date}.ndjson"]
            sessions:
              timeout: \(timeout)
            schema: \(schema)
            sink:
              kind: ndjson
              output: out/

            """)
        return path
    }

    static func write(_ folder: String) {
        func event(_ visitor: String, _ time: String) -> String {
            #"{"event":"PageView","timestamp":"\#(time)","anonymous_id":"\#(visitor)","url":"https://film.example/"}"#
        }
        TestFiles.write(folder + "/ev-2024-03-01.ndjson", [event("v1", "2024-03-01T10:00:00Z"), event("v1", "2024-03-01T10:20:00Z")].joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/ev-2024-03-02.ndjson", event("v2", "2024-03-02T10:00:00Z") + "\n")
    }

    private func check(sink: Pipeline.SinkKind, redisURL: String? = nil, _ folder: String) throws {
        Self.write(folder)
        func run(_ day: String, _ timeout: String, schema: String = "mvp") throws -> RunSummary {
            try RunsOverTimeTests.run(Self.pipeline(folder, timeout: timeout, schema: schema), days: [day], sink: sink, output: folder + "/out", redisURL: redisURL)
        }
        let first = try run("2024-03-01", "30m")
        #expect(first.exitStatus == .success && first.problems.isEmpty, "\(first.text)")
        let same = try run("2024-03-02", "30m")
        #expect(same.exitStatus == .success && same.problems.isEmpty, "\(same.text)")
        let changed = try run("2024-03-02", "10m")
        #expect(changed.exitStatus == .inputDamaged, "\(changed.text)")
        #expect(changed.problems.contains { $0.contains("were built with other settings: sessions.timeout 30m (now 10m); sessions stored before keep the settings of their runs") && $0.contains("--rebuild") }, "\(changed.problems)")
        // Said once as a problem: the history now holds the new settings; the store still
        // differs from one run, which every run says until a rebuild.
        let after = try run("2024-03-02", "10m")
        #expect(after.exitStatus == .success && after.problems.isEmpty, "\(after.text)")
        #expect(after.warnings.contains { $0.hasPrefix("the stored sessions still differ from one run over the days loaded (") && $0.contains(": the settings changed: sessions.timeout 30m (now 10m))") && $0.contains("said on every run until then") }, "\(after.warnings)")
        let schema = try run("2024-03-02", "10m", schema: "enhanced")
        #expect(schema.problems.contains { $0.contains("schema mvp (now enhanced), content_slots none (now trailer:trailer*,intro:intro*)") }, "\(schema.problems)")
    }

    @Test func aChangeOfTheSessionSettingsIsSaidOnceByAFlatFileRun() throws {
        let folder = TestFiles.temporaryFolder("build-settings-flat")
        defer { TestFiles.remove(folder) }
        try check(sink: .ndjson, folder)
        // A rebuild's history starts without the note.
        var options = RunOptions()
        options.output = folder + "/out"
        options.sink = .ndjson
        var backfill = Backfill(pipeline: try PipelineLoader.load(path: Self.pipeline(folder, timeout: "10m", schema: "enhanced")), options: options,
                                days: [try Day(parsing: "2024-03-01"), try Day(parsing: "2024-03-02")], report: { _ in })
        backfill.rebuild = true
        #expect(try backfill.run() == .success)
        let clean = try RunsOverTimeTests.run(Self.pipeline(folder, timeout: "10m", schema: "enhanced"), days: ["2024-03-02"], sink: .ndjson, output: folder + "/out")
        #expect(clean.exitStatus == .success && clean.warnings.isEmpty && clean.problems.isEmpty, "\(clean.text)")
    }

    @Test func notesKeepTheirLastFiveReasonsDated() {
        var note: String?
        for index in 1...7 { note = BuildSettings.noting("r\(index)", in: note, now: 1_709_251_200) }
        #expect(note == "2024-03-01: r3; 2024-03-01: r4; 2024-03-01: r5; 2024-03-01: r6; 2024-03-01: r7")
    }

    @Test func aChangeOfTheSessionSettingsIsSaidOnceByARedisRun() throws {
        let folder = TestFiles.temporaryFolder("build-settings-redis")
        defer { TestFiles.remove(folder) }
        let server = try RedisServer()
        defer { server.stop() }
        try check(sink: .redis, redisURL: server.url, folder)
        #expect(try server.connect().command("EXISTS", "funnel:settings") == .integer(1))
    }

    /// A dry run neither says nor stores.
    @Test func aDryRunStoresNothing() throws {
        let folder = TestFiles.temporaryFolder("build-settings-dry")
        defer { TestFiles.remove(folder) }
        Self.write(folder)
        _ = try RunsOverTimeTests.run(Self.pipeline(folder, timeout: "30m"), days: ["2024-03-01"], sink: .ndjson, output: folder + "/out")
        var options = RunOptions()
        options.days = [try Day(parsing: "2024-03-01")]
        options.output = folder + "/out"
        options.progress = .never
        options.dryRun = true
        let dry = try Runner(pipeline: PipelineLoader.load(path: Self.pipeline(folder, timeout: "10m")), options: options, report: { _ in }).run()
        #expect(dry.problems.isEmpty, "\(dry.problems)")
        let next = try RunsOverTimeTests.run(Self.pipeline(folder, timeout: "30m"), days: ["2024-03-01"], sink: .ndjson, output: folder + "/out")
        #expect(next.problems.isEmpty, "\(next.problems)")
    }

    /// A host written twice is no change.
    @Test func aHostWrittenTwiceIsNoChange() throws {
        let folder = TestFiles.temporaryFolder("build-settings-hosts")
        defer { TestFiles.remove(folder) }
        let once = try PipelineLoader.parse("sources:\n  - kind: ndjson\n    paths: [e.ndjson]\nsite:\n  hosts: [www.film.example, film.example]\n", file: folder + "/p.yaml")
        let twice = try PipelineLoader.parse("sources:\n  - kind: ndjson\n    paths: [e.ndjson]\nsite:\n  hosts: [www.film.example, FILM.example., film.example]\n", file: folder + "/p.yaml")
        #expect(BuildSettings.text(once) == BuildSettings.text(twice))
    }

    @Test func changesAreNamedWithBothValues() {
        #expect(BuildSettings.changes(from: "a=1\nb=2\nc=", to: "a=1\nb=3\nd=x") == ["b 2 (now 3)", "d none (now x)", "c empty (now none)"])
        #expect(BuildSettings.duration(1_800_000) == "30m" && BuildSettings.duration(90_000) == "90s" && BuildSettings.duration(86_400_000) == "1d"
                && BuildSettings.duration(1500) == "1500ms")
    }

    /// Two output folders loading one Redis under one key prefix, the second with another
    /// salt: its run says the history's salt changed (without either salt) and exits 2 (rv71a:
    /// 10,000 sessions doubled, exit 0, as each folder's manifest saw only its own files). A
    /// history stored before the salt was kept takes it without a word.
    @Test func anotherSaltOverOneRedisHistoryIsSaid() throws {
        let folder = TestFiles.temporaryFolder("build-settings-salt")
        defer { TestFiles.remove(folder) }
        Self.write(folder)
        let server = try RedisServer()
        defer { server.stop() }
        func pipeline(_ salt: String) -> String {
            TestFiles.write(folder + "/p-\(salt.count).yaml", "sources:\n  - kind: ndjson\n    paths: [\"ev-{date}.ndjson\"]\nidentity:\n  salt: \(salt)\nsink:\n  kind: redis\n")
            return folder + "/p-\(salt.count).yaml"
        }
        let first = try RunsOverTimeTests.run(pipeline("pepper-one"), days: ["2024-03-01"], sink: .redis, output: folder + "/a", redisURL: server.url)
        #expect(first.exitStatus == .success && first.problems.isEmpty, "\(first.text)")
        let stored = try #require(try server.connect().command("GET", "funnel:settings").text)
        #expect(stored.contains("identity.salt=") && !stored.contains("pepper"), "\(stored)")
        let other = try RunsOverTimeTests.run(pipeline("pepper-other"), days: ["2024-03-01"], sink: .redis, output: folder + "/b", redisURL: server.url)
        #expect(other.exitStatus == .inputDamaged, "\(other.text)")
        #expect(other.problems.contains { $0.contains("built with other settings: identity.salt another (now this pipeline's; neither is shown)") }, "\(other.problems)")
        #expect(!other.text.contains("pepper"), "\(other.text)")
        // A history from before: its settings without the salt's line are no change, and its
        // first run after the upgrade says nothing (rv72b: "built with other settings: ;",
        // exit 2, and a warning on every run after).
        let withoutSalt = stored.split(separator: "\n").filter { !$0.hasPrefix("identity.salt=") }.joined(separator: "\n")
        #expect(BuildSettings.changes(from: withoutSalt, to: stored).isEmpty)
        let admin = try server.connect()
        let now = try #require(try admin.command("GET", "funnel:settings").text)
        _ = try admin.command("SET", "funnel:settings", now.split(separator: "\n").filter { !$0.hasPrefix("identity.salt=") }.joined(separator: "\n"))
        _ = try admin.command("DEL", "funnel:needs_rebuild")
        let upgraded = try RunsOverTimeTests.run(pipeline("pepper-other"), days: ["2024-03-02"], sink: .redis, output: folder + "/b", redisURL: server.url)
        #expect(upgraded.exitStatus == .success && upgraded.problems.isEmpty && upgraded.warnings.isEmpty, "\(upgraded.text)")
        #expect(try admin.command("GET", "funnel:settings").text?.contains("identity.salt=") == true)
    }
}
