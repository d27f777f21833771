import Foundation
import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A flat-file history holding fewer committed runs than its output folder's runs committed
/// into it (`CommittedRunsFile`'s `sqlite` line): put back from an older copy, emptied,
/// deleted. rv77a: each was taken at its word, exit 0, the days since lost from every later
/// export and returning visitors built without them; a resumed rebuild whose staging history
/// was emptied switched in a rebuild without its first days.
@Suite(.serialized)
struct HistoryBehindTests {
    typealias Days = RunsOverTimeTests.Days

    /// A backfill of `dates` into `output` with the ndjson sink: its status (nil when it
    /// stopped with an error) and what it said.
    private func backfill(_ days: Days, _ dates: [String], output: String, rebuild: Bool = false) throws -> (status: FunnelPipeline.ExitStatus?, log: String) {
        var options = RunOptions()
        options.output = output
        options.sink = .ndjson
        var log = ""
        var backfill = Backfill(pipeline: try PipelineLoader.load(path: days.folder + "/pipeline.yaml"), options: options,
                                days: try dates.map { try Day(parsing: $0) }, report: { log += $0 })
        backfill.rebuild = rebuild
        let status = try? backfill.run()
        return (status, log)
    }

    @Test func aHistoryBehindItsFolderIsRefusedUntilToldToGoOn() throws {
        let days = Days(seed: 151, visitors: 80)
        let scratch = TestFiles.temporaryFolder("history-behind")
        defer { TestFiles.remove(scratch) }
        let folder = scratch + "/out"
        let history = folder + "/" + SQLiteHistoryStore.fileName
        let countFile = folder + "/" + CommittedRunsFile.name(Manifest.fileName)
        func night(_ index: Int) throws -> RunSummary {
            try days.run(days: [days.dates[index]], sink: .ndjson, output: folder)
        }
        #expect(try night(0).exitStatus == .success)
        try FileManager.default.copyItem(atPath: history, toPath: scratch + "/copy.sqlite")
        #expect(try night(1).exitStatus == .success)
        #expect(TestFiles.readText(countFile) == "2\t\(CommittedRunsFile.sqliteIdentity)\n")
        let sessionsBefore = TestFiles.readText(folder + "/sessions.ndjson")

        let damages: [(String, () throws -> Void)] = [
            ("1 of 2", {
                unlink(history)
                try FileManager.default.copyItem(atPath: scratch + "/copy.sqlite", toPath: history)
            }),
            ("0 of 2", { #expect(truncate(history, 0) == 0) }),
            ("0 of 2", { unlink(history) }),
        ]
        for (counts, damage) in damages {
            try damage()
            #expect { try night(2) } throws: { error in
                "\(error)".contains("holds fewer runs than this folder's runs committed into it (\(counts)): it was put back from an older copy, emptied or replaced")
                    && "\(error)".contains("delete the line '\(CommittedRunsFile.sqliteIdentity)' of \(countFile)")
            }
            // Nothing was read or written: the last night's sessions are still there, and a
            // missing or empty history was not made anew (rv77c).
            #expect(TestFiles.readText(folder + "/sessions.ndjson") == sessionsBefore, "\(counts)")
            if counts.hasPrefix("0") { #expect(!TestFiles.exists(history) || TestFiles.readText(history) == "", "\(counts)") }
            // An export of it is refused too (rv77c: it exported the one day the copy held).
            if TestFiles.exists(history) {
                #expect { try Exporter.export(historyFolder: folder, to: scratch + "/export") } throws: { error in
                    "\(error)".contains("holds fewer runs than this folder's runs committed into it (\(counts))")
                }
            }
            // A backfill stopped by it does not say to resume, which would be refused again.
            let (status, log) = try backfill(days, [days.dates[2]], output: folder)
            #expect(status == nil, "it was expected to stop")
            #expect(log.contains("the history lost runs (the problem above)") && !log.contains("to resume from it"), "\(log)")
        }
        // The way out the message names: the line deleted, the run goes on from what the
        // history holds.
        TestFiles.write(countFile, "")
        #expect(try night(2).exitStatus == .success)
        #expect(TestFiles.readText(countFile) == "1\t\(CommittedRunsFile.sqliteIdentity)\n")
    }

    /// A rebuild stopped after its first days, whose staging history was emptied, starts
    /// again from its first day and switches in what one backfill of every day gives.
    @Test func aRebuildWhoseStagingHistoryWasEmptiedStartsAgain() throws {
        let days = Days(seed: 152, visitors: 80)
        let scratch = TestFiles.temporaryFolder("history-behind-rebuild")
        defer { TestFiles.remove(scratch) }
        _ = try days.run(days: days.dates, sink: .ndjson, output: scratch + "/whole")
        _ = try Exporter.export(historyFolder: scratch + "/whole", to: scratch + "/whole-export")
        let expected = try #require(TestFiles.readText(scratch + "/whole-export/sessions.ndjson"))

        let live = scratch + "/live"
        #expect(try days.run(days: [days.dates[0]], sink: .ndjson, output: live).exitStatus == .success)
        // What a rebuild of every day killed after its second day leaves in its staging folder.
        let staging = live + ".rebuild"
        for date in days.dates.prefix(2) {
            #expect(try days.run(days: [date], sink: .ndjson, output: staging).exitStatus == .success)
        }
        let range = "\(days.dates.first!) \(days.dates.last!)"
        TestFiles.write(staging + "/backfill.state", Backfill.state(key: range + " rebuild", done: try Day(parsing: days.dates[1]), Backfill.SoFar()))
        #expect(truncate(staging + "/" + SQLiteHistoryStore.fileName, 0) == 0)

        let (status, log) = try backfill(days, days.dates, output: live, rebuild: true)
        #expect(status == .success, "\(log)")
        #expect(log.contains("the history in \(staging) holds fewer runs than this rebuild committed into it (0 of its 2 days' runs"), "\(log)")
        #expect(!log.contains("resuming"), "\(log)")
        _ = try Exporter.export(historyFolder: live, to: scratch + "/live-export")
        #expect(TestFiles.readText(scratch + "/live-export/sessions.ndjson") == expected)
    }

    /// A history damaged inside (a page of garbage, which opening it does not read) found
    /// while the run reads it stops the run with exit 1 and the way out, as damage found at
    /// the open does (rv77a: exit 3, which operations.md says to re-run; the re-run failed the
    /// same way), and writes nothing.
    @Test func aHistoryDamagedInsideIsExitOne() throws {
        let days = Days(seed: 153, visitors: 200)
        let scratch = TestFiles.temporaryFolder("history-damaged")
        defer { TestFiles.remove(scratch) }
        let folder = scratch + "/out"
        #expect(try days.run(days: [days.dates[0], days.dates[1]], sink: .ndjson, output: folder).exitStatus == .success)
        let pages = try #require(try FileManager.default.attributesOfItem(atPath: folder + "/" + SQLiteHistoryStore.fileName)[.size] as? Int) / 16_384
        try #require(pages > 6, "\(pages) pages")
        let sessionsBefore = TestFiles.readText(folder + "/sessions.ndjson")
        // Every page but the first (the schema's, read at the open), one at a time, each in a
        // copy of the whole folder.
        var damagedRuns = 0
        for page in 2...min(pages, 8) {
            let copy = scratch + "/page-\(page)"
            try FileManager.default.copyItem(atPath: folder, toPath: copy)
            let path = copy + "/" + SQLiteHistoryStore.fileName
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            try handle.seek(toOffset: UInt64((page - 1) * 16_384))
            try handle.write(contentsOf: (0..<16_384).map { UInt8(truncatingIfNeeded: 0xA5 ^ ($0 &* 31)) })
            try handle.close()
            let summary: RunSummary
            do {
                summary = try days.run(days: [days.dates[2]], sink: .ndjson, output: copy)
            } catch {
                // Damage found at the open: exit 1 too.
                #expect("\(error)".contains("the history is damaged"), "page \(page): \(error)")
                continue
            }
            guard summary.exitStatus != .success else { continue }
            damagedRuns += 1
            #expect(summary.exitStatus == .pipelineError, "page \(page): \(summary.problems)")
            #expect(summary.problems.contains { $0.contains("the history is damaged: put back a copy") }, "page \(page): \(summary.problems)")
            #expect(TestFiles.readText(copy + "/sessions.ndjson") == sessionsBefore, "page \(page)")
        }
        #expect(damagedRuns > 0, "no damaged page was met while reading")
    }

    /// An upgraded folder (no count of its Redis yet: its runs were of a version before
    /// 2026-12-06) over a Redis that lost its history says so on a night of new files, not
    /// only on a night that reads a file again (rv77a: the warning counted the run's own files
    /// in the manifest, 0 on every new night).
    @Test func anUpgradedFolderOverAnEmptiedRedisIsSaidOnANewNight() throws {
        let days = Days(seed: 154, visitors: 60)
        let scratch = TestFiles.temporaryFolder("history-upgraded-redis")
        defer { TestFiles.remove(scratch) }
        let server = try RedisServer()
        defer { server.stop() }
        let folder = scratch + "/out"
        #expect(try days.run(days: [days.dates[0]], sink: .redis, output: folder, redisURL: server.url).exitStatus == .success)
        // What an older version leaves: no count in the folder; then the Redis is emptied.
        unlink(folder + "/" + CommittedRunsFile.name(Manifest.fileName))
        _ = try server.connect().command("FLUSHALL")
        // The first night's files (a night reads its neighbours' files too), counted apart.
        let lines = (TestFiles.readText(folder + "/manifest.ndjson") ?? "").split(separator: "\n")
        let kept = Manifest.filesKept(folder: folder)
        #expect(kept > 0 && kept == lines.filter { $0.contains("\"kept\":") && !$0.contains("\"kept\":0,") }.count, "\(lines)")
        let summary = try days.run(days: [days.dates[1]], sink: .redis, output: folder, redisURL: server.url)
        #expect(summary.exitStatus == .success)
        #expect(summary.warnings.contains { $0.hasPrefix("the output folder's manifest lists \(kept) files whose records earlier runs kept, and Redis at") }, "\(summary.warnings)")
    }

    /// A staging history put back from a copy one day behind (1 of 2) starts the rebuild again
    /// (rv77e: `stored + 1 < rebuilt` survived the suite, which emptied the history only).
    @Test func aStagingHistoryOneDayBehindStartsAgain() throws {
        let days = Days(seed: 171, visitors: 60)
        let scratch = TestFiles.temporaryFolder("history-behind-staging")
        defer { TestFiles.remove(scratch) }
        let live = scratch + "/live"
        #expect(try days.run(days: [days.dates[0]], sink: .ndjson, output: live).exitStatus == .success)
        let staging = live + ".rebuild"
        #expect(try days.run(days: [days.dates[0]], sink: .ndjson, output: staging).exitStatus == .success)
        try FileManager.default.copyItem(atPath: staging + "/" + SQLiteHistoryStore.fileName, toPath: scratch + "/copy.sqlite")
        #expect(try days.run(days: [days.dates[1]], sink: .ndjson, output: staging).exitStatus == .success)
        unlink(staging + "/" + SQLiteHistoryStore.fileName)
        try FileManager.default.copyItem(atPath: scratch + "/copy.sqlite", toPath: staging + "/" + SQLiteHistoryStore.fileName)
        let range = "\(days.dates.first!) \(days.dates.last!)"
        TestFiles.write(staging + "/backfill.state", Backfill.state(key: range + " rebuild", done: try Day(parsing: days.dates[1]), Backfill.SoFar()))
        let (_, log) = try backfill(days, days.dates, output: live, rebuild: true)
        #expect(log.contains("(1 of its 2 days' runs"), "\(log)")
        #expect(!log.contains("resuming"), "\(log)")
    }

    /// Entries of versions before 2026-12-05 (no `kept`) count as kept, entries of files no run
    /// kept a record of do not (rv77e: `?? 0` and `>= 0` survived the suite).
    @Test func entriesWithoutKeptCountAsKept() throws {
        let days = Days(seed: 172, visitors: 40)
        let scratch = TestFiles.temporaryFolder("history-behind-kept")
        defer { TestFiles.remove(scratch) }
        let folder = scratch + "/out"
        #expect(try days.run(days: [days.dates[0]], sink: .ndjson, output: folder).exitStatus == .success)
        let text = try #require(TestFiles.readText(folder + "/manifest.ndjson"))
        let old = text.replacingOccurrences(of: #""kept":[0-9]+,"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #","kept":[0-9]+"#, with: "", options: .regularExpression)
        #expect(!old.contains("\"kept\""))
        TestFiles.write(folder + "/manifest.ndjson", old)
        let lines = old.split(separator: "\n").count
        #expect(lines > 0 && Manifest.filesKept(folder: folder) == lines, "\(old)")
        let first = try #require(text.split(separator: "\n").first)
        let none = first.replacingOccurrences(of: #""kept":[0-9]+"#, with: "\"kept\":0", options: .regularExpression)
        TestFiles.write(folder + "/manifest.ndjson", old + none + "\n")
        #expect(Manifest.filesKept(folder: folder) == lines, "a file whose records no run kept is not counted")
    }

    /// A run whose commit fails (a reader holds the history's shared lock past the 10 s wait)
    /// leaves the folder's count as it was, and the re-run is not refused (rv77e: the count
    /// raised before the commit survived the suite).
    @Test func aCommitThatFailsLeavesTheCountAsItWas() throws {
        let days = Days(seed: 173, visitors: 40)
        let scratch = TestFiles.temporaryFolder("history-behind-commit")
        defer { TestFiles.remove(scratch) }
        let folder = scratch + "/out"
        #expect(try days.run(days: [days.dates[0]], sink: .ndjson, output: folder).exitStatus == .success)
        let countFile = folder + "/" + CommittedRunsFile.name(Manifest.fileName)
        let before = TestFiles.readText(countFile)
        let reader = try SQLiteDatabase(path: folder + "/" + SQLiteHistoryStore.fileName, create: false)
        try reader.execute("BEGIN; SELECT count(*) FROM runs;")
        let summary = try days.run(days: [days.dates[1]], sink: .ndjson, output: folder)
        try reader.execute("ROLLBACK")
        #expect(summary.exitStatus != .success, "\(summary.problems)")
        #expect(TestFiles.readText(countFile) == before, "\(summary.problems)")
        #expect(try days.run(days: [days.dates[1]], sink: .ndjson, output: folder).exitStatus == .success)
    }
}
