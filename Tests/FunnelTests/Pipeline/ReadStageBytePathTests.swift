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
