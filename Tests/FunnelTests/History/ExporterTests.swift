@testable import FunnelPipeline
import FunnelTestSupport
import FunnelWriters
import Testing

/// `funnel export` reads a flat-file history; it must not change it, nor need more than a
/// row's memory whatever the history's size (which a test cannot time; see
/// docs/performance.md, "Runs over time", for the measurement).
@Suite struct ExporterTests {
    typealias Days = RunsOverTimeTests.Days

    /// An export reads the history as it is: a file left by an older version (here with the
    /// table an older version kept and no saved key filter, both of which a run's opening
    /// of the history mends) comes out of an export byte for byte as it went in, and the
    /// export still equals the run's own output.
    @Test func anExportLeavesTheHistoryAsItWas() throws {
        let days = Days(seed: 131, visitors: 150)
        let output = TestFiles.temporaryFolder("export-untouched")
        defer { TestFiles.remove(output) }
        _ = try days.run(days: days.dates, sink: .ndjson, output: output)
        let path = output + "/" + SQLiteHistoryStore.fileName
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("CREATE TABLE group_visitor (grp TEXT PRIMARY KEY, visitor TEXT NOT NULL); DELETE FROM key_filter;")
        }
        let before = try #require(TestFiles.read(path))

        let (count, _) = try Exporter.export(historyFolder: output, to: output + "/export")

