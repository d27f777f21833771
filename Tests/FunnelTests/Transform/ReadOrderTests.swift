import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// SPEC 4: input order breaks ties in time, and of events with one `event_id` the first read
/// wins; files are read in the order listed and expanded. `ev.ndjson` is listed before
/// `ev.ndjson.1`, so its landing page and its copy of a purchase win (until 2026-12-05 the
/// later file's did: the position text ordered `ev.ndjson.1|` before `ev.ndjson|`).
struct ReadOrderTests {
    @Test func aFileWhoseNameBeginsAnothersIsReadFirst() throws {
        let folder = TestFiles.temporaryFolder("read-order")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/ev.ndjson", """
            {"event":"PageView","timestamp":1704067200000,"anonymous_id":"v1","url":"https://film.example/fromB?utm_source=bbb","event_id":"E1"}
            {"event":"Purchase","timestamp":1704067201000,"anonymous_id":"v1","value":5,"event_id":"P1"}

            """)
        TestFiles.write(folder + "/ev.ndjson.1", """
            {"event":"PageView","timestamp":1704067200000,"anonymous_id":"v1","url":"https://film.example/fromA?utm_source=aaa","event_id":"E2"}
            {"event":"Purchase","timestamp":1704067202000,"anonymous_id":"v1","value":7,"event_id":"P1"}

            """)
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["ev.ndjson*"]
            site:
              hosts: [film.example]
            sink:
              kind: ndjson
              output: out/

            """)
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.files.map(\.path) == [folder + "/ev.ndjson", folder + "/ev.ndjson.1"])
        let sessions = try #require(TestFiles.readText(folder + "/out/sessions.ndjson"))
        #expect(sessions.contains(#""utm_source":"bbb""#), "\(sessions)")
        #expect(sessions.contains(#""landing_page":"/fromB""#), "\(sessions)")
        #expect(sessions.contains(#""donation_amount":5"#), "\(sessions)")
        #expect(summary.revenue == Amount(micros: 5_000_000), "\(summary.revenue)")
    }
}
