@testable import FunnelPipeline
import Testing

/// The Redis history's list of unfinished runs: any file name survives its stored form, a
/// run is listed once, and a finished run takes off exactly the runs whose files it read.
@Suite struct UnfinishedRunsTests {
    @Test func namesRoundTripAndCoveredRunsAreTakenOff() {
        // What the run passes: its files' names in positions (a file moved to another folder
        // that its pattern names is the same input).
        func names(_ paths: [(String, String)]) -> [String] {
            UnfinishedRuns.names(of: paths.map { PathTemplate.positionName(of: $0.0, filled: $0.1) })
        }
        let first = names([("/logs/access-2024-03-01.log.gz", "/logs/access-*.log.gz"), ("archive/events-2024-03-01.ndjson.gz", "archive/events-*.ndjson.gz")])
        #expect(first == ["access-2024-03-01.log.gz", "events-2024-03-01.ndjson.gz"])
        let odd = UnfinishedRuns.names(of: ["a\tb", "c\nd", "e\\f", "-"])
        var runs = UnfinishedRuns().adding(first).adding(odd).adding(first)
        #expect(runs.runs == [first, odd], "listed once")
        #expect(UnfinishedRuns(encoded: runs.encoded()) == runs)
        #expect(UnfinishedRuns(encoded: []).isEmpty)

        runs = runs.removing(coveredBy: UnfinishedRuns.names(of: ["access-2024-03-01.log.gz"]))
        #expect(runs.runs == [first, odd], "a run of some of its files does not finish it")
        runs = runs.removing(coveredBy: names([("x/access-2024-03-01.log.gz", "x/access-*.log.gz"), ("events-2024-03-01.ndjson.gz", "events-*.ndjson.gz"),
                                               ("more.log.gz", "more.log.gz")]))
        #expect(runs.runs == [odd])
        // A damaged list (an empty line) is never taken off.
        let damaged = UnfinishedRuns(encoded: Array("\n".utf8))
        #expect(!damaged.isEmpty && !damaged.removing(coveredBy: first).isEmpty)
    }
}
