import Glibc
@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// A file a glob pattern matched for the day before and not for the day run (a server's log
/// not shipped yet, an hour's dump not written) is said, naming the day before's file: no later
/// night reads it (until 2026-12-06 the run said nothing, exit 0; a review of cron runs).
struct LookingMissingTests {
    private func warnings(_ folder: String, days: [String]) throws -> [String] {
        let pipeline = try PipelineLoader.parse("sources:\n  - kind: access_log\n    paths: ['logs/*/access.log-{date:%Y%m%d}.gz']\nsite:\n  hosts: [film.example]\n",
                                                file: folder + "/p.yaml")
        var options = RunOptions()
        options.days = try days.map { try Day(parsing: $0) }
        return try InputPlan.files(pipeline: pipeline, options: options).warnings
    }

    @Test func aServersFileMissingForTheDayIsSaid() throws {
        let folder = TestFiles.temporaryFolder("looking-missing")
        defer { TestFiles.remove(folder) }
        let line = #"203.0.113.9 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0""# + "\n"
        mkdir(folder + "/logs", 0o755)
        mkdir(folder + "/logs/web1", 0o755)
        mkdir(folder + "/logs/web2", 0o755)
        for path in ["web1/access.log-20240301.gz", "web2/access.log-20240301.gz", "web1/access.log-20240302.gz"] {
            TestFiles.gzip(line, to: folder + "/logs/" + path)
        }
        let expected = "\(folder)/logs/*/access.log-20240302.gz matched no file in place of \(folder)/logs/web2/access.log-20240301.gz of 2024-03-01 (a file not copied yet, a server that wrote none?): no later night reads it; once it is there, run 2024-03-02 again"
        #expect(try warnings(folder, days: ["2024-03-02"]) == [expected], "a night: the day before looked at on disk")
        #expect(try warnings(folder, days: ["2024-03-01", "2024-03-02"]) == [expected], "a range: the day before is the run's")
        #expect(try warnings(folder, days: ["2024-03-01"]).isEmpty, "no day before on disk")
        TestFiles.gzip(line, to: folder + "/logs/web2/access.log-20240302.gz")
        #expect(try warnings(folder, days: ["2024-03-02"]).isEmpty, "arrived")
    }

    /// Names that change from day to day besides their date (a random part, a date written
    /// twice) share nothing with the day before's: nothing is said (a review of the first
    /// rule: false warnings every night); a day's file compressed the next day is the same
    /// file (`delaycompress`).
    @Test func namesThatDoNotRepeatAreNotCompared() throws {
        let folder = TestFiles.temporaryFolder("looking-missing-random")
        defer { TestFiles.remove(folder) }
        for (part, names) in [("a", ["access.log-20240301-a81f.gz", "access.log-20240302-c03e.gz"]),
                              ("b", ["access.log-20240301.gz", "access.log-20240302"])] {
            mkdir(folder + "/" + part, 0o755)
            mkdir(folder + "/\(part)/web1", 0o755)
            mkdir(folder + "/\(part)/web2", 0o755)
            for server in ["web1", "web2"] {
                for name in names { TestFiles.write(folder + "/\(part)/\(server)/" + name, "") }
            }
        }
        func warnings(_ pattern: String) throws -> [String] {
            let pipeline = try PipelineLoader.parse("sources:\n  - kind: access_log\n    paths: ['\(pattern)']\n", file: folder + "/p.yaml")
            var options = RunOptions()
            options.days = [try Day(parsing: "2024-03-02")]
            return try InputPlan.files(pipeline: pipeline, options: options).warnings
        }
        #expect(try warnings("a/*/access.log-{date:%Y%m%d}-*.gz").isEmpty, "a random part")
        #expect(try warnings("b/*/access.log-{date:%Y%m%d}*").isEmpty, "delaycompress: yesterday's .gz, today's plain")
        TestFiles.remove(folder + "/b/web2/access.log-20240302")
        #expect(try warnings("b/*/access.log-{date:%Y%m%d}*").count == 1, "web2's, with web1's there")
    }

    /// A date of two characters (`{date:%d}`) stands in other names too (`web02`): not
    /// compared, where it would have said web02's file missing.
    @Test func aShortDateIsNotCompared() throws {
        let folder = TestFiles.temporaryFolder("looking-missing-short")
        defer { TestFiles.remove(folder) }
        mkdir(folder + "/logs", 0o755)
        for server in ["web01", "web02"] {
            mkdir(folder + "/logs/" + server, 0o755)
            for day in ["02", "03"] { TestFiles.write(folder + "/logs/\(server)/access-\(day).log", "") }
        }
        let pipeline = try PipelineLoader.parse("sources:\n  - kind: access_log\n    paths: ['logs/web*/access-{date:%d}.log']\n", file: folder + "/p.yaml")
        var options = RunOptions()
        options.days = [try Day(parsing: "2024-03-03")]
        #expect(try InputPlan.files(pipeline: pipeline, options: options).warnings.isEmpty)
    }

