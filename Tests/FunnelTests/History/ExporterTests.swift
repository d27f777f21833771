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

        let count = try Exporter.export(historyFolder: output, to: output + "/export")

        let unchanged = TestFiles.read(path) == before
        #expect(unchanged, "the export changed the history file")
        #expect(count > 0)
        #expect(TestFiles.readText(output + "/export/sessions.ndjson") == TestFiles.readText(output + "/sessions.ndjson"))
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
