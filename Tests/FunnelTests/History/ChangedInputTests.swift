import Foundation
@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// A file read again (SPEC 10: runs are repeated) is taken as it is when it is unchanged or
/// has only grown (its new lines are new positions); one whose earlier bytes changed, or that
/// is read with other settings, cannot simply be taken: the history keeps the records of the
/// earlier reading by file and line. The run says so, with the remedy, and exits 2.
@Suite(.serialized)
struct ChangedInputTests {
    static let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
    static let good = #"'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid" "$http_cf_ipcountry"'"#
    static let swapped = #"'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_cf_ipcountry" "$cookie_vid"'"#

    static func line(_ minute: Int, _ page: String, visitor: String = "vA") -> String {
        "192.0.2.7 - - [03/Jan/2024:10:0\(minute):00 +0000] \"GET \(page) HTTP/1.1\" 200 1 \"-\" \"\(agent)\" \"\(visitor)\" \"US\""
    }

    static func pipeline(_ folder: String, format: String = good, paths: String = "access-{date}.log") -> String {
        let path = folder + "/pipeline.yaml"
        TestFiles.write(path, """
            sources:
              - kind: access_log
                format: \(format)
                visitor_cookie: vid
                paths: ["\(paths)"]
            site:
              hosts: [film.example]
            sink:
              kind: ndjson
              output: out/

            """)
        return path
    }

    private func run(_ pipeline: String, _ folder: String) throws -> RunSummary {
        try RunsOverTimeTests.run(pipeline, days: ["2024-01-03"], sink: .ndjson, output: folder + "/out")
    }

    @Test func anUnchangedOrGrownFileIsTakenAndOneChangedInPlaceIsNamed() throws {
        let folder = TestFiles.temporaryFolder("changed-input")
        defer { TestFiles.remove(folder) }
        let pipeline = Self.pipeline(folder)
        let log = folder + "/access-2024-01-03.log"
        TestFiles.write(log, Self.line(0, "/a") + "\n")
        let first = try run(pipeline, folder)
        #expect(first.exitStatus == .success && first.files.first?.seenBefore == nil)

        let again = try run(pipeline, folder)
        #expect(again.exitStatus == .success && again.problems.isEmpty, "\(again.problems)")
        #expect(again.files.first?.seenBefore == "read before, unchanged")

        // Grown: lines added at the end are new, and taken.
        TestFiles.write(log, Self.line(0, "/a") + "\n" + Self.line(1, "/more") + "\n")
        let grown = try run(pipeline, folder)
        #expect(grown.exitStatus == .success && grown.problems.isEmpty, "\(grown.problems)")
        #expect(grown.files.first?.seenBefore?.hasSuffix("grown since") == true, "\(String(describing: grown.files.first?.seenBefore))")

        // Changed in place (same size): the earlier record stays in the history; said, exit 2.
        TestFiles.write(log, Self.line(0, "/b") + "\n" + Self.line(1, "/more") + "\n")
        let changed = try run(pipeline, folder)
        #expect(changed.exitStatus == .inputDamaged)
        #expect(changed.files.first?.seenBefore?.hasSuffix("changed since") == true)
        let problem = changed.problems.first ?? ""
        #expect(problem.hasPrefix("an input read before changed: \(log): its lines changed since a run read it (not only added to)"), "\(problem)")
        #expect(problem.contains("funnel backfill PIPELINE --from FIRST --to LAST --rebuild"), "\(problem)")

        // Larger, but not by lines added at the end: its first bytes differ, so changed.
        TestFiles.write(log, Self.line(0, "/c") + "\n" + Self.line(1, "/more") + "\n" + Self.line(2, "/most") + "\n")
        let rewritten = try run(pipeline, folder)
        #expect(rewritten.exitStatus == .inputDamaged)
        #expect(rewritten.files.first?.seenBefore?.hasSuffix("changed since") == true)
        // Shrunk: changed too.
        TestFiles.write(log, Self.line(0, "/b") + "\n")
        #expect(try run(pipeline, folder).exitStatus == .inputDamaged)
        // Read again as it now is: unchanged, exit 0, and the store still unlike one run's is
        // said on every run until a rebuild (rv69g: it went unsaid after the first).
        let later = try run(pipeline, folder)
        #expect(later.exitStatus == .success)
        #expect(later.warnings.contains { $0.hasPrefix("the stored sessions still differ from one run over the days loaded (") && $0.contains("an input read before changed (first: \(log))") }, "\(later.warnings)")
    }

    /// The rebuild note names a changed input by its whole path, a `:` in it included (until
    /// 2026-12-06 the path was cut at its first `:`).
    @Test func theRebuildNoteNamesAPathHoldingAColonWhole() throws {
        let folder = TestFiles.temporaryFolder("changed-input-colon")
        defer { TestFiles.remove(folder) }
        let pipeline = Self.pipeline(folder, paths: "web:1/access-{date}.log")
        let log = folder + "/web:1/access-2024-01-03.log"
        mkdir(folder + "/web:1", 0o755)
        TestFiles.write(log, Self.line(0, "/a") + "\n")
        #expect(try run(pipeline, folder).exitStatus == .success)
        TestFiles.write(log, Self.line(0, "/b") + "\n")
        #expect(try run(pipeline, folder).exitStatus == .inputDamaged)
        let later = try run(pipeline, folder)
        #expect(later.warnings.contains { $0.contains("an input read before changed (first: \(log))") }, "\(later.warnings)")
    }

