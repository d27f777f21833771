import Foundation
@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// A flat-file run's manifest takes its place only after the history's commit took its token
/// (`PendingManifest`). A run stopped between the two leaves a pending manifest that the next
/// run deletes (the history never took that run) or puts in place (it did): a file changed
/// since is then said changed exactly when the history holds its earlier reading. The states
/// a stopped run leaves are made here from complete runs in the same folder or a copy of it.
@Suite(.serialized)
struct PendingManifestTests {
    private func run(_ pipeline: String, into output: String) throws -> RunSummary {
        try RunsOverTimeTests.run(pipeline, days: ["2024-01-03"], sink: .ndjson, output: output)
    }

    private func lines(_ pages: String...) -> String {
        pages.enumerated().map { ChangedInputTests.line($0.offset, $0.element) + "\n" }.joined()
    }

    /// The pipeline of `folder`, run once over a log of one line into `out`.
    private func firstRun(in folder: String) throws -> (pipeline: String, out: String) {
        let pipeline = ChangedInputTests.pipeline(folder)
        TestFiles.write(folder + "/access-2024-01-03.log", lines("/a"))
        #expect(try run(pipeline, into: folder + "/out").exitStatus == .success)
        return (pipeline, folder + "/out")
    }

    private func pendingFiles(in folder: String) -> [String] {
        (FileTree.names(in: folder) ?? []).filter { $0.contains(".pending-") }
    }

    /// Stopped before its history's commit: the manifest in place is the last committed run's,
    /// and the stopped run's, which read the log grown, is pending. The log then changes in
    /// its new line: as far as the history knows it has grown, and it is taken (it was said
    /// changed, exit 2 with advice to rebuild, when the stopped run's manifest was in place).
    @Test func aManifestLeftBeforeTheHistorysCommitIsDeleted() throws {
        let folder = TestFiles.temporaryFolder("pending-before")
        defer { TestFiles.remove(folder) }
        let pipeline = ChangedInputTests.pipeline(folder)
        let log = folder + "/access-2024-01-03.log"
        let out = folder + "/out", copy = folder + "/copy"
        TestFiles.write(log, lines("/a"))
        #expect(try run(pipeline, into: out).exitStatus == .success)
        try FileManager.default.copyItem(atPath: out, toPath: copy)
        TestFiles.write(log, lines("/a", "/more"))
        #expect(try run(pipeline, into: copy).exitStatus == .success)
        let pending = "manifest.ndjson.pending-" + PendingManifest.newToken()
        try FileManager.default.copyItem(atPath: copy + "/manifest.ndjson", toPath: out + "/" + pending)

        TestFiles.write(log, lines("/a", "/mended"))
        let rerun = try run(pipeline, into: out)
        #expect(rerun.exitStatus == .success, "\(rerun.problems)")
        #expect(rerun.files.first?.seenBefore?.hasSuffix("grown since") == true, "\(rerun.files.first?.seenBefore ?? "nil")")
        #expect(rerun.warnings.contains { $0.contains("stopped before its history's commit") && $0.contains(pending) }, "\(rerun.warnings)")
        #expect(pendingFiles(in: out).isEmpty)
        let sessions = TestFiles.readText(out + "/sessions.ndjson") ?? ""
        #expect(sessions.components(separatedBy: #""event":"PageView""#).count == 3, "\(sessions)")
    }

