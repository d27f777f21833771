#if canImport(Glibc)
import Glibc
#endif
import Foundation
import FunnelCore
import FunnelPipeline
import FunnelTestSupport
import Testing

/// Inputs that are not plain files, and files reached by two names (a review of 2026-12-05
/// found each of these losing or doubling lines without a word).
struct InputNamesTests {
    private static let line = #"{"event":"PageView","timestamp":"2024-01-05T10:00:00Z","anonymous_id":"v1","url":"https://film.example/"}"# + "\n"

    /// A run of `day` over the folder's `pipeline` file (by default the events of `in/`).
    private func run(_ folder: String, inputs: [String] = [], inputKind: Pipeline.Source.Kind? = nil,
                     sources: String = #"[{kind: ndjson, paths: ["in/ev-*-{date}.ndjson"]}]"#, day: String = "2024-01-05") throws -> RunSummary {
        TestFiles.write(folder + "/pipeline.yaml", """
            sources: \(sources)
            sink:
              kind: ndjson
              output: out/

            """)
        var options = RunOptions()
        options.days = [try Day(parsing: day)]
        options.inputs = inputs
        options.inputKind = inputKind
        options.progress = .never
        return try Runner(pipeline: PipelineLoader.load(path: folder + "/pipeline.yaml"), options: options, report: { _ in }).run()
    }

