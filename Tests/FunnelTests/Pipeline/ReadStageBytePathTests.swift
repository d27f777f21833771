import Foundation
import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// The reader makes most access-log lines' encodings straight from their bytes, without a
/// `Record` (`Transformer.encode(_:userAgent:positionPrefix:line:)`). Read both ways, every
/// input must give the same records (group, time and encoding, byte for byte), in the same
/// order, with the same counts of kept, filtered and rejected lines.
@Suite
struct ReadStageBytePathTests {
    struct Read {
        var records: [(group: String, timestamp: Int64, data: [UInt8])] = []
        var kept = 0
        var filtered: [FilterReason: Int] = [:]
        var rejected: [RejectReason: Int] = [:]
        var takenLines = 0
        /// The reader's notes for the summary's warnings: purchases by currency, and the count
        /// and first of placeholder ids, other-case events, unread numbers and future times.
        var notes = ""
    }

    private func read(_ pipelinePath: String, bytePath: Bool) throws -> Read {
        let pipeline = try PipelineLoader.load(path: pipelinePath)
        let files = try InputPlan.files(pipeline: pipeline, options: RunOptions()).files
        let stage = ReadStage(sources: try files.map { file throws(PipelineError) in try LineSource(file: file) }, pipeline: pipeline,
                              configuration: try Runner.configuration(pipeline), rejects: nil, manifest: nil,
                              progress: Progress(mode: .never, total: files.count, report: { _ in }), bytePath: bytePath)
        try stage.start()
        var read = Read()
        while let batch = stage.queue.pop() {
            for record in batch { read.records.append((record.group.text, record.timestamp, record.data)) }
        }
        let (tally, _) = stage.finish()
        read.kept = tally.kept
        read.filtered = tally.filtered
        read.rejected = tally.rejected
        read.takenLines = stage.takenLines
        let sightings = [tally.placeholderIDs, tally.otherCaseEvents, tally.unreadNumbers, tally.future]
        read.notes = "\(tally.purchaseCurrencies.sorted { $0.key < $1.key }) " + sightings.map { "\($0.count) \($0.first ?? "-")" }.joined(separator: "; ")
        return read
    }

    private func expectSame(_ path: String) throws -> (taken: Int, kept: Int) {
        let records = try read(path, bytePath: false)
        let bytes = try read(path, bytePath: true)
        #expect(records.takenLines == 0)
        #expect(bytes.records.count == records.records.count, "\(path)")
        for (made, expected) in zip(bytes.records, records.records) {
            #expect(made.group == expected.group && made.timestamp == expected.timestamp, "\(path): \(made.group) against \(expected.group)")
            #expect(made.data == expected.data, "\(path): \(String(decoding: made.data, as: UTF8.self)) against \(String(decoding: expected.data, as: UTF8.self))")
        }
        #expect(bytes.kept == records.kept && bytes.filtered == records.filtered && bytes.rejected == records.rejected, "\(path)")
        #expect(bytes.notes == records.notes, "\(path)")
        return (bytes.takenLines, bytes.kept)
    }

    @Test(arguments: FixtureCase.all)
    func everyFixtureReadsTheSameBothWays(_ fixture: FixtureCase) throws {
        try GeoFixture.prepare(fixture)
        let (taken, kept) = try expectSame(fixture.pipelinePath)
        #expect(taken <= kept)
    }

    @Test func theDemoDayTakesMostLinesAsBytes() throws {
        let (taken, kept) = try expectSame(FixtureCase.repositoryRoot + "/fixtures/demo/pipeline.yaml")
        // The demo's access logs are most of its kept lines; its client events are records.
        #expect(taken > kept / 2)
    }

