import FunnelCore
import FunnelPipeline
import FunnelWriters
import Testing

/// The mistakes a review of docs/pipeline.md against the loader found said unhelpfully or not
/// at all (2026-12-06): each is now refused with what to write, or said as a load warning.
struct PipelineFileMistakesTests {
    static let file = "/srv/funnel/pipelines/nightly.yaml"

    private func failure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            _ = try PipelineLoader.parse(text, file: Self.file)
            Issue.record("expected an error", sourceLocation: sourceLocation)
            return ""
        } catch {
            return error.description
        }
    }

    private func warnings(_ text: String) throws -> [String] {
        try PipelineLoader.parse(text, file: Self.file).loadWarnings.map(\.text)
    }

    private func source(_ extra: String = "", paths: String = "[e.ndjson]") -> String {
        "sources:\n  - kind: ndjson\n    paths: \(paths)\n\(extra)"
    }

    /// libyaml's words for an unquoted `{date}` and a tab get what was most likely meant.
    @Test func anUnquotedDateAndATabAreExplained() {
        for paths in ["[e-{date}.ndjson.gz]", "{date}.log", "[{date}.log]"] {
            let message = failure(source(paths: paths))
            #expect(message.contains("not valid YAML"), "\(paths): \(message)")
            #expect(message.contains("a value holding {date} must be quoted: paths: [\"logs/access-{date}.log.gz\"]"), "\(paths): \(message)")
        }
        // A flow mapping left open is no {date}'s fault.
        let open = failure(source("    event_names: {\"signup\": \"SignUp\"\n"))
        #expect(open.contains("not valid YAML") && !open.contains("quoted"), "\(open)")
        let tab = failure("sources:\n\t- kind: ndjson\n\t  paths: [e.ndjson]\n")
        #expect(tab.contains("indented with a tab"), "\(tab)")
        // Other faults get no hint.
        let other = failure("sources: [unclosed\n")
        #expect(!other.contains("quoted") && !other.contains("tab"), "\(other)")
    }

    /// A flat-file sink's Redis settings are said as not used; a run whose `--sink` chose
    /// another sink does not say them (`aboutTheFilesSink`).
    @Test func sinkSettingsTheSinkDoesNotUseAreSaid() throws {
        let csv = try PipelineLoader.parse(source("sink:\n  kind: csv\n  url: redis://127.0.0.1:6390/0\n  ttl: 1h\n"), file: Self.file).loadWarnings
        #expect(csv.count == 1)
        #expect(csv.first?.text.hasPrefix("sink.url and sink.ttl are for the redis sink") == true, "\(csv.map(\.text))")
        #expect(csv.first?.aboutTheFilesSink == true)
        #expect(try warnings(source("sink:\n  kind: resp\n  url: redis://127.0.0.1:6390/0\n")).contains { $0.hasPrefix("sink.url is for the redis sink") })
        #expect(try warnings(source("sink:\n  kind: resp\n  key_prefix: 'film:'\n  hash_tags: true\n  ttl: 90d\n")).isEmpty)
        #expect(try warnings(source("sink:\n  kind: redis\n  url: redis://127.0.0.1:6390/0\n  key_prefix: 'film:'\n  ttl: 90d\n")).isEmpty)
        #expect(try warnings(source("sink:\n  kind: ndjson\n  key_prefix: 'film:'\n")).contains { $0.hasPrefix("sink.key_prefix is for the redis sink") })
    }

    /// A bad Redis URL is named by where it was written.
    /// A key prefix that puts the pipeline's keys among another's is said (rv73d: `events:`
    /// beside no prefix turned that pipeline's events lists into this one's session hashes,
    /// and `sess:` put every key of it in that one's `sess:*`, exit 0); not refused at load,
    /// as such a prefix loaded before keeps its history (rv73f). `funnel:`, the docs'
    /// example, and `film:` are not said.
    @Test func aKeyPrefixAmongAnotherPipelinesKeysIsSaid() throws {
        for (prefix, expected) in [("sess:", "holds 'sess:', which puts this pipeline's keys among the keys of a pipeline without a prefix"),
                                   ("a:sess:", "of a pipeline whose prefix is 'a:'"), ("events:", "ends with 'events:'"),
                                   ("film:events:", "the events keys of a pipeline whose prefix is 'film:'"), ("events:sess:", "holds 'sess:'")] {
            let said = try warnings(source("sink:\n  kind: redis\n  key_prefix: '\(prefix)'\n")).filter { $0.hasPrefix("sink.key_prefix '\(prefix)' ") }
            #expect(said.count == 1 && said[0].contains(expected) && said[0].contains("a run into a Redis database holding that pipeline's history is refused"), "\(prefix): \(said)")
        }
        for prefix in ["funnel:", "film:", "events-", "my:events:x:"] {
            #expect(try warnings(source("sink:\n  kind: redis\n  key_prefix: '\(prefix)'\n")).isEmpty, "\(prefix)")
        }
    }

    @Test func aBadRedisURLNamesWhereItWasWritten() throws {
        let pipeline = try PipelineLoader.parse(source("sink:\n  kind: redis\n  url: http://x\n"), file: Self.file)
        #expect(throws: PipelineError.self) { try SessionInspector(pipeline: pipeline, redisURL: nil) }
        do {
            _ = try SessionInspector(pipeline: pipeline, redisURL: nil)
        } catch {
            #expect(error.description.hasPrefix("\(Self.file): sink.url: "), "\(error.description)")
        }
        do {
            _ = try SessionInspector(pipeline: pipeline, redisURL: "http://y")
        } catch {
            #expect(error.description.hasPrefix("--redis-url: "), "\(error.description)")
        }
    }

    /// `~` is no home folder to funnel: refused where a path is written.
    @Test(arguments: ["sink:\n  output: ~/funnel-out\n", "geo:\n  database: ~/GeoLite2-City.mmdb\n", ""])
    func aPathBeginningWithTildeIsRefused(_ extra: String) {
        let text = extra.isEmpty ? source(paths: "[\"~/logs/e-{date}.ndjson\"]") : source(extra)
        let message = failure(text)
        #expect(message.contains("begins with ~, which funnel does not expand"), "\(message)")
        #expect(message.contains("line "), "\(message)")
    }

    /// YAML's merge key is said as unsupported, not as a typo (Yams gives the merged mapping
    /// no position, so the line is the enclosing key's).
    @Test func aMergeKeyIsSaidUnsupported() {
        let message = failure("sources:\n  - &base\n    kind: ndjson\n    paths: [a.ndjson]\n  - <<: *base\n    paths: [b.ndjson]\n")
        #expect(message.contains("'<<' is not a known key in sources[1] (YAML's merge key is not supported"), "\(message)")
        let underSink = failure(source("sink:\n  kind: ndjson\n  <<: {output: out}\n"))
        #expect(underSink.contains("line 6: '<<' is not a known key in sink (YAML's merge key"), "\(underSink)")
    }

    /// A plain number under a minute is seconds, and said; `30m` and `90` are not.
    @Test func aTimeoutOfPlainSecondsUnderAMinuteIsSaid() throws {
        #expect(try warnings(source("sessions:\n  timeout: 30\n")) == ["sessions.timeout is 30: a plain number is seconds; if minutes were meant, write 30m"])
        #expect(try warnings(source("sessions:\n  max_duration: 24\n")).contains { $0.hasPrefix("sessions.max_duration is 24") })
        #expect(try warnings(source("sessions:\n  timeout: 30m\n  max_duration: 90\n")).isEmpty)
    }

    /// A Redis sink's `ttl` of plain seconds under a day is said (rv70c: `ttl: 30` meant as
    /// days expired the keys half a minute after loading, without a word); `90d` and a day's
    /// seconds are not.
    @Test func aTTLOfPlainSecondsUnderADayIsSaid() throws {
        let redis = "sink:\n  kind: redis\n  url: redis://127.0.0.1:6379/0\n"
        #expect(try warnings(source(redis + "  ttl: 30\n")) == ["sink.ttl is 30: a plain number is seconds, so the keys expire 30 s after loading; if days were meant, write 30d"])
        #expect(try warnings(source(redis + "  ttl: 90d\n")).isEmpty)
        #expect(try warnings(source(redis + "  ttl: 86400\n")).isEmpty)
    }

    /// A number left without its unit is no duration, and a number too long for any unit is
    /// too long (rv70c: both were "not a positive duration").
    @Test func aDurationsFaultIsNamed() {
        let unitless = failure(source("sessions:\n  timeout: 1h30\n"))
        #expect(unitless.contains("sessions.timeout: '1h30' is not a duration: a number after a unit needs its own unit"), "\(unitless)")
        let huge = failure(source("sessions:\n  max_duration: 99999999999999999999h\n"))
        #expect(huge.contains("is longer than 100 years"), "\(huge)")
        let zero = failure(source("sessions:\n  timeout: 0m\n"))
        #expect(zero.contains("'0m' is not a positive duration"), "\(zero)")
        // A plain 0 too (rv72a: it was said to need its unit).
        let plainZero = failure(source("sessions:\n  timeout: 0\n"))
        #expect(plainZero.contains("'0' is not a positive duration"), "\(plainZero)")
    }

    /// An event name mapped to funnel's in the wrong case is said; custom names are not.
    @Test func anEventNameInTheWrongCaseIsSaid() throws {
        let said = try warnings(source("    event_names: {\"Order Completed\": purchase, \"Checkout\": initiate_checkout}\n"))
        #expect(said.contains { $0.contains("maps 'Order Completed' to 'purchase'") && $0.hasSuffix("write Purchase to have it counted as one") }, "\(said)")
        #expect(said.contains { $0.contains("write InitiateCheckout") }, "\(said)")
        #expect(try warnings(source("    event_names: {\"Order Completed\": Purchase, \"Donation Made\": Donation}\n")).isEmpty)
    }

    /// A path pattern that cannot match a request's path is said.
    @Test func anExcludedPathWithoutItsSlashIsSaid() throws {
        #expect(try warnings(source("filters:\n  exclude_paths: [healthz, /api/*, \"*.php\"]\n"))
                == ["filters.exclude_paths[0] 'healthz' does not begin with / or *, and every path does: it matches nothing; write /healthz"])
    }

    /// Date placeholders that would name one file every day, or none, are refused.
    @Test(arguments: [("[\"e-{date:Y}.ndjson\"]", "has no % directive"), ("[\"e-{Date}.ndjson\"]", "written in lower case"),
                      ("[\"e-{DATE:%Y}.ndjson\"]", "written in lower case")])
    func aDatePlaceholderThatNamesNoDayIsRefused(_ paths: String, _ said: String) {
        let message = failure(source(paths: paths))
        #expect(message.contains("line 3: sources[0].paths[0]: "), "\(message)")
        #expect(message.contains(said), "\(message)")
    }

    /// `{date:%%Y}` is a literal `%Y`: refused as no day; `{date:%Y%%}` names days.
    @Test func aLiteralPercentIsNoDirective() throws {
        #expect(failure(source(paths: "[\"e-{date:%%Y}.ndjson\"]")).contains("has no % directive"))
        _ = try PipelineLoader.parse(source(paths: "[\"e-{date:%Y%%}.ndjson\"]"), file: Self.file)
    }

    /// `Combined` is said as the named format in the wrong case.
    @Test func aNamedFormatInTheWrongCaseIsSaid() {
        let message = failure("sources:\n  - kind: access_log\n    format: Combined\n    paths: [a.log]\n")
        #expect(message.contains("the named formats are written in lower case: combined"), "\(message)")
    }

    /// A Redis URL written under another key is quoted without its password (rv74a:
    /// `sink.kind: redis://u:PwLeak1@...` put the password on stderr and in `--summary-json`).
    @Test func aURLQuotedInAMessageHasNoPassword() throws {
        let message = failure(source("sink:\n  kind: redis://u:PwLeak1@127.0.0.1:7931/0\n"))
        #expect(message.contains("'redis://u:***@127.0.0.1:7931/0'") && !message.contains("PwLeak1"), "\(message)")
        let host = failure(source("site:\n  hosts: [\"redis://:P%40ss@[::1]:6379/0\"]\n"))
        #expect(host.contains("'redis://:***@[::1]:6379/0' is not a host name") && !host.contains("P%40ss"), "\(host)")
        // As `RedisURLError` masks one (rv74d: these were quoted whole).
        for (written, said) in [("redis://u:sec/ret@127.0.0.1:6379/0", "redis://u:***@127.0.0.1:6379/0"), ("u:secret@127.0.0.1:6379", "u:***@127.0.0.1:6379"),
                                ("redis://127.0.0.1:6379/0?password=secret", "redis://127.0.0.1:6379/0?password=***"), ("redis://secret@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0")] {
            let message = failure(source("sink:\n  kind: \"\(written)\"\n"))
            #expect(message.contains("sink.kind '\(said)' is not available") && !message.contains("sec/ret") && !message.contains("secret"), "\(message)")
        }
        // A quote inside the password does not end the value (rv74e: both were quoted whole).
        for written in ["redis://u:topsecret'@h", "redis://u:top' secret@h/0"] {
            let message = failure(source("sink:\n  kind: \"\(written)\"\n"))
            #expect(message.contains("sink.kind 'redis://u:***@h") && !message.contains("top"), "\(message)")
        }
        // An unquoted URL, as a path given on the command line is said (rv74e: fba525b masked
        // it, 128cbdf did not).
        #expect(PipelineError("--input redis://u:s3cr3t@h/x.log: No such file or directory").description == "--input redis://u:***@h/x.log: No such file or directory")
        // funnel's own advice, unquoted, is left as written (rv74d: it became "redis://user:***@host").
        do {
        let url = try RedisURL("redis://alice@127.0.0.1:6379/0", environment: [:])
        Issue.record("a user without a password was taken: \(url)")
        } catch {
            let advice = PipelineError("nightly.yaml: sink.url: \(error)").description
            #expect(advice.contains("'redis://***@127.0.0.1:6379/0'") && advice.contains("add the password after a colon (redis://user:password@host:port/db"), "\(advice)")
        }
    }

    /// Any other word where a format belongs is a misspelt name, and the names are said (rv74a).
    @Test func aMisspeltFormatNameIsSaid() {
        let message = failure("sources:\n  - kind: access_log\n    format: combinde\n    paths: [a.log]\n")
        #expect(message.contains("log format \"combinde\" has no $variables; name combined or common, or give an nginx log_format"), "\(message)")
    }

    /// A schema or sink named in capitals is said as such (rv75d: "not available in this
    /// version" sent a user to look for an upgrade); an unknown name still lists the names.
    @Test func aNameInCapitalsIsSaid() {
        #expect(failure(source() + "schema: ENHANCED\n").contains("schema 'ENHANCED': names are written in lower case, 'enhanced'"))
        #expect(failure(source() + "sink:\n  kind: CSV\n").contains("sink.kind 'CSV': names are written in lower case, 'csv'"))
        #expect(failure(source() + "schema: full\n").contains("schema 'full' is not available in this version; use: mvp, enhanced"))
        // A source's kind and dialect too (rv75h: `kind: NDJSON` was "use access_log or ndjson").
        #expect(failure("sources:\n  - kind: NDJSON\n    paths: [\"e.ndjson\"]\n").contains("sources[0].kind 'NDJSON': names are written in lower case, 'ndjson'"))
        #expect(failure("sources:\n  - kind: ndjson\n    dialect: Segment\n    paths: [\"e.ndjson\"]\n").contains("sources[0].dialect 'Segment': names are written in lower case, 'segment'"))
    }

    /// Aliases that expand the file past `nodeLimit` nodes are refused before Yams composes
    /// it (rv74a: ten nested lists of ten aliases, 600 bytes, crashed the run for want of
    /// memory, exit 134; rv74d: one of them as a mapping key spun for an hour in Yams's
    /// hashing of keys, before a count made after composing); aliases used as intended load.
    @Test func aliasesThatExpandPastTheLimitAreRefused() throws {
        var text = "a0: &a0 [\(Array(repeating: "x", count: 10).joined(separator: ","))]\n"
        for level in 1...9 { text += "a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ","))]\n" }
        let refusal = "more than \(PipelineLoader.nodeLimit) YAML nodes, each alias (*name) counted as the nodes it stands for"
        let message = failure(text + source(paths: "*a9"))
        #expect(message.contains(refusal), "\(message)")
        // A key that is no word is refused before Yams hashes it whole, once for each mapping
        // around it (rv74d: `? *a7 : 1` spun 33 s; rv74e: 990 nested explicit keys of a
        // 78,000-node alias, 10 KB, 16.6 s).
        let small = text.split(separator: "\n").prefix(4).joined(separator: "\n") + "\n"  // a3: 11,111 nodes
        let nested = String(repeating: "{ ? ", count: 300) + "&a4 [*a3, *a3]" + String(repeating: " : 1 }", count: 300)
        for (shape, line) in [("m: {? *a3 : 1}\n", 5), ("? *a3\n: 1\n", 5), ("z: " + nested + "\n", 5), ("? [a, b]\n: 1\n", 5)] {
            let keyed = failure(small + shape + source())
            #expect(keyed.contains("line \(line): a key is a list, a mapping or an alias (*name)"), "\(shape.prefix(30)): \(keyed)")
        }
        // A second document is Yams's to refuse, whatever its size (rv74e).
        #expect(failure(source() + "---\n" + text).contains("not valid YAML"))
        // A list written out past the limit is counted alike.
        let hosts = (0...PipelineLoader.nodeLimit).map { "h\($0).example" }.joined(separator: ", ")
        #expect(failure(source("site:\n  hosts: [\(hosts)]\n")).contains(refusal))
        // A list shared through an alias, the pipeline's few nodes.
        let shared = try PipelineLoader.parse(
            "sources:\n  - kind: ndjson\n    paths: &days [a.ndjson, b.ndjson]\n  - kind: access_log\n    format: combined\n    paths: *days\n",
            file: Self.file)
        #expect(shared.sources.map(\.paths.count) == [2, 2])
    }

    /// A section whose keys are commented out is empty, its defaults kept.
    @Test func aSectionLeftEmptyKeepsItsDefaults() throws {
        let pipeline = try PipelineLoader.parse(source("filters:\n#  exclude_paths: [/api/*]\nsessions:\nsink: ~\n"), file: Self.file)
        #expect(pipeline.excludedPaths.isEmpty)
        #expect(pipeline.sessions.timeoutMillis == 30 * 60_000)
        #expect(pipeline.sink.kind == .ndjson)
    }

    /// An item of a list or mapping is said at its own line.
    @Test func anItemIsSaidAtItsLine() {
        #expect(failure(source("site:\n  hosts:\n    - film.example\n    - https://film.example\n")).contains("line 7: site.hosts[1] 'https://film.example' is not a host name"))
        #expect(failure(source("schema: enhanced\ncontent_slots:\n  trailer: trailer*\n  bad-slot: x*\n")).contains("line 7: content_slots.bad-slot is no slot"))
    }
}
