import FunnelCore
import FunnelPipeline
import FunnelTransform
import FunnelTestSupport
import Testing

struct EventCapTests {
    private func records(_ names: [String]) -> [Record] {
        names.enumerated().map { Record(origin: .client, event: $0.element, timestamp: 1_704_067_200_000 + Int64($0.offset) * 1000) }
    }

    @Test func aSessionWithinTheLimitIsUnchanged() {
        let input = records(["PageView", "ViewContent", "Purchase"])
        let (kept, dropped) = EventCap.apply(input, max: 3)
        #expect(kept.map(\.timestamp) == input.map(\.timestamp))
        #expect(dropped == 0)
    }

    @Test func theFirstEventsAreKeptInTimeOrder() {
        let input = records(["PageView"] + Array(repeating: "VideoProgress", count: 20))
        let (kept, dropped) = EventCap.apply(input, max: 5)
        #expect(kept.map(\.timestamp) == Array(input.prefix(5)).map(\.timestamp))
        #expect(dropped == 16)
    }

    /// A flood of progress events before the donation does not push the Purchase out.
    @Test func decisiveEventsAreKeptBeforeOthers() {
        let input = records(["PageView"] + Array(repeating: "VideoProgress", count: 50) + ["InitiateCheckout", "Purchase", "PageView"])
        let (kept, dropped) = EventCap.apply(input, max: 4)
        #expect(kept.map(\.event) == ["PageView", "VideoProgress", "InitiateCheckout", "Purchase"])
        #expect(kept.map(\.timestamp) == kept.map(\.timestamp).sorted())
        #expect(dropped == input.count - 4)
    }

    @Test func decisiveEventsAloneAreCappedToo() {
        let input = records(Array(repeating: "Purchase", count: 10) + ["PageView"])
        let (kept, dropped) = EventCap.apply(input, max: 3)
        #expect(kept.map(\.timestamp) == Array(input.prefix(3)).map(\.timestamp))
        #expect(dropped == 8)
    }

    @Test func thePipelineKeyIsReadAndChecked() throws {
        let base = "sources:\n  - kind: ndjson\n    paths: [\"e.ndjson\"]\n"
        #expect(try PipelineLoader.parse(base, file: "/p.yaml").maxEventsPerSession == 10_000)
        #expect(try PipelineLoader.parse(base + "limits:\n  max_events_per_session: 250\n", file: "/p.yaml").maxEventsPerSession == 250)
        for bad in ["0", "-3", "many", "1.5"] {
            #expect(throws: PipelineError.self) {
                try PipelineLoader.parse(base + "limits:\n  max_events_per_session: \(bad)\n", file: "/p.yaml")
            }
        }
    }

    /// End to end: a session of 32 events under a limit of 5 keeps its landing page view and
    /// its Purchase, and the summary counts the 27 others.
    @Test func aRunCountsWhatTheCapDropped() throws {
        let folder = TestFiles.temporaryFolder("event-cap")
        defer { TestFiles.remove(folder) }
        let purchase = #"{"event":"Purchase","timestamp":1704067260000,"session_id":"s-flood","anonymous_id":"v-flood","value":25,"currency":"USD"}"#
        let (summary, text) = try Self.runFlood(in: folder, progressEvents: 30, then: [purchase])
        #expect(summary.exitStatus == .success)
        #expect(summary.combined[.overEventCap] == 27)
        // Every line was kept as a record (this run's 32); 27 of them were over the cap.
        #expect(summary.kept == 32)
        #expect(text.contains(#""donation_completed":true"#) && text.contains(#""donation_amount":25"#), "\(text)")
        #expect(text.components(separatedBy: #"{"event":"#).count - 1 == 5, "\(text)")
    }

    /// A run, capped at 5 events a session, of one session's page view, `progressEvents`
    /// VideoProgress events a second apart and the `then` lines; its summary and sessions file.
    private static func runFlood(in folder: String, progressEvents: Int, then: [String] = [],
                                 schema: String = "mvp") throws -> (RunSummary, String) {
        var lines = [#"{"event":"PageView","timestamp":1704067200000,"session_id":"s-flood","anonymous_id":"v-flood","url":"https://film.example/watch"}"#]
        for second in 1...progressEvents {
            lines.append(#"{"event":"VideoProgress","timestamp":\#(1_704_067_200_000 + second * 1000),"session_id":"s-flood","anonymous_id":"v-flood","content":"trailer","percent":\#(second)}"#)
        }
        TestFiles.write(folder + "/events.ndjson", (lines + then).joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["events.ndjson"]
            schema: \(schema)
            limits:
              max_events_per_session: 5
            sink:
              kind: ndjson
              output: out
            """)
        var options = RunOptions()
        options.progress = .never
        let summary = try Runner(pipeline: PipelineLoader.load(path: folder + "/pipeline.yaml"), options: options, report: { _ in }).run()
        return (summary, try #require(TestFiles.readText(folder + "/out/sessions.ndjson")))
    }

    /// The enhanced schema's `event_count` counts the events written, not the session's records
    /// (docs/pipeline.md, `limits`; rv76c: a count of all 32 records beside 5 events passed
    /// every test).
    @Test func theEnhancedEventCountIsOfTheEventsWritten() throws {
        let folder = TestFiles.temporaryFolder("event-cap-count")
        defer { TestFiles.remove(folder) }
        let (summary, text) = try Self.runFlood(in: folder, progressEvents: 31, schema: "enhanced")
        #expect(summary.exitStatus == .success && summary.kept == 32 && summary.combined[.overEventCap] == 27, "\(summary.text)")
        #expect(text.contains(#""event_count":5"#), "\(text)")
        #expect(text.components(separatedBy: #"{"event":"#).count - 1 == 5, "\(text)")
    }
}
