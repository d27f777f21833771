@testable import FunnelPipeline
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
