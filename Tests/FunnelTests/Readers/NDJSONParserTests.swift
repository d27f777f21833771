import FunnelCore
import FunnelReaders
import Testing

struct NDJSONParserTests {
    private func parse(_ line: String) -> NDJSONParser.Outcome {
        var bytes = Array(line.utf8)
        return bytes.withUnsafeMutableBytes { NDJSONParser().parse(UnsafeRawBufferPointer($0)) }
    }

    private func parseBytes(_ bytes: [UInt8]) -> NDJSONParser.Outcome {
        var bytes = bytes
        return bytes.withUnsafeMutableBytes { NDJSONParser().parse(UnsafeRawBufferPointer($0)) }
    }

    private func record(_ line: String) throws -> Record {
        guard case .record(let record) = parse(line) else {
            Issue.record("rejected: \(line)")
            throw CancellationError()
        }
        return record
    }

    private func reason(_ outcome: NDJSONParser.Outcome) -> RejectReason? {
        if case .reject(let reason, _) = outcome { return reason }
        return nil
    }

    /// A property given as `null`, `""` or blanks holds no value, so it does not replace one
    /// given on the other level, before or after it (rv75f: a top-level `"analytics": null`
    /// after `properties.analytics: "denied"` wiped the denial; `"value": ""` lost an amount);
    /// two values, the later wins.
    @Test(arguments: ["null", #""""#, #""  ""#, #""\u0020""#])
    func anAbsentPropertyDoesNotReplaceAGivenOne(absent: String) throws {
        for line in [
            #"{"event":"Consent","timestamp":1709287210000,"anonymous_id":"v","properties":{"analytics":"denied","marketing":"denied","content":"trailer","value":60},"analytics":\#(absent),"marketing":\#(absent),"content":\#(absent),"value":\#(absent)}"#,
            #"{"event":"Consent","timestamp":1709287210000,"anonymous_id":"v","analytics":"denied","marketing":"denied","content":"trailer","value":60,"properties":{"analytics":\#(absent),"marketing":\#(absent),"content":\#(absent),"value":\#(absent)}}"#,
        ] {
            let r = try record(line)
            #expect(r.properties.analytics == "denied" && r.properties.marketing == "denied", "\(line)")
            #expect(r.properties.content == "trailer" && r.properties.value == Amount(jsonNumber: Array("60".utf8)), "\(line)")
        }
        let later = try record(#"{"event":"Purchase","timestamp":1709287210000,"anonymous_id":"v","properties":{"value":60},"value":70}"#)
        #expect(later.properties.value == Amount(jsonNumber: Array("70".utf8)))
    }

    /// A consent answer that is none (an object, an array, `"maybe"`) replaces no answer given
    /// before it in the line, and is said (rv75e: `"analytics": {}` after
    /// `properties.analytics: "denied"` wiped the denial without a word); a later answer that
    /// is one wins.
    @Test func aConsentAnswerThatIsNoneReplacesNone() throws {
        for (none, said) in [("{}", "an object"), (#"["denied"]"#, "an array"), (#""maybe""#, #""maybe""#)] {
            var line = Array(#"{"event":"Consent","timestamp":1709287210000,"anonymous_id":"v","properties":{"analytics":"denied"},"analytics":\#(none)}"#.utf8)
            var unread: String?
            let outcome = line.withUnsafeMutableBytes { NDJSONParser().parse(UnsafeRawBufferPointer($0), unreadNumber: &unread, describing: true) }
            guard case .record(let r) = outcome else { Issue.record("rejected: \(none)"); continue }
            #expect(r.properties.analytics == "denied", "\(none)")
            // The answer read stands, so nothing is said (rv75h).
            #expect(unread == nil, "\(none) after \(said): \(unread ?? "nil")")
        }
        var alone = Array(#"{"event":"Consent","timestamp":1709287210000,"anonymous_id":"v","marketing":{"granted":false}}"#.utf8)
        var unread: String?
        _ = alone.withUnsafeMutableBytes { NDJSONParser().parse(UnsafeRawBufferPointer($0), unreadNumber: &unread, describing: true) }
        #expect(unread == #""marketing": an object"#, "\(unread ?? "nil")")
        let later = try record(#"{"event":"Consent","timestamp":1709287210000,"anonymous_id":"v","properties":{"analytics":"maybe"},"analytics":"granted"}"#)
        #expect(later.properties.analytics == "granted")
    }

    /// A number that is none replaces none read at the other level, and is then not said; an
    /// answer read after one that is none is not said either (rv75g: `"value": "12,50"` after
    /// `properties.value: 25` lost the amount; `{}` then `"denied"` warned "a consent stays as
    /// it was").
    @Test func aValueThatIsNoneReplacesNoneRead() throws {
        for (line, check) in [
            (#"{"event":"Purchase","timestamp":1709287210000,"anonymous_id":"v","properties":{"value":25,"percent":40},"value":"12,50","percent":{}}"#,
             { (r: Record) in r.properties.value == Amount(micros: 25_000_000) && r.properties.percent == 40 }),
            (#"{"event":"Consent","timestamp":1709287210000,"anonymous_id":"v","properties":{"marketing":{}},"marketing":"denied"}"#,
             { (r: Record) in r.properties.marketing == "denied" }),
        ] {
            var bytes = Array(line.utf8)
            var unread: String?
            let outcome = bytes.withUnsafeMutableBytes { NDJSONParser().parse(UnsafeRawBufferPointer($0), unreadNumber: &unread, describing: true) }
            guard case .record(let r) = outcome else { Issue.record("rejected: \(line)"); continue }
            #expect(check(r), "\(line)")
            #expect(unread == nil, "\(line): \(unread ?? "")")
        }
        // Unread first, then read: the later wins, unsaid; unread alone is said.
        #expect(try record(#"{"event":"Purchase","timestamp":1709287210000,"anonymous_id":"v","value":"12,50","properties":{"value":7}}"#).properties.value == Amount(micros: 7_000_000))
    }

    /// A `-` or spaces alone are no agent and no city, as in an access log (the agent gave
    /// `desktop`/`Other` until 2026-12-06; a review).
    @Test(arguments: ["-", "  ", " - ", "\\t"])
    func aDashOrSpacesAreNoAgentAndNoCity(text: String) throws {
        let r = try record(#"{"event":"PageView","timestamp":1704067200000,"anonymous_id":"v","user_agent":"\#(text)","city":"\#(text)"}"#)
        #expect(r.userAgent == nil)
        #expect(r.city == nil)
        let kept = try record(#"{"event":"PageView","timestamp":1704067200000,"anonymous_id":"v","user_agent":" Mozilla/5.0 (X11) -","city":"-Lyon"}"#)
        #expect(kept.userAgent == "Mozilla/5.0 (X11) -")
        #expect(kept.city == "-Lyon")
    }

    /// Timestamps as other JSON writers give them: Java's doubles in exponent notation, .NET's
    /// `+` escaped as `\u002B`; both read as the same instant (until 2026-12-05 the first lost
    /// its digits past the sixth, up to 205 s, and the second was rejected).
    @Test(arguments: [
        (#""timestamp":1.704067205123E12"#, 1_704_067_205_123), (#""timestamp":1.704067265E9"#, 1_704_067_265_000),
        (#""timestamp":"2024-01-01T00:00:16\u002B00:00""#, 1_704_067_216_000),
        (#""timestamp":"2024-01-01T01:00:16\u002b01:00""#, 1_704_067_216_000),
        (#""timestamp":"\u0031704067216000""#, 1_704_067_216_000),
        // Warehouse and HTTP forms (each a bad_timestamp until 2026-12-06; a review).
        (#""timestamp":"2024-01-01 00:00:16 UTC""#, 1_704_067_216_000),
        (#""timestamp":"2024-01-01T01:00:16 +01:00""#, 1_704_067_216_000),
        (#""timestamp":"2024-01-01T00:00Z""#, 1_704_067_200_000),
        (#""timestamp":"2024-01-01 01:00+0100""#, 1_704_067_200_000),
        (#""timestamp":"Mon, 01 Jan 2024 00:00:16 GMT""#, 1_704_067_216_000),
        (#""timestamp":"01 jan 2024 01:00:16 +0100""#, 1_704_067_216_000),
    ] as [(String, Int64)])
    func timestampsAsOtherWritersWriteThem(member: String, millis: Int64) throws {
        let r = try record(#"{"event":"Purchase",\#(member),"anonymous_id":"v","value":1.2345678E2}"#)
        #expect(r.timestamp == millis)
        #expect(r.properties.value == Amount(micros: 123_456_780))
    }

    @Test func readsTheCanonicalDialect() throws {
        let r = try record(#"{"event":"Purchase","timestamp":1704069120000,"session_id":"s1","anonymous_id":"v1","user_id":"u1","event_id":"e1","url":"https://Film.Example/donate?utm_source=fb#top","referrer":"https://t.co/x","user_agent":"UA","ip":"203.0.113.1","country":"fr","city":"Paris","properties":{"value":12.50,"currency":"EUR","payment_method":"card","nested":{"deep":[1,2,{"x":"}"}]}},"extra":[true,false,null]}"#)
        #expect(r.event == "Purchase")
        #expect(r.timestamp == 1_704_069_120_000)
        #expect(r.sessionID == "s1")
        #expect(r.visitorID == "v1")
        #expect(r.userID == "u1")
        #expect(r.eventID == "e1")
        #expect(r.host == "film.example")
        #expect(r.path == "/donate")
        #expect(r.query == "utm_source=fb")
        #expect(r.country == "FR")
        #expect(r.city == "Paris")
        #expect(r.properties.value?.description == "12.5")
        #expect(r.properties.currency == "EUR")
        #expect(r.properties.paymentMethod == "card")
    }

    @Test(arguments: [
        ("1704067200", Int64(1_704_067_200_000)),
        ("1704067200.5", 1_704_067_200_500),
        ("1704067200123", 1_704_067_200_123),
        (#""2024-01-01T00:00:00Z""#, 1_704_067_200_000),
        (#""2024-01-01T01:30:00.250+01:30""#, 1_704_067_200_250),
        (#""2024-01-01T00:00:00-0500""#, 1_704_085_200_000),
        (#""1704067200000""#, 1_704_067_200_000),
    ])
    func readsTimestamps(text: String, millis: Int64) throws {
        #expect(try record(#"{"event":"X","anonymous_id":"v","timestamp":\#(text)}"#).timestamp == millis)
    }

    @Test func topLevelPropertiesCount() throws {
        let r = try record(#"{"event":"VideoProgress","timestamp":1704067200,"anonymous_id":"v","content":"trailer","percent":49.6,"watch_time":"30"}"#)
        #expect(r.properties.content == "trailer")
        #expect(r.properties.percent == 49, "the fraction dropped")
        #expect(r.properties.watchTime?.description == "30")
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let r = try record(#"{"event":"Caf\u00e9 \ud83c\udfac \"q\"","timestamp":1704067200,"anonymous_id":"v"}"#)
        #expect(r.event == "Café 🎬 \"q\"")
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        guard case .record(let r) = parseBytes([0xEF, 0xBB, 0xBF] + Array(#"{"event":"A","timestamp":1704067200,"anonymous_id":"v"}"#.utf8)) else {
            Issue.record("BOM line rejected")
            return
        }
        #expect(r.event == "A")
    }

    @Test func deepNestingDoesNotOverflowTheStack() {
        let deep = String(repeating: "[", count: 300_000) + String(repeating: "]", count: 300_000)
        let outcome = parse(#"{"event":"A","timestamp":1704067200,"anonymous_id":"v","p":\#(deep)}"#)
        if case .record = outcome {} else { Issue.record("deeply nested but valid line was rejected") }
        #expect(reason(parse(#"{"event":"A","timestamp":1704067200,"p":\#(String(repeating: "[", count: 300_000))}"#)) == .badJSON)
    }

    @Test(arguments: [
        (#"{"event":"A","timestamp":1704067200"#, RejectReason.badJSON),
        ("not json", .badJSON),
        (#"["event"]"#, .notAnObject),
        ("42", .notAnObject),
        (#"{"timestamp":1704067200}"#, .missingEvent),
        (#"{"event":"","timestamp":1704067200}"#, .missingEvent),
        (#"{"event":"A"}"#, .missingTimestamp),
        (#"{"event":"A","timestamp":"yesterday"}"#, .badTimestamp),
        (#"{"event":"A","timestamp":"2024-01-01T00:00:16 "}"#, .badTimestamp),
        (#"{"event":"A","timestamp":"2024-01-01T00:00:16 CET"}"#, .badTimestamp),
        (#"{"event":"A","timestamp":"2024-01-01T00:0"}"#, .badTimestamp),
        (#"{"event":"A","timestamp":"Mon, 01 Foo 2024 00:00:16 GMT"}"#, .badTimestamp),
        (#"{"event":"A","timestamp":"Mon, 30 Feb 2024 00:00:16 GMT"}"#, .badTimestamp),
        (#"{"event":"A","timestamp":1e400}"#, .badTimestamp),
        (#"{"event":"A","timestamp":-5}"#, .badTimestamp),
        (#"{"event":"\ud800","timestamp":1704067200}"#, .invalidUTF8),
        (#"{"event":"A","timestamp":1704067200} trailing"#, .badJSON),
        (#"{"event":"A" "timestamp":1}"#, .badJSON),
    ])
    func rejects(line: String, expected: RejectReason) {
        #expect(reason(parse(line)) == expected)
    }

    /// Numbers at the very top of what an amount holds (`Int64.max` millionths) are a bad
    /// timestamp or a percent of 100, not a crash of the reader (they trapped on an overflow
    /// while rounding until 2026-12-05).
    @Test func theLargestNumbersAreRejectedOrClampedNotACrash() throws {
        for timestamp in ["9223372036854.775807", #""9223372036854.5""#, "9223372036854.2758", "9223372036854775807"] {
            #expect(reason(parse(#"{"event":"PageView","timestamp":\#(timestamp),"anonymous_id":"v1","url":"/a"}"#)) == .badTimestamp, "\(timestamp)")
        }
        for (percent, expected) in [("9223372036854.775807", Int64(100)), ("-9223372036854.775807", 0), ("99.5", 99), ("99.99", 99), ("49.4", 49), ("100", 100), ("-0.5", 0)] {
            let r = try record(#"{"event":"VideoProgress","timestamp":1704067201000,"anonymous_id":"v1","content":"trailer","percent":\#(percent)}"#)
            #expect(r.properties.percent == expected, "\(percent)")
        }
    }

    /// A line that is not JSON is a `bad_json` reject wherever the fault is, inside nested
    /// values and numbers too (until 2026-12-05 only brackets were paired there, and any run
    /// of digits, signs, dots and `e` was a number: these lines were kept).
    @Test(arguments: [
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":[1 2 garbage]}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":{"a" 1 : :}}"#,
        #"{"event":"PageView","timestamp":01704067200,"anonymous_id":"v1"}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":+1}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":1.2.3}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":1.}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":.5}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":1e}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":-}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":[1,]}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":[,1]}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":{"a":1,}}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":{"a":1 "b":2}}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":{1:2}}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":[tru]}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":[1}]}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":{"a":[}]}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":[[[]]}"#,
        #"{"event":"PageView","timestamp":1704067200x,"anonymous_id":"v1"}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":"a\qb"}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":["\u12"]}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x":"\u12G4"}"#,
        #"{"event":"PageView","timestamp":1704067200,"anonymous_id":"v1","x\'":1}"#,
    ])
    func whatIsNotJSONIsBadJSONAnywhereInTheLine(line: String) {
        #expect(reason(parse(line)) == .badJSON)
    }

    /// Nested values of every kind, empty containers, numbers in all their JSON forms and
    /// whitespace between every token are read, and the fields after them still count.
    @Test func everyKindOfJSONIsReadThrough() throws {
        let r = try record(#" { "event" : "PageView" , "x" : [ ] , "y" : { } , "z" : [ 0 , -0 , 1.5e-3 , 2E+10 , -12.25 , 0.0 , 1e5 , true , false , null , "s\"t\\\/\b\f\n\r\t\u00e9\uD83C\uDFAC" , [ { "a" : [ 1 , { } ] } ] ] , "w" : { "k" : { "k" : [ "v" ] } , "n" : -1 } , "timestamp" : 1704067200000 , "anonymous_id" : "v1" } "#)
        #expect(r.timestamp == 1_704_067_200_000)
        #expect(r.visitorID == "v1")
        let deep = String(repeating: #"{"a":["#, count: 200) + "1" + String(repeating: "]}", count: 200)
        let nested = try record(#"{"event":"PageView","x":\#(deep),"timestamp":1704067200000,"anonymous_id":"v2"}"#)
        #expect(nested.visitorID == "v2")
    }

    @Test func invalidUTF8InTheEventNameIsRejected() {
        #expect(reason(parseBytes(Array(#"{"event":""#.utf8) + [0xC3, 0x28] + Array(#"","timestamp":1704067200}"#.utf8))) == .invalidUTF8)
    }

    /// Values are checked eight bytes at a step: a bad or a good non-ASCII byte is found in the
    /// whole words and in the tail alike.
    @Test func nonASCIIBytesAreCheckedAtEveryOffset() {
        for offset in 0..<20 {
            let pad = Array(String(repeating: "a", count: offset).utf8)
            let bad = Array(#"{"event":""#.utf8) + pad + [0xC3, 0x28] + Array(#"","timestamp":1704067200}"#.utf8)
            #expect(reason(parseBytes(bad)) == .invalidUTF8, "offset \(offset)")
            let good = Array(#"{"event":""#.utf8) + pad + Array("café 映画".utf8) + Array(#"","timestamp":1704067200}"#.utf8)
            guard case .record(let r) = parseBytes(good) else {
                Issue.record("rejected at offset \(offset)")
                continue
            }
            #expect(r.event == String(repeating: "a", count: offset) + "café 映画")
        }
    }
}
