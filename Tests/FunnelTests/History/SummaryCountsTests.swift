@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// The summary's line counts over nights (SPEC 9): `kept`, `filtered` and `rejected` count this
/// run's lines and add up to the lines read; records folded when sessions are built (merged
/// page views, duplicate events, events over the cap) are `combined`, counted over the records
/// of every visitor the run rebuilt, stored ones included.
struct SummaryCountsTests {
    @Test func aNightThatRebuildsAVisitorWithStoredMergesKeepsItsOwnLines() throws {
        let folder = TestFiles.temporaryFolder("summary-counts")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
        func log(_ day: Int, _ minute: Int, _ page: String) -> String {
            "192.0.2.9 - - [0\(day)/Jan/2024:10:0\(minute):00 +0000] \"GET \(page) HTTP/1.1\" 200 5 \"-\" \"\(agent)\" \"v1\""
        }
        // Day 1: five log lines and the five client PageViews they merge with.
        TestFiles.write(folder + "/access-2024-01-01.log", (0..<5).map { log(1, $0, "/p\($0)") }.joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/events-2024-01-01.ndjson", (0..<5).map {
            #"{"event":"PageView","timestamp":\#(1_704_103_200_000 + $0 * 60_000 + 2_000),"anonymous_id":"v1","url":"https://film.example/p\#($0)"}"#
        }.joined(separator: "\n") + "\n")
        // Day 2: one log line of the same visitor, no client event.
        TestFiles.write(folder + "/access-2024-01-02.log", log(2, 0, "/again") + "\n")
        TestFiles.write(folder + "/events-2024-01-02.ndjson", "")
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: access_log
                format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid"'
                visitor_cookie: vid
                paths: ["access-{date}.log"]
              - kind: ndjson
                paths: ["events-{date}.ndjson"]
            site:
              hosts: [film.example]
            sink:
              kind: ndjson
              output: out/

            """)
        let first = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-01-01"], sink: .ndjson, output: folder + "/out")
        #expect(first.linesRead == 10 && first.kept == 10 && first.filteredTotal == 0)
        #expect(first.combined == [.mergedPageView: 5])
        let second = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-01-02"], sink: .ndjson, output: folder + "/out")
        #expect(second.linesRead == 1)
        #expect(second.kept == 1, "kept \(second.kept)")
        #expect(second.kept + second.filteredTotal + second.rejectedTotal == second.linesRead)
        #expect(second.filtered[.mergedPageView] == nil)
        #expect(second.combined == [.mergedPageView: 5])
        #expect(second.text.contains("  combined     5  (merged_page_view 5)  in the rebuilt visitors' sessions"), "\(second.text)")
        #expect(String(decoding: second.json, as: UTF8.self).contains(#""kept":1,"filtered":{},"combined":{"merged_page_view":5}"#))
    }
}
