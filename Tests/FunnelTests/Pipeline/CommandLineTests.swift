import Foundation
import FunnelPipeline
import FunnelTestSupport
import Testing

/// The built `funnel` executable, run as cron and CI run it: exit statuses of SPEC 9, what is
/// written and what is not, and that a password never reaches the output.
struct CommandLineTests {
    /// `FUNNEL_BINARY` when set (a build in another scratch path), else `.build/debug/funnel`.
    static let binary: String = {
        if let path = RunEnvironmentForTests.value("FUNNEL_BINARY"), !path.isEmpty { return path }
        return FixtureCase.repositoryRoot + "/.build/debug/funnel"
    }()

    static func fixture(_ name: String) -> String { FixtureCase.repositoryRoot + "/fixtures/" + name + "/pipeline.yaml" }

    private func funnel(_ arguments: [String], environment: [String: String?] = [:], timeout: Duration = .seconds(60)) throws -> CommandResult {
        try #require(TestFiles.exists(Self.binary), "no funnel executable at \(Self.binary); build it or set FUNNEL_BINARY")
        var environment = environment
        if environment["REDIS_PASSWORD"] == nil { environment["REDIS_PASSWORD"] = .some(nil) }
        return try CommandRunner.run(Self.binary, arguments, environment: environment, timeout: timeout)
    }

    /// The binary with `arguments`, run by bash after `shell` (`ulimit -f 1024`): a limit or
    /// descriptors set for it alone.
    private func funnel(after shell: String, _ arguments: [String]) throws -> CommandResult {
        try CommandRunner.run("/bin/bash", ["-c", shell + "; exec \"$0\" \"$@\"", Self.binary] + arguments, environment: [:], timeout: .seconds(60))
    }

    private func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    // MARK: - Exit status 0

    @Test func seedRunSucceedsAndWritesTheExpectedSessions() throws {
        let output = TestFiles.temporaryFolder("cli-seed")
        defer { TestFiles.remove(output) }
        let result = try funnel(["run", Self.fixture("seed_mvp"), "--output", output, "--progress", "never"])
        #expect(result.status == 0, "\(result)")
        #expect(files(in: output) == ["deleted.ndjson", "funnel-history.sqlite", "funnel.lock", "manifest.ndjson", "manifest.ndjson.generation", "rejects.ndjson", "sessions.ndjson"])
        let expected = TestFiles.readText(FixtureCase.repositoryRoot + "/fixtures/seed_mvp/expected/sessions.ndjson")
        #expect(TestFiles.readText(output + "/sessions.ndjson") == expected)
        #expect(result.stderr.contains("sessions     1"), "\(result)")
    }

    @Test func dryRunWritesNothing() throws {
        let folder = TestFiles.temporaryFolder("cli-dry")
        defer { TestFiles.remove(folder) }
        let result = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--dry-run", "--progress", "never"])
        #expect(result.status == 0, "\(result)")
        #expect(files(in: folder) == [], "a dry run created files")
        #expect(result.stderr.contains("dry run"), "\(result)")
        // Made, not written (until 2026-12-05 a dry run's summary said "1 written").
        #expect(result.stderr.contains("sessions     1 made (dry run: none written)"), "\(result)")
    }

    /// A dry run that fails on a usage or pipeline error says it was a dry run, and keeps the
    /// last real run's exit status in the metrics (rv74a: it wrote `funnel_dry_run 0` and
    /// `funnel_exit_status 1` over the nightly's 0, and a later dry run kept that 1).
    @Test func aDryRunThatFailsKeepsTheNightsStatus() throws {
        let folder = TestFiles.temporaryFolder("cli-dry-failed")
        defer { TestFiles.remove(folder) }
        let metrics = folder + "/funnel.prom", summary = folder + "/summary.json"
        let night = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--progress", "never", "--metrics-file", metrics])
        #expect(night.status == 0, "\(night)")
        for wrong in [["--progress", "nevr"], ["--date", "2024-02-30", "--progress", "never"]] {
            let dry = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--dry-run", "--metrics-file", metrics, "--summary-json", summary] + wrong)
            #expect(dry.status == 1, "\(dry)")
            let text = try #require(TestFiles.readText(metrics))
            #expect(text.contains("funnel_exit_status{pipeline=\"\(Self.fixture("seed_mvp"))\"} 0\n"), "\(wrong): \(text)")
            #expect(text.contains("funnel_dry_run{pipeline=\"\(Self.fixture("seed_mvp"))\"} 1"), "\(wrong): \(text)")
            #expect(TestFiles.readText(summary)?.contains("\"dry_run\":true") == true, "\(wrong): \(TestFiles.readText(summary) ?? "")")
        }
    }

    /// `funnel` alone is a usage error (exit 1, with the help; it exited 0), `--help` is not;
    /// an error a subcommand finds after parsing shows that subcommand's usage, not the
    /// root's `funnel <subcommand>` (a review).
    @Test func usageErrorsExitOneWithTheirCommandsUsage() throws {
        let bare = try funnel([])
        #expect(bare.status == 1 && bare.stderr.contains("SUBCOMMANDS:"), "\(bare)")
        #expect(try funnel(["--help"]).status == 0)
        let range = try funnel(["run", Self.fixture("seed_mvp"), "--from", "2024-01-01"])
        #expect(range.status == 1 && range.stderr.contains("Usage: funnel run [<options>] <pipeline>"), "\(range)")
        #expect(range.stderr.contains("See 'funnel run --help'"), "\(range)")
    }

