import FunnelPipeline
import FunnelTestSupport
import Testing

/// Three people behind one CDN edge address, told apart by the edge's client header: three
/// visitors and three sessions, on the reader's byte path too (until 2026-12-06 the header was
/// ignored and they were one visitor, one session, the Facebook visitor's; a review).
struct ClientHeaderRunTests {
    @Test func peopleBehindOneEdgeAreVisitorsOfTheirOwn() throws {
        let folder = TestFiles.temporaryFolder("client-header")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
        let lines = [
            ("198.51.100.201", "00", "/?utm_source=facebook", "-"),
            ("203.0.113.202", "01", "/donate", "-"),
            ("192.0.2.203", "02", "/about", "https://www.google.com/"),
        ].map { #"\#($0.0) 172.70.1.10 - - [01/Jun/2024:10:\#($0.1):00 +0000] "GET \#($0.2) HTTP/1.1" 200 512 "\#($0.3)" "\#(agent)""# }
        TestFiles.write(folder + "/access.log", lines.joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/p.yaml", """
            sources:
              - kind: access_log
                format: '$http_cf_connecting_ip $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
                paths: [access.log]
            sink:
              kind: ndjson
              output: out/

            """)
        let summary = try RunsOverTimeTests.run(folder + "/p.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.exitStatus == .success)
        #expect(summary.visitors == 3)
        #expect(summary.sessions == 3)
    }
}