    /// Stopped after its history's commit, before the rename: the committed run's manifest is
    /// pending and the one before it in place. The log then changes in the line the committed
    /// run read: the history holds that reading, so it is said changed (exit 2), as after a
    /// complete run; had the pending manifest been lost, the change would have gone unsaid.
    @Test func aManifestLeftAfterTheHistorysCommitIsPutInPlace() throws {
        let folder = TestFiles.temporaryFolder("pending-after")
        defer { TestFiles.remove(folder) }
        let pipeline = ChangedInputTests.pipeline(folder)
        let log = folder + "/access-2024-01-03.log"
        let out = folder + "/out"
        TestFiles.write(log, lines("/a"))
        #expect(try run(pipeline, into: out).exitStatus == .success)
        let before = TestFiles.readText(out + "/manifest.ndjson") ?? ""
        TestFiles.write(log, lines("/a", "/more"))
        #expect(try run(pipeline, into: out).exitStatus == .success)
        #expect(pendingFiles(in: out).isEmpty, "a complete run leaves no pending manifest")
        let token = try #require(try SQLiteHistoryStore.committedManifestToken(inFolder: out))
        let pending = PendingManifest.name(of: "manifest.ndjson", token: token)
        #expect(rename(out + "/manifest.ndjson", out + "/" + pending) == 0)
        TestFiles.write(out + "/manifest.ndjson", before)

        TestFiles.write(log, lines("/a", "/other"))
        let rerun = try run(pipeline, into: out)
        #expect(rerun.exitStatus == .inputDamaged)
        #expect(rerun.files.first?.seenBefore?.hasSuffix("changed since") == true, "\(rerun.files.first?.seenBefore ?? "nil")")
        #expect(rerun.warnings.contains { $0.contains("stopped after its history's commit") && $0.contains(pending) }, "\(rerun.warnings)")
        #expect(pendingFiles(in: out).isEmpty)
        // Each run commits a token of its own.
        #expect(try SQLiteHistoryStore.committedManifestToken(inFolder: out) != token)
    }

    /// A commit by a version before 2026-12-06 (a downgrade, then an upgrade) replaces the
    /// key filter's row without a token: a manifest left pending before it no longer goes
    /// with the history and is deleted, not put in place over the manifest that commit wrote
    /// (a review: it was, and a change of a file that version read went unsaid).
    @Test func aCommitWithoutATokenLeavesNoPendingManifestInPlace() throws {
        let folder = TestFiles.temporaryFolder("pending-downgrade")
        defer { TestFiles.remove(folder) }
        let (pipeline, out) = try firstRun(in: folder)
        let token = try #require(try SQLiteHistoryStore.committedManifestToken(inFolder: out))
        let pending = PendingManifest.name(of: "manifest.ndjson", token: token)
        try FileManager.default.copyItem(atPath: out + "/manifest.ndjson", toPath: out + "/" + pending)
        // The older version's commit: the row written with the columns it knows.
        let db = try SQLiteDatabase(path: out + "/" + SQLiteHistoryStore.fileName, create: false)
        try db.execute("INSERT OR REPLACE INTO key_filter (id, records, data) SELECT id, records, data FROM key_filter")
        #expect(try SQLiteHistoryStore.committedManifestToken(inFolder: out) == nil)

        let next = try run(pipeline, into: out)
        #expect(next.warnings.contains { $0.contains("stopped before its history's commit") && $0.contains(pending) }, "\(next.warnings)")
        #expect(pendingFiles(in: out).isEmpty)
    }

    /// Temporaries of pending manifests (a new name each run) and of the manifest itself that
    /// killed runs left are removed by the next run; one of a live process is left alone.
    @Test func temporariesOfKilledRunsAreRemoved() throws {
        let folder = TestFiles.temporaryFolder("pending-temporaries")
        defer { TestFiles.remove(folder) }
        let (pipeline, out) = try firstRun(in: folder)
        let gone = try CommandRunner.run("/bin/sh", ["-c", "echo $$"])
        let dead = try #require(Int32(gone.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        // One of this process's pid: a killed run's in a container whose funnel always has one pid.
        let left = ["manifest.ndjson.pending-\(PendingManifest.newToken()).tmp-\(dead)", "manifest.ndjson.tmp-\(dead)",
                    "manifest.ndjson.pending-\(PendingManifest.newToken()).tmp-\(getpid())"]
        let live = "manifest.ndjson.pending-\(PendingManifest.newToken()).tmp-1"
        for name in left + [live] { TestFiles.write(out + "/" + name, "{}\n") }
        #expect(try run(pipeline, into: out).exitStatus == .success)
        for name in left { #expect(!TestFiles.exists(out + "/" + name), "\(name) is removed") }
        #expect(TestFiles.exists(out + "/" + live))
    }
}