    /// Lines the byte path must decline or get exactly right: escapes, a forwarded-for list, a
    /// cookie header, an e-mail address as visitor id, bytes outside ASCII (valid and not),
    /// hosts in capitals, absolute targets, fragments, campaign queries kept whole, cut or
    /// copied, identities to reject, bots and agents missing.
    @Test func linesAtTheEdgesReadTheSameBothWays() throws {
        let folder = TestFiles.temporaryFolder("byte-path-edges")
        defer { TestFiles.remove(folder) }
        let time = "[01/Mar/2024:10:00:00 +0000]"
        func line(ip: String = "203.0.113.9", request: String = "GET /watch HTTP/1.1", status: String = "200",
                  referrer: String = "-", agent: String = "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0", vid: String = "v1",
                  sid: String = "-", cookie: String = "-", forwarded: String = "-", host: String = "film.example", country: String = "GB") -> String {
            #"\#(ip) - \#(time) "\#(request)" \#(status) "\#(referrer)" "\#(agent)" "\#(vid)" "\#(sid)" "\#(cookie)" "\#(forwarded)" \#(host) \#(country)"#
        }
        let lines = [
            line(),
            line(request: "GET /watch?utm_source=fb&utm_campaign=launch HTTP/1.1"),
            line(request: "GET /watch?utm_source=fb&x=1&gclid=abc HTTP/1.1"),
            line(request: "GET /watch?x=1 HTTP/1.1"),
            line(request: "GET /watch?utm%5Fsource=fb&fbclid=Z HTTP/1.1"),
            line(request: "GET /watch?utm_source=fb& HTTP/1.1"),
            line(request: "GET /watch#frag HTTP/1.1"),
            line(request: "GET https://Film.Example/Watch?utm_medium=cpc HTTP/1.1"),
            line(request: "GET //film.example HTTP/1.1"),
            line(request: "GET https://film.example HTTP/1.1"),
            line(request: "GET /caf\u{e9} HTTP/1.1"),
            line(request: "GET /x?q=\u{e9}t\u{e9} HTTP/1.1"),
            line(referrer: "https://L.Facebook.com/l.php?u=x"),
            line(referrer: "https://user:pw@[2001:db8::1]:8443/p"),
            line(referrer: "https://m\u{fc}nchen.example/"),
            line(referrer: "android-app://com.google.android.gm"),
            line(referrer: "not a url"),
            line(referrer: "http://2130706433/x"),
            line(referrer: "https://1password.com/"),
            line(agent: #"Mozilla/5.0 \"quoted\" Chrome/120.0"#),
            line(agent: "-"),
            line(agent: "Googlebot/2.1 (+http://www.google.com/bot.html)"),
            line(vid: "Someone@Example.com"),
            line(vid: "-", sid: "s-1"),
            line(vid: "-"),
            line(ip: "-", vid: "-"),
            line(ip: "-", vid: "-", sid: "s-2"),
            line(vid: "{bad}"),
            line(vid: "-", sid: "s{3}"),
            line(vid: "-", cookie: "vid=from-header; sid=s-4"),
            line(forwarded: "198.51.100.7, 10.0.0.1"),
            line(vid: "-", forwarded: "198.51.100.8"),
            line(host: "Film.EXAMPLE"),
            line(host: "film.example:8443"),
            line(host: "[2001:db8::1]:8080"),
            line(host: ":8080"),
            line(request: "GET //evil.example/watch?utm_source=fb HTTP/1.1"),
            line(host: "-"),
            line(host: "h\u{f6}st.example"),
            line(country: "us"),
            line(country: "XX"),
            line(country: "-"),
            line(request: "GET /app.css HTTP/1.1"),
            line(request: "POST /donate HTTP/1.1"),
            line(status: "404"),
            line(request: #"GET /a\"b HTTP/1.1"#),
        ]
        var raw = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        // Bytes that are not UTF-8: in a path, in a campaign value, in an agent.
        for (request, agent) in [("GET /x\u{1}", "Mozilla/5.0"), ("GET /y?utm_source=\u{1}", "Mozilla/5.0"), ("GET /z", "Mozilla/5.0 \u{1}")] {
            for byte in Array(line(request: request + " HTTP/1.1", agent: agent, vid: "v2").utf8) {
                if byte == 1 { raw += [0xC3, 0x28, 0xFF] } else { raw.append(byte) }
            }
            raw.append(0x0A)
        }
        TestFiles.write(folder + "/access.log", raw)
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: access_log
                format: '$remote_addr - [$time_local] "$request" $status "$http_referer" "$http_user_agent" "$cookie_vid" "$cookie_sid" "$http_cookie" "$http_x_forwarded_for" $host $http_cf_ipcountry'
                visitor_cookie: vid
                session_cookie: sid
                paths: ["access.log"]
            site:
              hosts: [film.example]
            identity:
              salt: "edges"
            schema: mvp
            sink:
              kind: ndjson
              output: out
            """)
        let (taken, kept) = try expectSame(folder + "/pipeline.yaml")
        #expect(taken > 10, "the byte path took \(taken) of \(kept) kept lines")
        #expect(kept - taken > 5, "the record path kept only \(kept - taken) lines")
    }

    /// The plainest client events go as bytes too (`NDJSONParser.clientEvent`): every shape
    /// the byte path must take, decline or get exactly right (numbers and strings as times,
    /// absolute URLs, campaign queries, empty paths, path parameters, excluded paths,
    /// placeholder, invalid and e-mail ids, escapes, spaces, bytes outside ASCII, keys twice,
    /// keys it does not take, properties as numbers, texts, blanks, nulls, objects and at the
    /// top level, consent answers, purchases with and without a currency, custom events,
    /// referrers with and without a host, agents of browsers, bots and servers relaying a
    /// purchase, JSON it refuses, a byte-order mark) reads the same both ways, in a source it
    /// may take and in one whose `event_names` renames `PageView` and `Purchase`.
    @Test func clientEventsAtTheEdgesReadTheSameBothWays() throws {
        let folder = TestFiles.temporaryFolder("byte-path-client")
        defer { TestFiles.remove(folder) }
        func view(_ members: String) -> String { "{" + members + "}" }
        let ms = #""timestamp":1709287200000"#
        let lines: [String] = [
            view(#""event":"PageView",\#(ms),"session_id":"s1","anonymous_id":"v1","page":"/""#),
            view(#""event":"PageView","timestamp":1709287201,"anonymous_id":"v1","page":"/watch""#),
            view(#""page":"/watch?utm_source=fb&utm_campaign=launch","anonymous_id":"v2",\#(ms),"event":"PageView""#),
            view(#""event":"PageView",\#(ms),"session_id":"s3","url":"https://Film.Example/Watch?utm_medium=cpc&x=1&gclid=abc#frag""#),
            view(#""event":"PageView",\#(ms),"session_id":"s3","url":"https://film.example","page":"/ignored""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v4","page":"//film.example/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v4","page":"?utm_source=x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v4","page":"/donate;jsessionid=9A1F?x=1""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v4","page":"/a b/c?utm_term=two words""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v5","page":"/admin/panel""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"{bad}","page":"/admin/panel""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"{bad}","page":"/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v 6","page":"/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"null","session_id":"s7","page":"/x""#),
            view(#""event":"PageView",\#(ms),"session_id":"-","page":"/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"Someone@Example.com","page":"/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"someone%40example.com","page":"/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"203.0.113.9","page":"/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":12345,"page":"/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"","session_id":"s8","page":"/x""#),
            view(#""event":"PageView",\#(ms),"page":"/nobody""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"","url":"/from-url""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":" /spaced""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/spaced ""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/tab\t""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/caf\u00e9""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/café""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"\/escaped""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/x","page":"/y""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","anonymous_id":"v10","page":"/x""#),
            view(#""event":"PageView",\#(ms),\#(ms),"anonymous_id":"v9","page":"/x""#),
            view(#""event":"pageview",\#(ms),"anonymous_id":"v9","page":"/x""#),
            view(#""event":" PageView",\#(ms),"anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","timestamp":"2024-03-01T10:00:00Z","anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","timestamp":1709287200000.5,"anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","timestamp":-1,"anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","timestamp":0,"anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","timestamp":01709287200000,"anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","timestamp":1.7e12,"anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","timestamp":17,"anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","timestamp":99999999999999999999,"anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView","anonymous_id":"v9","page":"/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/x","referrer":"https://l.facebook.com/""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/x","properties":{}"#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/x","user_agent":"Googlebot/2.1""#),
            view(#""event":"VideoStart",\#(ms),"anonymous_id":"v9","properties":{"content":"trailer","percent":0}"#),
            view(#""event":"VideoStart",\#(ms),"session_id":"s20","anonymous_id":"v20","page":"/watch","properties":{"content":"trailer","percent":25.5}"#),
            view(#""event":"VideoProgress",\#(ms),"anonymous_id":"v20","properties":{"percent":150,"watch_time":12.25,"content":" trailer "}"#),
            view(#""event":"VideoProgress",\#(ms),"anonymous_id":"v20","properties":{"percent":-3,"watch_time":1e2}"#),
            view(#""event":"VideoProgress",\#(ms),"anonymous_id":"v20","properties":{"percent":"25"}"#),
            view(#""event":"VideoProgress",\#(ms),"anonymous_id":"v20","properties":{"percent":1e400}"#),
            view(#""event":"VideoProgress",\#(ms),"anonymous_id":"v20","properties":{"percent":null}"#),
            view(#""event":"VideoProgress",\#(ms),"anonymous_id":"v20","properties":{"percent":05}"#),
            view(#""event":"VideoComplete",\#(ms),"anonymous_id":"v20","properties":{"content":"   "}"#),
            view(#""event":"VideoComplete",\#(ms),"anonymous_id":"v20","properties":{"content":""}"#),
            view(#""event":"VideoComplete",\#(ms),"anonymous_id":"v20","properties":{"content":"trailer","content":"film"}"#),
            view(#""event":"VideoComplete",\#(ms),"anonymous_id":"v20","properties":{"content":"trailer","other":"x"}"#),
            view(#""event":"VideoComplete",\#(ms),"anonymous_id":"v20","properties":{"content":"caf\u00e9"}"#),
            view(#""event":"VideoComplete",\#(ms),"anonymous_id":"v20","properties":{"content":{"name":"trailer"}}"#),
            view(#""event":"VideoComplete",\#(ms),"anonymous_id":"v20","properties":[]"#),
            view(#""event":"VideoComplete",\#(ms),"anonymous_id":"v20","content":"trailer""#),
            view(#""event":"InitiateCheckout",\#(ms),"session_id":"s21","properties":{"checkout_type":"donation","step":"amount","element":"cta"}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s21","event_id":"ord-1","properties":{"value":12.50,"currency":"EUR","payment_method":"card"}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s21","event_id":"ord-2","properties":{"value":-0.25}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s21","event_id":"ord-3","properties":{"currency":"USD"}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s21","event_id":"null","properties":{"value":5,"currency":"USD"}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s21","event_id":"ord-\u00e9","properties":{"value":5,"currency":"USD"}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s21","event_id":"","properties":{"value":5,"currency":"USD"}"#),
            view(#""event":"Purchase",\#(ms),"anonymous_id":"a@b.example","event_id":"ord-4","properties":{"value":5,"currency":"GBP"}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s21","properties":{"value":5,"currency":"GBP","analytics":"granted"}"#),
            view(#""event":"Consent",\#(ms),"session_id":"s21","properties":{"analytics":"granted","marketing":"denied"}"#),
            view(#""event":"ButtonClick",\#(ms),"session_id":"s22","url":"https://film.example/donate?utm_source=x","properties":{"element":"donate"}"#),
            view(#""event":"FormSubmit",\#(ms),"session_id":"s22","properties":{}"#),
            view(#""event":"ViewContent",\#(ms),"anonymous_id":"v22","page":"/admin/panel""#),
            view(#""event":"SignUp",\#(ms),"anonymous_id":"v22""#),
            view(#""event":"purchase",\#(ms),"anonymous_id":"v22","properties":{"value":5}"#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","referrer":"https://L.Facebook.com/l.php?u=x","user_agent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","referrer":"android-app://com.google.android.gm""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","referrer":"not a url""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","referrer":"http://2130706433/x""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","referrer":" https://film.example/""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","referrer":"https://user:pw@[2001:db8::1]:8443/p""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","user_agent":"Googlebot/2.1 (+http://www.google.com/bot.html)""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/admin/x","user_agent":"Googlebot/2.1""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","user_agent":"-""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","user_agent":" Mozilla/5.0""#),
            view(#""event":"PageView",\#(ms),"anonymous_id":"v30","page":"/a","user_agent":"Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120.0 Mobile""#),
            view(#""event":"VideoStart",\#(ms),"anonymous_id":"v30","user_agent":"python-requests/2.31","properties":{"content":"trailer"}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s30","event_id":"ord-30","user_agent":"python-requests/2.31","properties":{"value":20,"currency":"USD"}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s30","event_id":"ord-31","user_agent":"Stripe/1.0 (+https://stripe.com/docs/webhooks)","properties":{"value":20,"currency":"USD"}"#),
            view(#""event":"Purchase",\#(ms),"event_id":"ord-32","user_agent":"python-requests/2.31","page":"/thanks","properties":{"value":20}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"s30","event_id":"ord-33","user_agent":"HeadlessChrome/120.0","properties":{"value":20}"#),
            view(#""event":"Purchase",\#(ms),"session_id":"null","event_id":"ord-34","user_agent":"python-requests/2.31","properties":{"value":20}"#),
            " \t{ \"event\" :\t\"PageView\" , \(ms) ,\"anonymous_id\":\"v11\", \"page\" : \"/spaces\" } \r",
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/x""#) + " x",
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/x""#) + "}",
            view(#""event":"PageView",\#(ms),"anonymous_id":"v9","page":"/x","#),
            #"{"event":"PageView",\#(ms),"anonymous_id":"v9","page":"/x""#,
            "{}",
            "[]",
            "not json",
        ]
        var raw = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        // A byte-order mark before a plain page view; a DEL and bytes that are not UTF-8 in a page.
        raw += [0xEF, 0xBB, 0xBF] + Array(view(#""event":"PageView",\#(ms),"anonymous_id":"v12","page":"/bom""#).utf8) + [0x0A]
        for bytes: [UInt8] in [[0x7F], [0xC3, 0x28, 0xFF]] {
            raw += Array(#"{"event":"PageView",\#(ms),"anonymous_id":"v13","page":"/x"#.utf8) + bytes + Array(#""}"#.utf8) + [0x0A]
        }
        TestFiles.write(folder + "/events.ndjson", raw)
        TestFiles.write(folder + "/renamed.ndjson", raw)
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["events.ndjson"]
              - kind: ndjson
                paths: ["renamed.ndjson"]
                event_names: {PageView: VideoStart, Purchase: InitiateCheckout}
            site:
              hosts: [film.example]
            identity:
              salt: "edges"
            filters:
              exclude_paths: ["/admin/*"]
            schema: mvp
            sink:
              kind: ndjson
              output: out
            """)
        let (taken, kept) = try expectSame(folder + "/pipeline.yaml")
        // The first file's 32 plain events kept (those of an excluded path and of bots are
        // taken and filtered, not kept; a purchase a server's agent sent for a known session
        // is kept), and of the second file's the eight kept that are neither a PageView nor a
        // Purchase, which it renames.
        #expect(taken == 40, "the byte path took \(taken) of \(kept) kept lines")
        #expect(kept - taken > 20, "the record path kept only \(kept - taken) lines")
    }

    /// A file of plain client events goes as bytes whole: every kept line is taken, and the
    /// purchases' currencies are counted as the record path counts them.
    @Test func plainClientEventsAreAllTaken() throws {
        let folder = TestFiles.temporaryFolder("byte-path-plain-client")
        defer { TestFiles.remove(folder) }
        var lines: [String] = []
        for index in 0..<200 {
            let page = ["/", "/watch", "/donate?utm_source=fb&utm_campaign=c\(index % 7)", "https://film.example/thanks"][index % 4]
            let more = [#""event":"PageView","page":"\#(page)""#, #""event":"VideoStart","properties":{"content":"trailer","percent":0}"#,
                        #""event":"InitiateCheckout","page":"/donate""#,
                        #""event":"Purchase","event_id":"o\#(index)","properties":{"value":\#(index % 50 + 5),"currency":"EUR"}"#][index % 4]
            lines.append(#"{\#(more),"timestamp":\#(1_709_287_200_000 + index * 1_000),"session_id":"s\#(index / 3)","anonymous_id":"v\#(index / 6)"}"#)
        }
        TestFiles.write(folder + "/events.ndjson", Array((lines.joined(separator: "\n") + "\n").utf8))
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: ndjson
                paths: ["events.ndjson"]
            site:
              hosts: [film.example]
            identity:
              salt: "plain"
            schema: mvp
            sink:
              kind: ndjson
              output: out
            """)
        let (taken, kept) = try expectSame(folder + "/pipeline.yaml")
        #expect(kept == 200 && taken == 200, "\(taken) taken of \(kept) kept")
        #expect(try read(folder + "/pipeline.yaml", bytePath: true).notes.hasPrefix(#"[(key: "EUR", value: 50)]"#))
    }

    /// A run stopped by a failing sink closes the queue under the reader: the files it was
    /// reading count the lines and bytes read so far (until 2026-12-05 the summary of such a
    /// run said 0 lines read, 0 bytes), and it opens no further file: the demo's day twice,
    /// as two days, and the second day's files are never read.
    @Test func aReaderStoppedEarlyCountsWhatItRead() throws {
        let folder = TestFiles.temporaryFolder("stopped-reader")
        defer { TestFiles.remove(folder) }
        let demo = FixtureCase.repositoryRoot + "/fixtures/demo/"
        // The second day's files end in one more gzip member, of a blank line: other bytes, as
        // a copy (the same bytes) is read once.
        TestFiles.gzip("\n", to: folder + "/blank.gz")
        let blank = try #require(TestFiles.read(folder + "/blank.gz"))
        for day in ["2024-03-01", "2024-03-02"] {
            let tail = day == "2024-03-01" ? [] : blank
            for name in ["access-web1-", "access-web2-"] {
                TestFiles.write(folder + "/" + name + day + ".log.gz", try #require(TestFiles.read(demo + name + "2024-03-01.log.gz")) + tail)
            }
            TestFiles.write(folder + "/events-" + day + ".ndjson.gz", try #require(TestFiles.read(demo + "events-2024-03-01.ndjson.gz")) + tail)
        }
        let text = try #require(TestFiles.readText(demo + "pipeline.yaml"))
        TestFiles.write(folder + "/pipeline.yaml", text.replacingOccurrences(of: "2024-03-01", with: "{date}"))
        let pipeline = try PipelineLoader.load(path: folder + "/pipeline.yaml")
        var options = RunOptions()
        options.days = [try Day(parsing: "2024-03-01"), try Day(parsing: "2024-03-02")]
        let files = try InputPlan.files(pipeline: pipeline, options: options).files
        #expect(files.count == 6)
        let stage = ReadStage(sources: try files.map { file throws(PipelineError) in try LineSource(file: file) }, pipeline: pipeline,
                              configuration: try Runner.configuration(pipeline), rejects: nil, manifest: nil,
                              progress: Progress(mode: .never, total: files.count, report: { _ in }), batchSize: 8)
        try stage.start()
        #expect(stage.queue.pop() != nil)
        stage.queue.close()
        while stage.queue.pop() != nil {}
        let (tally, _) = stage.finish()
        let whole = try read(demo + "pipeline.yaml", bytePath: true)
        #expect(tally.linesRead > 0 && tally.kept < whole.kept, "\(tally.linesRead) lines, \(tally.kept) kept of \(whole.kept)")
        #expect(tally.files.reduce(0) { $0 + $1.lines } == tally.linesRead)
        #expect(tally.files.contains { $0.lines > 0 && $0.bytes > 0 })
        let secondDay = tally.files.filter { $0.path.contains("2024-03-02") }
        #expect(secondDay.count == 3 && secondDay.allSatisfy { $0.lines == 0 && $0.bytes == 0 }, "\(secondDay)")
    }
}