    /// For gzip the lines are compared, not the compressed bytes: a file compressed again
    /// whole, with the same lines or more after them, is not changed.
    @Test func aGzipFileIsComparedByItsLines() throws {
        let folder = TestFiles.temporaryFolder("changed-input-gzip")
        defer { TestFiles.remove(folder) }
        let pipeline = Self.pipeline(folder, paths: "access-{date}.log.gz")
        let log = folder + "/access-2024-01-03.log.gz"
        TestFiles.gzip(Self.line(0, "/a") + "\n", to: log)
        #expect(try run(pipeline, folder).exitStatus == .success)
        TestFiles.gzip(Self.line(1, "/b") + "\n", to: log, append: true)
        let grown = try run(pipeline, folder)
        #expect(grown.exitStatus == .success && grown.kept == 2, "\(grown.problems)")
        #expect(grown.files.first?.seenBefore?.hasSuffix("grown since") == true)
        // Compressed again whole, the same lines: other bytes, the same content.
        TestFiles.gzip(Self.line(0, "/a") + "\n" + Self.line(1, "/b") + "\n", to: log)
        let same = try run(pipeline, folder)
        #expect(same.exitStatus == .success && same.problems.isEmpty, "\(same.problems)")
        #expect(same.files.first?.seenBefore?.hasSuffix("the same lines") == true, "\(String(describing: same.files.first?.seenBefore))")
        // Compressed again whole with a line more (a log compressed as it grows): grown.
        TestFiles.gzip(Self.line(0, "/a") + "\n" + Self.line(1, "/b") + "\n" + Self.line(2, "/c") + "\n", to: log)
        let regrown = try run(pipeline, folder)
        #expect(regrown.exitStatus == .success && regrown.kept == 3, "\(regrown.problems)")
        #expect(regrown.files.first?.seenBefore?.hasSuffix("grown since") == true)
        // Its first line changed: changed, in whichever member it was.
        TestFiles.gzip(Self.line(0, "/z") + "\n", to: log)
        TestFiles.gzip(Self.line(1, "/b") + "\n" + Self.line(2, "/c") + "\n" + Self.line(3, "/d") + "\n", to: log, append: true)
        let changed = try run(pipeline, folder)
        #expect(changed.exitStatus == .inputDamaged)
        #expect(changed.files.first?.seenBefore?.hasSuffix("changed since") == true)
    }

    /// The reviewer's case: a format with two variables swapped loaded the day with the
    /// country as visitor id; the same file read with the format mended is named.
    @Test func aFileReadAgainWithOtherSettingsIsNamed() throws {
        let folder = TestFiles.temporaryFolder("changed-settings")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/access-2024-01-03.log", Self.line(0, "/land?utm_source=fb") + "\n" + Self.line(1, "/next", visitor: "vB") + "\n")
        let wrong = try run(Self.pipeline(folder, format: Self.swapped), folder)
        #expect(wrong.exitStatus == .success)
        let mended = try run(Self.pipeline(folder), folder)
        #expect(mended.exitStatus == .inputDamaged)
        let problem = mended.problems.first ?? ""
        #expect(problem.contains("access-2024-01-03.log: it was read before with other settings"), "\(problem)")
        #expect(!problem.contains("its lines changed"), "\(problem)")
        // A manifest from before the settings were kept names no settings change.
        let manifest = folder + "/out/" + Manifest.fileName
        let text = try #require(TestFiles.readText(manifest))
        TestFiles.write(manifest, text.replacing(/,"(line_)?settings":"[0-9a-f]{16}"/, with: ""))
        #expect(try run(Self.pipeline(folder, format: Self.swapped), folder).exitStatus == .success)
    }

    /// A reading that kept no record leaves the history nothing to replace: the day read again
    /// with its format mended is taken (until 2026-12-05 it was named, exit 2, with a rebuild
    /// to do). Once a reading kept records, a later one that kept none does not clear that.
    @Test func aFileOfWhichNothingWasKeptMayBeReadWithMendedSettings() throws {
        let folder = TestFiles.temporaryFolder("changed-nothing-kept")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/access-2024-01-03.log", Self.line(0, "/land?utm_source=fb") + "\n" + Self.line(1, "/next", visitor: "vB") + "\n")
        let broken = #"'$remote_addr | [$time_local] | "$request" | $status | "$cookie_vid"'"#
        let rejected = try run(Self.pipeline(folder, format: broken), folder)
        #expect(rejected.kept == 0 && rejected.rejected[.formatMismatch] == 2, "\(rejected.rejected)")
        let mended = try run(Self.pipeline(folder), folder)
        #expect(mended.exitStatus == .success && mended.problems.isEmpty, "\(mended.problems)")
        #expect(mended.kept == 2 && mended.sessions == 2)
        #expect(mended.files.first?.seenBefore?.hasSuffix("no earlier reading kept a record of it") == true, "\(String(describing: mended.files.first?.seenBefore))")

        // Kept 2, then 0 with the broken format, then read with a third: the history still
        // holds the first reading's records, so the third is named.
        let brokenAgain = try run(Self.pipeline(folder, format: broken), folder)
        #expect(brokenAgain.exitStatus == .inputDamaged)
        let third = try run(Self.pipeline(folder, format: Self.swapped), folder)
        #expect(third.exitStatus == .inputDamaged)
        #expect(third.problems.first?.contains("it was read before with other settings") == true, "\(third.problems)")
    }

