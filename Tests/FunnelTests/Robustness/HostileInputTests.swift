import FunnelCore
import FunnelReaders
@testable import FunnelPipeline
import FunnelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Reader behaviour on damaged and hostile input that the `fixtures/bad_*` cases show end to
/// end, pinned here at the level where each rule lives (issue 5).
struct HostileInputTests {
    private func readAll(_ path: String) throws -> ([UInt8], InputDamage?) {
        let stream = try InputStream(path: path, bufferSize: 64)
        var out: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 100, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = stream.read(into: buffer)
            if count == 0 { break }
            out.append(contentsOf: buffer[..<count])
        }
        return (out, stream.damage)
    }

    /// `gzip -d` ignores zero bytes after the last member; so does funnel, however many
    /// buffers they fill. Before the fix, padding longer than the read-ahead was "trailing
    /// garbage" (exit 2).
    @Test(arguments: [1, 63, 64, 65, 5000])
    func zeroPaddingAfterTheLastMemberIsNotDamage(_ zeros: Int) throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.gzip("one\ntwo\n", to: folder + "/padded.gz")
        TestFiles.write(folder + "/padded.gz", try #require(TestFiles.read(folder + "/padded.gz")) + [UInt8](repeating: 0, count: zeros))
        let (bytes, damage) = try readAll(folder + "/padded.gz")
        #expect(bytes == Array("one\ntwo\n".utf8))
        #expect(damage == nil)
    }

    @Test func garbageAfterZeroPaddingIsStillTrailingGarbage() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.gzip("one\n", to: folder + "/bad.gz")
        TestFiles.write(folder + "/bad.gz", try #require(TestFiles.read(folder + "/bad.gz")) + [UInt8](repeating: 0, count: 300) + [7])
        let (bytes, damage) = try readAll(folder + "/bad.gz")
        #expect(bytes == Array("one\n".utf8))
        #expect(damage?.kind == .trailingGarbage)
    }

    /// A reject keeps at most 512 bytes of an overlong line, and never reads past the line:
    /// with a limit under 512, the old code copied 512 bytes from a smaller buffer.
    @Test func anOverlongLineShorterThanTheRawLimitKeepsOnlyItsOwnBytes() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let line = String(repeating: "y", count: 150)
        TestFiles.write(folder + "/input", "a\n\(line)\nb\n\(line)")
        let reader = LineReader(stream: try InputStream(path: folder + "/input", bufferSize: 32), maxLineLength: 100, chunkSize: 16)
        var seen: [String] = []
        _ = reader.forEach { item in
            switch item {
            case .line(let bytes, let number): seen.append("\(number):\(String(decoding: bytes, as: UTF8.self))")
            case .tooLong(let prefix, let number, let length): seen.append("\(number):long \(length) \(String(decoding: prefix, as: UTF8.self) == line)")
            }
        }
        #expect(seen == ["1:a", "2:long 150 true", "3:b", "4:long 150 true"])
    }

    @Test func aByteOrderMarkBeforeAnAccessLogLineIsNotPartOfTheAddress() throws {
        let parser = try AccessLogParser(format: AccessLogFormat("combined"))
        var bytes = [0xEF, 0xBB, 0xBF] + Array(#"198.51.100.20 - - [05/Jan/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0""#.utf8)
        let outcome = bytes.withUnsafeMutableBytes { parser.parse(UnsafeRawBufferPointer($0)) }
        guard case .record(let record) = outcome else {
            Issue.record("rejected: \(outcome)")
            return
        }
        #expect(record.ip == "198.51.100.20")
    }

    /// One byte that is no UTF-8 in a client event's URL (a Latin-1 `é`), or a lone surrogate
    /// or escaped U+0000 in a property, costs that character, written U+FFFD, not the field:
    /// until 2026-12-05 the whole URL was dropped without a word, and with it the session's
    /// landing page, campaign and click id (a review of the flat outputs).
    @Test func invalidUnicodeInATextFieldCostsOnlyThatCharacter() throws {
        let folder = TestFiles.temporaryFolder("text-fffd")
        defer { TestFiles.remove(folder) }
        var lines = Array(#"{"event":"PageView","timestamp":1709251200000,"anonymous_id":"v1","url":"https://film.example/land?utm_source=fb&utm_campaign=caf"#.utf8)
        lines += [0xE9] + Array(#"&fbclid=X1","referrer":"https://news.example/"}"#.utf8) + [0x0A]
        lines += Array(#"{"event":"ViewContent","timestamp":1709251201000,"anonymous_id":"v1","properties":{"content":"tr\ud800ailer"}}"#.utf8) + [0x0A]
        lines += Array(#"{"event":"InitiateCheckout","timestamp":1709251202000,"anonymous_id":"v1","properties":{"checkout_type":"gu\u0000est"}}"#.utf8) + [0x0A]
        TestFiles.write(folder + "/e.ndjson", lines)
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: ndjson\n    paths: [\"e.ndjson\"]\nschema: enhanced\nsink:\n  kind: ndjson\n  output: out/\n")
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.exitStatus == .success && summary.rejectedTotal == 0)
        let sessions = TestFiles.readText(folder + "/out/sessions.ndjson") ?? ""
        for field in [#""landing_page":"/land""#, #""utm_source":"fb""#, "\"utm_campaign\":\"caf\u{FFFD}\"", #""fbclid":"X1""#,
                      "\"content_viewed\":\"tr\u{FFFD}ailer\"", "\"checkout_type\":\"gu\u{FFFD}est\""] {
            #expect(sessions.contains(field), "\(field) in \(sessions)")
        }
    }

    /// `\u0000` would put a NUL into a field, a Redis value or a CSV cell; a raw NUL rejects
    /// the line, so the escaped one never reaches an output either: an event name with it is
    /// rejected, an id with it is invalid, a text field has U+FFFD in its place.
    @Test func anEscapedNULNeverReachesAField() {
        let parser = NDJSONParser()
        func parse(_ line: String) -> NDJSONParser.Outcome {
            var bytes = Array(line.utf8)
            return bytes.withUnsafeMutableBytes { parser.parse(UnsafeRawBufferPointer($0)) }
        }
        guard case .reject(let reason, _) = parse(#"{"event":"Page\u0000View","timestamp":1704067200000,"anonymous_id":"v"}"#) else {
            Issue.record("an event name with U+0000 was accepted")
            return
        }
        #expect(reason == .invalidUTF8)
        guard case .record(let record) = parse(#"{"event":"ViewContent","timestamp":1704067200000,"anonymous_id":"v","content":"a\u0000b","city":"ok"}"#) else {
            Issue.record("a property with U+0000 rejected the line")
            return
        }
        // In a text field it is U+FFFD, the rest kept (the field was dropped until 2026-12-05).
        #expect(record.properties.content == "a\u{FFFD}b")
        #expect(record.city == "ok")
        // In an id it is an invalid id, not a missing one that would join another session.
        for line in [#"{"event":"PageView","timestamp":1704067200000,"session_id":"s-\u0000","anonymous_id":"v"}"#,
                     #"{"event":"PageView","timestamp":1704067200000,"anonymous_id":"v-\ud800"}"#] {
            guard case .reject(let reason, _) = parse(line) else {
                Issue.record("accepted: \(line)")
                continue
            }
            #expect(reason == .invalidID)
        }
    }

    /// `pipeline.yaml` in `folder`: one NDJSON source, `events.ndjson` there, into `out/`.
    static func writeEventsPipeline(in folder: String) {
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: ndjson\n    paths: [\"events.ndjson\"]\nsink:\n  kind: ndjson\n  output: out/\n")
    }

    /// A run of the pipeline file, without progress, `configure` setting its options.
    private func run(_ pipeline: String, configure: (inout RunOptions) -> Void = { _ in }) throws -> RunSummary {
        var options = RunOptions()
        options.progress = .never
        configure(&options)
        return try Runner(pipeline: PipelineLoader.load(path: pipeline), options: options, report: { _ in }).run()
    }

    /// The access-log line of page `/p<n>`, with its line end.
    private static func logLine(_ n: Int) -> [UInt8] {
        Array(#"198.51.100.\#(n % 200 + 1) - - [01/Mar/2024:08:\#(String(format: "%02d", n / 60 % 60)):\#(String(format: "%02d", n % 60)) +0000] "GET /p\#(n) HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0""#.utf8) + [0x0A]
    }

    /// A hole that begins inside a line (a file system loses a tail from a block's start) gives
    /// up the line after it, whatever its length, within a read and across reads; a hole before
    /// an over-long line is said beside it (rv75g: the line after the hole was lost, and the
    /// hole before a long line went without a word); a few NUL bytes inside a line are no hole.
    @Test func aHoleInsideALineGivesUpTheLineAfterIt() throws {
        let folder = TestFiles.temporaryFolder("hostile-mid-holes")
        defer { TestFiles.remove(folder) }
        func cut(_ n: Int) -> [UInt8] { Array(Self.logLine(n).prefix(40)) }
        TestFiles.write(folder + "/a.log", Self.logLine(0) + cut(1) + [UInt8](repeating: 0, count: 100) + Self.logLine(2) + Self.logLine(3))
        TestFiles.write(folder + "/b.log", cut(4) + [UInt8](repeating: 0, count: 70_000) + Self.logLine(5))
        TestFiles.write(folder + "/c.log", cut(6) + [UInt8](repeating: 0, count: 2_500_000) + Self.logLine(7))
        TestFiles.write(folder + "/d.log", Self.logLine(8) + [UInt8](repeating: 0, count: 100) + [UInt8](repeating: 0x78, count: 70_000) + [0x0A] + Self.logLine(9))
        TestFiles.write(folder + "/e.log", Self.logLine(10) + cut(11) + [0, 0, 0] + Self.logLine(12))
        // Three NUL bytes in an over-long line are no hole either (rv75h: one was).
        TestFiles.write(folder + "/f.log", Self.logLine(13) + [UInt8](repeating: 0x78, count: 70_000) + [0, 0, 0] + Self.logLine(15) + Self.logLine(16))
        // A hole of exactly `LineReader.holeRunMinimum` NUL bytes is one (rv76c: a hole of more
        // than it alone passed every test).
        TestFiles.write(folder + "/g.log", cut(17) + [UInt8](repeating: 0, count: LineReader.holeRunMinimum) + Self.logLine(18))
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: access_log\n    paths: [\"*.log\"]\nsink:\n  kind: ndjson\n  output: out\n")
        let summary = try run(folder + "/pipeline.yaml") { $0.maxRejectRate = 1 }
        #expect(summary.kept == 11, "\(summary.text)")
        #expect(summary.damaged == [.nulHole: 5], "\(summary.text)")
        #expect(summary.rejected == [.lineTooLong: 2, .nulByte: 1], "\(summary.text)")
        let rejects = try #require(TestFiles.readText(folder + "/out/rejects.ndjson"))
        #expect(rejects.contains("40 bytes of a line cut short, then 2500000 NUL bytes (a hole a crash left in the file) before the line"), "\(rejects)")
        #expect(rejects.contains("100 NUL bytes (a hole a crash left in the file) before the line, which is over the limit"), "\(rejects)")
        let sessions = try #require(TestFiles.readText(folder + "/out/sessions.ndjson"))
        for page in [2, 5, 7, 9, 18] { #expect(sessions.contains(#""landing_page":"/p\#(page)""#), "page \(page)") }
    }

    /// An `--input` that begins with a hole is still known for NDJSON by its first `{` (rv75g:
    /// it was read as an access log, every line a `format_mismatch`, exit 2).
    @Test func anInputBeginningWithAHoleIsKnownByItsContent() throws {
        let folder = TestFiles.temporaryFolder("hostile-hole-kind")
        defer { TestFiles.remove(folder) }
        let event = #"{"event":"PageView","timestamp":1709280000000,"anonymous_id":"v","url":"https://film.example/"}"#
        TestFiles.write(folder + "/e.ndjson", [UInt8](repeating: 0, count: 4_096) + Array((event + "\n" + event + "\n").utf8))
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: ndjson\n    paths: [x.ndjson]\nsink:\n  kind: ndjson\n  output: out\n")
        let summary = try run(folder + "/pipeline.yaml") { $0.inputs = [folder + "/e.ndjson"] }
        #expect(summary.exitStatus == .success && summary.kept == 2 && summary.damaged == [.nulHole: 1], "\(summary.text)")
    }

    /// Ids of the shape funnel makes for a fingerprint or an address (`fp`, `em`, `ip` and 16
    /// lowercase hex digits) are `invalid_id` rejects from either reader (rv75b: a client
    /// session id `em…` replaced the session of an e-mail address, an `anonymous_id` `em…`
    /// became that visitor, exit 0); a client's 16-hex session id and ids near the shape are
    /// kept.
    @Test func idsOfTheShapeFunnelMakesAreRejected() throws {
        let folder = TestFiles.temporaryFolder("hostile-made-ids")
        defer { TestFiles.remove(folder) }
        let t = 1_709_280_000_000
        let made = ["session_id", "anonymous_id", "anonymous_id"].enumerated().map { index, key in
            #"{"event":"PageView","timestamp":\#(t + index),"\#(key)":"\#(["em", "fp", "ip"][index])ac3b8e40e24288d6","url":"https://film.example/made"}"#
        }
        // And ids of the head and length whose other letters are no hex digits (rv76c: any
        // lowercase letter taken for one passed every test).
        let nearIDs = ["0123456789abcdef", "emAC3B8E40E24288D6", "em0123456789abcde", "fp0123456789abcdefa", "ipzk4q7x2m9w1r8tab", "fpxq0193kzt7mw2pqq"]
        let near = nearIDs.enumerated().map { index, id in
            #"{"event":"PageView","timestamp":\#(t + 10 + index),"session_id":"\#(id)","anonymous_id":"v-\#(index)","url":"https://film.example/near"}"#
        }
        TestFiles.write(folder + "/events.ndjson", (made + near).joined(separator: "\n") + "\n")
        TestFiles.write(folder + "/access.log", #"198.51.100.7 - - [01/Mar/2024:08:00:00 +0000] "GET /log HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0" "fp0123456789abcdef""# + "\n")
        TestFiles.write(folder + "/pipeline.yaml", """
        sources:
          - kind: ndjson
            paths: ["events.ndjson"]
          - kind: access_log
            format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid"'
            visitor_cookie: vid
            paths: ["access.log"]
        site:
          hosts: [film.example]
        sink:
          kind: ndjson
          output: out
        """)
        let summary = try run(folder + "/pipeline.yaml") { $0.maxRejectRate = 1 }
        #expect(summary.rejected[.invalidID] == 4, "\(summary.text)")
        let rejects = try #require(TestFiles.readText(folder + "/out/rejects.ndjson"))
        #expect(rejects.components(separatedBy: Identifier.madeShapeProblem).count == 5, "\(rejects)")
        let sessions = try #require(TestFiles.readText(folder + "/out/sessions.ndjson"))
        for id in nearIDs {
            #expect(sessions.contains(#""session_id":"\#(id)""#), "\(id)")
        }
        #expect(!sessions.contains("/made") && !sessions.contains("/log"))
    }

    /// A hole of NUL bytes longer than the line limit still gives up the line after it, a hole
    /// at a file's end is damage, not a rejected line, and a byte-order mark before a blank
    /// line leaves it blank (rv75a: `line_too_long` lost the good line, the tail was a
    /// `nul_byte` reject in the reject rate, the marked blank lines were rejects, exit 2).
    @Test func holesAndMarkedBlankLinesAreNoRejects() throws {
        let folder = TestFiles.temporaryFolder("hostile-holes")
        defer { TestFiles.remove(folder) }
        let line = Self.logLine
        TestFiles.write(folder + "/big-hole.log", (0..<10).flatMap(line) + [UInt8](repeating: 0, count: 70_000) + (10..<20).flatMap(line))
        TestFiles.write(folder + "/tail-hole.log", (20..<30).flatMap(line) + [UInt8](repeating: 0, count: 8_192))
        TestFiles.write(folder + "/marked.log", (30..<40).flatMap(line) + [0xEF, 0xBB, 0xBF, 0x0A, 0xEF, 0xBB, 0xBF, 0x20, 0x09, 0x0A])
        TestFiles.write(folder + "/marked.ndjson", Array("\u{FEFF}\n".utf8) + Array(#"{"event":"PageView","timestamp":1709280000000,"anonymous_id":"v","url":"https://film.example/n"}"#.utf8) + [0x0A])
        TestFiles.write(folder + "/pipeline.yaml", """
        sources:
          - kind: access_log
            paths: ["*.log"]
          - kind: ndjson
            paths: ["*.ndjson"]
        site:
          hosts: [film.example]
        sink:
          kind: ndjson
          output: out
        """)
        let summary = try run(folder + "/pipeline.yaml")
        #expect(summary.exitStatus == .success, "\(summary.text)")
        #expect(summary.rejected.isEmpty, "\(summary.text)")
        #expect(summary.kept == 41, "\(summary.text)")
        #expect(summary.damaged == [.nulHole: 2], "\(summary.text)")
        #expect(summary.filtered[.blankLine] == 4, "\(summary.text)")
        let rejects = try #require(TestFiles.readText(folder + "/out/rejects.ndjson"))
        #expect(rejects.contains("70000 NUL bytes (a hole a crash left in the file) before the line") && rejects.contains("8192 NUL bytes (a hole a crash left in the file) with nothing after it"), "\(rejects)")
        #expect(try #require(TestFiles.readText(folder + "/out/sessions.ndjson")).contains(#""landing_page":"/p10""#))
    }

    /// Events named as funnel's in another case or with spaces around are custom events, and
    /// the run says so with the first of them (rv75e, rv75f: a `consent` denial and `purchase`
    /// donations were lost without a word).
    @Test func eventsNamedAsFunnelsInAnotherCaseAreSaid() throws {
        let folder = TestFiles.temporaryFolder("hostile-event-case")
        defer { TestFiles.remove(folder) }
        let lines = [("PageView", ""), ("purchase", #","value":50"#), (" Consent", #","analytics":"denied""#), ("CONSENT", ""), ("Purchase", #","value":5"#), ("Newsletter", "")]
        TestFiles.write(folder + "/events.ndjson", lines.enumerated().map { index, line in
            #"{"event":"\#(line.0)","timestamp":\#(1_709_280_000_000 + index * 1_000),"anonymous_id":"v","session_id":"s"\#(line.1),"url":"https://film.example/x"}"#
        }.joined(separator: "\n") + "\n")
        Self.writeEventsPipeline(in: folder)
        let summary = try run(folder + "/pipeline.yaml")
        #expect(summary.warnings.contains { $0.hasPrefix("3 events are named as one of funnel's events in another case") && $0.contains(#"events.ndjson line 2, "purchase" for Purchase"#) }, "\(summary.warnings)")
        #expect(summary.conversions == 1)
        // A name mapped to itself is meant to stay custom: said neither at load nor by the run
        // (rv75i: the mapping traded the run's warning for the load's).
        let text = try #require(TestFiles.readText(folder + "/pipeline.yaml"))
        TestFiles.write(folder + "/pipeline.yaml", text.replacingAll(#"paths: ["events.ndjson"]"#, with: "paths: [\"events.ndjson\"]\n    event_names: {purchase: purchase, \" Consent\": \" Consent\", CONSENT: CONSENT}"))
        let kept = try run(folder + "/pipeline.yaml") { $0.output = folder + "/out-kept" }
        #expect(!kept.warnings.contains { $0.contains("another case") || $0.contains("event_names maps") }, "\(kept.warnings)")
        #expect(kept.conversions == 1)
    }

    /// Ids that are placeholders a script writes where none was set (`undefined`, `null`, ...)
    /// are read as no id, from events and from a log's cookies alike, and said (rv76a: an
    /// `event_id` of `undefined` on every event made a day's events one, conversions 0; a
    /// cookie `vid=undefined` made the visitors sending it one visitor).
    @Test func placeholderIDsAreReadAsNone() throws {
        let folder = TestFiles.temporaryFolder("hostile-placeholders")
        defer { TestFiles.remove(folder) }
        let events = (0..<4).map { index in
            let ids = [#""event_id":"undefined","anonymous_id":"v\#(index)""#, #""event_id":"NULL","anonymous_id":"undefined","ip":"198.51.100.\#(index + 1)""#][index % 2]
            return #"{"event":"Purchase","timestamp":\#(1_709_280_000_000 + index * 1_000),\#(ids),"value":10,"url":"https://film.example/give"}"#
        }
        TestFiles.write(folder + "/events.ndjson", events.joined(separator: "\n") + "\n")
        Self.writeEventsPipeline(in: folder)
        let summary = try run(folder + "/pipeline.yaml")
        #expect(summary.conversions == 4 && summary.visitors == 4, "\(summary.conversions) \(summary.visitors)")
        #expect(summary.combined[.duplicateEvent] == nil)
        #expect(summary.warnings.contains { $0.hasPrefix("4 records held an id that is a placeholder") && $0.contains(#"events.ndjson line 1, event_id "undefined""#) }, "\(summary.warnings)")

        // A log's cookies, by the byte path (`$cookie_vid`) and by the record's (`$http_cookie`).
        for (format, cookie) in [(#""$cookie_vid""#, "undefined"), (#""$http_cookie""#, "vid=Deleted")] {
            let lines = (0..<3).map { n in
                #"198.51.100.\#(n + 1) - - [01/Mar/2024:10:0\#(n):00 +0000] "GET /p\#(n) HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0" "\#(cookie)""#
            }
            TestFiles.write(folder + "/a.log", lines.joined(separator: "\n") + "\n")
            TestFiles.write(folder + "/log.yaml", """
            sources:
              - kind: access_log
                format: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" \(format)'
                visitor_cookie: vid
                paths: ["a.log"]
            sink:
              kind: ndjson
              output: out-log/
            """)
            let log = try run(folder + "/log.yaml") { $0.output = folder + "/out-\(cookie)" }
            #expect(log.visitors == 3, "\(cookie): \(log.visitors)")
            #expect(log.warnings.contains { $0.hasPrefix("3 records held an id that is a placeholder") && $0.contains("a.log line 1, visitor cookie") }, "\(log.warnings)")
        }
    }

    /// An event id many visitors' events carry is one event however many hold it (SPEC 4), in a
    /// run and after it: past `HistoryPlanner.holdersScanned` holders they are kept in a set.
    @Test func anEventIDOfManyHoldersIsOneEvent() throws {
        let folder = TestFiles.temporaryFolder("hostile-shared-event-id")
        defer { TestFiles.remove(folder) }
        func write(_ visitors: Range<Int>, day: Int) {
            TestFiles.write(folder + "/events-\(day).ndjson", visitors.map { index in
                #"{"event":"Purchase","timestamp":\#(1_709_280_000_000 + day * 86_400_000 + index * 1_000),"anonymous_id":"v\#(index)","event_id":"order-1","value":10,"url":"https://film.example/give"}"#
            }.joined(separator: "\n") + "\n")
        }
        Self.writeEventsPipeline(in: folder)
        let count = 40
        try #require(count > HistoryPlanner.holdersScanned)
        write(0..<count, day: 0)
        let first = try run(folder + "/pipeline.yaml") { $0.inputs = [folder + "/events-0.ndjson"] }
        #expect(first.conversions == 1 && first.combined[.duplicateEvent] == count - 1, "\(first.conversions) \(first.combined)")
        // The next night's carriers: every holder is rebuilt, the first stays the one event.
        write(count..<(count + 5), day: 1)
        let second = try run(folder + "/pipeline.yaml") { $0.inputs = [folder + "/events-1.ndjson"] }
        #expect(second.exitStatus == .success, "\(second.problems)")
        // (The first's session is as it was, so not written again: no conversion counted.)
        #expect(second.conversions == 0 && second.combined[.duplicateEvent] == count + 4, "\(second.conversions) \(second.combined)")
    }

    /// Purchases naming more than one currency are said with their counts (capitals and blanks
    /// aside), since funnel sums amounts without converting them; purchases in one currency, or
    /// naming none, are not (a review: EUR and USD donations summed without a word).
    @Test func purchasesInSeveralCurrenciesAreSaid() throws {
        let folder = TestFiles.temporaryFolder("hostile-currencies")
        defer { TestFiles.remove(folder) }
        func write(_ currencies: [String?]) {
            TestFiles.write(folder + "/events.ndjson", currencies.enumerated().map { index, currency in
                let named = currency.map { #","currency":"\#($0)""# } ?? ""
                return #"{"event":"Purchase","timestamp":\#(1_709_280_000_000 + index * 1_000),"anonymous_id":"v\#(index)","value":10\#(named),"url":"https://film.example/give"}"#
            }.joined(separator: "\n") + "\n")
        }
        Self.writeEventsPipeline(in: folder)
        write(["USD", "usd ", "EUR", nil, "USD", "eur", "GBP"])
        let mixed = try run(folder + "/pipeline.yaml")
        #expect(mixed.warnings.contains { $0.hasPrefix("purchases in 3 currencies (USD 3, EUR 2, GBP 1) were summed as given") }, "\(mixed.warnings)")
        #expect(mixed.revenue == Amount(micros: 70_000_000))
        write(["USD", " usd", nil, "USD"])
        let one = try run(folder + "/pipeline.yaml") { $0.output = folder + "/out-one" }
        #expect(!one.warnings.contains { $0.contains("currencies") }, "\(one.warnings)")
    }

    /// A `fields` mapping of what nearly every event has whose path no event of a file held is
    /// said, naming the file and the mapping (rv75f: `session_id: props.sid` over lines
    /// holding `props.sessionId` lost every client session without a word); a property's path
    /// (a day without purchases) and a file whose events hold the path are not.
    @Test func aMappedPathNoEventHoldsIsSaid() throws {
        let folder = TestFiles.temporaryFolder("hostile-mapping")
        defer { TestFiles.remove(folder) }
        let line = #"{"event":"PageView","timestamp":1709280000000,"anonymous_id":"v","props":{"KEY":"s-1"},"url":"https://film.example/"}"#
        TestFiles.write(folder + "/a.ndjson", line.replacingAll("KEY", with: "sessionId") + "\n")
        TestFiles.write(folder + "/b.ndjson", line.replacingAll("KEY", with: "sid") + "\n")
        // A path that holds null holds no value; lines that are no events hold none (rv75h).
        TestFiles.write(folder + "/c.ndjson", line.replacingAll(#""KEY":"s-1""#, with: #""sid":null"#) + "\n"
            + #"{"event":"PageView","anonymous_id":"v","props":{"sid":"s-2"}}"# + "\n")
        TestFiles.write(folder + "/pipeline.yaml", """
        sources:
          - kind: ndjson
            paths: ["*.ndjson"]
            fields:
              session_id: props.sid
              value: props.amount
        sink:
          kind: ndjson
          output: out
        """)
        let summary = try run(folder + "/pipeline.yaml")
        let said = summary.warnings.filter { $0.contains("fields mapping") }
        #expect(said.count == 1 && said[0].hasPrefix("2 files' events hold no value at a path of the source's fields mapping (first: \(folder)/a.ndjson: session_id from props.sid)"), "\(said)")
        // `validate` says it on the file's line (rv75h: it said ok and nothing more).
        let validated = try CommandRunner.run(CommandLineTests.binary, ["validate", folder + "/pipeline.yaml"])
        #expect(validated.stdout.contains("a.ndjson [ndjson]: 1/1 lines parse (100.0%), 1 kept; no event holds the path of the fields mapping's session_id from props.sid"), "\(validated)")
        #expect(!validated.stdout.contains("b.ndjson [ndjson]: 1/1 lines parse (100.0%), 1 kept;"), "\(validated)")
        // Past the first ten files that pass, a file's line is still printed when it says an
        // unfound mapping (rv76c: one counted in "and N more files" passed every test).
        for index in 0..<11 { TestFiles.write(folder + "/m\(index + 10).ndjson", line.replacingAll("KEY", with: "sid") + "\n") }
        TestFiles.write(folder + "/z.ndjson", line.replacingAll("KEY", with: "sessionId") + "\n")
        let many = try CommandRunner.run(CommandLineTests.binary, ["validate", folder + "/pipeline.yaml", "--all-files"])
        #expect(many.stdout.contains("z.ndjson [ndjson]: 1/1 lines parse (100.0%), 1 kept; no event holds the path of the fields mapping's session_id from props.sid"), "\(many)")
        #expect(many.stdout.contains("more files"), "\(many)")
    }

    /// An id that is a boolean, an object or an array is an invalid id, with what it was,
    /// never taken for no id (the event would join or start another session than its sender
    /// meant); `null` and `""` are no id, and a number is its text.
    @Test func anIdThatIsNotAStringIsInvalidNotAbsent() {
        let parser = NDJSONParser()
        func parse(_ line: String) -> NDJSONParser.Outcome {
            var bytes = Array(line.utf8)
            return bytes.withUnsafeMutableBytes { parser.parse(UnsafeRawBufferPointer($0)) }
        }
        for (key, value, kind) in [("session_id", "true", "a boolean"), ("session_id", #"{"id":"s1"}"#, "an object"),
                                   ("anonymous_id", #"["x"]"#, "an array"), ("anonymous_id", "false", "a boolean")] {
            let line = #"{"event":"PageView","timestamp":1704067207000,"\#(key)":\#(value),"anonymous_id2":"v2","ip":"1.2.3.4","url":"/x"}"#
            guard case .reject(let reason, let detail) = parse(line) else {
                Issue.record("accepted: \(line)")
                continue
            }
            #expect(reason == .invalidID)
            #expect(detail == (key == "session_id" ? "session" : "visitor") + " id is \(kind), not a string", "\(detail)")
        }
        for value in ["null", #""""#] {
            guard case .record(let record) = parse(#"{"event":"PageView","timestamp":1704067207000,"session_id":\#(value),"anonymous_id":"v2"}"#) else {
                Issue.record("rejected a session id of \(value)")
                continue
            }
            #expect(record.sessionID == nil)
        }
        guard case .record(let record) = parse(#"{"event":"PageView","timestamp":1704067207000,"session_id":true,"session_id":"s-2","anonymous_id":"v2"}"#) else {
            Issue.record("a later valid session id did not stand")
            return
        }
        #expect(record.sessionID == "s-2")
        guard case .record(let numbered) = parse(#"{"event":"PageView","timestamp":1704067207000,"session_id":42,"anonymous_id":"v2"}"#) else {
            Issue.record("rejected a numeric session id")
            return
        }
        #expect(numbered.sessionID == "42")
    }

    /// 300,000 levels of nesting are skipped with a bracket stack, not recursion: on a 512 KiB
    /// thread stack a recursive scanner would overflow long before.
    @Test func deepNestingIsScannedWithoutRecursion() throws {
        let depth = 300_000
        let line = #"{"event":"PageView","timestamp":1704067200000,"anonymous_id":"v","deep":"# + String(repeating: "[", count: depth)
            + String(repeating: "]", count: depth) + #","properties":{"x":"# + String(repeating: #"{"a":"#, count: depth) + "1"
            + String(repeating: "}", count: depth) + #","content":"trailer"}}"#
        let outcome = try Self.onSmallStack {
            var bytes = Array(line.utf8)
            return bytes.withUnsafeMutableBytes { NDJSONParser().parse(UnsafeRawBufferPointer($0)) }
        }
        guard case .record(let record) = outcome else {
            Issue.record("rejected: \(outcome)")
            return
        }
        #expect(record.properties.content == "trailer")
    }

    /// Runs `body` on a thread with a 512 KiB stack, as a worker thread of a busy process has.
    private static func onSmallStack(_ body: @escaping () -> NDJSONParser.Outcome) throws -> NDJSONParser.Outcome {
        let box = OutcomeBox(body)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 512 * 1024)
        var thread = pthread_t()
        let unmanaged = Unmanaged.passRetained(box)
        let status = pthread_create(&thread, &attributes, { context in
            let box = Unmanaged<OutcomeBox>.fromOpaque(context!).takeRetainedValue()
            box.result = box.body()
            return nil
        }, unmanaged.toOpaque())
        try #require(status == 0)
        pthread_join(thread, nil)
        return try #require(box.result)
    }
}

private final class OutcomeBox: @unchecked Sendable {
    var body: () -> NDJSONParser.Outcome
    var result: NDJSONParser.Outcome?
    init(_ body: @escaping () -> NDJSONParser.Outcome) { self.body = body }
}

/// A numeric property that is there but is no number (SPEC 2: never silent): the event is
/// kept without it, and the run names how many and the first in a warning.
struct UnreadNumberTests {
    private func unread(_ line: String, describing: Bool = true) -> (NDJSONParser.Outcome, String?) {
        var bytes = Array(line.utf8)
        var unread: String?
        let outcome = bytes.withUnsafeMutableBytes { NDJSONParser().parse(UnsafeRawBufferPointer($0), unreadNumber: &unread, describing: describing) }
        return (outcome, unread)
    }

    @Test(arguments: [
        (#""value":"12,50""#, #""value": "12,50""#),
        (#""value":"€12""#, #""value": "€12""#),
        (#""value":true"#, #""value": true"#),
        (#""value":[1]"#, #""value": an array"#),
        (#""properties":{"value":{"a":1}}"#, #""value": an object"#),
        (#""value":1e30"#, #""value": 1e30 (out of range)"#),
        (#""percent":"half""#, #""percent": "half""#),
        (#""watch_time":"0x10""#, #""watch_time": "0x10""#),
        // Whole up to 4 KiB here; the warning redacts it, then cuts it (`quotesAreCutAfterTheirRedaction`).
        (#""value":"123456789012345678901234567890""#, #""value": "123456789012345678901234567890""#),
        ("\"value\":\"" + String(repeating: "1", count: 5000) + "\"", "\"value\": \"" + String(repeating: "1", count: 4096) + "...\""),
        // Absent, or read: no warning.
        (#""value":null"#, nil),
        (#""value":"""#, nil),
        (#""value":"25""#, nil),
        (#""value":12.5"#, nil),
        (#""value":"x","properties":{"value":7}"#, nil),
        // Spaces and line ends alone are no value, as "" is (they were named).
        (#""value":"  ""#, nil),
        (#""value":"\t\n""#, nil),
        (#""percent":" 60 ""#, nil),
        (#""value":" 7.25 ""#, nil),
    ] as [(String, String?)])
    func aPropertyThatIsNoNumberIsNamed(member: String, expected: String?) {
        let (outcome, unread) = unread(#"{"event":"Purchase","timestamp":1704067200000,"anonymous_id":"v",\#(member)}"#)
        guard case .record = outcome else {
            Issue.record("rejected: \(outcome)")
            return
        }
        #expect(unread == expected)
        // Not described (a file's later ones): still named, with no text built.
        let line = #"{"event":"Purchase","timestamp":1704067200000,"anonymous_id":"v",\#(member)}"#
        #expect(self.unread(line, describing: false).1 == expected.map { _ in "" })
    }

    /// A number in a string is read with spaces and line ends around it, escaped or not, as a
    /// consent answer is (`" 7.25 "` was dropped with a warning; a review).
    @Test(arguments: [
        (#"" 7.25 ""#, "7.25"), (#""7.25\r\n""#, "7.25"), (#""\t25""#, "25"), (#"" 1e2 ""#, "100"),
    ])
    func aNumberInAStringIsReadWithSpacesAroundIt(value: String, amount: String) {
        let (outcome, unread) = unread(#"{"event":"Purchase","timestamp":1704067200000,"anonymous_id":"v","value":\#(value)}"#)
        guard case .record(let record) = outcome else {
            Issue.record("not a record: \(outcome)")
            return
        }
        #expect(record.properties.value == Amount(jsonNumber: Array(amount.utf8)))
        #expect(unread == nil)
    }

    /// The warning's quote is redacted whole and then cut after 24 characters, so that no
    /// part of an address survives the cut (a review saw `2001%3Adb8...` and six groups of an
    /// IPv6 address quoted when the cut came first).
    @Test(arguments: [
        (#""value": "123456789012345678901234567890""#, #""value": "123456789012345678901234...""#),
        (#""value": "12,50""#, #""value": "12,50""#),
        (#""value": true"#, #""value": true"#),
        (#""value": "customer john.smith@example.org""#, #""value": "customer (email)""#),
        (#""value": "paid from 2001:db8:85a3::8a2e:370:7334 via card""#, #""value": "paid from (ip) via card""#),
        (#""value": "tx 123456789012345 2001%3Adb8%3A85a3%3A%3A1""#, #""value": "tx 123456789012345 (ip)""#),
        (#""value": "xxxxxxxxxxxxxxxxxxxx 198%2E51%2E100%2E200 y""#, #""value": "xxxxxxxxxxxxxxxxxxxx (ip..."#  + "\""),
        // Decoded for its address, a text goes through the e-mail redaction again, as a
        // session's texts do (the warning's own pair of redactions left the address whole).
        (#""value": "fan%40example%2Eorg 10%2E0%2E0%2E1""#, #""value": "(email) (ip)""#),
    ])
    func quotesAreCutAfterTheirRedaction(text: String, quoted: String) {
        #expect(LineSource.quotable(text) == quoted)
    }

    @Test func theRunWarnsOfEventsKeptWithoutTheirNumber() throws {
        let folder = TestFiles.temporaryFolder("unread-number")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/events.ndjson", """
            {"event":"Purchase","timestamp":1704067200000,"anonymous_id":"a","value":10}
            {"event":"Purchase","timestamp":1704067201000,"anonymous_id":"a","value":"12,50"}
            {"event":"VideoProgress","timestamp":1704067202000,"anonymous_id":"b","percent":"half"}

            """)
        HostileInputTests.writeEventsPipeline(in: folder)
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.exitStatus == .success)
        #expect(summary.kept == 3 && summary.rejectedTotal == 0)
        #expect(summary.revenue == Amount(jsonNumber: Array("10".utf8)))
        #expect(summary.warnings == [
            #"2 events held a value, percent or watch_time that is no number funnel reads, or a consent answer that is none of granted, denied, true, false, yes, no (first: \#(folder)/events.ndjson line 2, "value": "12,50"); the events were kept without it, so a purchase counts with no amount and a consent stays as it was"#,
        ])
        #expect(summary.text.contains("  warning      2 events held"))
    }

    /// A Consent event's answer that is none is said as an unread value is (SPEC 2: never
    /// silent): the state stays as it was, the session goes out with its click ids, and until
    /// 2026-12-06 nothing said why. Another event's `analytics` property is not an answer.
    @Test func theRunWarnsOfAConsentAnswerThatIsNone() throws {
        let folder = TestFiles.temporaryFolder("unread-consent")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/events.ndjson", """
            {"event":"Consent","timestamp":1704067200000,"anonymous_id":"a","analytics":"granted","marketing":" denied\\n"}
            {"event":"ButtonClick","timestamp":1704067201000,"anonymous_id":"a","analytics":"banner"}
            {"event":"Consent","timestamp":1704067202000,"anonymous_id":"b","marketing":"maybe"}

            """)
        HostileInputTests.writeEventsPipeline(in: folder)
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.exitStatus == .success && summary.kept == 3)
        let warning = try #require(summary.warnings.first, "\(summary.warnings)")
        #expect(warning.hasPrefix("1 event held") && warning.contains(#"line 3, "marketing": "maybe""#), "\(warning)")
    }

    /// An e-mail or IP address given as a value is quoted redacted in the warning, which the
    /// summary file keeps (the e-mail address was quoted whole until 2026-12-05, the IP
    /// address until the session of 2026-12-05 from 14:57).
    @Test(arguments: [("pay@example.com", "(email)", "pay@"), ("from 198.51.100.77", "from (ip)", "198.51."),
                      ("2001:db8:85a3::8a2e:370:7334", "(ip)", "85a3"), ("sent from 2001:db8:85a3::8a2e:370:7334 today", "sent from (ip) today", "85a3")])
    func theWarningQuotesNoAddress(value: String, shown: String, secret: String) throws {
        let folder = TestFiles.temporaryFolder("unread-address")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/events.ndjson", #"{"event":"Purchase","timestamp":1704067200000,"anonymous_id":"a","value":"\#(value)"}"# + "\n")
        HostileInputTests.writeEventsPipeline(in: folder)
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.warnings.count == 1)
        #expect(summary.warnings.first?.contains(#""value": "\#(shown)""#) == true, "\(summary.warnings)")
        #expect(!summary.text.contains(secret) && !String(decoding: summary.json, as: UTF8.self).contains(secret))
    }
}
