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
}