    /// A combined log read with `format: common` keeps every line without its referrer and
    /// user agent: `run` warns and `validate` counts the lines with text after the format's
    /// end (SPEC 2: a wrong format must not pass quietly; a review); read as combined, neither.
    /// A file of fewer than 20 lines is said when every line has such text (a fixture of six
    /// lines passed quietly until 2026-12-06).
    @Test(arguments: [30, 6])
    func aFormatThatLacksTheLogsFieldsIsSaid(lineCount: Int) throws {
        let folder = TestFiles.temporaryFolder("cli-past-format")
        defer { TestFiles.remove(folder) }
        let lines = (0..<lineCount).map { #"198.51.100.8 - - [01/Mar/2024:10:00:\#(10 + $0) +0000] "GET /p\#($0) HTTP/1.1" 200 1 "https://www.google.com/" "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0""# }
        TestFiles.write(folder + "/a.log", lines.joined(separator: "\n") + "\n")
        for format in ["common", "combined"] {
            TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: access_log\n    format: \(format)\n    paths: [a.log]\nsink:\n  kind: ndjson\n  output: out-\(format)\n")
            let run = try funnel(["run", folder + "/p.yaml", "--progress", "never"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.contains("1 access log has text after the end of the log format on most lines (first: \(folder)/a.log, line 1)") == (format == "common"), "\(run)")
            let validate = try funnel(["validate", folder + "/p.yaml"])
            #expect(validate.stdout.contains("\(lineCount) with text after the end of the format") == (format == "common"), "\(validate)")
        }
    }

    /// `validate` passes a file whose reject rate is the limit exactly, as `run` does (it
    /// failed 1 bad line in 100 against 0.01: 1 - 0.99 is more than 0.01 in floating point;
    /// a review of CI use), and fails one over it.
    @Test(arguments: [(1, Int32(0)), (2, Int32(2))])
    func validateGatesARejectRateAsRunDoes(bad: Int, status: Int32) throws {
        let folder = TestFiles.temporaryFolder("cli-validate-rate")
        defer { TestFiles.remove(folder) }
        let good = (0..<(100 - bad)).map { #"198.51.100.8 - - [01/Mar/2024:10:00:\#(10 + $0 % 50) +0000] "GET /p\#($0) HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0""# }
        TestFiles.write(folder + "/a.log", (good + Array(repeating: "garbage", count: bad)).joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: access_log\n    paths: [a.log]\nsink:\n  kind: ndjson\n  output: out\n")
        let validate = try funnel(["validate", folder + "/p.yaml"])
        #expect(validate.status == status, "\(validate)")
        let run = try funnel(["run", folder + "/p.yaml", "--progress", "never"])
        #expect(run.status == status, "\(run)")
    }

    /// Descriptors the parent left open count against the window of input files: 60 logs
    /// that each span the day, under `ulimit -n 90` with 30 descriptors inherited, are read
    /// (exit 3 when the window took 58 of them and the run had no room left; a review).
    @Test func descriptorsAParentLeftOpenLeaveTheRunRoom() throws {
        let folder = TestFiles.temporaryFolder("cli-inherited")
        defer { TestFiles.remove(folder) }
        // Each larger than a file's read buffer (128 KiB), so it stays open all day.
        for server in 0..<60 {
            let lines = (0..<1_440).map { minute in
                #"198.51.100.\#(server) - - [01/Mar/2024:\#(minute / 60 < 10 ? "0" : "")\#(minute / 60):\#(minute % 60 < 10 ? "0" : "")\#(minute % 60):00 +0000] "GET /p HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0""#
            }
            TestFiles.write(folder + "/access-w\(server)-2024-03-01.log", lines.joined(separator: "\n") + "\n")
        }
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: access_log\n    paths: [\"access-*-{date}.log\"]\nsink:\n  kind: ndjson\n  output: out\n")
        let result = try funnel(after: "ulimit -n 90; for i in $(seq 30); do exec {fd}</dev/null; done",
                                ["run", folder + "/p.yaml", "--date", "2024-03-01", "--progress", "never"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("lines read   86400"), "\(result)")
    }

    /// A run whose rejects cannot be written whole (a write past `ulimit -f`, as a disk that
    /// fills) puts none of its files in place: the previous sessions and rejects stay, side
    /// by side, the summary says 0 sessions written and names the limit (rv70d: the new
    /// sessions file went in place beside the previous rejects, the summary said them written,
    /// and the message said to set TMPDIR).
    @Test func aRunWhoseRejectsCannotBeWrittenPutsNoFileInPlace() throws {
        let folder = TestFiles.temporaryFolder("cli-fsize")
        defer { TestFiles.remove(folder) }
        func line(_ minute: Int, _ page: String) -> String {
            #"198.51.100.8 - - [01/Mar/2024:10:\#(minute < 10 ? "0" : "")\#(minute):00 +0000] "GET \#(page) HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0""#
        }
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: access_log\n    paths: [\"access-{date}.log\"]\nsink:\n  kind: ndjson\n  output: out\n")
        let log = folder + "/access-2024-03-01.log"
        TestFiles.write(log, line(0, "/first") + "\nnot a log line\n")
        let first = try funnel(["run", folder + "/p.yaml", "--date", "2024-03-01", "--max-reject-rate", "1"])
        #expect(first.status == 0, "\(first)")
        let sessions = try #require(TestFiles.readText(folder + "/out/sessions.ndjson"))
        let rejects = try #require(TestFiles.readText(folder + "/out/rejects.ndjson"))
        #expect(sessions.contains("/first") && rejects.contains("not a log line"))
        // The day again, grown by a new page and 4,000 bad lines: over 2 MB of rejects.
        let junk = String(repeating: "x", count: 500)
        TestFiles.write(log, line(0, "/first") + "\nnot a log line\n" + line(5, "/second") + "\n" + (0..<4_000).map { "bad \($0) \(junk)" }.joined(separator: "\n") + "\n")
        let second = try funnel(after: "ulimit -f 1024", ["run", folder + "/p.yaml", "--date", "2024-03-01", "--max-reject-rate", "1", "--progress", "never"])
        #expect(second.status == 3, "\(second)")
        #expect(second.stderr.contains("ulimit -f"), "\(second)")
        #expect(second.stderr.contains("0 written") && second.stderr.contains("none of this run's files was put in place"), "\(second)")
        #expect(TestFiles.readText(folder + "/out/sessions.ndjson") == sessions)
        #expect(TestFiles.readText(folder + "/out/rejects.ndjson") == rejects)
        // The history's database past the limit says it too (rv72a: "disk I/O error" alone).
        let history = try funnel(after: "ulimit -f 8", ["run", folder + "/p.yaml", "--date", "2024-03-01", "--max-reject-rate", "1", "--output", folder + "/fresh", "--progress", "never"])
        #expect(history.status != 0 && history.stderr.contains("ulimit -f"), "\(history)")
    }

    /// Out of descriptors at any step of its set-up (the manifest, the history, the outputs'
    /// and the scratch's temporary files), a run says to raise `ulimit -n` (rv70d: under 7 it
    /// said only "Too many open files", under 5 "unable to open database file", and under 4 to
    /// make the manifest readable), and writes nothing.
    /// A run reading standard input is refused for another's lock before it waits for its
    /// first line (rv72b: it took the lock only once a line came, after its producer had begun
    /// writing). Here stdin is a pipe nobody writes to nor closes: the run exits at once, not
    /// at the time limit's kill.
    @Test func aStdinRunIsRefusedForALockBeforeItsFirstLine() throws {
        let folder = TestFiles.temporaryFolder("cli-stdin-lock")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: access_log\n    paths: [\"-\"]\nsink:\n  kind: ndjson\n  output: out\n")
        try FileManager.default.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
        for arguments in [["run", folder + "/p.yaml"], ["run", folder + "/p.yaml", "--input", "-", "--input-kind", "access_log"]] {
            let shell = "cd '\(folder)' && mkfifo -m 600 pipe.\(arguments.count) && exec 3<>pipe.\(arguments.count) 4>out/funnel.lock 0<&3 && flock -n 4"
            let result = try funnel(after: shell, arguments + ["--progress", "never"])
            #expect(!result.timedOut && result.status == 1, "\(arguments): \(result)")
            #expect(result.stderr.contains("another funnel run") && result.stderr.contains("is writing to"), "\(arguments): \(result)")
        }
    }

    @Test func aRunOutOfDescriptorsSaysToRaiseTheLimit() throws {
        let folder = TestFiles.temporaryFolder("cli-descriptors")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/access-2024-03-01.log", #"198.51.100.8 - - [01/Mar/2024:10:00:00 +0000] "GET /p HTTP/1.1" 200 1 "-" "Mozilla/5.0""# + "\n")
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: access_log\n    paths: [\"access-{date}.log\"]\nsink:\n  kind: ndjson\n  output: out\n")
        // A manifest to read, from a run with room.
        #expect(try funnel(["run", folder + "/p.yaml", "--date", "2024-03-01"]).status == 0)
        let sessions = TestFiles.readText(folder + "/out/sessions.ndjson")
        var failed = 0
        for limit in 4...10 {
            let result = try funnel(after: "ulimit -n \(limit)", ["run", folder + "/p.yaml", "--date", "2024-03-01", "--progress", "never"])
            guard result.status != 0 else { continue }
            failed += 1
            #expect(result.status == 1 || result.status == 3, "ulimit -n \(limit): \(result)")
            #expect(result.stderr.contains("raise the limit of open files (ulimit -n"), "ulimit -n \(limit): \(result)")
            #expect(TestFiles.readText(folder + "/out/sessions.ndjson") == sessions)
        }
        // Each step of the set-up is reached by one limit or another (4 to 9 fail).
        #expect(failed >= 5, "\(failed)")
        // A Redis sink's socket that cannot be made says it too (rv72a: "Can't create socket:
        // Too many open files" alone); no server listens on the port, none is reached.
        let socket = try funnel(after: "ulimit -n 5", ["run", folder + "/p.yaml", "--date", "2024-03-01", "--sink", "redis", "--redis-url", "redis://127.0.0.1:1/0",
                                                      "--output", folder + "/redis-out", "--progress", "never"])
        #expect(socket.status != 0 && socket.stderr.contains("raise the limit of open files (ulimit -n"), "\(socket)")
    }

    /// A backfill says its days' warnings, each once (it said none: a review); here the
    /// pipeline file's cookies that the combined format cannot hold.
    @Test func aBackfillSaysEachWarningOnce() throws {
        let folder = TestFiles.temporaryFolder("cli-backfill-warnings")
        defer { TestFiles.remove(folder) }
        for day in ["01", "02"] {
            TestFiles.write(folder + "/access-2024-03-\(day).log", #"198.51.100.8 - - [\#(day)/Mar/2024:10:00:00 +0000] "GET /p HTTP/1.1" 200 1 "-" "Mozilla/5.0""# + "\n")
        }
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: access_log\n    format: combined\n    visitor_cookie: vid\n    paths: [\"access-{date}.log\"]\nsink:\n  kind: ndjson\n  output: out\n")
        let result = try funnel(["backfill", folder + "/p.yaml", "--from", "2024-03-01", "--to", "2024-03-02"])
        #expect(result.status == 0, "\(result)")
        let said = (result.stdout + result.stderr).components(separatedBy: "warning: sources[0].visitor_cookie 'vid' is never found: the combined format").count - 1
        #expect(said == 1, "\(result)")
        // A run of an NDJSON --input reads no access log: it is not told of its cookies.
        TestFiles.write(folder + "/e.ndjson", #"{"event":"PageView","timestamp":1709287200000,"anonymous_id":"a1","url":"https://film.example/"}"# + "\n")
        let events = try funnel(["run", folder + "/p.yaml", "--input", folder + "/e.ndjson", "--output", folder + "/o2", "--progress", "never"])
        #expect(events.status == 0 && !events.stderr.contains("visitor_cookie") && events.stderr.contains("sessions     1"), "\(events)")
        let logs = try funnel(["run", folder + "/p.yaml", "--input", folder + "/access-2024-03-01.log", "--output", folder + "/o3", "--progress", "never"])
        #expect(logs.stderr.contains("visitor_cookie 'vid' is never found"), "\(logs)")
    }

    /// Options that would do nothing are refused, saying why (until 2026-12-05 `--input-kind`
    /// without `--input` was ignored, and `validate --lines 0` sampled one line).
    @Test func optionsThatWouldDoNothingAreRefused() throws {
        let kind = try funnel(["run", Self.fixture("seed_mvp"), "--input-kind", "ndjson", "--dry-run", "--progress", "never"])
        #expect(kind.status == 1, "\(kind)")
        #expect(kind.stderr.contains("no --input is given"), "\(kind)")
        let lines = try funnel(["validate", Self.fixture("seed_mvp"), "--lines", "0"])
        #expect(lines.status == 1 && lines.stderr.contains("--lines must be at least 1"), "\(lines)")
        let staging = try funnel(["backfill", Self.fixture("seed_mvp"), "--from", "2024-01-01", "--to", "2024-01-01", "--staging-db", "3", "--output", "/nonexistent-funnel/x"])
        #expect(staging.status == 1 && staging.stderr.contains("--staging-db names the database a --rebuild loads into"), "\(staging)")
        let flat = try funnel(["backfill", Self.fixture("seed_mvp"), "--from", "2024-01-01", "--to", "2024-01-01", "--rebuild", "--staging-db", "3", "--output", "/nonexistent-funnel/x"])
        #expect(flat.status == 1 && flat.stderr.contains("--staging-db applies to a Redis sink"), "\(flat)")
    }

    /// `--input` takes its reading settings from the pipeline's source of its kind; with two
    /// read differently it cannot tell which, and says so (until 2026-12-05 it took the first,
    /// and a file of the second was all format_mismatch). Two alike are one choice.
    @Test func anInputThatTwoSourcesWouldReadDifferentlyIsRefused() throws {
        let folder = TestFiles.temporaryFolder("cli-input-two-sources")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/a.log", #"203.0.113.9 [01/Mar/2024:10:00:00 +0000] "GET /watch HTTP/1.1" 200"# + "\n")
        func pipeline(_ second: String) -> String {
            let path = folder + "/p-\(second.count).yaml"
            TestFiles.write(path, """
                sources:
                  - kind: access_log
                    format: combined
                    paths: ["web1-{date}.log"]
                  - kind: access_log
                    format: '\(second)'
                    paths: ["web2-{date}.log"]
                sink:
                  kind: ndjson
                  output: \(folder)/out

                """)
            return path
        }
        let different = try funnel(["run", pipeline(#"$remote_addr [$time_local] "$request" $status"#), "--input", folder + "/a.log", "--dry-run", "--progress", "never"])
        #expect(different.status == 1 && different.stderr.contains("2 access_log sources read differently"), "\(different)")
        let alike = try funnel(["run", pipeline("combined"), "--input", folder + "/a.log", "--dry-run", "--progress", "never"])
        #expect(alike.stderr.contains("format_mismatch 1"), "the combined format, as both sources say: \(alike)")
    }

    @Test func summaryJSONHasTheRunsCounts() throws {
        let folder = TestFiles.temporaryFolder("cli-summary")
        defer { TestFiles.remove(folder) }
        let summaryPath = folder + "/summary.json"
        let result = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--summary-json", summaryPath, "--progress", "never"])
        #expect(result.status == 0, "\(result)")
        let bytes = try #require(TestFiles.read(summaryPath), "no summary file")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["lines_read"] as? Int == 4)
        #expect(object["sessions"] as? Int == 1)
        #expect(object["kept"] as? Int == 4)
        #expect(object["visitors"] as? Int == 1)
        #expect(object["conversions"] as? Int == 1)
        #expect(object["exit_status"] as? Int == 0)
        #expect(object["rejected"] is [String: Any])
        #expect(object["filtered"] is [String: Any])
        #expect(files(in: folder) == ["out", "summary.json"], "no temporary file left behind")
    }

    @Test func validateSucceedsOnGoodInput() throws {
        let result = try funnel(["validate", Self.fixture("seed_mvp")])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("events.ndjson"), "\(result)")
        #expect(result.stdout.contains("4/4"), "\(result)")
        #expect(!result.stdout.contains("FAIL"), "\(result)")
    }

    /// Without `--date`, `validate` samples the newest three days' files of every server
    /// (until 2026-12-05 the last three by name: with `access-*-{date}` all `web2`, never
    /// `web1`), and a path pattern that matches no file fails (it was left out: "OK").
    @Test func validateSamplesTheNewestDaysOfEveryServerAndFailsAPatternMatchingNothing() throws {
        let folder = TestFiles.temporaryFolder("cli-validate-newest")
        defer { TestFiles.remove(folder) }
        let good = #"127.0.0.1 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0""# + "\n"
        for day in ["20240228", "20240301", "20240302", "20240303"] {
            TestFiles.gzip(good, to: folder + "/access-web1-\(day).log.gz")
            TestFiles.gzip(day == "20240228" ? good : "not a log line\n", to: folder + "/access-web2-\(day).log.gz")
        }
        TestFiles.write(folder + "/p.yaml", """
            sources:
              - kind: access_log
                format: combined
                paths: ["access-*-{date:%Y%m%d}.log.gz"]
              - kind: ndjson
                paths: ["evnets-{date}.ndjson"]
            """)
        let result = try funnel(["validate", folder + "/p.yaml"])
        #expect(result.status == 2, "\(result)")
        for day in ["20240301", "20240302", "20240303"] {
            #expect(result.stdout.contains("ok   \(folder)/access-web1-\(day).log.gz"), "\(result)")
            #expect(result.stdout.contains("FAIL \(folder)/access-web2-\(day).log.gz"), "\(result)")
        }
        #expect(!result.stdout.contains("20240228"), "the fourth-newest day is not sampled: \(result)")
        #expect(result.stdout.contains("FAIL \(folder)/evnets-{date}.ndjson [ndjson]: matched no file"), "\(result)")
        let dated = try funnel(["validate", folder + "/p.yaml", "--date", "2024-02-28"])
        #expect(dated.status == 2, "\(dated)")
        #expect(dated.stdout.contains("FAIL \(folder)/evnets-2024-02-28.ndjson [ndjson]: matched no file"), "\(dated)")
        #expect(dated.stdout.contains("ok   \(folder)/access-web2-20240228.log.gz"), "\(dated)")
    }

    /// `--all-files` samples every file the patterns match: a damaged file first by name under
    /// a pattern without a date (a CI gate over fixtures passed it: a pattern without a date
    /// samples its last three files by name; a review), and a dated pattern's oldest day.
    @Test func validateAllFilesSamplesEveryFile() throws {
        let folder = TestFiles.temporaryFolder("cli-validate-all")
        defer { TestFiles.remove(folder) }
        let good = #"127.0.0.1 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0""# + "\n"
        TestFiles.write(folder + "/a.log", "not a log line\n")
        for name in ["b", "c", "d"] { TestFiles.write(folder + "/\(name).log", good) }
        mkdir(folder + "/days", 0o755)
        for day in ["20240228", "20240301", "20240302", "20240303"] {
            TestFiles.write(folder + "/days/dated-\(day).log", day == "20240228" ? "not a log line\n" : good)
        }
        TestFiles.write(folder + "/p.yaml", """
            sources:
              - kind: access_log
                format: combined
                paths: ["*.log"]
              - kind: access_log
                format: combined
                paths: ["days/dated-{date:%Y%m%d}.log"]
            """)
        let sampled = try funnel(["validate", folder + "/p.yaml"])
        #expect(!sampled.stdout.contains("/a.log") && !sampled.stdout.contains("20240228"), "\(sampled)")
        let all = try funnel(["validate", folder + "/p.yaml", "--all-files"])
        #expect(all.status == 2, "\(all)")
        #expect(all.stdout.contains("FAIL \(folder)/a.log") && all.stdout.contains("FAIL \(folder)/days/dated-20240228.log"), "\(all)")
        let both = try funnel(["validate", folder + "/p.yaml", "--all-files", "--date", "2024-03-01"])
        #expect(both.status == 1 && both.stderr.contains("--all-files samples the files of every day, and --date one day's"), "\(both)")
    }

    /// A day of many files: every failing file has its line, the first ten passing ones too,
    /// and the rest one line (a day of 1,440 minute dumps printed 1,442 lines).
    @Test func validateCountsThePassingFilesPastTheFirstTen() throws {
        let folder = TestFiles.temporaryFolder("cli-validate-many")
        defer { TestFiles.remove(folder) }
        let good = #"127.0.0.1 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0""# + "\n"
        for minute in 0..<14 { TestFiles.write(folder + "/access-20240301-\(1000 + minute).log", good) }
        TestFiles.write(folder + "/access-20240301-2000.log", "not a log line\n")
        TestFiles.write(folder + "/p.yaml", """
            sources:
              - kind: access_log
                format: combined
                paths: ["access-{date:%Y%m%d}-*.log"]
            """)
        let result = try funnel(["validate", folder + "/p.yaml", "--date", "2024-03-01"])
        let lines = result.stdout.split(separator: "\n")
        #expect(result.status == 2, "\(result)")
        #expect(lines.filter { $0.hasPrefix("ok   \(folder)") }.count == 10, "\(result)")
        #expect(lines.contains("ok   and 4 more files: 4/4 lines parse (100.0%), 4 kept (--every-file names them)"), "\(result)")
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/access-20240301-2000.log") }, "\(result)")
        let every = try funnel(["validate", folder + "/p.yaml", "--date", "2024-03-01", "--every-file"])
        #expect(every.stdout.split(separator: "\n").filter { $0.hasPrefix("ok   \(folder)") }.count == 14, "\(every)")
    }

    /// `--summary-json` and `--metrics-file` given as links (a textfile collector's folder
    /// linking into the pipeline's, say) write the files they point to, relative or absolute,
    /// existing or not yet, and stay links: until 2026-12-06 each link was replaced by a file.
    @Test func linkedSummaryAndMetricsFilesAreWrittenThrough() throws {
        let folder = TestFiles.temporaryFolder("cli-linked-reports")
        defer { TestFiles.remove(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/real", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/links", withIntermediateDirectories: true)
        TestFiles.write(folder + "/real/summary.json", "{}\n")
        #expect(symlink("../real/summary.json", folder + "/links/summary.json") == 0)
        #expect(symlink(folder + "/real/funnel.prom", folder + "/links/funnel.prom") == 0)  // not there yet
        let run = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--progress", "never",
                              "--summary-json", folder + "/links/summary.json", "--metrics-file", folder + "/links/funnel.prom"])
        #expect(run.status == 0, "\(run)")
        for name in ["summary.json", "funnel.prom"] {
            var info = stat()
            #expect(lstat(folder + "/links/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, "\(name) is still a link")
        }
        #expect(TestFiles.readText(folder + "/real/summary.json")?.contains("\"exit_status\":0") == true)
        #expect(TestFiles.readText(folder + "/real/funnel.prom")?.contains("funnel_exit_status{") == true)

        // A link to a FIFO (or a device: a link to /dev/null is a usual way to switch such
        // a file off) is refused at the start and left as it is: until a review of
        // 2026-12-06 the failed run's record was written through it anyway (as root a
        // device became a regular file; a FIFO hung the run). So is a loop of links.
        #expect(mkfifo(folder + "/real/fifo", 0o600) == 0)
        #expect(symlink(folder + "/real/fifo", folder + "/links/fifo.prom") == 0)
        #expect(symlink(folder + "/links/loop2", folder + "/links/loop1") == 0 && symlink(folder + "/links/loop1", folder + "/links/loop2") == 0)
        for (link, says) in [("fifo.prom", "it is not a regular file"), ("loop1", "Too many levels of symbolic links")] {
            let refused = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--progress", "never", "--metrics-file", folder + "/links/" + link],
                                     timeout: .seconds(20))
            #expect(refused.status == 1 && refused.stderr.contains(says), "\(refused)")
            var info = stat()
            #expect(lstat(folder + "/links/" + link, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, "\(link) is still a link")
        }
        var info = stat()
        #expect(lstat(folder + "/real/fifo", &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
    }

    /// Usage and path mistakes that ran, or said the wrong thing, until 2026-12-05: validate's
    /// `--max-reject-rate` out of 0...1 (run refused it), a folder as the pipeline file ("the
    /// file is empty"), `--output ""` (paths like "/funnel.lock": the root folder), and a
    /// `--metrics-file` that cannot be written (a problem line after the run, exit 0).
    @Test func mistakenPathsAndRatesAreRefusedAtTheStart() throws {
        let folder = TestFiles.temporaryFolder("cli-mistakes")
        defer { TestFiles.remove(folder) }
        for rate in ["7", "-1"] {
            let result = try funnel(["validate", Self.fixture("seed_mvp"), "--max-reject-rate=\(rate)"])
            #expect(result.status != 0 && result.stderr.contains("--max-reject-rate must be between 0 and 1"), "\(result)")
        }
        let asFolder = try funnel(["validate", folder])
        #expect(asFolder.status == 1 && asFolder.stderr.contains("cannot read pipeline file \(folder): Is a directory"), "\(asFolder)")
        let emptyOutput = try funnel(["run", Self.fixture("seed_mvp"), "--output", "", "--progress", "never"])
        #expect(emptyOutput.status != 0 && emptyOutput.stderr.contains("--output is empty"), "\(emptyOutput)")
        let metrics = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--progress", "never", "--metrics-file", folder + "/no-such/funnel.prom"])
        #expect(metrics.status == 1 && metrics.stderr.contains("cannot write --metrics-file \(folder)/no-such/funnel.prom"), "\(metrics)")
        #expect(!TestFiles.exists(folder + "/out/sessions.ndjson"), "nothing written: \(metrics)")
        // A folder in the path that is a file passed the check (`access` on it) and failed the
        // write after the run, which had written its outputs (a review of 2026-12-05's night).
        TestFiles.write(folder + "/afile", "x")
        for option in ["--summary-json", "--metrics-file"] {
            let underAFile = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--progress", "never", option, folder + "/afile/x.json"])
            #expect(underAFile.status == 1 && underAFile.stderr.contains("cannot write \(option) \(folder)/afile/x.json: Not a directory"), "\(underAFile)")
            #expect(!TestFiles.exists(folder + "/out/sessions.ndjson"), "nothing written: \(underAFile)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".funnel-check") }.isEmpty)
        // A probe a killed run of the same pid left is taken, not a refusal (`O_EXCL` refused
        // every night of a container whose funnel is always one pid; a review).
        mkdir(folder + "/pr", 0o755)
        let leftover = try CommandRunner.run("/bin/bash", ["-c", "touch '\(folder)/pr/.funnel-check-'$$; exec '\(Self.binary)' run '\(Self.fixture("seed_mvp"))' --output '\(folder)/pr/out' --progress never --summary-json '\(folder)/pr/s.json'"],
                                             environment: [:], timeout: .seconds(60))
        #expect(leftover.status == 0 && TestFiles.exists(folder + "/pr/s.json"), "\(leftover)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/pr").filter { $0.hasPrefix(".funnel-check") }.isEmpty)
        // After the run, a disk's advice to run the same days again is left out: the run is
        // done, and a re-run writes none of its sessions again (a review found it in the
        // metrics file's warning).
        #expect(SummaryFile.afterTheRun("cannot write x: No space left on device; free space on that disk and run the same days again", exitStatus: .success)
                == "cannot write x: No space left on device; the run's outputs and history are written and its exit status is 0")
        // A FIFO (as a device, `/dev/stdout` as root) would be replaced, not written to.
        #expect(mkfifo(folder + "/fifo", 0o600) == 0)
        let fifo = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--progress", "never", "--summary-json", folder + "/fifo"])
        #expect(fifo.status == 1 && fifo.stderr.contains("cannot write --summary-json \(folder)/fifo: it is not a regular file"), "\(fifo)")
    }

    /// The executable links jemalloc ahead of libc (Sources/CJemalloc), so the process's
    /// `malloc` is jemalloc's: asked through its own environment variable, it prints its
    /// statistics at exit (glibc's malloc ignores `MALLOC_CONF` and prints nothing). They
    /// show the one-second decay `Allocator` sets, for later arenas and for arena 0.
    @Test func theExecutableAllocatesWithJemallocAndReturnsPagesAfterASecond() throws {
        let result = try funnel(["validate", Self.fixture("seed_mvp")], environment: ["MALLOC_CONF": "stats_print:true"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("Begin jemalloc statistics"), "\(result.stderr.prefix(400))")
        #expect(result.stderr.contains("(arenas.dirty_decay_ms: 1000)"))
        let dirty = result.stderr.split(separator: "\n").filter { $0.hasPrefix("   dirty:") }.map { $0.split(separator: " ")[1] }
        #expect(!dirty.isEmpty && dirty.allSatisfy { $0 == "1000" }, "\(dirty)")
    }

    // MARK: - Exit status 1

    @Test func missingPipelineFileExits1() throws {
        let path = "/nonexistent-funnel-test/pipeline.yaml"
        let result = try funnel(["run", path, "--progress", "never"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains(path), "\(result)")
        let validate = try funnel(["validate", path])
        #expect(validate.status == 1, "\(validate)")
    }

    @Test func unknownPipelineKeyExits1AndWritesNothing() throws {
        let folder = TestFiles.temporaryFolder("cli-unknown-key")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/p.yaml", """
            sources:
              - kind: ndjson
                paths: ["\(FixtureCase.repositoryRoot)/fixtures/seed_mvp/events.ndjson"]
            sessions:
              timout: 30m
            """)
        let result = try funnel(["run", folder + "/p.yaml", "--output", folder + "/out", "--progress", "never"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("'timout'"), "\(result)")
        #expect(result.stderr.contains("timeout"), "\(result)")
        #expect(!TestFiles.exists(folder + "/out"))
        let validate = try funnel(["validate", folder + "/p.yaml"])
        #expect(validate.status == 1, "\(validate)")
    }

    /// A Redis URL the run would refuse (another scheme, a user without a password) fails
    /// `validate` with the run's message.
    @Test(arguments: ["http://x", "redis://u@h:1/0"])
    func validateRefusesTheRedisURLTheRunRefuses(url: String) throws {
        let folder = TestFiles.temporaryFolder("cli-validate-url")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/p.yaml", """
            sources:
              - kind: ndjson
                paths: ["\(FixtureCase.repositoryRoot)/fixtures/seed_mvp/events.ndjson"]
            sink:
              kind: redis
              url: "\(url)"
            """)
        let run = try funnel(["run", folder + "/p.yaml", "--output", folder + "/out", "--progress", "never"], environment: ["REDIS_PASSWORD": nil])
        #expect(run.status == 1, "\(run)")
        let validate = try funnel(["validate", folder + "/p.yaml"], environment: ["REDIS_PASSWORD": nil])
        #expect(validate.status == 1, "\(validate)")
        let message = run.stderr.split(separator: "\n").first { $0.hasPrefix("funnel: ") }
        #expect(message != nil && validate.stderr.contains(String(message!)), "run: \(run)\nvalidate: \(validate)")
    }

    @Test(arguments: [
        (["--date", "2024-02-30"], "2024-02-30"),
        (["--date", "yesterdayish"], "yesterdayish"),
        (["--date", "2024-01-01", "--from", "2024-01-01", "--to", "2024-01-02"], "--date"),
        (["--from", "2024-01-01"], "--to"),
        (["--from", "2024-01-03", "--to", "2024-01-01"], "--from"),
        (["--sink", "kafka"], "--sink"),
        (["--progress", "sometimes"], "--progress"),
        (["--no-such-option"], "--no-such-option"),
        // A value beginning with '-' (rv75d: "Missing value for '--output <output>'").
        (["--output", "-out"], "'-out' begins with '-', so it is read as options"),
    ])
    func usageErrorsExit1(_ extra: [String], _ mentioned: String) throws {
        let folder = TestFiles.temporaryFolder("cli-usage")
        defer { TestFiles.remove(folder) }
        let result = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--progress", "never"] + extra)
        #expect(result.status == 1, "\(extra): \(result)")
        #expect(result.stderr.contains(mentioned), "\(extra): \(result)")
        #expect(!TestFiles.exists(folder + "/out"), "\(extra): a usage error wrote output")
    }

    /// A pipeline path beginning with `-` is a usage error naming the ways to write it
    /// (rv75d: `-dash/pipeline.yaml` was read as short options holding `-h`, printed the help
    /// and exited 0), and `validate` or `inspect` whose report cannot be written exits 1 saying
    /// so (rv75d: `>/dev/full` exited 0; rv76c: inspect's case was untested).
    @Test func aDashedPathAndAnUnwritableReportAreUsageErrors() throws {
        let dashed = try funnel(["run", "-dash/pipeline.yaml", "--date", "2024-03-01"])
        #expect(dashed.status == 1, "\(dashed)")
        #expect(dashed.stderr.contains("./-dash/pipeline.yaml") && dashed.stderr.contains("after '--'") && !dashed.stdout.contains("USAGE"), "\(dashed)")
        let full = try funnel(after: "exec >/dev/full", ["validate", Self.fixture("seed_mvp")])
        #expect(full.status == 1, "\(full)")
        #expect(full.stderr.contains("funnel: cannot write to standard output: No space left on device"), "\(full)")
        let written = try funnel(["validate", Self.fixture("seed_mvp")])
        #expect(written.status == 0 && written.stdout.contains("OK"), "\(written)")
        // `inspect`'s session too (rv76c: inspect ignoring the failure, exit 0, passed every test).
        let server = try RedisServer()
        defer { server.stop() }
        _ = try server.connect().command("HSET", "sess:s-full", "landing_page", "/watch")
        let inspected = try funnel(after: "unset REDIS_PASSWORD; exec >/dev/full", ["inspect", "s-full", "--redis-url", server.url])
        #expect(inspected.status == 1, "\(inspected)")
        #expect(inspected.stderr.contains("funnel: cannot write to standard output: No space left on device"), "\(inspected)")
        let shown = try funnel(["inspect", "s-full", "--redis-url", server.url])
        #expect(shown.status == 0 && shown.stdout.contains("/watch"), "\(shown)")
        // A reader gone (a pipe whose only reader closed before the first write) is no failure,
        // and no SIGPIPE: the command's own status (rv75g: 141).
        let gone = try funnel(after: "f=$(mktemp -u); mkfifo \"$f\"; exec 4<>\"$f\" 5>\"$f\" 4<&-; rm \"$f\"; exec >&5 5>&-", ["validate", Self.fixture("seed_mvp")])
        #expect(gone.status == 0, "\(gone)")
    }

    /// Standard input that gives nothing is said (rv75d: a producer that failed before
    /// writing passed, exit 0, without a word); the run is still exit 0.
    @Test func anEmptyStandardInputIsSaid() throws {
        let folder = TestFiles.temporaryFolder("cli-empty-stdin")
        defer { TestFiles.remove(folder) }
        let result = try funnel(after: "exec </dev/null", ["run", Self.fixture("seed_mvp"), "--input", "-", "--input-kind", "ndjson", "--output", folder, "--progress", "never"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("standard input (--input -) gave no line: did the program writing to it fail?"), "\(result)")
    }

    // MARK: - Exit status 2

    @Test(arguments: ["truncated_gzip", "reject_rate_exceeded"])
    func damagedInputExits2AfterWritingEverythingElse(_ name: String) throws {
        let output = TestFiles.temporaryFolder("cli-\(name)")
        defer { TestFiles.remove(output) }
        let result = try funnel(["run", Self.fixture(name), "--output", output, "--progress", "never"])
        #expect(result.status == 2, "\(result)")
        let sessions = try #require(TestFiles.readText(output + "/sessions.ndjson"), "sessions.ndjson not written")
        #expect(!sessions.isEmpty)
        let rejects = try #require(TestFiles.readText(output + "/rejects.ndjson"), "rejects.ndjson not written")
        #expect(!rejects.isEmpty)
        #expect(result.stderr.contains("problem"), "\(result)")
    }

    /// An output "folder" that is a file is said as one, and a history that is no database
    /// with its way out (rv74a: "cannot open the run lock .../funnel.lock: Not a directory";
    /// "file is not a database" alone).
    @Test func anOutputThatIsAFileAndADamagedHistoryAreSaid() throws {
        let folder = TestFiles.temporaryFolder("cli-output-file")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/afile", "x")
        let file = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/afile", "--progress", "never"])
        #expect(file.status == 1, "\(file)")
        #expect(file.stderr.contains("the output folder \(folder)/afile is a file, not a folder"), "\(file)")
        // A link to nothing, as the output folder or an --input (rv74d: the lock was blamed,
        // and "No such file or directory" said of a name `ls` lists).
        #expect(symlink(folder + "/gone", folder + "/dead") == 0)
        let dead = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/dead", "--progress", "never"])
        #expect(dead.status == 1 && dead.stderr.contains("the output folder \(folder)/dead is a symbolic link to \(folder)/gone, which leads to no folder"), "\(dead)")
        // A loop of links too (rv74e: ELOOP blamed the lock).
        #expect(symlink(folder + "/loopb", folder + "/loopa") == 0 && symlink(folder + "/loopa", folder + "/loopb") == 0)
        let loop = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/loopa", "--progress", "never"])
        #expect(loop.status == 1 && loop.stderr.contains("the output folder \(folder)/loopa is a symbolic link to \(folder)/loopb, which leads to no folder"), "\(loop)")
        let input = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out2", "--input", folder + "/dead", "--input-kind", "ndjson", "--progress", "never"])
        #expect(input.status == 1 && input.stderr.contains("--input \(folder)/dead: it is a symbolic link to \(folder)/gone, which leads to no file"), "\(input)")
        try FileManager.default.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
        TestFiles.write(folder + "/out/funnel-history.sqlite", String(repeating: "not a database\n", count: 400))
        let damaged = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/out", "--progress", "never"])
        #expect(damaged.status == 1, "\(damaged)")
        #expect(damaged.stderr.contains("file is not a database; the history is damaged: put back a copy from a backup, or move the output folder aside"), "\(damaged)")
    }

    /// Too many rejects are said with their reasons, most first, and advice for the commonest:
    /// a log format only for `format_mismatch` (rv74a: "check the source's format setting" of
    /// an NDJSON source, which has none).
    @Test func tooManyRejectsAreSaidByReason() throws {
        let folder = TestFiles.temporaryFolder("cli-reject-reasons")
        defer { TestFiles.remove(folder) }
        ndjsonPipeline(folder, paths: "e.ndjson")
        TestFiles.write(folder + "/e.ndjson", """
        {"event":"page_view","timestamp":"2024-03-01T10:00:00Z","visitor_id":"v1","url":"https://film.example/"}
        {"event":"page_view",
        not json
        ["an array"]

        """)
        let ndjson = try funnel(["run", folder + "/pipeline.yaml", "--progress", "never"])
        #expect(ndjson.status == 2, "\(ndjson)")
        #expect(ndjson.stderr.contains("rejected 4 of 4 lines (bad_json 2, no_identity 1, not_an_object 1), more than the limit of 0.01; rejects.ndjson gives each line's reason and detail"), "\(ndjson)")
        let dry = try funnel(["run", folder + "/pipeline.yaml", "--progress", "never", "--dry-run"])
        #expect(dry.stderr.contains("; a run without --dry-run writes each line's reason and detail to rejects.ndjson"), "\(dry)")
        let log = try funnel(["run", Self.fixture("reject_rate_exceeded"), "--output", folder + "/log", "--progress", "never"])
        #expect(log.stderr.contains("(format_mismatch 1), more than the limit of 0.01; check the access-log source's format setting"), "\(log)")
    }

    @Test func rejectRateLimitFromTheCommandLineDecides() throws {
        let output = TestFiles.temporaryFolder("cli-reject-limit")
        defer { TestFiles.remove(output) }
        // One line in ten is rejected: within a 20% limit.
        let result = try funnel(["run", Self.fixture("reject_rate_exceeded"), "--output", output, "--max-reject-rate", "0.2", "--progress", "never"])
        #expect(result.status == 0, "\(result)")
    }

    @Test func validateExits2OnTooManyRejects() throws {
        let result = try funnel(["validate", Self.fixture("reject_rate_exceeded")])
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.contains("FAIL"), "\(result)")
        #expect(result.stdout.contains("format_mismatch"), "\(result)")
    }

    // MARK: - Exit status 3

    /// A run into a Redis port nobody listens on (refused at once: only the backoff's 12.7 s).
    private func runIntoClosedRedis(progress: String) throws -> CommandResult {
        let output = TestFiles.temporaryFolder("cli-redis-down-\(progress)")
        defer { TestFiles.remove(output) }
        return try funnel(
            ["run", Self.fixture("seed_mvp"), "--sink", "redis", "--redis-url", "redis://127.0.0.1:1/0", "--output", output, "--progress", progress],
            timeout: .seconds(30))
    }

    @Test func unreachableRedisExits3NamingTheAddress() throws {
        let result = try runIntoClosedRedis(progress: "never")
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("127.0.0.1:1"), "\(result)")
        #expect(result.stderr.contains("unreachable"), "\(result)")
        // Every retry is announced before its wait, so the run never sits silent: seven
        // retries for the standard eight attempts, the first after 0.1 s.
        let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: Redis at redis://127.0.0.1:1/0: ") }
        #expect(warnings.count == 7, "\(result)")
        #expect(warnings.first?.hasSuffix("(attempt 1 of 8); trying again in 0.1 s") == true, "\(result)")
        #expect(warnings.last?.contains("(attempt 7 of 8)") == true, "\(result)")
        // The summary names the sink it could not reach (its line was blank; a review).
        #expect(result.stderr.contains("  sink         redis redis://127.0.0.1:1/0"), "\(result)")
    }

    /// Settings a run cannot use are said, not dropped without a word (a review): a
    /// `--redis-url` for a flat-file sink (not named: it may hold a password), an `--input` of
    /// a kind the pipeline has no source for (read with the defaults).
    @Test func settingsTheRunCannotUseAreSaid() throws {
        let folder = TestFiles.temporaryFolder("cli-unused")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/a.log", #"203.0.113.9 - - [01/Mar/2024:10:00:00 +0000] "GET /watch HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64)""# + "\n")
        let url = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/o1", "--redis-url", "redis://127.0.0.1:1/0", "--progress", "never"])
        #expect(url.status == 0 && url.stderr.contains("warning      --redis-url is for the redis sink, and this run's sink is ndjson: it was not used"), "\(url)")
        let kind = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/o2", "--input", folder + "/a.log", "--progress", "never"])
        #expect(kind.status == 0 && kind.stderr.contains("the pipeline has no access_log source: it is read with the defaults (the combined format, no cookies)"), "\(kind)")
        #expect(kind.stderr.contains("--input \(folder)/a.log is read as access_log"), "\(kind)")
        #expect(kind.stderr.contains("sessions     1"), "\(kind)")
        // Several such files are one warning that says how many (it named the first only).
        TestFiles.write(folder + "/b.log", #"203.0.113.8 - - [01/Mar/2024:10:00:00 +0000] "GET /watch HTTP/1.1" 200 512 "-" "Mozilla/5.0""# + "\n")
        TestFiles.write(folder + "/c.log", #"203.0.113.7 - - [01/Mar/2024:10:00:00 +0000] "GET /watch HTTP/1.1" 200 512 "-" "Mozilla/5.0""# + "\n")
        let three = try funnel(["run", Self.fixture("seed_mvp"), "--output", folder + "/o3", "--input", folder + "/a.log", "--input", folder + "/b.log", "--input", folder + "/c.log", "--progress", "never"])
        #expect(three.status == 0 && three.stderr.contains("--input \(folder)/a.log and 2 more files are read as access_log, and the pipeline has no access_log source: they are read with the defaults"), "\(three)")
        #expect(three.stderr.components(separatedBy: "has no access_log source").count == 2, "\(three)")
    }

    /// With the progress line drawn, a retry's warning first clears it, so it starts its own
    /// line instead of trailing the bar's text.
    @Test func retryWarningsClearTheProgressLine() throws {
        let result = try runIntoClosedRedis(progress: "always")
        #expect(result.status == 3, "\(result)")
        let cleared = result.stderr.components(separatedBy: "\r\u{1B}[Kwarning: Redis at redis://127.0.0.1:1/0: ").count - 1
        let all = result.stderr.components(separatedBy: "warning: Redis at").count - 1
        #expect(cleared == 7 && all == 7, "\(result)")
    }

    @Test func wrongRedisPasswordFromTheEnvironmentNeverAppears() throws {
        let server = try RedisServer(arguments: ["--requirepass", "s3cret"])
        defer { server.stop() }
        let output = TestFiles.temporaryFolder("cli-redis-auth")
        defer { TestFiles.remove(output) }
        let arguments = ["run", Self.fixture("seed_mvp"), "--sink", "redis", "--redis-url", server.url, "--output", output, "--progress", "never"]

        let wrong = try funnel(arguments, environment: ["REDIS_PASSWORD": "wrongpass"], timeout: .seconds(30))
        #expect(wrong.status == 3, "\(wrong)")
        #expect(!wrong.stderr.contains("wrongpass"), "\(wrong)")
        #expect(!wrong.stdout.contains("wrongpass"), "\(wrong)")
        #expect(wrong.stderr.contains("127.0.0.1:\(server.port)"), "\(wrong)")
        #expect(wrong.stderr.contains("REDIS_PASSWORD"), "the message says where the password came from: \(wrong)")
        #expect(try !server.dump().contains("sess:"))

        // The right password from the environment logs in and loads the session.
        let right = try funnel(arguments, environment: ["REDIS_PASSWORD": "s3cret"], timeout: .seconds(30))
        #expect(right.status == 0, "\(right)")
        #expect(!right.stderr.contains("s3cret"), "\(right)")
        #expect(try server.dump().contains("sess:"))
    }

    /// A Redis that refuses the run's first command, the lock (no password given where one
    /// is required, out of memory), is a sink failure: exit 3, in Redis's words, nothing
    /// written. Until 2026-12-05 it was exit 1, "could not take the lock", Redis's reason lost;
    /// until rv74a without what to do.
    @Test(arguments: [(["--requirepass", "s3cret"], "NOAUTH", "; Redis requires a password: put it in the URL or set REDIS_PASSWORD"),
                      (["--maxmemory", "1", "--maxmemory-policy", "noeviction"], "OOM", "; raise Redis's maxmemory or free memory")])
    func aRedisThatRefusesTheLockIsASinkFailureInItsOwnWords(arguments: [String], reason: String, remedy: String) throws {
        let server = try RedisServer(arguments: arguments)
        defer { server.stop() }
        let output = TestFiles.temporaryFolder("cli-redis-refuses")
        defer { TestFiles.remove(output) }
        let metrics = output + "/funnel.prom"
        let result = try funnel(["run", Self.fixture("seed_mvp"), "--sink", "redis", "--redis-url", server.url, "--output", output, "--progress", "never",
                                 "--metrics-file", metrics],
                                environment: ["REDIS_PASSWORD": nil], timeout: .seconds(30))
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("Redis refused the run lock funnel:lock on redis://127.0.0.1:\(server.port)/0: \(reason)"), "\(result)")
        #expect(result.stderr.contains(remedy), "\(result)")
        // Until 2026-12-05 a run stopped here wrote no metrics.
        #expect(TestFiles.readText(metrics)?.contains("funnel_exit_status{pipeline=\"\(Self.fixture("seed_mvp"))\"} 3") == true)
    }

    /// A run that stops with a pipeline error (exit 1) says so in `--summary-json` and
    /// `--metrics-file`, keeping the last success's time (until 2026-12-05 both kept the
    /// previous run's figures, exit status 0 included).
    @Test func aFailedRunIsWhatTheMonitorsFilesSay() throws {
        let folder = TestFiles.temporaryFolder("cli-failed-metrics")
        defer { TestFiles.remove(folder) }
        let metrics = folder + "/funnel.prom"
        let summary = folder + "/last-run.json"
        let pipeline = folder + "/pipeline.yaml"
        Self.writeDailyPipeline(pipeline, days: ["01"])
        let good = try funnel(["run", pipeline, "--date", "2024-01-01", "--progress", "never", "--metrics-file", metrics, "--summary-json", summary])
        #expect(good.status == 0, "\(good)")
        let success = try #require(TestFiles.readText(metrics)?.split(separator: "\n").first { $0.hasPrefix("funnel_last_success_timestamp_seconds") }?
            .split(separator: " ").last)
        // A usage error too (until 2026-12-05 only a pipeline error was written).
        for arguments in [["run", pipeline, "--date", "1999-01-01"], ["run", folder + "/no-such-pipeline.yaml"], ["run", pipeline, "--date", "2024-01-01", "--progress=nevr"]] {
            let failed = try funnel(arguments + (arguments.last!.hasPrefix("--progress") ? [] : ["--progress", "never"]) + ["--metrics-file", metrics, "--summary-json", summary])
            #expect(failed.status == 1, "\(failed)")
            let text = TestFiles.readText(metrics) ?? ""
            #expect(text.contains("funnel_exit_status{pipeline=\"\(arguments[1])\"} 1"), "\(text)")
            #expect(text.contains("funnel_last_success_timestamp_seconds{pipeline=\"\(arguments[1])\"} \(success)\n"), "\(text)")
            #expect(TestFiles.readText(summary)?.contains("\"exit_status\":1") == true)
            // A night whose inputs all matched nothing names them, as a night with some does
            // (the list was empty until 2026-12-05).
            let named = TestFiles.readText(summary)?.contains("\"missing_inputs\":[\"") == true
            #expect(named == arguments.contains("1999-01-01"), "\(TestFiles.readText(summary) ?? "")")
        }
    }

    /// A backfill's `--metrics-file` ends with the backfill's exit status: 2 for a day
    /// without input before a clean last day, 1 when it stops with a pipeline error (its own,
    /// or a pipeline that does not load), the last success's time kept. Until 2026-12-05 it
    /// kept the last day's `funnel_exit_status 0` in all three.
    @Test func aBackfillsMetricsSayHowTheBackfillEnded() throws {
        let folder = TestFiles.temporaryFolder("cli-backfill-metrics")
        defer { TestFiles.remove(folder) }
        let metrics = folder + "/funnel.prom"
        let pipeline = folder + "/pipeline.yaml"
        Self.writeDailyPipeline(pipeline, days: ["01", "03"])
        func status(in text: String, _ file: String = pipeline) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix("funnel_exit_status{pipeline=\"\(file)\"}") }.map { String($0.split(separator: " ").last!) }
        }
        let clean = try funnel(["backfill", pipeline, "--from", "2024-01-01", "--to", "2024-01-01", "--metrics-file", metrics])
        #expect(clean.status == 0, "\(clean)")
        #expect(status(in: TestFiles.readText(metrics) ?? "") == "0")

        let skipped = try funnel(["backfill", pipeline, "--from", "2024-01-01", "--to", "2024-01-03", "--metrics-file", metrics])
        #expect(skipped.status == 2, "\(skipped)")
        let afterSkip = TestFiles.readText(metrics) ?? ""
        // Its days succeeded: the time of the last one's success.
        let success = try #require(afterSkip.split(separator: "\n").first { $0.hasPrefix("funnel_last_success_timestamp_seconds") }?
            .split(separator: " ").last)
        #expect(status(in: afterSkip) == "2", "\(afterSkip)")
        #expect(afterSkip.contains("funnel_lines_read{pipeline=\"\(pipeline)\"} 1\n"), "the last day's figures: \(afterSkip)")

        // The backfill's own failure: its state file cannot be written.
        TestFiles.remove(folder + "/out")
        try FileManager.default.createDirectory(atPath: folder + "/out/backfill.state", withIntermediateDirectories: true)
        let stopped = try funnel(["backfill", pipeline, "--from", "2024-01-01", "--to", "2024-01-01", "--metrics-file", metrics])
        #expect(stopped.status == 1, "\(stopped)")
        let afterStop = TestFiles.readText(metrics) ?? ""
        #expect(status(in: afterStop) == "1", "\(stopped)")
        // Its day ran and succeeded before the state file stopped it: the time of that success
        // (a second after the skipped backfill's, now and then: the test compared with that one
        // and failed when the clock's second turned between them).
        let lastSuccess = try #require(afterStop.split(separator: "\n").first { $0.hasPrefix("funnel_last_success_timestamp_seconds") }?
            .split(separator: " ").last)
        #expect(Int(lastSuccess)! >= Int(success)!)

        let missing = folder + "/no-such-pipeline.yaml"
        let unloaded = try funnel(["backfill", missing, "--from", "2024-01-01", "--to", "2024-01-01", "--metrics-file", metrics])
        #expect(unloaded.status == 1, "\(unloaded)")
        let text = TestFiles.readText(metrics) ?? ""
        #expect(status(in: text, missing) == "1", "\(text)")
        #expect(text.contains("funnel_last_success_timestamp_seconds{pipeline=\"\(missing)\"} \(lastSuccess)\n"), "\(text)")
    }

    /// A pipeline reading `ev-{date}.ndjson` beside it into `out/`, and one page view for each
    /// of the days (of January 2024) given.
    static func writeDailyPipeline(_ pipeline: String, days: [String]) {
        TestFiles.write(pipeline, """
            sources:
              - kind: ndjson
                paths: ["ev-{date}.ndjson"]
            sink:
              kind: ndjson
              output: out/

            """)
        let folder = String(pipeline[..<pipeline.lastIndex(of: "/")!])
        for day in days {
            TestFiles.write(folder + "/ev-2024-01-\(day).ndjson", #"{"event":"PageView","timestamp":"2024-01-"# + day + #"T10:00:00Z","anonymous_id":"v1","url":"https://film.example/"}"# + "\n")
        }
    }

    /// A `--summary-json` path that cannot be written stops the run at its start: exit 1 and
    /// nothing written, as the help says of usage errors (it was found only after the run).
    @Test(arguments: ["/nonexistent-folder-of-funnel/x.json", "."])
    func anUnwritableSummaryPathStopsTheRunBeforeAnything(path: String) throws {
        let output = TestFiles.temporaryFolder("cli-summary-path")
        defer { TestFiles.remove(output) }
        let result = try funnel(["run", Self.fixture("seed_mvp"), "--sink", "ndjson", "--output", output, "--progress", "never", "--summary-json", path])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("cannot write --summary-json \(path)"), "\(result)")
        #expect(!TestFiles.exists(output + "/sessions.ndjson") && !TestFiles.exists(output + "/funnel-history.sqlite"), "\(result)")
    }

    /// A missing or corrupt MaxMind DB stops the run at start with exit 1, naming the file.
    @Test(arguments: ["missing.mmdb", "corrupt.mmdb"])
    func aBadGeoDatabaseIsAClearErrorAtStart(name: String) throws {
        let folder = TestFiles.temporaryFolder("cli-geo")
        defer { TestFiles.remove(folder) }
        if name == "corrupt.mmdb" { TestFiles.write(folder + "/corrupt.mmdb", "not a MaxMind database at all") }
        TestFiles.write(folder + "/pipeline.yaml", """
        sources:
          - kind: ndjson
            paths: ["\(FixtureCase.repositoryRoot)/fixtures/seed_mvp/events.ndjson"]
        geo:
          database: \(name)
        schema: enhanced
        sink:
          kind: ndjson
          output: out
        """)
        let result = try funnel(["run", folder + "/pipeline.yaml", "--progress", "never"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains(name), "\(result)")
        #expect(!TestFiles.exists(folder + "/out/sessions.ndjson"), "nothing is written")
        // `validate` opens the database too: it does not pass a file the run refuses.
        let validated = try funnel(["validate", folder + "/pipeline.yaml"])
        #expect(validated.status == 1, "\(validated)")
        #expect(validated.stderr.contains(name), "\(validated)")
    }

    /// `--input -` without `--input-kind` (SPEC 12: the kind defaults by content): stdin is
    /// peeked, plain or gzipped, and the run reads every byte of it, giving what the same
    /// file named as `--input` gives.
    @Test(arguments: [("seed_mvp", "events.ndjson"), ("demo", "access-web1-2024-03-01.log.gz"), ("demo", "events-2024-03-01.ndjson.gz")])
    func stdinWithoutAKindIsSniffedAndReadWhole(_ fixture: String, _ file: String) throws {
        let folder = TestFiles.temporaryFolder("cli-stdin")
        defer { TestFiles.remove(folder) }
        let input = FixtureCase.repositoryRoot + "/fixtures/\(fixture)/\(file)"
        let named = try funnel(["run", Self.fixture(fixture), "--input", input, "--output", folder + "/named", "--progress", "never"])
        try #require(named.status == 0, "\(named)")
        let piped = try CommandRunner.run("/bin/sh", ["-c", "'\(Self.binary)' run '\(Self.fixture(fixture))' --input - --output '\(folder)/piped' --progress never < '\(input)'"],
                                          environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
        #expect(piped.status == 0, "\(piped)")
        let sessions = try #require(TestFiles.read(folder + "/named/sessions.ndjson"))
        #expect(!sessions.isEmpty)
        #expect(TestFiles.read(folder + "/piped/sessions.ndjson") == sessions)
        let lines = named.stderr.split(separator: "\n").first { $0.contains("lines read") }
        #expect(lines != nil && piped.stderr.contains(String(lines!)), "\(piped)")
    }

    /// Two nights piped into one output are two inputs (their first lines differ), and the
    /// same night piped in again is known as a repeat: until 2026-12-05 every stdin was `-`,
    /// and the second night's first line was taken for the first night's (its donation lost).
    @Test func eachStreamOnStdinIsAnInputOfItsOwn() throws {
        let folder = TestFiles.temporaryFolder("cli-stdin-nights")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/pipeline.yaml", """
        sources:
          - kind: ndjson
            paths: ["unused.ndjson"]
        identity:
          salt: "s"
        schema: enhanced
        sink:
          kind: ndjson
          output: out
        """)
        let nights = [#"{"event":"PageView","timestamp":1704103200000,"anonymous_id":"v1","url":"/monday"}"#,
                      #"{"event":"Purchase","timestamp":1704189600000,"anonymous_id":"v1","value":25}"#]
        func pipe(_ line: String) throws {
            TestFiles.write(folder + "/night.ndjson", line + "\n")
            let run = try CommandRunner.run("/bin/sh", ["-c", "'\(Self.binary)' run '\(folder)/pipeline.yaml' --input - --output '\(folder)/out' --progress never < '\(folder)/night.ndjson'"],
                                            environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
            #expect(run.status == 0, "\(run)")
        }
        for line in nights + [nights[0]] { try pipe(line) }
        let exported = try funnel(["export", folder + "/pipeline.yaml", "--output", folder + "/out", "--to", folder + "/export"])
        try #require(exported.status == 0, "\(exported)")
        let sessions = try #require(TestFiles.readText(folder + "/export/sessions.ndjson"))
        #expect(sessions.contains("\"donation_amount\":25"), "\(sessions)")
        #expect(sessions.contains("/monday"), "\(sessions)")
        // The first night again added nothing: one view, one donation.
        #expect(sessions.components(separatedBy: "\"event\":\"PageView\"").count == 2, "\(sessions)")
        #expect(sessions.split(separator: "\n").count == 2, "\(sessions)")
        // A longer stream after a short one (past its first read): its first line was read (to name it) past the
        // length of the stream before, and the run trapped (a review: SIGILL, exit 132).
        TestFiles.write(folder + "/night.ndjson", (0..<6000).map { #"{"event":"PageView","timestamp":\#(1704276000000 + $0 * 1000),"anonymous_id":"v2","url":"/tuesday"}"# }.joined(separator: "\n") + "\n")
        let longer = try CommandRunner.run("/bin/sh", ["-c", "'\(Self.binary)' run '\(folder)/pipeline.yaml' --input - --output '\(folder)/out' --progress never < '\(folder)/night.ndjson'"],
                                           environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
        #expect(longer.status == 0 && longer.stderr.contains("lines read   6000"), "\(longer)")
    }

    /// Pipes `text` into `funnel run` of `pipeline` (with `--input -` when `given`).
    private func piped(_ text: String, _ folder: String, given: Bool) throws -> CommandResult {
        TestFiles.write(folder + "/night.ndjson", text)
        let input = given ? "--input -" : ""
        return try CommandRunner.run("/bin/sh", ["-c", "'\(Self.binary)' run '\(folder)/pipeline.yaml' \(input) --output '\(folder)/out' --progress never < '\(folder)/night.ndjson'"],
                                     environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
    }

    /// A pipeline file of one NDJSON source reading `paths` (YAML list items), writing the
    /// ndjson sink into `out` beside it.
    private func ndjsonPipeline(_ folder: String, paths: String, file: String = "pipeline.yaml") {
        TestFiles.write(folder + "/" + file, """
        sources:
          - kind: ndjson
            paths: [\(paths)]
        identity:
          salt: "s"
        sink:
          kind: ndjson
          output: out
        """)
    }

    private func stdinPipeline(_ folder: String) { ndjsonPipeline(folder, paths: #""-""#) }

    /// stdin is named by its first line that is not blank, whether it is `--input -` or a
    /// pipeline's `paths: ["-"]`: two nights beginning with a blank line, or piped in as the
    /// pipeline's path, are two inputs. Until 2026-12-06 the first were named by the blank
    /// line, and the second were `-` every night: the second night's lines were taken for the
    /// first's, exit 0, its sessions gone from the history (a review).
    @Test(arguments: [true, false])
    func eachNightOnStdinIsKeptBeginningBlankOrAsThePipelinesPath(_ given: Bool) throws {
        let folder = TestFiles.temporaryFolder("cli-stdin-blank")
        defer { TestFiles.remove(folder) }
        stdinPipeline(folder)
        // One visitor both nights: its second night's line was taken for its first night's.
        for (day, visitor) in [(1704103200000, "v1"), (1704189600000, "v1")] {
            let night = try piped("\n" + #"{"event":"PageView","timestamp":\#(day),"anonymous_id":"\#(visitor)","url":"/n"}"# + "\n", folder, given: given)
            #expect(night.status == 0, "\(night)")
        }
        let exported = try funnel(["export", folder + "/pipeline.yaml", "--output", folder + "/out", "--to", folder + "/export"])
        try #require(exported.status == 0, "\(exported)")
        let sessions = try #require(TestFiles.readText(folder + "/export/sessions.ndjson"))
        #expect(sessions.split(separator: "\n").count == 2, "\(sessions)")
    }

    /// A stream whose first line is the last stdin stream's is compared with it: the same
    /// lines are a repeat and more lines after them are new, but other lines are said (exit
    /// 2), as a file changed since a run read it is; until 2026-12-06 they replaced that
    /// stream's records without a word.
    @Test func aStreamNamedAsTheOneBeforeIsComparedWithIt() throws {
        let folder = TestFiles.temporaryFolder("cli-stdin-same-first")
        defer { TestFiles.remove(folder) }
        stdinPipeline(folder)
        let header = #"{"event":"PageView","timestamp":1704103200000,"anonymous_id":"v0","url":"/same"}"#
        let first = header + "\n" + #"{"event":"PageView","timestamp":1704103260000,"anonymous_id":"v1","url":"/a"}"# + "\n"
        #expect(try piped(first, folder, given: true).status == 0)
        let again = try piped(first, folder, given: true)
        #expect(again.status == 0 && again.stderr.contains("unchanged"), "\(again)")
        let grown = try piped(first + #"{"event":"PageView","timestamp":1704103320000,"anonymous_id":"v2","url":"/b"}"# + "\n", folder, given: true)
        #expect(grown.status == 0 && grown.stderr.contains("grown since"), "\(grown)")
        let other = try piped(header + "\n" + #"{"event":"PageView","timestamp":1704189600000,"anonymous_id":"v3","url":"/c"}"# + "\n", folder, given: true)
        #expect(other.status == 2, "\(other)")
        #expect(other.stderr.contains("begin it with a line of its own"), "\(other)")
    }

    /// A stream grown past what the first read of it took (more than a peek hands back) is
    /// "grown since", not changed (a review: exit 2); the same stream piped in small writes
    /// after blank lines past 64 KiB has the same name (it was named by how the pipe was
    /// written, and stored twice); one a version before named otherwise (the manifest's
    /// position of an earlier version) is said as stored twice, not taken as new.
    @Test func stdinKeepsItsNameAndIsComparedWhateverItsSize() throws {
        let folder = TestFiles.temporaryFolder("cli-stdin-sizes")
        defer { TestFiles.remove(folder) }
        stdinPipeline(folder)
        func events(_ count: Int, from first: Int = 0) -> String {
            (first..<count).map { #"{"event":"PageView","timestamp":\#(1704103200000 + $0 * 1000),"anonymous_id":"v\#($0 % 7)","url":"/p\#($0)"}"# + "\n" }.joined()
        }
        #expect(try piped(events(60), folder, given: true).status == 0)
        let grown = try piped(events(120), folder, given: true)
        #expect(grown.status == 0 && grown.stderr.contains("grown since"), "\(grown)")
        // Blank lines past 64 KiB, then the stream: by redirection, then through a pipe in
        // writes of 3,000 bytes.
        // 65,000 blank bytes, then a line across the old peek's 64 KiB.
        let long = #"{"event":"PageView","timestamp":1704190000000,"anonymous_id":"v9","url":"/\#(String(repeating: "x", count: 3000))"}"#
        let blank = String(repeating: "\n", count: 65_000) + long + "\n" + events(130, from: 120)
        TestFiles.write(folder + "/blank.ndjson", blank)
        let redirected = try CommandRunner.run("/bin/sh", ["-c", "'\(Self.binary)' run '\(folder)/pipeline.yaml' --input - --output '\(folder)/out' --progress never < '\(folder)/blank.ndjson'"],
                                               environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
        #expect(redirected.status == 0, "\(redirected)")
        let trickled = try CommandRunner.run("/bin/sh", ["-c", "dd if='\(folder)/blank.ndjson' bs=3000 status=none | '\(Self.binary)' run '\(folder)/pipeline.yaml' --input - --output '\(folder)/out' --progress never"],
                                             environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
        #expect(trickled.status == 0 && trickled.stderr.contains("unchanged"), "\(trickled)")
        // The manifest as an earlier version left it: the same stream under another name.
        let manifest = try #require(TestFiles.readText(folder + "/out/manifest.ndjson"))
        let renamed = manifest.replacing(/"position":"[^"]*\|-[0-9a-f]{16}\|"/, with: #""position":"000000000000|-|""#)
        #expect(renamed != manifest)
        TestFiles.write(folder + "/out/manifest.ndjson", renamed)
        let upgraded = try CommandRunner.run("/bin/sh", ["-c", "'\(Self.binary)' run '\(folder)/pipeline.yaml' --input - --output '\(folder)/out' --progress never < '\(folder)/blank.ndjson'"],
                                             environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
        #expect(upgraded.status == 2 && upgraded.stderr.contains("named otherwise"), "\(upgraded)")
    }

    /// A pipeline file's folder is a literal part of its relative paths: under `archive [old]
    /// *?`, `in/e.ndjson` and `in/web*.ndjson` match their files (`[old]` was a bracket
    /// expression, and nothing matched), and `validate` samples a matched `web[1].ndjson`
    /// (it globbed the name again and matched nothing). Until 2026-12-06; a review.
    @Test func aPipelineInAFolderWithGlobCharactersReadsItsRelativePaths() throws {
        let root = TestFiles.temporaryFolder("cli-glob-folder")
        defer { TestFiles.remove(root) }
        let folder = root + "/archive [old] *?"
        mkdir(folder, 0o755)
        mkdir(folder + "/in", 0o755)
        TestFiles.write(folder + "/in/e.ndjson", #"{"event":"PageView","timestamp":1704103200000,"anonymous_id":"v1","url":"/a"}"# + "\n")
        TestFiles.write(folder + "/in/web[1].ndjson", #"{"event":"PageView","timestamp":1704103200000,"anonymous_id":"v2","url":"/b"}"# + "\n")
        ndjsonPipeline(folder, paths: #""in/e.ndjson", "in/web*.ndjson""#)
        let run = try funnel(["run", folder + "/pipeline.yaml", "--progress", "never"])
        #expect(run.status == 0, "\(run)")
        #expect(TestFiles.readText(folder + "/out/sessions.ndjson")?.split(separator: "\n").count == 2, "\(run)")
        let validated = try funnel(["validate", folder + "/pipeline.yaml"])
        #expect(validated.status == 0, "\(validated)")
        #expect(validated.stdout.contains("web[1].ndjson") || validated.stderr.contains("web[1].ndjson"), "\(validated)")
    }

    /// A file named `-` that a pattern matches is that file, not stdin (a review: `?` beside
    /// the pipeline file read stdin).
    @Test func aFileNamedDashIsAFile() throws {
        let folder = TestFiles.temporaryFolder("cli-dash-file")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/-", #"{"event":"PageView","timestamp":1704103200000,"anonymous_id":"v1","url":"/a"}"# + "\n")
        ndjsonPipeline(folder, paths: #""?""#, file: "p.yaml")
        let run = try CommandRunner.run("/bin/sh", ["-c", "cd '\(folder)' && '\(Self.binary)' run p.yaml --progress never < /dev/null"],
                                        environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
        #expect(run.status == 0, "\(run)")
        #expect(TestFiles.readText(folder + "/out/sessions.ndjson")?.contains("\"landing_page\":\"/a\"") == true, "\(run)")
    }

    /// An access log written as JSON (an nginx `log_format` of `{"ip":"$remote_addr",...}`),
    /// given as `--input` to a pipeline reading such logs and no NDJSON, is such a log: it was
    /// taken for NDJSON by its `{` and every line rejected, exit 2 (until 2026-12-06; a review).
    @Test func aJSONAccessLogGivenAsInputIsReadAsOne() throws {
        let folder = TestFiles.temporaryFolder("cli-json-log")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/j.log", """
        {"ip":"198.51.100.7","time":"2024-03-01T10:00:00+00:00","request":"GET /a HTTP/1.1","status":"200","ua":"Mozilla/5.0 Firefox/120"}
        {"ip":"198.51.100.8","time":"2024-03-01T10:01:00+00:00","request":"GET /b HTTP/1.1","status":"200","ua":"Mozilla/5.0 Firefox/120"}

        """)
        TestFiles.write(folder + "/pipeline.yaml", """
        sources:
          - kind: access_log
            format: '{"ip":"$remote_addr","time":"$time_iso8601","request":"$request","status":"$status","ua":"$http_user_agent"}'
            paths: ["unused.log"]
        sink:
          kind: ndjson
          output: out
        """)
        let run = try funnel(["run", folder + "/pipeline.yaml", "--input", folder + "/j.log", "--progress", "never"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("kept         2"), "\(run)")
        // Beside an NDJSON source, each file by whether its first line fits the log's format
        // (the log was NDJSON then: every line missing_event, exit 2; a review).
        TestFiles.write(folder + "/e.ndjson", #"{"event":"Purchase","timestamp":1709287300000,"anonymous_id":"v1","value":5}"# + "\n")
        TestFiles.write(folder + "/both.yaml", """
        sources:
          - kind: access_log
            format: '{"ip":"$remote_addr","time":"$time_iso8601","request":"$request","status":"$status","ua":"$http_user_agent"}'
            paths: ["unused.log"]
          - kind: ndjson
            paths: ["unused.ndjson"]
        sink:
          kind: ndjson
          output: out-both
        """)
        let both = try funnel(["run", folder + "/both.yaml", "--input", folder + "/j.log", "--input", folder + "/e.ndjson", "--progress", "never"])
        #expect(both.status == 0, "\(both)")
        #expect(both.stderr.contains("kept         3") && both.stderr.contains("revenue 5"), "\(both)")
    }

    /// A month's file missing in a run of its days is said once (a review: 31 lines). (A
    /// pattern `{date:static}`, filled alike every day, was its second half until such a
    /// format was refused on 2026-12-06: `PipelineFileMistakesTests`.)
    @Test func aMissingMonthsFileIsSaidOnce() throws {
        let folder = TestFiles.temporaryFolder("cli-missing-once")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/e-static.ndjson", #"{"event":"PageView","timestamp":1704103200000,"anonymous_id":"v1","url":"/a"}"# + "\n")
        ndjsonPipeline(folder, paths: #""m-{date:%Y%m}.ndjson", "e-static.ndjson""#)
        let run = try funnel(["run", folder + "/pipeline.yaml", "--from", "2024-01-01", "--to", "2024-03-01", "--progress", "never",
                              "--summary-json", folder + "/s.json"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.components(separatedBy: "m-202401.ndjson matched no file").count == 2, "\(run)")
        let json = TestFiles.readText(folder + "/s.json") ?? ""
        #expect(json.components(separatedBy: "m-202401.ndjson").count == 2, "\(json)")
        #expect(json.components(separatedBy: "m-202403.ndjson").count == 2, "\(json)")
    }

    @Test func validateWithNoMatchingFileNamesThePatterns() throws {
        let folder = TestFiles.temporaryFolder("cli-validate-none")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/pipeline.yaml", """
        sources:
          - kind: ndjson
            paths: ["events-{date}.ndjson.gz", "more/*.ndjson"]
        """)
        let result = try funnel(["validate", folder + "/pipeline.yaml"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("no input file matched: \(folder)/events-{date}.ndjson.gz, \(folder)/more/*.ndjson"), "\(result)")
        // The file loaded, and says so (rv69g: only the inputs' fault, as for a YAML error).
        #expect(result.stdout.hasPrefix("pipeline \(folder)/pipeline.yaml: OK (1 source, schema mvp, sink ndjson)"), "\(result)")
    }
}
