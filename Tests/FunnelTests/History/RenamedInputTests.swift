@testable import FunnelPipeline
import FunnelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A file read again over an existing history must be known as the file it is (SPEC 10: a
/// re-run converges on one clean run), whatever order or spelling names it this time: a file
/// whose lines get new positions is stored twice. Until 2026-12-05 a file given as `--input`
/// in another order, or named by its pipeline in another place or spelling, was stored again
/// without a word (a review); then it was said (exit 2) and stored again; since that evening
/// it keeps the positions it was stored under (`Manifest.keptPositions(of:)`) and is a repeat.
@Suite(.serialized)
struct RenamedInputTests {
    private static func logs(_ folder: String) {
        TestFiles.write(folder + "/a.log", ChangedInputTests.line(0, "/a") + "\n" + ChangedInputTests.line(2, "/a2") + "\n")
        TestFiles.write(folder + "/b.log", ChangedInputTests.line(1, "/b") + "\n")
    }

    /// Two servers' logs of one name (`web1/`, `web2/`) for 2024-01-03, and a run of the day
    /// into `out` under the path patterns given.
    private static func twoServers(_ folder: String) -> (String) throws -> RunSummary {
        for name in ["web1", "web2"] { mkdir(folder + "/" + name, 0o755) }
        TestFiles.write(folder + "/web1/access-2024-01-03.log", ChangedInputTests.line(0, "/a") + "\n")
        TestFiles.write(folder + "/web2/access-2024-01-03.log", ChangedInputTests.line(1, "/b", visitor: "vB") + "\n")
        return { (paths: String) throws -> RunSummary in
            try RunsOverTimeTests.run(ChangedInputTests.pipeline(folder, paths: paths), days: ["2024-01-03"], sink: .ndjson, output: folder + "/out")
        }
    }

    private static func run(_ pipeline: String, output: String, inputs: [String] = []) throws -> RunSummary {
        var options = RunOptions()
        options.inputs = inputs
        options.output = output
        options.progress = .never
        return try Runner(pipeline: try PipelineLoader.load(path: pipeline), options: options, report: { _ in }).run()
    }

    /// The same `--input` files in the same order are a repeat, stored once, and so are they
    /// in another order or spelled another way (they keep the positions the first reading
    /// gave them; a history written before 2026-12-06 has each file's place among the
    /// arguments in its positions).
    @Test func inputFilesInAnotherOrderOrSpellingAreARepeat() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-order")
        defer { TestFiles.remove(folder) }
        Self.logs(folder)
        let pipeline = ChangedInputTests.pipeline(folder)
        let (a, b) = (folder + "/a.log", folder + "/b.log")
        let clean = try Self.run(pipeline, output: folder + "/clean", inputs: [a, b])
        #expect(clean.exitStatus == .success)
        _ = try Self.run(pipeline, output: folder + "/out", inputs: [a, b])
        let again = try Self.run(pipeline, output: folder + "/out", inputs: [a, b])
        #expect(again.exitStatus == .success && again.problems.isEmpty, "\(again.problems)")
        #expect(again.files.allSatisfy { $0.seenBefore == "read before, unchanged" })
        // The history's sessions hold each page view once, as the clean run's do.
        _ = try Exporter.export(historyFolder: folder + "/out", to: folder + "/export")
        let exported = TestFiles.readText(folder + "/export/sessions.ndjson")
        #expect(exported?.contains(#""landing_page":"/a""#) == true && exported == TestFiles.readText(folder + "/clean/sessions.ndjson"))
        let spelled = folder + "/../" + String(folder.split(separator: "/").last!) + "/a.log"
        for inputs in [[b, a], [spelled], [b, a]] {
            let swapped = try Self.run(pipeline, output: folder + "/out", inputs: inputs)
            #expect(swapped.exitStatus == .success && swapped.problems.isEmpty, "\(inputs): \(swapped.problems)")
            #expect(swapped.files.allSatisfy { $0.seenBefore == "read before, unchanged" }, "\(swapped.files.map(\.seenBefore))")
        }
        _ = try Exporter.export(historyFolder: folder + "/out", to: folder + "/export2")
        #expect(TestFiles.readText(folder + "/export2/sessions.ndjson") == TestFiles.readText(folder + "/clean/sessions.ndjson"))
    }

    /// A day's late file fed with `--input` from where the pipeline's pattern reads it, then
    /// the day run again: the file is named as the pattern names it, so its tie in time with
    /// the other server's line goes as in one run of the day (SPEC 10; rv73b: every `--input`
    /// file sorted after the pattern's files, the landing page was the other server's for
    /// good, exit 0, and the day's re-run, a repeat, kept it).
    @Test func aLateFileFedWithInputTiesAsInADayRun() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-late")
        defer { TestFiles.remove(folder) }
        for name in ["web1", "web2"] { mkdir(folder + "/" + name, 0o755) }
        let late = folder + "/web1/access-2024-01-03.log"
        TestFiles.write(late, ChangedInputTests.line(0, "/a?utm_source=x") + "\n")
        TestFiles.write(folder + "/web2/access-2024-01-03.log", ChangedInputTests.line(0, "/b") + "\n")
        let pipeline = ChangedInputTests.pipeline(folder, paths: "*/access-{date}.log")
        func day(_ output: String) throws -> RunSummary {
            try RunsOverTimeTests.run(pipeline, days: ["2024-01-03"], sink: .ndjson, output: folder + "/" + output)
        }
        #expect(try day("one").exitStatus == .success)
        let one = TestFiles.readText(folder + "/one/sessions.ndjson")
        #expect(one?.contains(#""landing_page":"/a""#) == true, "\(one ?? "")")
        unlink(late)
        #expect(try day("seq").exitStatus == .success)
        TestFiles.write(late, ChangedInputTests.line(0, "/a?utm_source=x") + "\n")
        #expect(try Self.run(pipeline, output: folder + "/seq", inputs: [late]).exitStatus == .success)
        let again = try day("seq")
        #expect(again.exitStatus == .success && again.files.allSatisfy { $0.seenBefore == "read before, unchanged" }, "\(again.text)")
        _ = try Exporter.export(historyFolder: folder + "/seq", to: folder + "/export")
        #expect(TestFiles.readText(folder + "/export/sessions.ndjson") == one)
    }

    /// A pattern whose date has no year (`{date:%d}`) names an `--input` file of the run's
    /// days as the day run names it (rv73f: its day could not be read back from the name).
    @Test func aPatternWithoutAYearNamesAnInputFileAsTheDayRun() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-yearless")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/access-03.log", ChangedInputTests.line(0, "/a") + "\n")
        let pipeline = ChangedInputTests.pipeline(folder, paths: "access-{date:%d}.log")
        #expect(try RunsOverTimeTests.run(pipeline, days: ["2024-01-03"], sink: .ndjson, output: folder + "/day").exitStatus == .success)
        var options = RunOptions()
        options.inputs = [folder + "/access-03.log"]
        options.days = [try Day(parsing: "2024-01-03")]
        options.output = folder + "/given"
        options.progress = .never
        #expect(try Runner(pipeline: try PipelineLoader.load(path: pipeline), options: options, report: { _ in }).run().exitStatus == .success)
        func position(_ output: String) -> String? {
            TestFiles.readText(folder + "/" + output + "/manifest.ndjson")?.firstMatch(of: #/"position":"([^"]*)"/#).map { String($0.1) }
        }
        #expect(position("day") != nil && position("given") == position("day"), "\(position("given") ?? "-") against \(position("day") ?? "-")")
    }

    /// A file whose manifest entry names no position (written by a version before
    /// 2026-12-05's evening) and is read again is said once: it is named now as this run
    /// names it, which stores its lines twice if its source's or pattern's place changed since
    /// (rv73c: exit 0 and "read before, unchanged" over every event doubled).
    @Test func aFileReadBeforeByAVersionThatKeptNoNamesIsSaid() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-unnamed")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/access-2024-01-03.log", ChangedInputTests.line(0, "/a") + "\n")
        let pipeline = ChangedInputTests.pipeline(folder)
        func day() throws -> RunSummary {
            try RunsOverTimeTests.run(pipeline, days: ["2024-01-03"], sink: .ndjson, output: folder + "/out")
        }
        #expect(try day().warnings.allSatisfy { !$0.contains("kept no name") })
        let manifest = folder + "/out/manifest.ndjson"
        let written = try #require(TestFiles.readText(manifest))
        let old = written.replacing(#/,"position":"[^"]*"/#, with: "")
        #expect(old != written)
        TestFiles.write(manifest, old)
        let again = try day()
        #expect(again.exitStatus == .success)
        #expect(again.warnings.contains { $0.hasPrefix("\(folder)/access-2024-01-03.log was read before by a version before 2026-12-05's evening, which kept no name") }, "\(again.warnings)")
        #expect(try day().warnings.allSatisfy { !$0.contains("kept no name") }, "said once: the manifest names it since")
    }

    /// The same files under patterns the other way round, then given as `--input`: each
    /// keeps the positions its first reading gave it, so every reading is a repeat and the
    /// history holds each line once (each was said, exit 2, and stored again until
    /// 2026-12-05's evening; a review doubled a day's events in Redis so).
    @Test func aFileTheHistoryKnowsByAnotherNameIsARepeat() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-pattern")
        defer { TestFiles.remove(folder) }
        let pipeline = try Self.cleanRun(folder, paths: #"a.log", "b.log"#)
        #expect(try Self.run(pipeline, output: folder + "/out").exitStatus == .success)
        let swapped = ChangedInputTests.pipeline(folder, paths: #"b.log", "a.log"#)
        for inputs in [[], [folder + "/a.log"], [folder + "/b.log", folder + "/a.log"]] {
            let again = try Self.run(swapped, output: folder + "/out", inputs: inputs)
            #expect(again.exitStatus == .success && again.problems.isEmpty, "\(inputs): \(again.problems)")
            #expect(again.files.allSatisfy { $0.seenBefore == "read before, unchanged" }, "\(again.files.map(\.seenBefore))")
        }
        _ = try Exporter.export(historyFolder: folder + "/out", to: folder + "/export")
        let exported = TestFiles.readText(folder + "/export/sessions.ndjson")
        #expect(exported?.contains(#""landing_page":"/a""#) == true && exported == TestFiles.readText(folder + "/clean/sessions.ndjson"))
    }

    /// The logs under `paths` (by default every `.log` in `folder`), run once into `clean`:
    /// the pipeline's path.
    private static func cleanRun(_ folder: String, paths: String = "*.log") throws -> String {
        Self.logs(folder)
        let pipeline = ChangedInputTests.pipeline(folder, paths: paths)
        #expect(try Self.run(pipeline, output: folder + "/clean").exitStatus == .success)
        return pipeline
    }

    /// A file renamed (or copied) after a run read it holds the same bytes as a file the
    /// manifest lists: its lines are stored again under new names (a file is known by its
    /// path, and two files may share a size and a CRC-32), and the run says so, exit 2, with
    /// the rebuild to do (until 2026-12-05's night without a word, exit 0: every event twice; a
    /// review). A copy read beside its file in one run is said alike; a file of the same size
    /// and other bytes, or an empty one, is not.
    @Test func aRenamedOrCopiedFileIsSaid() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-rename")
        defer { TestFiles.remove(folder) }
        let pipeline = try Self.cleanRun(folder)
        #expect(try Self.run(pipeline, output: folder + "/out").exitStatus == .success)
        #expect(rename(folder + "/a.log", folder + "/c.log") == 0)
        let renamed = try Self.run(pipeline, output: folder + "/out")
        #expect(renamed.exitStatus == .inputDamaged, "\(renamed.problems)")
        #expect(renamed.problems.first?.hasPrefix("\(folder)/c.log holds the same bytes (size and CRC-32) as \(folder)/a.log, which a run read before: if it is that file renamed, compressed or copied") == true, "\(renamed.problems)")
        #expect(renamed.problems.first?.contains("funnel backfill PIPELINE --from FIRST --to LAST --rebuild") == true)
        // Once listed, the renamed file is a repeat, and said no more.
        let again = try Self.run(pipeline, output: folder + "/out")
        #expect(again.exitStatus == .success && again.problems.isEmpty, "\(again.problems)")
        // Compressed after it was read (logrotate's compress): other bytes, the same lines.
        let lines = try #require(TestFiles.readText(folder + "/c.log"))
        TestFiles.gzip(lines, to: folder + "/h.log")
        #expect(rename(folder + "/c.log", folder + "/c.keep") == 0)
        let compressed = try Self.run(pipeline, output: folder + "/out")
        #expect(compressed.exitStatus == .inputDamaged, "\(compressed.problems)")
        #expect(compressed.problems.contains { $0.hasPrefix("\(folder)/h.log holds the same lines (the size and CRC-32 of its content, decompressed) as \(folder)/c.log, which a run read before") }, "\(compressed.problems)")
        unlink(folder + "/h.log")
        #expect(rename(folder + "/c.keep", folder + "/c.log") == 0)
        // A copy beside its file in one run (a fresh folder): said, naming both.
        TestFiles.write(folder + "/d.log", try #require(TestFiles.readText(folder + "/c.log")))
        let copied = try Self.run(pipeline, output: folder + "/fresh")
        #expect(copied.exitStatus == .inputDamaged && copied.problems.count == 1, "\(copied.problems)")
        #expect(copied.problems.first?.hasPrefix("\(folder)/c.log holds the same bytes (size and CRC-32) as \(folder)/d.log, which this run read too") == true, "\(copied.problems)")
        unlink(folder + "/d.log")
        // A file whose old name the manifest writes with an escape (a quote) is compared too.
        TestFiles.write(folder + "/q\"uote.log", try #require(TestFiles.readText(folder + "/b.log")).replacing("/b", with: "/q"))
        let quoted = try Self.run(pipeline, output: folder + "/out")
        #expect(quoted.problems.isEmpty, "\(quoted.problems)")
        #expect(rename(folder + "/q\"uote.log", folder + "/r.log") == 0)
        let escaped = try Self.run(pipeline, output: folder + "/out")
        #expect(escaped.problems.first?.hasPrefix("\(folder)/r.log holds the same bytes (size and CRC-32) as \(folder)/q\"uote.log, which a run read before") == true, "\(escaped.problems)")
        unlink(folder + "/r.log")
        // The same size with another byte, and empty files, are not the same bytes.
        let text = try #require(TestFiles.readText(folder + "/c.log"))
        TestFiles.write(folder + "/e.log", text.replacing("/a2", with: "/a3"))
        TestFiles.write(folder + "/f.log", "")
        TestFiles.write(folder + "/g.log", "")
        let other = try Self.run(pipeline, output: folder + "/out")
        #expect(other.exitStatus == .success && other.problems.isEmpty, "\(other.problems)")
    }

    /// After an upgrade: an entry written before `line_settings` holds the settings with its
    /// reading's pattern; the same file given as `--input` now is the same reading, not one
    /// "with other settings" (exit 2 with a rebuild to do for nothing; a review).
    @Test func anEntryFromBeforeLineSettingsIsTheSameReadingAsInput() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-upgrade")
        defer { TestFiles.remove(folder) }
        Self.logs(folder)
        let pipeline = ChangedInputTests.pipeline(folder, paths: #"a.log", "b.log"#)
        #expect(try Self.run(pipeline, output: folder + "/out").exitStatus == .success)
        let manifest = folder + "/out/" + Manifest.fileName
        let text = try #require(TestFiles.readText(manifest))
        #expect(text.contains("line_settings"))
        TestFiles.write(manifest, text.replacing(/,"line_settings":"[0-9a-f]{16}"/, with: ""))
        let given = try Self.run(pipeline, output: folder + "/out", inputs: [folder + "/b.log", folder + "/a.log"])
        #expect(given.exitStatus == .success && given.problems.isEmpty, "\(given.problems)")
    }

    /// A file cannot keep its positions when the file now in their place is another: a new
    /// file whose pattern took the first's place is named as its place says, and the first,
    /// named anew, is said (exit 2), as every file read under another name was before.
    @Test func aKeptPositionAnotherFileNowHoldsIsGivenUp() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-taken")
        defer { TestFiles.remove(folder) }
        let run = Self.twoServers(folder)
        #expect(try run(#"web1/access-{date}.log"#).exitStatus == .success)
        let taken = try run(#"web2/access-{date}.log", "web1/access-{date}.log"#)
        #expect(taken.exitStatus == .inputDamaged)
        #expect(taken.problems.first?.contains("was read before under another name in the history") == true, "\(taken.problems)")
    }

    @Test func aFileChangedInPlaceIsSaidWhateverWayThePipelineIsNamed() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-spelling")
        defer { TestFiles.remove(folder) }
        Self.logs(folder)
        _ = ChangedInputTests.pipeline(folder, paths: "a.log")
        // The pipeline named through `..`: its files' paths are spelled another way. An entry
        // under that spelling, as a run before 2026-12-05 left it, gives way at its next reading.
        let spelled = folder + "/../" + String(folder.split(separator: "/").last!) + "/pipeline.yaml"
        mkdir(folder + "/out", 0o755)
        TestFiles.write(folder + "/out/manifest.ndjson", #"{"path":"\#(folder)/../\#(folder.split(separator: "/").last!)/a.log","bytes":1,"crc32":2,"runs":1,"last_run":3}"# + "\n")
        #expect(try Self.run(folder + "/pipeline.yaml", output: folder + "/out").exitStatus == .success)
        TestFiles.write(folder + "/a.log", ChangedInputTests.line(0, "/changed") + "\n" + ChangedInputTests.line(2, "/a2") + "\n")
        let changed = try Self.run(spelled, output: folder + "/out")
        #expect(changed.exitStatus == .inputDamaged, "\(changed.problems)")
        #expect(changed.files.first?.seenBefore?.hasSuffix("changed since") == true)
        // One entry for the file, by its resolved path.
        let manifest = TestFiles.readText(folder + "/out/manifest.ndjson") ?? ""
        #expect(manifest.split(separator: "\n").count == 1 && !manifest.contains("/../"), "\(manifest)")
    }

    /// Another file at the same positions (a folder behind a link switched to another day's or
    /// server's) is compared with the file that held them: the history keeps the old lines
    /// there, so a change is said (the manifest keyed by resolved path alone missed it).
    @Test func anotherFileAtTheSamePositionsIsComparedWithTheFirst() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-link")
        defer { TestFiles.remove(folder) }
        for name in ["d1", "d2"] { mkdir(folder + "/" + name, 0o755) }
        TestFiles.write(folder + "/d1/a.log", ChangedInputTests.line(0, "/a") + "\n")
        TestFiles.write(folder + "/d2/a.log", ChangedInputTests.line(0, "/other") + "\n")
        symlink("d1", folder + "/cur")
        let pipeline = ChangedInputTests.pipeline(folder, paths: "cur/a.log")
        #expect(try Self.run(pipeline, output: folder + "/out").exitStatus == .success)
        unlink(folder + "/cur")
        symlink("d2", folder + "/cur")
        let switched = try Self.run(pipeline, output: folder + "/out")
        #expect(switched.exitStatus == .inputDamaged, "\(switched.problems)")
        #expect(switched.files.first?.seenBefore?.hasSuffix("changed since") == true)
        // The file whose names it took is named, and what to do (it read "its lines changed
        // since a run read it" of a file never read: two pipelines in one folder; a review).
        #expect(switched.files.first?.seenBefore?.hasPrefix("read before as \(folder)/d1/a.log with") == true, "\(switched.files.map(\.seenBefore))")
        #expect(switched.problems.first?.contains("its lines are stored under the names of \(folder)/d1/a.log, read before, whose lines were others") == true, "\(switched.problems)")
        #expect(switched.problems.first?.contains("give each pipeline its own --output") == true)
    }

    /// Two files of one name under two patterns that swap places: each keeps its positions
    /// and its entry (a repeat; said, exit 2, until 2026-12-05's evening), and a later change
    /// to either is still said (the second was compared with the first's new entry, replaced
    /// it, and its change went unsaid; a review).
    @Test func filesOfOneNameWhosePatternsSwapKeepTheirEntries() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-swap")
        defer { TestFiles.remove(folder) }
        let run = Self.twoServers(folder)
        #expect(try run(#"web1/access-{date}.log", "web2/access-{date}.log"#).exitStatus == .success)
        let swapped = try run(#"web2/access-{date}.log", "web1/access-{date}.log"#)
        #expect(swapped.exitStatus == .success && swapped.problems.isEmpty, "\(swapped.problems)")
        #expect((TestFiles.readText(folder + "/out/manifest.ndjson") ?? "").split(separator: "\n").count == 2)
        TestFiles.write(folder + "/web2/access-2024-01-03.log", ChangedInputTests.line(1, "/changed", visitor: "vB") + "\n")
        let changed = try run(#"web2/access-{date}.log", "web1/access-{date}.log"#)
        #expect(changed.exitStatus == .inputDamaged, "\(changed.problems)")
        #expect(changed.files.first { $0.path.contains("web2") }?.seenBefore?.hasSuffix("changed since") == true, "\(changed.files.map(\.seenBefore))")
    }

    /// A file named by month is the same file each day of its month: its lines keep one
    /// position, whichever day's run reads them (each day's run stored them again until
    /// 2026-12-05, and since the position check that morning said so, exit 2).
    @Test func aMonthsFileReadEachDayIsStoredOnce() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-month")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/access-202401.log", ChangedInputTests.line(0, "/a") + "\n" + ChangedInputTests.line(2, "/a2") + "\n")
        let pipeline = ChangedInputTests.pipeline(folder, paths: "access-{date:%Y%m}.log")
        let clean = try RunsOverTimeTests.run(pipeline, days: ["2024-01-03"], sink: .ndjson, output: folder + "/clean")
        #expect(clean.exitStatus == .success)
        for day in ["2024-01-03", "2024-01-04", "2024-01-02"] {
            let night = try RunsOverTimeTests.run(pipeline, days: [day], sink: .ndjson, output: folder + "/out")
            #expect(night.exitStatus == .success && night.problems.isEmpty, "\(day): \(night.problems)")
        }
        _ = try Exporter.export(historyFolder: folder + "/out", to: folder + "/export")
        let exported = TestFiles.readText(folder + "/export/sessions.ndjson")
        #expect(exported != nil && exported == TestFiles.readText(folder + "/clean/sessions.ndjson"))
    }

    @Test(arguments: [("access-{date}.log", "2024-03-05", "2024-03-05"), ("access-{date:%Y%m}.log", "2024-03-05", "2024-03-01"),
                      ("y{date:%Y}/m{date:%m}/*.log", "2024-02-29", "2024-02-01"), ("access-{date:%Y}.log", "2024-03-05", "2024-01-01"),
                      ("access-{date:%d}.log", "2024-03-05", "2024-03-05"), ("access-{date:static}.log", "2024-03-05", nil)] as [(String, String, String?)])
    func theFirstDayAPatternFillsAlike(pattern: String, day: String, first: String?) throws {
        #expect(InputPlan.firstDay(of: PathTemplate(pattern), filling: try PathTemplate(pattern).filled(for: try Day(parsing: day)), from: try Day(parsing: day))?.number
                == (try first.map { try Day(parsing: $0).number }))
    }
}
