import FunnelCore
import FunnelPipeline
import FunnelTestSupport
import Foundation
import Testing

/// A referrer whose host is no host's name is no referrer, on the byte path of access logs
/// and on the record path of client events (rv69c: `https://r\rx.example/` and
/// `https://=cmd|x.example/` were written as `referrer` and `source`, the CR with them).
struct ReferrerHostNameTests {
    static let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"

    @Test(arguments: [("https://r\\rx.example/", false), ("https://x\\n.example/", false), ("https://\\u2028.example/", false),
                      ("https://a,b.example/", false), ("https://=cmd|x.example/", false), ("https://a b.example/", false),
                      ("https://news.example/", true), ("https://b\\u00fccher.example/", true), ("https://my_host.example:8443/", true),
                      ("https://i\\u2764.ws/", true), ("https://\\u0645\\u06cc\\u200c\\u062e\\u0648\\u0627\\u0647\\u0645.ir/", true)])
    func aReferrerWithoutAHostNameIsNone(_ referrer: String, _ kept: Bool) throws {
        let session = try Self.session(source: """
              - kind: ndjson
                paths: ["ev-{date}.ndjson"]
            """, input: "ev-2024-03-01.ndjson", #"{"event":"PageView","timestamp":"2024-03-01T10:00:00Z","anonymous_id":"v1","url":"https://film.example/","referrer":"\#(referrer)","user_agent":"\#(Self.agent)"}"#)
        #expect((session["referrer"] != nil) == kept, "\(referrer): \(session)")
        if !kept { #expect(session["source"] as? String == "direct", "\(session)") }
    }

    /// The same through an access log's bytes.
    @Test(arguments: [("https://=cmd|x.example/", false), ("https://a,b.example/", false), ("https://news.example/x", true)])
    func anAccessLogsReferrerWithoutAHostNameIsNone(_ referrer: String, _ kept: Bool) throws {
        let session = try Self.session(source: """
              - kind: access_log
                format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$host"'
                paths: ["access-{date}.log"]
            """, input: "access-2024-03-01.log", "198.51.100.7 - - [01/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"\(referrer)\" \"\(Self.agent)\" \"film.example\"")
        #expect((session["referrer"] != nil) == kept, "\(referrer): \(session)")
    }

    /// The one session a run of an enhanced pipeline with `source` makes of `line` in `input`.
    private static func session(source: String, input: String, _ line: String) throws -> [String: Any] {
        let folder = TestFiles.temporaryFolder("referrer-host-name")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n\(source)\nsite:\n  hosts: [film.example]\nschema: enhanced\nsink:\n  kind: ndjson\n  output: out\n")
        TestFiles.write(folder + "/" + input, line + "\n")
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-03-01"], sink: .ndjson, output: folder + "/out")
        #expect(summary.sessions == 1, "\(summary.text)")
        let written = try #require(TestFiles.readText(folder + "/out/sessions.ndjson"))
        return try #require(JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String: Any])
    }
}
