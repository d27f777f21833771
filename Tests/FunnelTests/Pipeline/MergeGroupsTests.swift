@testable import FunnelPipeline
import Testing

/// The turns in which a day's files are read when it has more than `ReadStage.maxOpenFiles`:
/// by the time of their first records, so that files each holding a stretch of the day are
/// read in one pass through it.
struct MergeGroupsTests {
    private func files(_ count: Int, day: Int? = 19_800) -> [InputFile] {
        (0..<count).map { index in
            var file = InputFile(path: "events-\(index).ndjson", source: Pipeline.Source(kind: .ndjson, paths: []))
            file.day = day
            return file
        }
    }

    @Test func aDayOfManyFilesIsReadInTurnsByTheirFirstTimes() {
        let count = ReadStage.maxOpenFiles + 4
        // Listed last to first in time: the first turn must hold the earliest files.
        let groups = ReadStage.mergeGroups(files(count)) { Int64(count - $0) * 60_000 }
        #expect(groups.count == 2)
        #expect(groups[0] == Array((4..<count).reversed()))
        #expect(groups[1] == [3, 2, 1, 0])
    }

    @Test func aDayOfFewFilesKeepsItsOrderAndReadsNoFirstTimes() {
        var asked = 0
        let groups = ReadStage.mergeGroups(files(ReadStage.maxOpenFiles) + files(3, day: 19_801)) { _ in
            asked += 1
            return 0
        }
        #expect(groups == [Array(0..<ReadStage.maxOpenFiles), Array(ReadStage.maxOpenFiles..<(ReadStage.maxOpenFiles + 3))])
        #expect(asked == 0)
    }

    /// Files whose first time is not known (stdin, nothing readable at their head) come first,
    /// ties in listed order.
    @Test func unknownFirstTimesComeFirstAndTiesKeepTheirOrder() {
        let count = ReadStage.maxOpenFiles + 2
        let groups = ReadStage.mergeGroups(files(count)) { $0 == 5 ? nil : 1_000 }
        #expect(groups.first?.first == 5)
        #expect(groups.flatMap { $0 } == [5] + (0..<count).filter { $0 != 5 })
    }
}
