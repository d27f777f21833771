import Foundation
import FunnelCore
import FunnelTestSupport
@testable import FunnelPipeline
import FunnelReaders
import Testing

/// A file's name in its lines' positions: two files a run reads never share one (their lines
/// would be taken for each other when a visitor is rebuilt), and a file moved to another
/// folder that its pattern names keeps its own.
struct PositionNameTests {
    @Test(arguments: [
        ("/var/log/nginx/access-2024-01-01.log.gz", "/var/log/nginx/access-*.log.gz", "access-2024-01-01.log.gz"),
        ("/archive/nginx/access-2024-01-01.log.gz", "/archive/nginx/access-*.log.gz", "access-2024-01-01.log.gz"),
        ("logs/web1/access-2024-01-01.log", "logs/*/access-2024-01-01.log", "web1/access-2024-01-01.log"),
        ("logs/web2/access-2024-01-01.log", "logs/*/access-2024-01-01.log", "web2/access-2024-01-01.log"),
        ("in/a/zz.ndjson", "in/*/*.ndjson", "a/zz.ndjson"),
        ("web1/a.log", "*/a.log", "web1/a.log"),
        ("/data/events.ndjson", "/data/events.ndjson", "events.ndjson"),
        ("logs/2024-01-01/access.log", "logs/2024-01-01/access.log", "access.log"),
        ("logs/s[1]/x.log", "logs/s[[]1]/x.log", "s[1]/x.log"),
    ])
    func aFileIsNamedBelowItsPatternsFixedFolders(path: String, filled: String, expected: String) {
        #expect(PathTemplate.positionName(of: path, filled: filled) == expected)
    }

    @Test func inputFilesAreNamedAsGiven() {
        #expect(InputPlan.givenName("d1/events.ndjson") == "d1/events.ndjson")
        #expect(InputPlan.givenName("./././d2/events.ndjson") == "d2/events.ndjson")
        #expect(InputPlan.givenName("events.ndjson") == "events.ndjson")
        #expect(InputPlan.givenName("/tmp/x.log") == "/tmp/x.log")
    }

    /// Positions sort as the files are read (a pattern's matches in path order), so the first
    /// read of two events with one `event_id` is the one kept.
    @Test func positionsSortAsTheFilesAreRead() {
        let names = ["in/a/zz.ndjson", "in/b/aa.ndjson"].map { PathTemplate.positionName(of: $0, filled: "in/*/*.ndjson") }
        let prefixes = names.map { RecordPosition.prefix(source: 0, pattern: 0, day: nil, name: $0) }
        #expect(prefixes == prefixes.sorted())
    }

    /// A file a path pattern matched is listed as a regular file, and opened as one that must
    /// still be (`InputStream`'s `regularOnly`); a file given as `--input` is not (a FIFO there
    /// is read: a process substitution).
    @Test func patternFilesAreListedAsRegularAndGivenOnesNot() throws {
        let folder = TestFiles.temporaryFolder("listed-regular")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/events-2024-03-01.ndjson", "{}\n")
        let pipeline = try eventsPipeline(in: folder)
        var options = RunOptions()
        options.days = [try Day(parsing: "2024-03-01")]
        let listed = try InputPlan.files(pipeline: pipeline, options: options).files
        #expect(listed.map(\.listedRegular) == [true], "\(listed.map(\.path))")
        options.days = []
        options.inputs = [folder + "/events-2024-03-01.ndjson"]
        let given = try InputPlan.files(pipeline: pipeline, options: options).files
        #expect(given.count == 1 && given.allSatisfy { !$0.listedRegular })
    }

    /// A file listed as regular, now a FIFO, is refused at once by the line source, not opened
    /// and waited on (rv77e: `regularOnly: false` in `LineSource` survived the suite).
    @Test func aListedFileNowAFIFOIsRefusedByTheLineSource() throws {
        let folder = TestFiles.temporaryFolder("listed-now-fifo")
        defer { TestFiles.remove(folder) }
        let pipeline = try eventsPipeline(in: folder)
        #expect(mkfifo(folder + "/events-2024-03-01.ndjson", 0o644) == 0)
        var file = InputFile(path: folder + "/events-2024-03-01.ndjson", source: pipeline.sources[0])
        file.listedRegular = true
        let listed = file
        let said = resultWithin(5) {
            do {
                var source = try LineSource(file: listed)
                _ = source.next(maxLineLength: 1 << 16)
                return source.damage?.message ?? "no damage"
            } catch { return "\(error)" }
        }
        #expect(said != nil, "open waited")
        #expect(said?.contains("it is a FIFO (a pipe), not a file") == true, "\(String(describing: said))")
    }

    /// A pipeline over `events-{date}.ndjson` in `folder`, written there.
    private func eventsPipeline(in folder: String) throws -> Pipeline {
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["events-{date}.ndjson"]
            sink:
              kind: ndjson
              output: out
            """)
        return try PipelineLoader.load(path: folder + "/pipeline.yaml")
    }
}
#if canImport(Glibc)
import Glibc
#endif
