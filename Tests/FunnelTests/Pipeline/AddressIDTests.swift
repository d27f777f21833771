@testable import FunnelPipeline
import FunnelTestSupport
import FunnelTransform
import Foundation
import Testing

/// SPEC 11: no IP address reaches an output. A client session id or visitor id that is an IP
/// address (a session cookie or `session_id` set to the client's address) is written as `ip` +
/// its keyed hash, as an e-mail address is written as `em` + its hash; until 2026-12-05 it was
/// the session's id, in every flat file and in the Redis keys. An id that holds one among
/// other text (a forwarded list, a zone) is too, and an address inside a text is written
/// `(ip)` (both since the session of 2026-12-05 from 14:57).
struct AddressIDTests {
    @Test(arguments: [Pipeline.SinkKind.ndjson, .csv, .resp, .redis])
    func idsThatAreAddressesReachNoOutput(sink: Pipeline.SinkKind) throws {
        let folder = TestFiles.temporaryFolder("address-ids")
        defer { TestFiles.remove(folder) }
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
        TestFiles.gzip("""
            192.0.2.9 - - [01/Jan/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "\(agent)" "v-log" "192.0.2.55"
            192.0.2.9 - - [01/Jan/2024:10:01:00 +0000] "GET /b HTTP/1.1" 200 5 "-" "\(agent)" "2001:db8::77" "-"
            192.0.2.9 - - [01/Jan/2024:10:02:00 +0000] "GET /c HTTP/1.1" 200 5 "-" "\(agent)" "v-log2" "198.51.100.7,203.0.113.9"

            """, to: folder + "/access-2024-01-01.log.gz")
        TestFiles.gzip("""
            {"event":"PageView","timestamp":1704103200000,"anonymous_id":"v1","session_id":"198.51.100.23","url":"https://film.example/"}
            {"event":"PageView","timestamp":1704103260000,"anonymous_id":"203.0.113.5:8080","url":"https://film.example/x"}
            {"event":"PageView","timestamp":1704103320000,"anonymous_id":"v3","session_id":"fe80::1%eth0","url":"https://film.example/?utm_source=from%20203.0.113.99"}

            """, to: folder + "/events-2024-01-01.ndjson.gz")
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: access_log
                format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid" "$cookie_sid"'
                visitor_cookie: vid
                session_cookie: sid
                paths: ["access-{date}.log.gz"]
              - kind: ndjson
                paths: ["events-{date}.ndjson.gz"]
            site:
              hosts: [film.example]
            schema: enhanced
            sink:
              kind: ndjson
              output: out/

            """)
        let server = sink == .redis ? try RedisServer() : nil
        defer { server?.stop() }
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-01-01"], sink: sink, output: folder + "/out",
                                                redisURL: server?.url)
        #expect(summary.exitStatus == .success)
        #expect(summary.sessions == 6)
        var written = ""
        if let server {
            let connection = try server.connect()
            // The outputs' keys; the history's (`funnel:*`) keep client session ids as they
            // came, as a history written before holds them (docs/fields.md).
            if case .array(let keys) = try connection.command("KEYS", "*sess:*") {
                for case .string(let key) in keys { written += String(decoding: key, as: UTF8.self) + "\n" }
            }
            written += try server.dumpSessions()
        } else {
            for name in ["sessions.ndjson", "sessions.csv", "redis.resp"] { written += TestFiles.readText(folder + "/out/" + name) ?? "" }
        }
        #expect(!written.isEmpty)
        for address in ["192.0.2.55", "198.51.100", "203.0.113", "2001:db8", "192.0.2.9", "fe80"] {
            #expect(!written.contains(address), "\(address) in \(sink): \(written)")
        }
        if sink == .ndjson {
            let ids = written.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["session_id"] as? String
            }
            #expect(ids.filter { $0.hasPrefix("ip") && $0.count == 18 }.count == 4, "the four client session ids: \(ids)")
            #expect(written.contains(#""utm_source":"from (ip)""#), "\(written)")
        }
    }

    /// Two client sessions of one visitor whose ids are addresses differing only in case are
    /// two sessions in the output, under two ids (lower-cased before hashing, they had one id,
    /// and one session was lost: a review, 2026-12-05). An id in lower case keeps its stand-in.
    @Test func sessionIDsThatDifferInCaseStayApart() throws {
        let folder = TestFiles.temporaryFolder("address-id-case")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/events.ndjson", """
            {"event":"PageView","timestamp":1704103200000,"anonymous_id":"v1","session_id":"Fan@Example.org","url":"https://film.example/"}
            {"event":"PageView","timestamp":1704103260000,"anonymous_id":"v1","session_id":"fan@example.org","url":"https://film.example/x"}
            {"event":"PageView","timestamp":1704103320000,"anonymous_id":"v2","session_id":"FE80::1%ETH0","url":"https://film.example/"}
            {"event":"PageView","timestamp":1704103380000,"anonymous_id":"v2","session_id":"fe80::1%eth0","url":"https://film.example/x"}

            """)
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: ndjson\n    paths: [\"events.ndjson\"]\nidentity:\n  salt: \"case\"\nsink:\n  kind: ndjson\n  output: out/\n")
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.exitStatus == .success && summary.sessions == 4)
        let ids = (TestFiles.readText(folder + "/out/sessions.ndjson") ?? "").split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["session_id"] as? String
        }
        #expect(Set(ids).count == 4, "\(ids)")
        let identity = VisitorIdentity(salt: "case")
        #expect(ids.contains("em" + identity.keyedHash("fan@example.org")), "\(ids)")
    }
}
