import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// A record far ahead of its file's time waits alone instead of holding the file back
/// (`AheadOrder`): the merge keeps its pace, a file that really jumps ahead still passes in
/// order, and the sessions are those of the same records in time order.
@Suite
struct AheadOrderTests {
    private static func record(_ name: String, _ timestamp: Int64) -> StreamRecord {
        StreamRecord(group: name, timestamp: timestamp, data: [])
    }

    /// Runs `records` through an order with `tolerance`; the names in the order they came out.
    private static func order(_ records: [StreamRecord], tolerance: Int64 = 1_000) -> (names: [String], setAside: Int) {
        var order = AheadOrder(tolerance: tolerance)
        var input = records[...]
        var names: [String] = []
        while let next = order.next({ input.popFirst() }) { names.append(next.group.text) }
        return (names, order.parkedCount)
    }

    @Test func aStrayFarAheadWaitsAlone() {
        let records = [Self.record("a", 0), Self.record("b", 10), Self.record("stray", 10_000_000), Self.record("c", 20),
                       Self.record("d", 30), Self.record("e", 10_000_001)]
        let (names, setAside) = Self.order(records)
        #expect(names == ["a", "b", "c", "d", "stray", "e"])
        #expect(setAside == 2, "the stray, and the last record, as far ahead of d")
        // Within the tolerance nothing moves: small disorder is passed on as it was.
        #expect(Self.order([Self.record("a", 0), Self.record("b", 900), Self.record("c", 100)]).names == ["a", "b", "c"])
    }

    /// A quiet spell longer than the tolerance: after `jumpRun` records ahead in a row the
    /// file is taken as it comes, in time order, and nothing is lost.
    @Test func aFileThatJumpsAheadPassesInOrder() {
        var records = [Self.record("before", 0)]
        for index in 0..<20 { records.append(Self.record("after-\(index)", 5_000_000 + Int64(index))) }
        let (names, setAside) = Self.order(records)
        #expect(names == records.map(\.group.text))
        #expect(setAside == AheadOrder.jumpRun)
    }

    /// The file's first record has no time to be ahead of; records set aside at the same time
    /// come out in the order they were read; the file's end lets out what waits.
    @Test func firstRecordsTiesAndTheEnd() {
        let records = [Self.record("first", 9_000_000), Self.record("a", 0), Self.record("x1", 9_500_000), Self.record("b", 1),
                       Self.record("x2", 9_500_000), Self.record("c", 2)]
        #expect(Self.order(records).names == ["first", "a", "b", "c", "x1", "x2"])
        #expect(Self.order([]).names.isEmpty)
    }

    /// At most `maxParked` records wait at once; past it records go as they come, as before.
    @Test func atMostMaxParkedWait() throws {
        var records = [Self.record("start", 0)]
        for index in 0..<(AheadOrder.maxParked + 500) {
            records.append(Self.record("far-\(index)", 100_000_000 + Int64(index)))
            records.append(Self.record("near-\(index)", Int64(index)))
        }
        let (names, setAside) = Self.order(records)
        #expect(setAside == AheadOrder.maxParked)
        #expect(names.count == records.count && Set(names).count == records.count)
        // Every near record up to the limit went before the first far one; the first far record
        // past the limit came next to the last one set aside, in time order.
        let firstFar = try #require(names.firstIndex(of: "far-0"))
        #expect(names[..<firstFar].count == AheadOrder.maxParked + 1, "start and the near records read until the limit")
        let firstUnparked = try #require(names.firstIndex(of: "far-\(AheadOrder.maxParked)"))
        #expect(names[firstUnparked - 1] == "far-\(AheadOrder.maxParked - 1)")
    }

    /// End to end: generated traffic, each file in time order, and one event six hours ahead
    /// of its neighbours near the head of the events file. The reader sets it aside, so the
    /// merged stream stays in time order (before, the events after it came only once the
    /// logs had passed its time); and the run's sessions are those of the same events with it
    /// in its place in time. (This small traffic has quiet spells longer than the timeout:
    /// records after them are set aside too, a few at a time, and pass in order.)
    @Test func aFarAheadEventNeitherHoldsItsFileBackNorChangesSessions() throws {
        var generator = TrafficGenerator(seed: 61)
        let traffic = generator.generate(visitors: 150)
        func timestamp(ofEvent line: String) -> Int64 {
            Int64(line.split(separator: "\"timestamp\":", maxSplits: 1)[1].prefix { $0.isNumber })!
        }
        func logTime(_ line: String) -> Substring { line.split(separator: "[", maxSplits: 1)[1].prefix(20) }
        let events = traffic.events.sorted { timestamp(ofEvent: $0) < timestamp(ofEvent: $1) }
        let near = events.count / 10
        let ahead = #"{"event":"PageView","timestamp":\#(timestamp(ofEvent: events[near]) + 6 * 3_600_000),"session_id":"s-ahead","anonymous_id":"v-ahead","page":"/"}"#
        var inPlace = events
        inPlace.append(ahead)
        inPlace.sort { timestamp(ofEvent: $0) < timestamp(ofEvent: $1) }
        var early = events
        early.insert(ahead, at: near + 1)

        var sessions: [String] = []
        var setAside: [Int] = []
        for (name, eventLines) in [("ahead-early", early), ("ahead-in-place", inPlace)] {
            let folder = TestFiles.temporaryFolder(name)
            defer { TestFiles.remove(folder) }
            TestFiles.gzip(traffic.web1.sorted { logTime($0) < logTime($1) }.joined(separator: "\n") + "\n", to: folder + "/web1.log.gz")
            TestFiles.gzip(traffic.web2.sorted { logTime($0) < logTime($1) }.joined(separator: "\n") + "\n", to: folder + "/web2.log.gz")
            TestFiles.gzip(eventLines.joined(separator: "\n") + "\n", to: folder + "/events.ndjson.gz")
            TestFiles.write(folder + "/pipeline.yaml", generator.pipelineFile(logPaths: ["web1.log.gz", "web2.log.gz"], eventPaths: ["events.ndjson.gz"]))
            let pipeline = try PipelineLoader.load(path: folder + "/pipeline.yaml")

            let files = try InputPlan.files(pipeline: pipeline, options: RunOptions()).files
            let stage = ReadStage(sources: try files.map { file throws(PipelineError) in try LineSource(file: file) }, pipeline: pipeline,
                                  configuration: try Runner.configuration(pipeline), rejects: nil, manifest: nil,
                                  progress: Progress(mode: .never, total: files.count, report: { _ in }))
            try stage.start()
            var times: [Int64] = []
            while let batch = stage.queue.pop() { times.append(contentsOf: batch.map(\.timestamp)) }
            _ = stage.finish()
            setAside.append(stage.setAside)
            let backwards = zip(times, times.dropFirst()).filter { $0 > $1 }.count
            #expect(backwards == 0, "\(name): the merged stream went back in time \(backwards) times")

            var options = RunOptions()
            options.progress = .never
            let summary = try Runner(pipeline: pipeline, options: options, report: { _ in }).run()
            #expect(summary.exitStatus == .success)
            sessions.append(try #require(TestFiles.readText(folder + "/out/sessions.ndjson")))
        }
        #expect(setAside[0] == setAside[1] + 1, "\(setAside)")
        #expect(sessions[0] == sessions[1])
        #expect(sessions[0].contains("\"s-ahead\""))
    }
}
