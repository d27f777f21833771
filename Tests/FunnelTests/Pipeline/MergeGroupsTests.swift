@testable import FunnelPipeline
import FunnelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// How a day's files are merged when it has more than `ReadStage.slidingFrom`: ordered by
/// the time of their first records, which the window of open files then slides along, so
/// that files each holding a stretch of the day are read in one pass through it.
struct MergeGroupsTests {
    private func files(_ count: Int, day: Int? = 19_800) -> [InputFile] {
        (0..<count).map { index in
            var file = InputFile(path: "events-\(index).ndjson", source: Pipeline.Source(kind: .ndjson, paths: []))
            file.day = day
            return file
        }
    }

    @Test func aDayOfManyFilesIsOrderedByTheirFirstTimes() {
        let count = ReadStage.slidingFrom + 4
        // Listed last to first in time.
        let groups = ReadStage.mergeGroups(files(count)) { Int64(count - $0) * 60_000 }
        #expect(groups.count == 1)
        #expect(groups[0].files == Array((0..<count).reversed()))
        #expect(groups[0].firstTimes == (1...count).map { Int64($0) * 60_000 })
    }

    @Test func aDayOfFewFilesKeepsItsOrderAndReadsNoFirstTimes() {
        var asked = 0
        let few = ReadStage.slidingFrom
        let groups = ReadStage.mergeGroups(files(few) + files(3, day: 19_801)) { _ in
            asked += 1
            return 0
        }
        #expect(groups.map(\.files) == [Array(0..<few), Array(few..<(few + 3))])
        #expect(groups.allSatisfy { $0.firstTimes == nil })
        #expect(asked == 0)
    }

    /// Files whose first time is not known (stdin, nothing readable at their head) come first,
    /// ties in listed order.
    @Test func unknownFirstTimesComeFirstAndTiesKeepTheirOrder() {
        let count = ReadStage.slidingFrom + 2
        let groups = ReadStage.mergeGroups(files(count)) { $0 == 5 ? nil : 1_000 }
        #expect(groups.first?.files == [5] + (0..<count).filter { $0 != 5 })
    }
}

/// A day of more files than may be open at once, through a run: the same sessions as the same
/// events in one file, each file opened as the merge reaches it (a dump a minute beside a
/// file that spans the whole day).
@Suite(.serialized)
struct ManyFilesTests {
    @Test func aDayOfManyFilesGivesTheSessionsOfOneFile() throws {
        let folder = TestFiles.temporaryFolder("many-files")
        defer { TestFiles.remove(folder) }
        let count = ReadStage.openFileLimit + 6
        let start: Int64 = 1_709_251_200_000
        func event(_ minute: Int, _ visitor: Int, page: String) -> String {
            #"{"event":"PageView","timestamp":\#(start + Int64(minute) * 60_000 + Int64(visitor)),"anonymous_id":"v\#(visitor)","url":"https://film.example/\#(page)"}"#
        }
        for name in ["dumps", "one"] { mkdir(folder + "/" + name, 0o755) }
        var all: [String] = []
        var spanning: [String] = []
        for minute in 0..<count {
            // Each minute's dump: two visitors; the spanning file: a visitor who stays all day.
            let lines = [event(minute, minute % 7, page: "m\(minute)"), event(minute, 100 + minute % 3, page: "n\(minute)")]
            TestFiles.write(folder + "/dumps/events-\(String(minute + 1000)).ndjson", lines.joined(separator: "\n") + "\n")
            spanning.append(event(minute, 200, page: "s\(minute)"))
            all += lines + [spanning.last!]
        }
        TestFiles.write(folder + "/dumps/all-day.ndjson", spanning.joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/one/all.ndjson", all.joined(separator: "\n") + "\n")
        for (name, paths) in [("many", "dumps/*.ndjson"), ("single", "one/all.ndjson")] {
            TestFiles.write(folder + "/\(name).yaml", "sources:\n  - kind: ndjson\n    paths: [\"\(paths)\"]\nsink:\n  kind: ndjson\n  output: \(name)-out/\n")
            let summary = try RunsOverTimeTests.run(folder + "/\(name).yaml", days: [], sink: .ndjson, output: folder + "/\(name)-out")
            #expect(summary.exitStatus == .success && summary.kept == count * 3, "\(name): \(summary.problems)")
        }
        let many = TestFiles.readText(folder + "/many-out/sessions.ndjson")
        #expect(many != nil && many == TestFiles.readText(folder + "/single-out/sessions.ndjson"))
    }
}

/// How many input files may be open at once under a descriptor limit: enough left for the
/// rest of the run, whose own need is bounded (a review saw 77 files of 1,002 fail to open
/// under `ulimit -n 16`; a file per sorted run of the scratch once made it grow), and
/// under the usual limit of 1,024 room for a day of a hundred servers' logs that each span
/// the day (at most 64 until 2026-12-05: the rest came late, and cost twice the CPU).
struct OpenFilesTests {
    @Test(arguments: [(16, 1), (32, 1), (33, 1), (48, 16), (64, 32), (128, 96), (288, 256), (1024, 256), (1_048_576, 256)])
    func theWindowLeavesRoomForTheRun(descriptors: Int, files: Int) {
        #expect(ReadStage.openFiles(underDescriptorLimit: descriptors) == files)
    }

