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

/// A campaign parameter of white space alone is no value, through to the session: the
/// referrer decides the channel, and the blank session is no touch (fields.md; until
/// 2026-12-05 the session had no source and the visitor's later last touch was blank).
struct BlankCampaignTests {
    @Test func aBlankSourceLeavesTheChannelToTheReferrerAndIsNoTouch() throws {
        let folder = TestFiles.temporaryFolder("blank-campaign")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/ev.ndjson", """
            {"event":"PageView","timestamp":1704067200000,"anonymous_id":"v-blank","url":"https://film.example/?utm_source=%20&utm_medium=email","referrer":"https://www.google.com/"}
            {"event":"PageView","timestamp":1704103200000,"anonymous_id":"h2","url":"https://film.example/?utm_source=newsletter&utm_medium=email"}
            {"event":"PageView","timestamp":1704189600000,"anonymous_id":"h2","url":"https://film.example/?utm_source=%20&utm_campaign=spring"}
            {"event":"PageView","timestamp":1704276000000,"anonymous_id":"h2","url":"https://film.example/"}

            """)
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["ev.ndjson"]
            site:
              hosts: [film.example]
            schema: enhanced
            sink:
              kind: ndjson
              output: out/

            """)
        _ = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        let lines = (TestFiles.readText(folder + "/out/sessions.ndjson") ?? "").split(separator: "\n").map(String.init)
        let blank = try #require(lines.first { $0.contains(#""landing_page":"/""#) && $0.contains("google") }, "\(lines)")
        #expect(blank.contains(#""source":"google""#) && blank.contains(#""medium":"organic""#), "\(blank)")
        let later = lines.filter { $0.contains(#""first_touch_source":"newsletter""#) }
        #expect(later.count == 3, "\(lines)")
        for session in later.dropFirst() {
            #expect(session.contains(#""last_touch_source":"newsletter""#), "\(session)")
            #expect(session.contains(#""last_touch_timestamp":1704103200000"#), "\(session)")
        }
    }
}