        let unchanged = TestFiles.read(path) == before
        #expect(unchanged, "the export changed the history file")
        #expect(count > 0)
        #expect(TestFiles.readText(output + "/export/sessions.ndjson") == TestFiles.readText(output + "/sessions.ndjson"))
    }

    /// Nightly runs of a flat-file sink write only the sessions they changed, and a backfill's
    /// days each replace the file: the export of every kind is the file one run over every
    /// day writes, byte for byte (until 2026-12-05 only sessions.ndjson could be exported, and
    /// a resp or csv sink's data of earlier nights could not be made again).
    @Test(arguments: [Pipeline.SinkKind.csv, .resp, .ndjson])
    func anExportOfEachKindIsWhatOneRunOverEveryDayWrites(kind: Pipeline.SinkKind) throws {
        let days = Days(seed: 137, visitors: 150)
        let scratch = TestFiles.temporaryFolder("export-kinds")
        defer { TestFiles.remove(scratch) }
        _ = try days.run(days: days.dates, sink: kind, output: scratch + "/whole")
        for date in days.dates { _ = try days.run(days: [date], sink: kind, output: scratch + "/daily") }
        let name = ["csv": "sessions.csv", "resp": "redis.resp", "ndjson": "sessions.ndjson"][kind.rawValue]!
        let lastNight = try #require(TestFiles.read(scratch + "/daily/" + name))
        let whole = try #require(TestFiles.read(scratch + "/whole/" + name))
        #expect(lastNight != whole, "the last night's file holds its own sessions only")

        let pipeline = try PipelineLoader.load(path: days.folder + "/pipeline.yaml")
        let (count, path) = try Exporter.export(historyFolder: scratch + "/daily", to: scratch + "/export", kind: kind, pipeline: pipeline)
        #expect(path == scratch + "/export/" + name)
        #expect(count > 100)
        let exported = TestFiles.read(path)
        #expect(exported == whole, "\(exported?.count ?? -1) bytes against \(whole.count)")
        #expect(!TestFiles.exists(scratch + "/export/deleted.ndjson"), "an export deletes nothing")
    }

    /// An export into the sink's own folder would replace the last run's files (its sessions
    /// file, the deletions a warehouse reads): refused, the folder left as it was.
    @Test(arguments: [Pipeline.SinkKind.csv, .ndjson])
    func anExportIntoTheSinksOwnFolderIsRefused(kind: Pipeline.SinkKind) throws {
        let days = Days(seed: 139, visitors: 60)
        let output = TestFiles.temporaryFolder("export-own-folder")
        defer { TestFiles.remove(output) }
        _ = try days.run(days: Array(days.dates.suffix(1)), sink: kind, output: output)
        _ = try days.run(days: Array(days.dates.prefix(1)), sink: kind, output: output)
        let name = kind == .csv ? "sessions.csv" : "sessions.ndjson"
        let before = TestFiles.read(output + "/" + name)
        let deleted = TestFiles.read(output + "/deleted.ndjson")
        let pipeline = try PipelineLoader.load(path: days.folder + "/pipeline.yaml")
        let error = #expect(throws: PipelineError.self) { try Exporter.export(historyFolder: output, to: output + "/.", kind: kind, pipeline: pipeline) }
        #expect(error?.description.contains("the sink's own output folder") == true, "\(String(describing: error))")
        #expect(TestFiles.read(output + "/" + name) == before)
        #expect(TestFiles.read(output + "/deleted.ndjson") == deleted)

        // The history read from another folder (`--output`), into the pipeline's own
        // `sink.output`: refused too.
        let own = pipeline.sink.output
        _ = try days.run(days: Array(days.dates.suffix(1)), sink: kind, output: own)
        let ownBefore = TestFiles.read(own + "/" + name)
        let elsewhere = #expect(throws: PipelineError.self) { try Exporter.export(historyFolder: output, to: own, kind: kind, pipeline: pipeline) }
        #expect(elsewhere?.description.contains("the sink's own output folder") == true, "\(String(describing: elsewhere))")
        #expect(TestFiles.read(own + "/" + name) == ownBefore)
    }

    /// Every golden fixture's expected sessions.ndjson, read back as the export of other kinds
    /// reads the history's bodies, is written again byte for byte.
    @Test(arguments: FixtureCase.all)
    func aSessionLineReadBackIsWrittenTheSame(fixture: FixtureCase) throws {
        let text = try #require(TestFiles.readText(fixture.expectedFolder + "/sessions.ndjson"), "\(fixture) has no expected sessions.ndjson")
        for line in text.split(separator: "\n") {
            let session = try #require(SessionBody.decode(Array(line.utf8)), "\(fixture): \(line)")
            var again: [UInt8] = []
            NDJSONSessionWriter.append(session, to: &again)
            #expect(again == Array(line.utf8) + [UInt8(ascii: "\n")], "\(fixture)")
        }
    }

    /// A history file without session bodies (the first versions', or any SQLite file in its
    /// place) is refused with what to do, not exported as empty, and is not changed.
    @Test func aHistoryWithoutSessionBodiesIsRefusedWithTheFix() throws {
        let output = TestFiles.temporaryFolder("export-early")
        defer { TestFiles.remove(output) }
        let path = output + "/" + SQLiteHistoryStore.fileName
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("CREATE TABLE records (grp TEXT NOT NULL, position TEXT NOT NULL, data BLOB NOT NULL);")
        }
        let before = try #require(TestFiles.read(path))

        let error = #expect(throws: PipelineError.self) { try Exporter.export(historyFolder: output, to: output + "/export") }

        #expect(error?.description.contains("holds no session bodies") == true, "\(String(describing: error))")
        #expect(error?.description.contains("run the pipeline once") == true, "\(String(describing: error))")
        let unchanged = TestFiles.read(path) == before
        #expect(unchanged, "the refused export changed the file")
        #expect(!TestFiles.exists(output + "/export/sessions.ndjson"))
    }

    /// A folder without a history is refused, and no history file is made there.
    @Test func aFolderWithoutAHistoryIsRefused() throws {
        let output = TestFiles.temporaryFolder("export-none")
        defer { TestFiles.remove(output) }

        let error = #expect(throws: PipelineError.self) { try Exporter.export(historyFolder: output, to: output + "/export") }

        #expect(error?.description.contains("no history in") == true, "\(String(describing: error))")
        #expect(!TestFiles.exists(output + "/" + SQLiteHistoryStore.fileName))
    }
}