    /// Descriptors a parent left open take from the window (a review: 20 inherited under
    /// `ulimit -n 90` failed a 62-server day, exit 3); the standard three do not.
    @Test(arguments: [(90, 3, 58), (90, 23, 38), (64, 40, 1), (1024, 100, 256)])
    func descriptorsOpenAtTheStartAreLeft(descriptors: Int, atStart: Int, files: Int) {
        #expect(ReadStage.openFiles(underDescriptorLimit: descriptors, atStart: atStart) == files)
    }
}

/// Whether another file of a day may be opened: within the slots, and past 16 open files
/// only while their buffers hold less than 64 MiB (a file's buffer grows to its longest line:
/// 256 files with lines of 1 MB held 2.2 GB; bounding by the limit instead slowed a day with
/// no long line 2.6 times under a raised limit).
struct RoomForAnotherTests {
    @Test func theBuffersHeldBoundTheWindowPastSixteenFiles() {
        var asked = 0
        func held(_ bytes: Int) -> () -> Int { { asked += 1; return bytes } }
        #expect(ReadStage.roomForAnother(open: 15, slots: 256, heldBytes: held(1 << 30)))
        #expect(asked == 0)
        #expect(ReadStage.roomForAnother(open: 200, slots: 256, heldBytes: held(40 << 20)))
        #expect(!ReadStage.roomForAnother(open: 20, slots: 256, heldBytes: held(64 << 20)))
        #expect(!ReadStage.roomForAnother(open: 256, slots: 256, heldBytes: held(0)))
        #expect(!ReadStage.roomForAnother(open: 1, slots: 1, heldBytes: held(0)))
        #expect(asked == 2)
    }
}

/// When a file's records begin, for the order of a day of many files: the median of its first
/// records, so that a straggler at its head does not open it hours early.
struct FirstTimeTests {
    @Test func theMedianOfTheFirstRecordsTakesNoStraggler() throws {
        let folder = TestFiles.temporaryFolder("first-time")
        defer { TestFiles.remove(folder) }
        let noon: Int64 = 1_709_294_400_000
        // A straggler from midnight, then the file's own stretch from noon, a line unread.
        let times = [noon - 12 * 3_600_000] + (0..<20).map { noon + Int64($0) * 1_000 }
        let lines = times.map { #"{"event":"PageView","timestamp":\#($0),"anonymous_id":"v1","url":"https://film.example/"}"# }
        TestFiles.write(folder + "/events.ndjson", (["not json"] + lines).joined(separator: "\n") + "\n")
        let file = InputFile(path: folder + "/events.ndjson", source: Pipeline.Source(kind: .ndjson, paths: []))
        #expect(ReadStage.firstTime(of: file, maxLineLength: 1 << 16) == noon + 6_000)
        #expect(ReadStage.median([]) == nil)
        #expect(ReadStage.median([5, 1]) == 5)
    }

    /// A FIFO (or a pipe given as `--input`) can be read once: the head is not read from it
    /// (a review: its lines were lost, or the run hung at its second opening).
    @Test func aFIFOsHeadIsNotRead() throws {
        let folder = TestFiles.temporaryFolder("first-time-fifo")
        defer { TestFiles.remove(folder) }
        let path = folder + "/events.ndjson"
        #expect(mkfifo(path, 0o600) == 0)
        let line = #"{"event":"PageView","timestamp":1709294400000,"anonymous_id":"v1","url":"https://film.example/"}"# + "\n"
        let writer = try WorkerThread(name: "fifo-writer") {
            let fd = open(path, O_WRONLY)
            _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress!, $0.count - 1) }
            close(fd)
        }
        let file = InputFile(path: path, source: Pipeline.Source(kind: .ndjson, paths: []))
        #expect(ReadStage.firstTime(of: file, maxLineLength: 1 << 16) == nil)
        // What the FIFO holds is still there for the reading that counts.
        // Opened without waiting for a writer (one that already wrote to the head's reading is
        // gone); the writer's own opening waits for this one, then it writes and closes.
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        writer.join()
        var bytes = [UInt8](repeating: 0, count: 512)
        let count = read(fd, &bytes, bytes.count)
        close(fd)
        #expect(count == line.utf8.count)
    }
}
