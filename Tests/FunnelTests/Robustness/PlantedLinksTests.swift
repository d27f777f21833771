#if canImport(Glibc)
import Glibc
#endif
import Foundation
import FunnelCore
import FunnelPipeline
import FunnelTestSupport
import Testing

/// Links planted in the output folder by someone who can write it (rv73g): funnel makes its
/// files itself and never writes through a link, so the file a link points to is left as it
/// was; a file it replaces keeps the mode and group an operator gave it.
struct PlantedLinksTests {
    private static let victimText = "export SECRET=do-not-touch\n"

    /// The seed fixture's run into `output`.
    private func run(_ output: String) throws -> RunSummary {
        var options = RunOptions()
        options.output = output
        options.progress = .never
        return try Runner(pipeline: PipelineLoader.load(path: FixtureCase.repositoryRoot + "/fixtures/seed_mvp/pipeline.yaml"), options: options, report: { _ in }).run()
    }

    private func plant(_ name: String, in folder: String) -> String {
        let victim = folder + "/victim-" + name
        TestFiles.write(victim, Self.victimText)
        try? FileManager.default.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
        #expect(symlink(victim, folder + "/out/" + name) == 0)
        return victim
    }

    /// A link at a temporary name (this process's pid, as a guess would have it) is replaced:
    /// its target keeps its bytes, and the output in place is a file, not the link.
    @Test(arguments: ["rejects.ndjson", "sessions.ndjson", "manifest.ndjson"])
    func aLinkAtATemporaryNameIsNotFollowed(name: String) throws {
        let folder = TestFiles.temporaryFolder("links-tmp")
        defer { TestFiles.remove(folder) }
        let victim = plant("\(name).tmp-\(getpid())", in: folder)
        #expect(try run(folder + "/out").exitStatus == .success)
        #expect(TestFiles.readText(victim) == Self.victimText)
        var status = stat()
        #expect(lstat(folder + "/out/" + name, &status) == 0 && status.st_mode & S_IFMT == S_IFREG)
    }

    /// A link at `funnel.lock` or at the history refuses the run, its target untouched.
    @Test(arguments: [("funnel.lock", "cannot open the run lock"), ("funnel-history.sqlite", "cannot open the history database")])
    func aLinkAtTheLockOrTheHistoryRefusesTheRun(name: String, said: String) throws {
        let folder = TestFiles.temporaryFolder("links-state")
        defer { TestFiles.remove(folder) }
        let victim = plant(name, in: folder)
        TestFiles.write(victim, "")  // an empty file: SQLite would make a database of it
        do {
            let summary = try run(folder + "/out")
            #expect(summary.exitStatus != .success && summary.problems.contains { $0.contains(said) && $0.contains("it is a symbolic link; remove it") }, "\(summary.text)")
        } catch {
            #expect("\(error)".contains(said) && "\(error)".contains("it is a symbolic link; remove it"), "\(error)")
        }
        #expect(TestFiles.readText(victim) == "")
        #expect(!TestFiles.exists(folder + "/out/sessions.ndjson"))
    }

