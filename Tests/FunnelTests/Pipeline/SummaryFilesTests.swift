@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// The text summary names the first files read before and counts the rest: a re-run of a day
/// of 10,000 files printed 10,000 "repeated" lines (a review). `--summary-json` keeps each.
struct SummaryFilesTests {
    @Test func theFilesReadBeforeAreNamedUpToTenAndCounted() {
        var summary = RunSummary()
        for index in 0..<14 {
            var file = RunSummary.FileSummary(path: "events-\(index).ndjson", kind: .ndjson)
            file.seenBefore = index % 4 == 3 ? "read before with 1 bytes, now 2: grown since" : "read before, unchanged"
            summary.files.append(file)
        }
        summary.files.append(RunSummary.FileSummary(path: "new.ndjson", kind: .ndjson))
        let repeated = summary.text.split(separator: "\n").filter { $0.hasPrefix("  repeated ") }
        #expect(repeated.count == RunSummary.filesNamed + 1)
        #expect(repeated.prefix(RunSummary.filesNamed).map { $0.contains("events-") } == Array(repeating: true, count: RunSummary.filesNamed))
        // Files 10 to 13 are counted: 11 grown, the others unchanged.
        #expect(repeated.last == "  repeated     and 4 more files read before (3 unchanged, 1 grown or changed; --summary-json lists each)")
        #expect(String(decoding: summary.json, as: UTF8.self).contains("events-13.ndjson"))
    }
}

/// The progress line is drawn at the first file and then at most four times a second, not
/// once a file (a day of 10,000 files wrote 10,003 lines to a cron log; a review).
struct ProgressDrawsTests {
    @Test func manyFilesDrawTheLineAtMostFourTimesASecond() {
        final class Lines: @unchecked Sendable { var count = 0 }
        let drawn = Lines()
        var progress = Progress(mode: .always, total: 10_000, report: { _ in drawn.count += 1 })
        let started = Runner.now()
        progress.startFile(0, path: "first")
        #expect(drawn.count == 1)
        for index in 1..<10_000 { progress.startFile(index, path: "file-\(index)") }
        let seconds = Runner.now() - started
        #expect(drawn.count <= 2 + Int(seconds / 0.25), "\(drawn.count) draws in \(seconds) s")
    }
}

/// The bar fills by the bytes read against the files' sizes, so a day's files read side by
/// side do not show a full bar from the first second (it filled by files begun until
/// 2026-12-06); input of unknown size fills it by files.
struct ProgressFillsTests {
    final class Lines: @unchecked Sendable { var all: [String] = [] }

    private func files(_ sizes: [Int]) -> [String] {
        let folder = TestFiles.temporaryFolder("funnel-progress")
        return sizes.enumerated().map { index, size in
            let path = "\(folder)/f\(index)"
            TestFiles.write(path, [UInt8](repeating: 0x41, count: size))
            return path
        }
    }

    @Test func theBarFillsByTheBytesRead() {
        let paths = files([1000, 3000])
        let drawn = Lines()
        var progress = Progress(mode: .always, total: 2, paths: paths, report: { drawn.all.append($0) })
        progress.startFile(0, path: paths[0])
        progress.startFile(1, path: paths[1])
        #expect(drawn.all.first?.contains("] 0% file 1/2") == true, "\(drawn.all)")
        progress.read(500, ofFile: 0)
        #expect(progress.filled == 0.125)
        progress.read(1500, ofFile: 1)
        #expect(progress.filled == 0.5)
        progress.read(.max, ofFile: 0)
        #expect(progress.filled == 0.625)
        progress.read(.max, ofFile: 1)
        #expect(progress.filled == 1)
    }

    /// A 0-byte file among others is read at once, not a size unknown (the bar fell back to
    /// files); files read side by side each give their bytes every 16,384 of their lines;
    /// a file's name is shown escaped (a review).
    @Test func aZeroByteFileAndAlternatingFilesFillTheBar() {
        let paths = files([0, 1000, 1000])
        let drawn = Lines()
        var progress = Progress(mode: .always, total: 3, paths: paths + [], report: { drawn.all.append($0) })
        progress.startFile(0, path: "ev\u{1B}]0;PWNED\u{7}")
        #expect(drawn.all.first?.contains("ev\\u001b]0;PWNED\\u0007") == true, "\(drawn.all)")
        progress.read(.max, ofFile: 0)
        #expect(progress.filled == 0)
        var due = [0, 0]
        for line in 0..<(2 * 16_384) where progress.tick(file: 1 + line % 2) { due[line % 2] += 1 }
        #expect(due == [1, 1])
    }

    @Test func stdinFillsTheBarByFiles() {
        let paths = files([1000]) + ["-"]
        var progress = Progress(mode: .always, total: 2, paths: paths, report: { _ in })
        progress.startFile(1, path: "-")
        progress.read(900, ofFile: 0)
        #expect(progress.filled == 0.5)
    }
}