    /// The remedy the problem names: a rebuild reads every file with the new settings into a
    /// staging history of its own, with a manifest of its own (a Redis rebuild shares the
    /// output folder with the live history), so none is called changed; the switch puts the
    /// manifest in place with the history, and the old load's stale session is gone.
    @Test func aRedisRebuildWithTheMendedSettingsIsNotCalledChanged() throws {
        let folder = TestFiles.temporaryFolder("changed-rebuild")
        defer { TestFiles.remove(folder) }
        let server = try RedisServer()
        defer { server.stop() }
        TestFiles.write(folder + "/access-2024-01-03.log", Self.line(0, "/land?utm_source=fb") + "\n" + Self.line(1, "/next", visitor: "vB") + "\n")
        let wrong = try RunsOverTimeTests.run(Self.pipeline(folder, format: Self.swapped), days: ["2024-01-03"], sink: .redis,
                                              output: folder + "/out", redisURL: server.url)
        #expect(wrong.exitStatus == .success && wrong.sessions == 1)

        let mended = try PipelineLoader.load(path: Self.pipeline(folder))
        var options = RunOptions()
        options.output = folder + "/out"
        options.redisURL = server.url
        options.sink = .redis
        var log = ""
        var backfill = Backfill(pipeline: mended, options: options, days: [try Day(parsing: "2024-01-03")]) { log += $0 }
        backfill.rebuild = true
        #expect(try backfill.run() == .success, "\(log)")
        #expect(log.contains("switched"), "\(log)")
        #expect(try server.keys(matching: "sess:*").count == 2)
        #expect(TestFiles.exists(folder + "/out/" + Manifest.fileName + ".previous"))
        #expect(!TestFiles.exists(folder + "/out/" + Manifest.rebuildFileName))
        // The manifest in place is the rebuild's: the next run with the mended settings is a
        // plain repeat.
        let next = try RunsOverTimeTests.run(Self.pipeline(folder), days: ["2024-01-03"], sink: .redis, output: folder + "/out", redisURL: server.url)
        #expect(next.exitStatus == .success && next.problems.isEmpty, "\(next.problems)")
        #expect(next.files.first?.seenBefore == "read before, unchanged")
    }

    /// A file that could not be opened (a link to nothing) was not read: the run says so and
    /// exits 2, and once it can be read it is new, not "read before with 0 bytes".
    @Test func aFileThatCouldNotBeOpenedIsNotReadBefore() throws {
        let folder = TestFiles.temporaryFolder("unopened-input")
        defer { TestFiles.remove(folder) }
        let pipeline = Self.pipeline(folder)
        TestFiles.write(folder + "/elsewhere.log", Self.line(0, "/a") + "\n")
        symlink(folder + "/missing.log", folder + "/access-2024-01-03.log")
        let unopened = try run(pipeline, folder)
        #expect(unopened.exitStatus == .inputDamaged && unopened.files.first?.damage != nil)
        unlink(folder + "/access-2024-01-03.log")
        symlink(folder + "/elsewhere.log", folder + "/access-2024-01-03.log")
        let read = try run(pipeline, folder)
        #expect(read.exitStatus == .success && read.kept == 1)
        #expect(read.files.first?.seenBefore == nil, "\(read.files.first?.seenBefore ?? "")")
    }

    /// A manifest that cannot be read (a FIFO in its place: the run hung) stops the run before
    /// any output is replaced (it stopped at the end, its sessions file already replaced).
    @Test func aManifestThatCannotBeReadStopsTheRunFirst() throws {
        let folder = TestFiles.temporaryFolder("unreadable-manifest")
        defer { TestFiles.remove(folder) }
        let pipeline = Self.pipeline(folder)
        TestFiles.write(folder + "/access-2024-01-03.log", Self.line(0, "/a") + "\n")
        #expect(try run(pipeline, folder).exitStatus == .success)
        let sessions = TestFiles.readText(folder + "/out/sessions.ndjson")
        unlink(folder + "/out/manifest.ndjson")
        mkfifo(folder + "/out/manifest.ndjson", 0o600)
        #expect(throws: PipelineError.self) { try run(pipeline, folder) }
        #expect(sessions?.isEmpty == false && TestFiles.readText(folder + "/out/sessions.ndjson") == sessions)
    }
}
