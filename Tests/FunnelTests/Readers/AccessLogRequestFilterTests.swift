import FunnelCore
import FunnelReaders
import FunnelTransform
import Testing

/// An access-log line dropped by the parser's request filter gets the reason the record
/// filter gives its record, and a line the filter keeps is the record it was without one.
struct AccessLogRequestFilterTests {
    private static let format = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid""#
    private static let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

    private static func parse(_ parser: AccessLogParser, _ line: String, _ filter: AccessLogParser.RequestFilter? = nil) -> AccessLogParser.Outcome {
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBytes { parser.parse(UnsafeRawBufferPointer($0), requestFilter: filter) }
    }

    /// Requests of every kind the rule tells apart, with escapes, absolute targets and
    /// missing parts.
    private static let requests = [
        #"GET /watch?utm_source=fb HTTP/1.1"#, #"GET /static/app.css HTTP/1.1"#, #"GET /favicon.ico HTTP/1.1"#,
        #"GET /img/Poster.JPG?v=2 HTTP/2.0"#, #"POST /donate HTTP/1.1"#, #"HEAD / HTTP/1.1"#, #"GET /admin/login HTTP/1.1"#,
        #"GET https://film.example/trailer.mp4 HTTP/1.1"#, #"GET /a\"b.css HTTP/1.1"#, #"GET /robots.txt"#, "GET", "-",
        #"\x16\x03\x01\x00\xCA\x01"#, #"GET /donate/thanks#x HTTP/1.1"#, #"get /watch HTTP/1.1"#,
    ]
    private static let statuses = ["200", "304", "404", "500", "-"]

    @Test func dropsWhatTheRecordFilterDropsForTheSameReason() throws {
        let parser = try AccessLogParser(format: AccessLogFormat(Self.format), options: .init(visitorCookie: "vid"))
        let filter = RecordFilter(excludedPaths: ["/admin/*"])
        var asked = 0
        let requestFilter: AccessLogParser.RequestFilter = {
            asked += 1
            return filter.requestReason(isGET: $0, status: $1, path: $2)
        }
        var dropped = 0
        var kept = 0
        for request in Self.requests {
            for status in Self.statuses {
                for agent in [Self.agent, "Googlebot/2.1 (+http://www.google.com/bot.html)"] {
                    let line = #"203.0.113.9 - - [01/Mar/2024:10:00:00 +0000] "\#(request)" \#(status) 512 "https://l.facebook.com/" "\#(agent)" "v-1""#
                    guard case .record(let record) = Self.parse(parser, line) else {
                        Issue.record("not a record without the filter: \(line)")
                        continue
                    }
                    let expected = filter.reason(toDrop: record)
                    switch Self.parse(parser, line, requestFilter) {
                    case .filtered(let reason):
                        #expect(reason == expected, "\(line)")
                        #expect(reason != .bot)
                        dropped += 1
                    case .record(let again):
                        #expect(filter.agentReason(again) == expected, "\(line)")
                        #expect(RecordCoding.encode(again) == RecordCoding.encode(record), "\(line)")
                        #expect(again.userAgent == record.userAgent && again.referrer == record.referrer && again.ip == record.ip, "\(line)")
                        #expect(again.method == record.method && again.status == record.status, "\(line)")
                        kept += 1
                    case .reject(let reason, let detail):
                        Issue.record("rejected with the filter (\(reason): \(detail)): \(line)")
                    case .taken:
                        Issue.record("taken, though nothing was offered a page view: \(line)")
                    }
                }
            }
        }
        #expect(asked == Self.requests.count * Self.statuses.count * 2)
        #expect(dropped > 100)
        #expect(kept >= 4)
    }

    @Test func aBrokenLineIsRejectedNotFiltered() throws {
        let parser = try AccessLogParser(format: AccessLogFormat(Self.format), options: .init(visitorCookie: "vid"))
        let dropAll: AccessLogParser.RequestFilter = { _, _, _ in .staticAsset }
        for (line, expected) in [
            (#"203.0.113.9 - - [30/Feb/2024:10:00:00 +0000] "GET /app.css HTTP/1.1" 200 1 "-" "a" "v""#, RejectReason.badTimestamp),
            (#"203.0.113.9 - - [01/Mar/2024:10:00:00 +0000] "GET /app.css HTTP/1.1" 200"#, .formatMismatch),
        ] {
            guard case .reject(let reason, _) = Self.parse(parser, line, dropAll) else {
                Issue.record("not rejected: \(line)")
                continue
            }
            #expect(reason == expected)
        }
        guard case .filtered(.staticAsset) = Self.parse(parser, #"203.0.113.9 - - [01/Mar/2024:10:00:00 +0000] "GET /app.css HTTP/1.1" 200 1 "-" "a" "v""#, dropAll) else {
            Issue.record("a valid line was not filtered")
            return
        }
    }

    /// A format that gives no method (`$request_uri` alone) or no status has its lines taken
    /// as GET and successful: a page is a page view, a static file or an excluded path is
    /// still dropped, and the record says GET and 200. Such a format filtered every line
    /// until 2026-12-05.
    @Test(arguments: [
        #"$remote_addr [$time_iso8601] "$request_uri" $status "$http_user_agent""#,
        #"$remote_addr [$time_iso8601] "$request" "$http_user_agent""#,
        #"$remote_addr [$time_iso8601] "$request_uri" "$http_user_agent""#,
    ])
    func aFormatWithoutMethodOrStatusKeepsItsPageViews(format: String) throws {
        let parser = try AccessLogParser(format: AccessLogFormat(format))
        let filter = RecordFilter(excludedPaths: ["/admin/*"])
        let requestFilter: AccessLogParser.RequestFilter = { filter.requestReason(isGET: $0, status: $1, path: $2) }
        let hasRequest = format.contains("$request\"")
        func line(_ target: String) -> String {
            let request = hasRequest ? "GET \(target) HTTP/1.1" : target
            let status = format.contains("$status") ? " 200" : ""
            return #"203.0.113.9 [2024-01-01T00:00:00+00:00] "\#(request)"\#(status) "\#(Self.agent)""#
        }
        guard case .record(let record) = Self.parse(parser, line("/landing?utm_source=fb"), requestFilter) else {
            Issue.record("\(format): the page was not kept")
            return
        }
        #expect(record.path == "/landing" && record.method == "GET" && record.status == 200)
        guard case .filtered(let asset) = Self.parse(parser, line("/app.css"), requestFilter) else {
            Issue.record("\(format): a static file was kept")
            return
        }
        #expect(asset == .staticAsset)
        guard case .filtered(let excluded) = Self.parse(parser, line("/admin/x"), requestFilter) else {
            Issue.record("\(format): an excluded path was kept")
            return
        }
        #expect(excluded == .excludedPath)
    }
}