    /// A link beside its target is one file: read once, and said (every event was counted
    /// twice); the same path given twice to `--input` too.
    @Test func aFileReachedByTwoNamesIsReadOnce() throws {
        let folder = TestFiles.temporaryFolder("inputs-twice")
        defer { TestFiles.remove(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        TestFiles.write(folder + "/in/ev-a-2024-01-05.ndjson", Self.line)
        #expect(symlink(folder + "/in/ev-a-2024-01-05.ndjson", folder + "/in/ev-latest-2024-01-05.ndjson") == 0)
        let summary = try run(folder)
        #expect(summary.linesRead == 1 && summary.files.count == 1, "\(summary.text)")
        #expect(summary.warnings.contains("\(folder)/in/ev-latest-2024-01-05.ndjson is the same file as \(folder)/in/ev-a-2024-01-05.ndjson: read once"), "\(summary.warnings)")
        let given = try run(folder, inputs: [folder + "/in/ev-a-2024-01-05.ndjson", folder + "/in/../in/ev-a-2024-01-05.ndjson"])
        #expect(given.linesRead == 1, "\(given.text)")
        #expect(throws: PipelineError.self) { try run(folder, inputs: ["-", "-"]) }
    }

    /// A record dated more than a day after the run's last day is kept and said (rv70c: a
    /// record of 2099 in a 2024 file was kept without a word); one of the next day, an
    /// event sent just after midnight, is not said.
    @Test(arguments: [("2024-01-06T23:00:00Z", false), ("2099-01-01T00:00:00Z", true)])
    func aRecordDatedFarAfterTheRunsDaysIsSaid(time: String, isSaid: Bool) throws {
        let folder = TestFiles.temporaryFolder("inputs-future")
        defer { TestFiles.remove(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        let path = folder + "/in/ev-a-2024-01-05.ndjson"
        TestFiles.write(path, Self.line + Self.line.replacingAll("2024-01-05T10:00:00Z", with: time))
        let summary = try run(folder)
        #expect(summary.exitStatus == .success && summary.kept == 2, "\(summary.text)")
        let said = summary.warnings.filter { $0.contains("after the day their file holds") }
        #expect(said == (isSaid ? ["1 record is dated more than a day after the day their file holds (first: \(path), 2099-01-01 00:00:00.000 UTC): kept, each in a session of its own time; a clock wrong where the line or event was made? (docs/operations.md, \"Exit status and what to do\")"] : []), "\(said)")
    }

    /// An access-log record of a daily file dated more than a day before the file's day is kept
    /// and said (rv75c: lines of five days before were kept without a word, and every visitor
    /// got a session more); one of the day before (a line written just before midnight) is
    /// not, nor a client event dated days before (events may arrive late). Records just past
    /// either limit are said: the 28th at noon before the 1st, the 3rd at noon after it (rv76c:
    /// limits a day further out passed every test).
    @Test func anAccessLogRecordDatedDaysBeforeItsFileIsSaid() throws {
        let folder = TestFiles.temporaryFolder("inputs-past")
        defer { TestFiles.remove(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        let log = folder + "/in/web-2024-03-01.log"
        TestFiles.write(log, ["29/Feb/2024:00:00:01", "26/Feb/2024:10:00:00", "01/Mar/2024:10:00:00", "25/Feb/2024:10:00:00", "28/Feb/2024:12:00:00", "03/Mar/2024:12:00:00"].map {
            #"198.51.100.7 - - [\#($0) +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0""# + "\n"
        }.joined())
        TestFiles.write(folder + "/in/ev-2024-03-01.ndjson", #"{"event":"PageView","timestamp":"2024-02-20T10:00:00Z","anonymous_id":"v1","url":"https://film.example/"}"# + "\n")
        let summary = try run(folder, sources: #"[{kind: access_log, paths: ["in/web-{date}.log"]}, {kind: ndjson, paths: ["in/ev-{date}.ndjson"]}]"#, day: "2024-03-01")
        #expect(summary.exitStatus == .success && summary.kept == 7, "\(summary.text)")
        let said = summary.warnings.filter { $0.contains("before the day their file holds") }
        #expect(said == ["3 access-log records are dated more than a day before the day their file holds (first: \(log), 2024-02-26 10:00:00.000 UTC): kept, each in a session of its own time; a server's clock set wrong, or another day's log under this day's name? (docs/operations.md, \"Exit status and what to do\")"], "\(said)")
        let after = summary.warnings.filter { $0.contains("after the day their file holds") }
        #expect(after.count == 1 && after[0].hasPrefix("1 record is dated more than a day after the day their file holds (first: \(log), 2024-03-03 12:00:00.000 UTC)"), "\(after)")
    }

    /// Ties in time go by the `--input` files' paths, not their places among the arguments
    /// (SPEC 4: "whatever the order of files"; rv73a: `--input b --input a` gave another
    /// landing page than `--input a --input b` for a tie, and a duplicate event id the other
    /// copy): both orders, and two runs one file each, agree.
    @Test func theOrderOfInputFilesBreaksNoTie() throws {
        let folder = TestFiles.temporaryFolder("inputs-order")
        defer { TestFiles.remove(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        for (name, page, value) in [("a", "press", "5"), ("b", "about", "7")] {
            TestFiles.write(folder + "/in/ev-\(name)-2024-01-05.ndjson",
                #"{"event":"PageView","timestamp":"2024-01-05T10:00:00Z","anonymous_id":"v1","url":"https://film.example/"# + page + "\"}\n"
                + #"{"event":"Purchase","event_id":"p1","timestamp":"2024-01-05T10:01:00Z","anonymous_id":"v1","properties":{"value":"# + value + "}}\n")
        }
        let a = folder + "/in/ev-a-2024-01-05.ndjson", b = folder + "/in/ev-b-2024-01-05.ndjson"
        // A pipeline of its own: a fixture's may name a geo database a fresh clone lacks.
        TestFiles.write(folder + "/enhanced.yaml", "sources:\n  - kind: ndjson\n    paths: [\"none/*.ndjson\"]\nschema: enhanced\nsink:\n  kind: ndjson\n")
        var outputs: [String] = []
        for (index, inputs) in [[b, a], [a, b], [b], [a]].enumerated() {
            var options = RunOptions()
            options.days = [try Day(parsing: "2024-01-05")]
            options.inputs = inputs
            options.output = folder + (index < 2 ? "/out\(index)" : "/out2")
            options.progress = .never
            #expect(try Runner(pipeline: PipelineLoader.load(path: folder + "/enhanced.yaml"), options: options, report: { _ in }).run().exitStatus == .success)
            if index != 2 { outputs.append(TestFiles.readText(options.output! + "/sessions.ndjson") ?? "") }
        }
        #expect(outputs[0].contains(#""landing_page":"/press""#) && outputs[0].contains(#""donation_amount":5"#), "\(outputs[0])")
        #expect(outputs[1] == outputs[0] && outputs[2] == outputs[0], "\(outputs)")
    }

    /// A matched file whose name is not UTF-8 is said, not left out without a word, and an
    /// output folder named so is refused (rv73g: the first was dropped, the second written to
    /// a folder of another name, both exit 0).
    @Test func namesThatAreNotUTF8AreSaid() throws {
        let folder = TestFiles.temporaryFolder("inputs-not-utf8")
        defer { TestFiles.remove(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        TestFiles.write(folder + "/in/ev-a-2024-01-05.ndjson", Self.line)
        let name = Array((folder + "/in/ev-").utf8) + [0xFF] + Array("-2024-01-05.ndjson".utf8) + [0]
        let fd = name.withUnsafeBytes { open($0.baseAddress!.assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644) }
        #expect(fd >= 0)
        close(fd)
        let summary = try run(folder)
        #expect(summary.files.count == 1)
        #expect(summary.warnings.contains { $0.hasPrefix("\(folder)/in/ev-\u{FFFD}-2024-01-05.ndjson (its name shown with U+FFFD) matches sources[0].paths, and its name is not UTF-8: it is not read") }, "\(summary.warnings)")
        var options = RunOptions()
        options.days = [try Day(parsing: "2024-01-05")]
        options.output = folder + "/out\u{FFFD}"
        options.progress = .never
        #expect { try Runner(pipeline: PipelineLoader.load(path: folder + "/pipeline.yaml"), options: options, report: { _ in }).run() } throws: { error in
            "\(error)".contains("holds U+FFFD, the mark of a name that is not UTF-8")
        }
        #expect(!TestFiles.exists(folder + "/out\u{FFFD}"))
    }

    /// A path that two patterns match is read once and said, and refused when the two
    /// sources read it differently (it was left out of the second without a word, with the
    /// second source's settings; a review).
    @Test func aPathTwoPatternsMatchIsSaid() throws {
        let folder = TestFiles.temporaryFolder("inputs-two-patterns")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/acc.log", #"203.0.113.9 - - [05/Jan/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0""# + "\n")
        func run(_ sources: String) throws -> RunSummary {
            TestFiles.write(folder + "/pipeline.yaml", "sources:\n" + sources + "sink:\n  kind: ndjson\n  output: out/\n")
            var options = RunOptions()
            options.progress = .never
            options.dryRun = true
            return try Runner(pipeline: PipelineLoader.load(path: folder + "/pipeline.yaml"), options: options, report: { _ in }).run()
        }
        let twice = try run("  - kind: access_log\n    paths: [acc.log, acc.log]\n")
        #expect(twice.linesRead == 1 && twice.warnings.contains("\(folder)/acc.log is matched by two path patterns of sources[0]: read once, as the first names it"), "\(twice.warnings)")
        let alike = try run("  - kind: access_log\n    paths: [acc.log]\n  - kind: access_log\n    paths: ['*.log']\n")
        #expect(alike.linesRead == 1 && alike.warnings.contains("\(folder)/acc.log is matched by the paths of sources[0] and sources[1]: read once, as the first names it"), "\(alike.warnings)")
        let refused = #expect(throws: (any Error).self) {
            try run("  - kind: access_log\n    format: combined\n    paths: [acc.log]\n  - kind: access_log\n    format: common\n    paths: [acc.log]\n")
        }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("is matched by the paths of sources[0] and sources[1], which read it differently"), "\(String(describing: refused))")
    }

    /// A `.gz` file still empty (a copy not yet begun) is said, and read whole the next time
    /// as grown, not changed (it passed as a day without lines; a review of cron runs).
    @Test func anEmptyGzipFileIsSaid() throws {
        let folder = TestFiles.temporaryFolder("inputs-empty-gzip")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/acc.log.gz", "")
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: access_log\n    paths: ['*.log.gz']\nsite:\n  hosts: [film.example]\nsink:\n  kind: ndjson\n  output: out/\n")
        var options = RunOptions()
        options.progress = .never
        let empty = try Runner(pipeline: PipelineLoader.load(path: folder + "/pipeline.yaml"), options: options, report: { _ in }).run()
        #expect(empty.exitStatus == .success)
        #expect(empty.warnings.contains("\(folder)/acc.log.gz is empty, 0 bytes: read as no lines; if its copy had not begun, run the day again once it is whole (it is then read as grown)"), "\(empty.warnings)")
        TestFiles.gzip(#"203.0.113.9 - - [05/Jan/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64)""# + "\n", to: folder + "/acc.log.gz")
        let whole = try Runner(pipeline: PipelineLoader.load(path: folder + "/pipeline.yaml"), options: options, report: { _ in }).run()
        #expect(whole.exitStatus == .success && whole.linesRead == 1 && whole.sessions == 1, "\(whole.text)")
        #expect(whole.files.first?.seenBefore?.hasSuffix("grown since") == true && whole.warnings.isEmpty, "\(whole.text)")
    }

    /// A link whose target is gone (an unmounted share) and a FIFO matched by a pattern are
    /// files that cannot be read: `unreadable`, exit 2, at once. (The link was left out
    /// without a word; the FIFO hung the run.)
    @Test func aDanglingLinkAndAFIFOAreUnreadable() throws {
        let folder = TestFiles.temporaryFolder("inputs-unreadable")
        defer { TestFiles.remove(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        TestFiles.write(folder + "/in/ev-a-2024-01-05.ndjson", Self.line)
        #expect(symlink("/nonexistent-share/ev.ndjson", folder + "/in/ev-b-2024-01-05.ndjson") == 0)
        #expect(mkfifo(folder + "/in/ev-c-2024-01-05.ndjson", 0o600) == 0)
        let summary = try run(folder)
        #expect(summary.exitStatus == .inputDamaged, "\(summary.text)")
        #expect(summary.damaged[.unreadable] == 2 && summary.linesRead == 1, "\(summary.text)")
        #expect(summary.problems.contains { $0.contains("ev-c-2024-01-05.ndjson: it is a FIFO (a pipe), not a file") }, "\(summary.problems)")
    }

    /// A FIFO (a pipe, `<(zcat ...)`) given to `--input` without `--input-kind` is refused:
    /// its first bytes, read to tell its kind, are gone (the first 64 KiB were lost without a
    /// word, or the run hung).
    @Test func aPipeGivenWithoutItsKindIsRefused() throws {
        let folder = TestFiles.temporaryFolder("inputs-pipe")
        defer { TestFiles.remove(folder) }
        #expect(mkfifo(folder + "/pipe", 0o600) == 0)
        do {
            _ = try run(folder, inputs: [folder + "/pipe"])
            Issue.record("a pipe without --input-kind was read")
        } catch let error as PipelineError {
            #expect(error.description.contains("--input \(folder)/pipe is a FIFO (a pipe)") && error.description.contains("--input-kind"), "\(error)")
        }
    }
}
