import FunnelPipeline
import FunnelTestSupport
import Testing

/// SPEC 11: no IP address, raw user agent, URL query string or e-mail address reaches an
/// output. Every fixture is run through every flat-file sink and every output is scanned.
/// `rejects.ndjson` is exempt by design: SPEC 2 requires it to quote the raw input line.
struct PrivacyTests {
    static func leaks() throws -> [(String, Regex<AnyRegexOutput>)] { [
        ("IPv4 address", try Regex(#"(?:^|[^\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.])"#)),
        ("IPv6 address", try Regex(#"(?i)\b[0-9a-f]{1,4}(:[0-9a-f]{1,4}){3,7}\b|::ffff:"#)),
        ("user agent", try Regex(#"Mozilla/|AppleWebKit|Gecko/|curl/|python-requests|FBAN/"#)),
        ("query string", try Regex(#"\?[A-Za-z0-9_%.-]+="#)),
        ("e-mail address", try Regex(#"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+"#)),
        ("percent-encoded e-mail address", try Regex(#"[A-Za-z0-9._+-]+%40[A-Za-z0-9-]+\.[A-Za-z0-9.-]+"#)),
    ] }

    @Test(arguments: FixtureCase.all)
    func noOutputLeaksPersonalData(_ fixture: FixtureCase) throws {
        try GeoFixture.prepare(fixture)
        let pipeline = try PipelineLoader.load(path: fixture.pipelinePath)
        for sink in [Pipeline.SinkKind.ndjson, .csv, .resp] {
            let output = TestFiles.temporaryFolder("privacy-\(fixture.name)")
            defer { TestFiles.remove(output) }
            var options = RunOptions()
            options.sink = sink
            options.output = output
            options.progress = .never
            _ = try Runner(pipeline: pipeline, options: options, report: { _ in }).run()
            let file = ["ndjson": "sessions.ndjson", "csv": "sessions.csv", "resp": "redis.resp"][sink.rawValue]!
            let text = try #require(TestFiles.readText(output + "/" + file), "\(fixture.name): no \(file)")
            for (what, pattern) in try Self.leaks() {
                let found = text.firstMatch(of: pattern).map { String(text[$0.range]) }
                #expect(found == nil, "\(fixture.name)/\(file) holds an \(what): \(found ?? "")")
            }
        }
    }

    @Test func theScannerFindsWhatItLooksFor() throws {
        let samples = ["from 203.0.113.7 today", "2001:db8:0:0:1:0:0:1", "Mozilla/5.0 (X11)", "/watch?utm_source=fb", "mail me at a.b@example.org",
                       "sess:ann%40example.com"]
        let leaks = try Self.leaks()
        for (sample, (what, pattern)) in zip(samples, leaks) {
            #expect(sample.firstMatch(of: pattern) != nil, "the \(what) pattern misses \(sample)")
        }
        #expect("{\"created_at\":1704067200000,\"amount\":12.5}".firstMatch(of: leaks[0].1) == nil)
    }
}