    /// Inputs in the output folder (rv73g): a pattern that matches funnel's own files there is
    /// refused rather than reading the sessions, rejects and history back every night; a
    /// flat-file rebuild, which moves the folder aside whole, refuses a folder holding its
    /// inputs or its pipeline file rather than take them away (and delete them at the next).
    @Test func inputsInTheOutputFolderAreRefusedWhereTheyWouldBeHarmed() throws {
        let folder = TestFiles.temporaryFolder("links-inputs")
        defer { TestFiles.remove(folder) }
        let line = #"{"event":"PageView","timestamp":"2024-01-05T10:00:00Z","anonymous_id":"v1","url":"https://film.example/"}"# + "\n"
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        TestFiles.write(folder + "/data/ev-2024-01-05.ndjson", line)
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: ndjson\n    paths: [\"data/*.ndjson\"]\nsink:\n  kind: ndjson\n  output: data\n")
        var options = RunOptions()
        options.days = [try Day(parsing: "2024-01-05")]
        options.progress = .never
        let pipeline = try PipelineLoader.load(path: folder + "/p.yaml")
        #expect(try Runner(pipeline: pipeline, options: options, report: { _ in }).run().exitStatus == .success)
        #expect { try Runner(pipeline: pipeline, options: options, report: { _ in }).run() } throws: { error in
            "\(error)".hasPrefix("\(folder)/data/") && "\(error)".contains(".ndjson is one of funnel's own files in the output folder \(folder)/data,")
        }
        var backfill = Backfill(pipeline: pipeline, options: options, days: options.days, report: { _ in })
        backfill.rebuild = true
        #expect { try backfill.run() } throws: { error in
            "\(error)".contains("the inputs of the path pattern '\(folder)/data/*.ndjson' are in the output folder")
        }
        #expect(TestFiles.readText(folder + "/data/ev-2024-01-05.ndjson") == line && !TestFiles.exists(folder + "/data.previous"))
    }

    /// A rebuild refuses inputs in a subfolder of the output folder, and a pipeline file kept
    /// in it, as it refuses inputs in the folder itself (rv76c: a review found a rebuild that
    /// refused only the folder itself, or no pipeline file, passed every test; either moved the
    /// files aside with the outputs, to be deleted at the next rebuild).
    @Test func inputsInASubfolderAndAPipelineFileInTheOutputFolderAreRefused() throws {
        let folder = TestFiles.temporaryFolder("links-inputs-under")
        defer { TestFiles.remove(folder) }
        let line = #"{"event":"PageView","timestamp":"2024-01-05T10:00:00Z","anonymous_id":"v1","url":"https://film.example/"}"# + "\n"
        try FileManager.default.createDirectory(atPath: folder + "/site/raw", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        TestFiles.write(folder + "/site/raw/ev-2024-01-05.ndjson", line)
        TestFiles.write(folder + "/data/ev-2024-01-05.ndjson", line)
        TestFiles.write(folder + "/p.yaml", "sources:\n  - kind: ndjson\n    paths: [\"site/raw/ev-{date}.ndjson\"]\nsink:\n  kind: ndjson\n  output: site\n")
        let inFolder = "sources:\n  - kind: ndjson\n    paths: [\"\(folder)/data/ev-{date}.ndjson\"]\nsink:\n  kind: ndjson\n  output: \(folder)/site\n"
        TestFiles.write(folder + "/site/p.yaml", inFolder)
        var options = RunOptions()
        options.days = [try Day(parsing: "2024-01-05")]
        options.progress = .never
        for (file, said) in [(folder + "/p.yaml", "the inputs of the path pattern '\(folder)/site/raw/ev-{date}.ndjson' are in the output folder"),
                             (folder + "/site/p.yaml", "the pipeline file \(folder)/site/p.yaml is in the output folder")] {
            var backfill = Backfill(pipeline: try PipelineLoader.load(path: file), options: options, days: options.days, report: { _ in })
            backfill.rebuild = true
            #expect { try backfill.run() } throws: { error in
                error is PipelineError && "\(error)".contains(said)
            }
            #expect(!TestFiles.exists(folder + "/site.previous"), "\(file)")
        }
        #expect(TestFiles.readText(folder + "/site/raw/ev-2024-01-05.ndjson") == line && TestFiles.readText(folder + "/site/p.yaml") == inFolder)
    }

    /// An output folder that is a link, or lies under one, is no planted link: its history
    /// opens (rv73j: SQLite's own no-follow refused a link anywhere in the path, and every
    /// night exited 1).
    @Test func anOutputFolderUnderALinkIsWrittenAsBefore() throws {
        let folder = TestFiles.temporaryFolder("links-folder")
        defer { TestFiles.remove(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/data/out", withIntermediateDirectories: true)
        #expect(symlink(folder + "/data", folder + "/linked") == 0)
        #expect(symlink(folder + "/data/out", folder + "/out") == 0)
        for output in [folder + "/linked/out", folder + "/out"] {
            #expect(try run(output).exitStatus == .success)
        }
        #expect(TestFiles.exists(folder + "/data/out/funnel-history.sqlite"))
    }

    /// A file an operator gave a mode and group keeps them when a run replaces it.
    @Test func aReplacedFileKeepsItsMode() throws {
        let folder = TestFiles.temporaryFolder("links-mode")
        defer { TestFiles.remove(folder) }
        #expect(try run(folder + "/out").exitStatus == .success)
        for name in ["sessions.ndjson", "rejects.ndjson", "manifest.ndjson"] { #expect(chmod(folder + "/out/" + name, 0o640) == 0) }
        #expect(try run(folder + "/out").exitStatus == .success)
        for name in ["sessions.ndjson", "rejects.ndjson", "manifest.ndjson"] {
            var status = stat()
            #expect(stat(folder + "/out/" + name, &status) == 0 && status.st_mode & 0o777 == 0o640, "\(name): \(String(status.st_mode & 0o777, radix: 8))")
        }
    }
}