    /// A pattern naming a numbered rotation without a date is said in a dated run: the name
    /// holds another day each night (a review: Debian's default, nights mixed and lines lost).
    @Test(arguments: [("nginx/*/access.log.1", true), ("access.log.2.gz", true), ("access.log.*.gz", true), ("access.log", false),
                      ("access-{date}.log.1", true), ("v1.2/app.log", false), ("events.ndjson", false)])
    func aNumberedRotationIsSaid(pattern: String, said: Bool) throws {
        #expect(InputPlan.namesNumberedRotation(pattern) == said)
    }

    @Test func aDatedRunOfANumberedRotationIsWarned() throws {
        let folder = TestFiles.temporaryFolder("numbered-rotation")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/access.log.1", #"203.0.113.9 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11) Firefox/120.0""# + "\n")
        let pipeline = try PipelineLoader.parse("sources:\n  - kind: access_log\n    paths: [access.log.1]\n", file: folder + "/p.yaml")
        var options = RunOptions()
        #expect(try InputPlan.files(pipeline: pipeline, options: options).warnings.isEmpty, "no date: nothing to mix")
        options.days = [try Day(parsing: "2024-03-01")]
        let warnings = try InputPlan.files(pipeline: pipeline, options: options).warnings
        #expect(warnings.count == 1 && warnings[0] == "sources[0].paths '\(folder)/access.log.1' has no {date} and ends as a numbered rotation's names do (access.log.1, access.log.2.gz): each night the name holds another day, and funnel keeps a file's lines by its name, so nights are said changed and lines are lost; rotate with dated names (logrotate's dateext) and write a {date} pattern (docs/operations.md, \"Nightly cron\")", "\(warnings)")
    }
}

/// A plain file cut in the middle of a line (a copy not finished) ends in a rejected line with
/// no line end: said, so that the day is run again once the file is whole (a review: half a
/// day lost, exit 0, one `format_mismatch`). A last line without a line end that reads is not.
struct CutLastLineTests {
    @Test func aFileCutInTheMiddleOfALineIsSaid() throws {
        let folder = TestFiles.temporaryFolder("cut-last-line")
        defer { TestFiles.remove(folder) }
        let line = #"203.0.113.9 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11) Firefox/120.0""#
        TestFiles.write(folder + "/cut.log", line + "\n" + line.prefix(60))
        TestFiles.write(folder + "/whole.log", line + "\n" + line)
        // Whole, without a line end, rejected for what no cut gives (no identity): no cut.
        TestFiles.write(folder + "/noid.log", line + "\n" + #"- - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-""#)
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: access_log\n    paths: ['*.log']\nsite:\n  hosts: [film.example]\nsink:\n  kind: ndjson\n  output: out/\n")
        let summary = try RunsOverTimeTests.run(folder + "/p.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.warnings == ["1 input ends in the middle of a line that was rejected (first: \(folder)/cut.log, line 2): a copy not finished? once the file is whole, run its day again (it is then read as grown, and its rest is loaded)"], "\(summary.warnings)")
        #expect(summary.kept == 4)
    }
}

/// A country or city variable funnel picks from the format is not part of the reading
/// settings a file is fingerprinted with: files an earlier version read are not "read with
/// other settings" after the upgrade (a review: exit 2 once the pick came).
struct PickedVariableSettingsTests {
    @Test func aPickedVariableKeepsTheFingerprint() throws {
        let format = #"$remote_addr [$time_local] \"$request\" $status $geoip2_data_country_code \"$geoip2_data_city_name\""#
        let pipeline = try PipelineLoader.parse("sources:\n  - kind: access_log\n    format: '\(format)'\n    paths: [a.log]\n", file: "/tmp/p.yaml")
        let source = pipeline.sources[0]
        #expect(source.countryVariable == "geoip2_data_country_code" && source.writtenCountryVariable == "http_cf_ipcountry")
        var before = source
        before.countryVariable = before.writtenCountryVariable
        before.cityVariable = before.writtenCityVariable
        let file = InputFile(path: "/tmp/a.log", source: source)
        let earlier = InputFile(path: "/tmp/a.log", source: before)
        #expect(ReadingSettings.fingerprint(pipeline, file) == ReadingSettings.fingerprint(pipeline, earlier))
        var named = source
        named.writtenCountryVariable = "geoip2_data_country_code"
        #expect(ReadingSettings.fingerprint(pipeline, InputFile(path: "/tmp/a.log", source: named)) != ReadingSettings.fingerprint(pipeline, file),
                "a variable the file names is a setting")
    }
}

