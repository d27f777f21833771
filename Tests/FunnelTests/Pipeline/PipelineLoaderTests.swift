import FunnelCore
import FunnelPipeline
import FunnelTestSupport
import Testing

/// Pipeline files (SPEC 12): what parses, and what fails with a message naming the key.
struct PipelineLoaderTests {
    static let file = "/srv/funnel/pipelines/nightly.yaml"

    /// The example of SPEC 12, verbatim except for the `geo` block, which is optional.
    static let specExampleWithoutGeo = """
        sources:
          - kind: access_log
            format: combined            # common | combined | an nginx log_format string
            paths: ["logs/access-*-{date}.log.gz"]
            visitor_cookie: vid         # optional: cookie variable holding the visitor id
            session_cookie: sid         # optional: cookie variable holding the client session id
          - kind: ndjson
            dialect: canonical          # canonical | posthog | segment
            paths: ["events/events-{date}.ndjson.gz"]
        site:
          hosts: [film.example]         # referrers from these hosts are internal
        identity:
          salt: ""                      # HMAC key of the fingerprint
        sessions:
          timeout: 30m
          max_duration: 24h
        schema: mvp                     # mvp | enhanced
        sink:
          kind: redis                   # redis | ndjson | csv | resp
          url: redis://127.0.0.1:6379/0
          output: out/                  # folder of the flat-file sinks and of rejects.ndjson

        """

    static let geoBlock = """
        geo:
          database: /usr/share/GeoIP/GeoLite2-City.mmdb   # optional MaxMind DB

        """

    private func parse(_ text: String, file: String = file) throws -> Pipeline {
        try PipelineLoader.parse(text, file: file)
    }

    /// The error message of a pipeline that must not load.
    private func failure(_ text: String, file: String = file, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            let pipeline = try PipelineLoader.parse(text, file: file)
            Issue.record("expected an error, got a pipeline with \(pipeline.sources.count) sources", sourceLocation: sourceLocation)
            return ""
        } catch {
            return error.description
        }
    }

    private func minimal(_ extra: String = "", source: String = "") -> String {
        """
        sources:
          - kind: access_log
            paths: [access.log]
        \(source)
        \(extra)
        """
    }

    // MARK: - The SPEC 12 example

    @Test func specExampleParses() throws {
        let pipeline = try parse(Self.specExampleWithoutGeo)
        #expect(pipeline.file == Self.file)
        try #require(pipeline.sources.count == 2)
        let log = pipeline.sources[0]
        #expect(log.kind == .accessLog)
        #expect(log.format == "combined")
        #expect(log.paths == ["/srv/funnel/pipelines/logs/access-*-{date}.log.gz"])
        #expect(log.visitorCookie == "vid")
        #expect(log.sessionCookie == "sid")
        let events = pipeline.sources[1]
        #expect(events.kind == .ndjson)
        #expect(events.dialect == "canonical")
        #expect(events.paths == ["/srv/funnel/pipelines/events/events-{date}.ndjson.gz"])
        #expect(events.visitorCookie == nil)
        #expect(pipeline.siteHosts == ["film.example"])
        #expect(pipeline.salt == "")
        #expect(pipeline.sessions.timeoutMillis == 30 * 60 * 1000)
        #expect(pipeline.sessions.maxDurationMillis == 24 * 60 * 60 * 1000)
        #expect(pipeline.schema == .mvp)
        #expect(pipeline.sink.kind == .redis)
        #expect(pipeline.sink.url == "redis://127.0.0.1:6379/0")
        #expect(pipeline.sink.output == "/srv/funnel/pipelines/out")
    }

    /// Without `country_variable`/`city_variable`, a well-known variable the format holds is
    /// read (a `$geoip2_data_country_code` was dropped without a word); Cloudflare's first; a
    /// setting wins.
    @Test func aWellKnownCountryVariableOfTheFormatIsRead() throws {
        func source(_ format: String, _ extra: String = "") throws -> Pipeline.Source {
            try parse("sources:\n  - kind: access_log\n    format: '\(format)'\n    paths: [a.log]\n\(extra)").sources[0]
        }
        let geo = try source("$remote_addr [$time_local] \"$request\" $status $geoip2_data_country_code \"$geoip2_data_city_name\"")
        #expect(geo.countryVariable == "geoip2_data_country_code" && geo.cityVariable == "geoip2_data_city_name")
        let both = try source("$remote_addr [$time_local] \"$request\" $status $geoip_country_code $http_cf_ipcountry")
        #expect(both.countryVariable == "http_cf_ipcountry" && both.cityVariable == "http_cf_ipcity")
        let set = try source("$remote_addr [$time_local] \"$request\" $status $geoip_country_code $http_x_cc", "    country_variable: http_x_cc\n")
        #expect(set.countryVariable == "http_x_cc")
        #expect(try source("combined").countryVariable == "http_cf_ipcountry")
    }

    /// What access logs cannot tell without help is said at load: the `common` format's missing
    /// referrer and agent, and, for the enhanced schema's channels, self-referrals without
    /// `$host` or `site.hosts` (both passed without a word; a review). A format with `$host`,
    /// or listed hosts, says nothing.
    @Test func whatAnAccessLogCannotTellIsSaid() throws {
        func warnings(_ format: String, hosts: Bool = false) throws -> [String] {
            try parse("sources:\n  - kind: access_log\n    format: '\(format)'\n    paths: [a.log]\nschema: enhanced\n" + (hosts ? "site:\n  hosts: [film.example]\n" : "")).loadWarnings.map(\.text)
        }
        #expect(try warnings("common").first?.hasPrefix("sources[0] reads the common format, which holds no referrer and no user agent") == true)
        #expect(try warnings("combined").first?.hasPrefix("sources[0]'s log format has no $host and site.hosts is empty") == true)
        #expect(try warnings("combined", hosts: true).isEmpty)
        #expect(try warnings("$host $remote_addr [$time_local] \"$request\" $status \"$http_referer\"").isEmpty)
        #expect(try warnings("$remote_addr [$time_local] \"$request\" $status").isEmpty, "no referrer: nothing to mistake")
        // The mvp schema writes no source, medium or referrer: nothing to say.
        #expect(try parse("sources:\n  - kind: access_log\n    paths: [a.log]\n").loadWarnings.isEmpty)
    }

    /// With `hash_tags`, a brace in `key_prefix` would be the keys' hash tag in a Cluster:
    /// said (a pipeline that loaded before still loads: one server does not hash keys).
    @Test func aBraceInTheKeyPrefixOfHashTaggedKeysIsSaid() throws {
        func warnings(_ sink: String) throws -> [String] { try parse(minimal(sink)).loadWarnings.map(\.text) }
        #expect(try warnings("sink:\n  kind: redis\n  key_prefix: 'x{'\n  hash_tags: true").contains { $0.hasPrefix("sink.key_prefix 'x{' holds a brace, and sink.hash_tags is true") })
        #expect(try warnings("sink:\n  kind: redis\n  key_prefix: '{t}:'\n  hash_tags: true").contains { $0.contains("holds a brace") })
        #expect(try !warnings("sink:\n  kind: redis\n  key_prefix: '{t}:'").contains { $0.contains("holds a brace") })
        #expect(try !warnings("sink:\n  kind: redis\n  key_prefix: 'film:'\n  hash_tags: true").contains { $0.contains("holds a brace") })
    }

    /// `event_names` maps an export's event names to funnel's, for ndjson sources only.
    @Test func eventNamesAreReadForNDJSONSources() throws {
        let pipeline = try parse("sources:\n  - kind: ndjson\n    dialect: posthog\n    paths: [e.ndjson]\n    event_names: {purchase: Purchase, \"Order Completed\": Purchase}\n")
        #expect(pipeline.sources[0].eventNames == ["purchase": "Purchase", "Order Completed": "Purchase"])
        #expect(failure(minimal(source: "    event_names: {a: Purchase}")).contains("ndjson sources only"))
        #expect(failure("sources:\n  - kind: ndjson\n    paths: [e.ndjson]\n    event_names: [Purchase]\n").contains("event_names maps"))
        #expect(failure("sources:\n  - kind: ndjson\n    paths: [e.ndjson]\n    event_names: {a: ''}\n").contains("both not empty"))
    }

    /// A file a Windows editor saved with a byte order mark reads as the same file without it
    /// (it was "not valid YAML"); the mark's line is still line 1.
    @Test func aByteOrderMarkIsNotPartOfTheFile() throws {
        let pipeline = try parse("\u{FEFF}" + Self.specExampleWithoutGeo)
        #expect(pipeline.sources.count == 2)
        #expect(pipeline.sink.url == "redis://127.0.0.1:6379/0")
        #expect(failure("\u{FEFF}sources:\n  - kind: acess_log\n").contains("line 2"))
    }

    /// The example names cookies for the `combined` format, which holds none: it loads (it
    /// must work as written), and says that the cookies are never found; a format with them
    /// says nothing.
    @Test func cookiesAFormatCannotHoldAreSaid() throws {
        let warnings = try parse(Self.specExampleWithoutGeo).loadWarnings.map(\.text)
        #expect(warnings.count == 2)
        #expect(warnings.first?.hasPrefix("sources[0].visitor_cookie 'vid' is never found: the combined format holds no cookies") == true, "\(warnings)")
        #expect(warnings.last?.contains("session_cookie 'sid'") == true)
        let withCookies = Self.specExampleWithoutGeo.replacingAll("format: combined ", with: #"format: '$remote_addr [$time_local] "$request" $status "$cookie_vid" "$http_cookie"'"#)
        #expect(try parse(withCookies).loadWarnings.isEmpty)
    }

    /// Content slots are fields of the enhanced schema: with the MVP schema (the default)
    /// they are said to be unused (they were ignored without a word; a review).
    @Test func contentSlotsOfTheMVPSchemaAreSaid() throws {
        let file = "sources:\n  - kind: ndjson\n    paths: [ev.ndjson]\ncontent_slots:\n  intro: \"intro*\"\n"
        let warnings = try parse(file).loadWarnings
        #expect(warnings.map(\.text) == ["content_slots are fields of the enhanced schema, and this pipeline's schema is mvp: they are not used; set schema: enhanced to have them"])
        #expect(warnings.first?.kind == nil)
        #expect(try parse(file + "schema: enhanced\n").loadWarnings.isEmpty)
    }

    /// The database is opened by the run (a missing one fails there, at start); the loader
    /// keeps its absolute path.
    @Test func specExampleWithGeoDatabaseKeepsItsPath() throws {
        let pipeline = try parse(Self.specExampleWithoutGeo + Self.geoBlock)
        #expect(pipeline.geoDatabase == "/usr/share/GeoIP/GeoLite2-City.mmdb")
    }

    @Test func enhancedSchemaWithSlotsInOrder() throws {
        let text = Self.specExampleWithoutGeo.replacingAll("schema: mvp", with: "schema: enhanced\ncontent_slots:\n  teaser: \"teaser*\"\n  trailer: \"trailer*\"")
        let pipeline = try parse(text)
        #expect(pipeline.schema == .enhanced)
        #expect(pipeline.slots.map(\.name) == ["teaser", "trailer"])
        #expect(pipeline.slots.map(\.pattern) == ["teaser*", "trailer*"])
    }

    @Test func unknownSchemaFailsListingTheSchemas() {
        let message = failure(Self.specExampleWithoutGeo.replacingAll("schema: mvp", with: "schema: fancy"))
        #expect(message.contains("fancy"))
        #expect(message.contains("mvp"))
        #expect(message.contains("enhanced"))
    }

    /// A date format funnel cannot fill in is refused when the file loads, naming it; until
    /// 2026-12-05 it stayed in the path as written and the run found no file.
    @Test(arguments: [
        ("acc-{date:%a}.log", "holds %a"), ("acc-{date:}.log", "{date:} has no format"), ("acc-{date:%Y%}.log", "a % at its end"),
        ("acc-{date:%Y%m%d.log", "unclosed"), ("acc-{dates}.log", "write {date} or {date:%Y%m%d}"),
    ])
    func aDateFormatItCannotFillIsRefused(path: String, words: String) {
        let message = failure("""
            sources:
              - kind: access_log
                paths: ["\(path)"]
            """)
        #expect(message.contains(words), "\(message)")
        #expect(message.contains("sources[0].paths"), "\(message)")
    }

    @Test func everyDateFormatItFillsLoads() throws {
        let pipeline = try parse("""
            sources:
              - kind: access_log
                paths: ["a-{date}.log", "b-{date:%Y%m%d}.log", "c-{date:%y-%j}-{date:%b%e}-100%%.log"]
            """)
        #expect(pipeline.sources[0].paths.count == 3)
    }

    @Test func defaultsOfAMinimalFile() throws {
        let pipeline = try parse(minimal())
        #expect(pipeline.sources.count == 1)
        #expect(pipeline.sources[0].format == "combined")
        #expect(pipeline.sources[0].visitorCookie == nil)
        #expect(pipeline.salt == "")
        #expect(pipeline.sessions.timeoutMillis == 1_800_000)
        #expect(pipeline.sessions.maxDurationMillis == 86_400_000)
        #expect(pipeline.schema == .mvp)
        #expect(pipeline.sink.output == "/srv/funnel/pipelines/out")
        #expect(pipeline.excludedPaths.isEmpty)
        #expect(pipeline.maxRejectRate == 0.01)
    }

    @Test func filtersAndLimits() throws {
        let pipeline = try parse(minimal("""
            filters:
              exclude_paths: ["/healthz", "/api/*"]
              bot_patterns: [InternalProbe]
            limits:
              max_reject_rate: 0.05
              max_line_length: 131072
            identity:
              salt: "s3cret-salt"
            """))
        #expect(pipeline.excludedPaths == ["/healthz", "/api/*"])
        #expect(pipeline.botPatterns == ["InternalProbe"])
        #expect(pipeline.maxRejectRate == 0.05)
        #expect(pipeline.maxLineLength == 131_072)
        #expect(pipeline.salt == "s3cret-salt")
        #expect(pipeline.keyFilterBytes == 64 << 20, "the key filter's default bound")
    }

    /// `limits.key_filter_bytes` bounds the history's key filter: a byte count from 64 KiB
    /// to 256 MiB, and anything else is named with the range.
    @Test func keyFilterBound() throws {
        #expect(try parse(minimal("limits:\n  key_filter_bytes: 134217728")).keyFilterBytes == 128 << 20)
        #expect(try parse(minimal("limits:\n  key_filter_bytes: 65536")).keyFilterBytes == 65_536)
        #expect(try parse(minimal("limits:\n  key_filter_bytes: 268435456")).keyFilterBytes == Pipeline.maximumKeyFilterBytes)
        for bad in ["65535", "0", "-1", "64MiB", "268435457", "17179869184", "1e9"] {
            let message = failure(minimal("limits:\n  key_filter_bytes: \(bad)"))
            #expect(message.contains("limits.key_filter_bytes must be a byte count from 65536 to 268435456"), "\(bad): \(message)")
        }
    }

    /// `limits.warn_visitor_records` is a whole number of at least 1, 100,000 unless set.
    @Test func warnVisitorRecords() throws {
        #expect(try parse(minimal("")).warnVisitorRecords == 100_000)
        #expect(try parse(minimal("limits:\n  warn_visitor_records: 5000")).warnVisitorRecords == 5_000)
        for bad in ["0", "-3", "1e5", "many"] {
            let message = failure(minimal("limits:\n  warn_visitor_records: \(bad)"))
            #expect(message.contains("limits.warn_visitor_records must be a whole number of at least 1"), "\(bad): \(message)")
        }
    }

    // MARK: - Unknown keys

    @Test func unknownTopLevelKeyIsNamedWithTheAllowedOnes() {
        let message = failure(minimal("sesions:\n  timeout: 30m"))
        #expect(message.contains("'sesions'"))
        #expect(message.contains("sessions"))
        #expect(message.contains("sources"))
        #expect(message.contains("sink"))
    }

    @Test func unknownNestedKeyIsNamedWithTheAllowedOnes() {
        let message = failure(minimal("sessions:\n  timout: 30m"))
        #expect(message.contains("'timout'"))
        #expect(message.contains("timeout"))
        #expect(message.contains("max_duration"))
        #expect(message.contains(Self.file))
    }

    @Test func unknownSourceKeyIsNamed() {
        let message = failure("""
            sources:
              - kind: access_log
                path: [access.log]
            """)
        #expect(message.contains("'path'"))
        #expect(message.contains("sources[0]"))
        #expect(message.contains("paths"))
    }

    /// A key of the other kind of source would be ignored; it is refused, naming the key, the
    /// kind it belongs to and the source's own.
    @Test(arguments: [
        ("ndjson", "format: combined"), ("ndjson", "visitor_cookie: vid"), ("ndjson", "session_cookie: sid"),
        ("ndjson", "country_variable: http_cf_ipcountry"), ("ndjson", "city_variable: http_cf_ipcity"), ("access_log", "dialect: segment"),
    ])
    func aSettingOfTheOtherSourceKindIsRefused(_ kind: String, _ setting: String) {
        let key = String(setting.prefix { $0 != ":" })
        let message = failure("sources:\n  - kind: \(kind)\n    \(setting)\n    paths: [a.log]")
        let owner = kind == "ndjson" ? "access_log" : "ndjson"
        #expect(message.contains("sources[0].\(key) applies to \(owner) sources only, and this source is \(kind): remove it"), "\(message)")
    }

    // MARK: - Lines

    /// A message naming a key path names the line the key is written on (the owner's line
    /// for a key that is missing), so a long file's fault is found without counting sources.
    @Test(arguments: [
        ("sources:\n  - kind: ndjson\n    paths: [a]\n  - kind: ndjson\n    dialect: amplitude\n    paths: [b]", 5, "sources[1].dialect is 'amplitude'"),
        ("sources:\n  - kind: ndjson\n    paths: [a]\n  - paths: [b]", 4, "sources[1].kind is missing"),
        ("sources:\n  - kind: ndjson\n    paths: [a]\nsessions:\n  max_duration: 1h\n  timout: 30m", 6, "'timout' is not a known key in sessions"),
        ("# the night's pipeline\nsesions: {}\nsources:\n  - kind: ndjson\n    paths: [a]", 2, "'sesions' is not a known key in the top level"),
        ("sources:\n  - kind: ndjson\n    paths: [a]\nsink:\n  kind: redis\n\n  gzip: true", 7, "sink.gzip applies to the flat-file sinks"),
        ("sources:\n  - kind: ndjson\n    paths:\n      - a\n      - \"\"", 5, "sources[0].paths[1] is empty"),
    ])
    func aMessageNamesTheLineOfItsKey(_ text: String, _ line: Int, _ words: String) {
        let message = failure(text)
        #expect(message.hasPrefix("\(Self.file): line \(line): \(words)"), "\(message)")
    }

    /// A message about the whole file has no line to name and keeps its words.
    @Test func aMessageWithoutAKeyNamesNoLine() {
        let message = failure("schema: mvp")
        #expect(message == "\(Self.file): 'sources' is missing: name at least one input", "\(message)")
    }

    /// A source without `kind` says it is missing (it said "kind is ''"); a wrong one is quoted.
    @Test func aMissingOrUnknownKindIsNamed() {
        #expect(failure("sources:\n  - paths: [a.log]").contains("sources[0].kind is missing; use access_log or ndjson"))
        #expect(failure("sources:\n  - kind: csv\n    paths: [a.log]").contains("sources[0].kind is 'csv'; use access_log or ndjson"))
    }

    @Test func eachSourceKeepsTheSettingsOfItsOwnKind() throws {
        let pipeline = try PipelineLoader.parse("""
            sources:
              - kind: access_log
                format: '$remote_addr [$time_local] "$request" $status "$http_cookie" "$http_cf_ipcountry"'
                visitor_cookie: vid
                session_cookie: sid
                country_variable: $http_cf_ipcountry
                paths: [a.log]
              - kind: ndjson
                dialect: segment
                paths: [e.ndjson]
            """, file: Self.file)
        #expect(pipeline.sources[0].visitorCookie == "vid" && pipeline.sources[0].countryVariable == "http_cf_ipcountry")
        #expect(pipeline.sources[1].dialect == "segment")
    }

    @Test func gzipIsForFlatFileSinks() throws {
        #expect(try PipelineLoader.parse(minimal("sink:\n  kind: csv\n  gzip: true"), file: Self.file).sink.gzip)
        #expect(try !PipelineLoader.parse(minimal("sink:\n  kind: ndjson"), file: Self.file).sink.gzip)
        let message = failure(minimal("sink:\n  kind: redis\n  gzip: true"))
        #expect(message.contains("sink.gzip applies to the flat-file sinks (ndjson, csv, resp), and sink.kind is redis"), "\(message)")
        // A run whose --sink makes it a Redis load refuses it too, before anything is written.
        var pipeline = try PipelineLoader.parse(minimal("sink:\n  kind: ndjson\n  gzip: true"), file: Self.file)
        pipeline.sink.gzip = true
        var options = RunOptions()
        options.sink = .redis
        #expect(throws: PipelineError.self) { _ = try Runner(pipeline: pipeline, options: options, report: { _ in }).run() }
    }

    @Test func unknownSinkKeyIsNamed() {
        let message = failure(minimal("sink:\n  kind: ndjson\n  ouput: out/"))
        #expect(message.contains("'ouput'"))
        #expect(message.contains("output"))
    }

    /// `site.hosts` holds host names as referrers name them: a URL, a path or a port is
    /// refused (it matched no referrer, and was accepted without a word until 2026-12-06; a
    /// review); case and a root dot are no part of a host.
    @Test(arguments: ["https://film.example", "film.example:443", "film.example/donate", "film example",
                      ".film.example", "film..example", "-", ".", "bücher.example"])
    func siteHostsThatAreNoHostsAreRefused(_ host: String) {
        let message = failure(minimal("site:\n  hosts: [\"\(host)\"]"))
        #expect(message.contains("site.hosts") && message.contains("not a host name"), "\(message)")
    }

    @Test func siteHostsAreReadInLowerCaseWithoutARootDot() throws {
        let pipeline = try parse(minimal("site:\n  hosts: [Film.Example., www.film.example, my_site.example, xn--bcher-kva.example]"))
        #expect(pipeline.siteHosts == ["film.example", "www.film.example", "my_site.example", "xn--bcher-kva.example"])
    }

    // MARK: - Durations

    @Test(arguments: [
        ("30m", Int64(1_800_000)), ("24h", 86_400_000), ("90s", 90_000), ("1h30m", 5_400_000), ("7d", 604_800_000),
        ("45", 45_000), ("2h0m30s", 7_230_000),
    ])
    func durations(_ text: String, _ millis: Int64) throws {
        let pipeline = try parse(minimal("sessions:\n  timeout: \"\(text)\"\n  max_duration: \(text)"))
        #expect(pipeline.sessions.timeoutMillis == millis)
        #expect(pipeline.sessions.maxDurationMillis == millis)
    }

    @Test(arguments: ["30 minutes", "m30", "1h30", "30x", "-5m", "0", "0m", "", "1.5h", "h", "1m1m", "30m1h", "1h1h30m"])
    func badDurations(_ text: String) {
        let message = failure(minimal("sessions:\n  timeout: \"\(text)\""))
        #expect(message.contains("sessions.timeout"), "\(message)")
        #expect(message.contains("30m"), "the message shows how to write one: \(message)")
    }

    /// A duration too long to hold is refused with the key named; until 2026-12-05 a plain
    /// number of 17 digits or more crashed the loader (an overflow).
    @Test(arguments: [("sessions:\n  timeout: 9223372036854775807", "sessions.timeout"),
                      ("sessions:\n  max_duration: 3153600001", "sessions.max_duration"),
                      ("sessions:\n  timeout: 36501d", "sessions.timeout"),
                      ("sink:\n  kind: redis\n  ttl: 99999999999999999", "sink.ttl")])
    func aDurationLongerThanACenturyIsRefused(_ extra: String, _ key: String) {
        let message = failure(minimal(extra))
        #expect(message.contains(key) && message.contains("longer than 100 years"), "\(message)")
    }

    @Test func aCenturyIsTheLongestDuration() throws {
        #expect(try parse(minimal("sessions:\n  max_duration: 36500d")).sessions.maxDurationMillis == 36_500 * 86_400_000)
    }

    /// A pipeline file that is not YAML is said by line and problem, quoting none of the file,
    /// which may hold a Redis password and the identity salt (until 2026-12-05 Yams's text of
    /// the whole mapping, or the faulty line, went to stderr and `--summary-json`).
    @Test(arguments: [
        "identity:\n  salt: \"s3cret-salt\"\nsink:\n  url: redis://funnel:Hunter2pass@127.0.0.1:6379/0\nsessions:\n  timeout: 30m\nsessions:\n  max_duration: 24h\n",
        "sink:\n  url: redis://funnel:Hunter2pass@127.0.0.1:6379/0 key: x\nidentity:\n  salt: s3cret-salt\n",
        "identity:\n  salt: \"s3cret-salt\nsink:\n  url: redis://funnel:Hunter2pass@127.0.0.1:6379/0\n",
    ])
    func aFileThatIsNotYAMLIsNotQuoted(_ extra: String) {
        let message = failure(minimal(extra))
        #expect(message.contains("not valid YAML: line "), "\(message)")
        #expect(!message.contains("Hunter2pass") && !message.contains("s3cret"), "\(message)")
    }

    @Test func aDuplicateKeyIsNamedWithItsLine() {
        let message = failure(minimal("sessions:\n  timeout: 30m\nsessions:\n  timeout: 20m"))
        #expect(message.contains("the key 'sessions' is given twice"), "\(message)")
    }

    /// An empty path read the pipeline's own folder, and an empty `sink.output` wrote every
    /// output beside the pipeline file (until 2026-12-05).
    @Test(arguments: ["sources:\n  - kind: ndjson\n    paths: [\"\"]", "sources:\n  - kind: ndjson\n    paths: \"\"",
                      "sources:\n  - kind: ndjson\n    paths: [a.ndjson, \"\"]", "sources:\n  - kind: ndjson\n    paths: [a.ndjson]\nsink:\n  output:"])
    func anEmptyPathIsRefused(_ text: String) {
        let message = failure(text)
        #expect(message.contains("is empty"), "\(message)")
    }

    /// A `country_variable` that the format does not hold is a typo that would drop every
    /// access-log session's country (it loaded until 2026-12-05); the default is not checked.
    @Test func aCountryVariableTheFormatLacksIsRefused() throws {
        let format = #"format: '$remote_addr [$time_local] "$request" $status "$http_user_agent" "$http_cf_ipcountry"'"#
        let typo = failure(minimal(source: "    \(format)\n    country_variable: http_cf_ipcuntry"))
        #expect(typo.contains("sources[0].country_variable 'http_cf_ipcuntry'") && typo.contains("$http_cf_ipcountry"), "\(typo)")
        #expect(failure(minimal(source: "    format: combined\n    country_variable: http_x_country")).contains("country_variable"))
        #expect(try parse(minimal(source: "    \(format)\n    country_variable: $http_cf_ipcountry")).sources[0].countryVariable == "http_cf_ipcountry")
        #expect(try parse(minimal(source: "    format: combined")).sources[0].countryVariable == "http_cf_ipcountry")
    }

    /// `city_variable` as `country_variable`: one the format lacks is refused, the default
    /// is not checked, and it applies to access logs only.
    @Test func aCityVariableTheFormatLacksIsRefused() throws {
        let format = #"format: '$remote_addr [$time_local] "$request" $status "$http_cf_ipcity"'"#
        let typo = failure(minimal(source: "    \(format)\n    city_variable: http_cf_ipcty"))
        #expect(typo.contains("sources[0].city_variable 'http_cf_ipcty' is set, but the log format has no $http_cf_ipcty"), "\(typo)")
        #expect(try parse(minimal(source: "    \(format)\n    city_variable: $http_cf_ipcity")).sources[0].cityVariable == "http_cf_ipcity")
        #expect(try parse(minimal(source: "    format: combined")).sources[0].cityVariable == "http_cf_ipcity")
    }

    @Test func badMaxDurationIsNamed() {
        let message = failure(minimal("sessions:\n  max_duration: soon"))
        #expect(message.contains("sessions.max_duration"))
        #expect(message.contains("soon"))
    }

    // MARK: - Paths

    @Test func relativePathsAreResolvedAgainstThePipelineFolder() throws {
        let text = """
            sources:
              - kind: ndjson
                paths: ["events/e-{date}.ndjson", "/var/log/abs.ndjson", "-", "../shared/x.ndjson"]
            sink:
              kind: ndjson
              output: results/nightly/
            """
        let pipeline = try parse(text, file: "/etc/funnel/p.yaml")
        #expect(pipeline.sources[0].paths == ["/etc/funnel/events/e-{date}.ndjson", "/var/log/abs.ndjson", "-", "/etc/funnel/../shared/x.ndjson"])
        #expect(pipeline.sink.output == "/etc/funnel/results/nightly")

        let absolute = try parse(text.replacingAll("results/nightly/", with: "/data/out"), file: "/etc/funnel/p.yaml")
        #expect(absolute.sink.output == "/data/out")

        // A file named without a folder keeps paths relative to the working directory.
        let bare = try parse(text, file: "p.yaml")
        #expect(bare.sources[0].paths[0] == "events/e-{date}.ndjson")
        #expect(bare.sink.output == "results/nightly")
    }

    @Test func loadResolvesAgainstTheFilesRealFolder() throws {
        let folder = TestFiles.temporaryFolder("pipeline-load")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/p.yaml", minimal())
        let pipeline = try PipelineLoader.load(path: folder + "/p.yaml")
        #expect(pipeline.sources[0].paths == [folder + "/access.log"])
        #expect(pipeline.sink.output == folder + "/out")
    }

    @Test func missingFileIsAPipelineError() {
        let path = "/nonexistent-\(Int.random(in: 0..<1_000_000))/p.yaml"
        do {
            _ = try PipelineLoader.load(path: path)
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.description.contains(path))
        }
    }

    // MARK: - Sources

    @Test func badSourceKindListsTheKinds() {
        let message = failure("""
            sources:
              - kind: csv
                paths: [a.csv]
            """)
        #expect(message.contains("sources[0].kind"))
        #expect(message.contains("'csv'"))
        #expect(message.contains("access_log"))
        #expect(message.contains("ndjson"))
    }

    @Test func missingOrEmptySourcesAreErrors() {
        #expect(failure("schema: mvp").contains("sources"))
        #expect(failure("sources: []").contains("sources"))
        #expect(failure("sources:\n  - kind: ndjson\n    paths: []").contains("paths"))
        #expect(failure("sources:\n  - kind: ndjson").contains("paths"))
    }

    @Test func badDialectListsTheDialects() {
        let message = failure("sources:\n  - kind: ndjson\n    dialect: amplitude\n    paths: [e.ndjson]")
        #expect(message.contains("dialect"))
        #expect(message.contains("amplitude"))
        #expect(message.contains("canonical"))
    }

    @Test(arguments: [
        #"$remote_addr$status"#,           // two variables without a separator
        "no variables at all",
        #"$remote_addr [${time_local"#,    // unclosed ${
        #"$remote_addr $ "$request""#,     // a $ without a name
    ])
    func badAccessLogFormatIsReportedAtLoad(_ format: String) {
        let yaml = "sources:\n  - kind: access_log\n    format: '\(format)'\n    paths: [a.log]"
        let message = failure(yaml)
        #expect(message.contains("sources[0].format"), "\(message)")
    }

    @Test func customFormatWithoutTheNamedCookieIsReportedAtLoad() {
        let format = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_cf_ipcountry""#
        let message = failure("sources:\n  - kind: access_log\n    format: '\(format)'\n    visitor_cookie: vid\n    paths: [a.log]")
        #expect(message.contains("sources[0].format"))
        #expect(message.contains("$cookie_vid"))
    }

    @Test func nginxLogFormatStringIsAccepted() throws {
        let format = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid" "$cookie_sid""#
        let pipeline = try parse("sources:\n  - kind: access_log\n    format: '\(format)'\n    visitor_cookie: vid\n    paths: [a.log]")
        #expect(pipeline.sources[0].format == format)
        #expect(try parse(minimal(source: "    format: common")).sources[0].format == "common")
    }

    @Test func badSinkKindListsTheKinds() {
        let message = failure(minimal("sink:\n  kind: kafka"))
        #expect(message.contains("kafka"))
        #expect(message.contains("redis"))
        #expect(message.contains("ndjson"))
    }

    @Test func invalidYAMLIsAPipelineError() {
        let message = failure("sources: [unclosed")
        #expect(message.contains(Self.file))
        #expect(!message.isEmpty)
    }
}

// MARK: - Days and path templates

struct DayTests {
    private func day(_ text: String) throws -> Day { try Day(parsing: text) }

    @Test func parsesAndFormatsISODates() throws {
        let march = try day("2024-03-01")
        #expect(march.description == "2024-03-01")
        #expect(march.number == 19_783)
        #expect(try day("1970-01-01").number == 0)
        #expect(try day("2024-02-29").description == "2024-02-29")
        #expect(try day("2000-02-29").description == "2000-02-29")
        #expect(try day("2024-12-31") > march)
    }

    @Test(arguments: ["2024-02-30", "2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-01-00", "2024-04-31",
                      "2024-3-1", "20240301", "2024/03/01", "24-03-01", "2024-03-01T00:00", "", "tomorrow", " 2024-03-01",
                      "+024-02-29", "2024-+3-01", "2024-03-+1", "0000-01-01", "-024-01-01"])
    func rejectsWhatIsNotADate(_ text: String) {
        do {
            _ = try Day(parsing: text)
            Issue.record("'\(text)' parsed as a date")
        } catch {
            #expect(error.description.contains("YYYY-MM-DD"))
        }
    }

    @Test func todayAndYesterdayAreUTCDays() throws {
        let now: Int64 = 1_709_251_199_999  // 2024-02-29T23:59:59.999Z
        #expect(try Day(parsing: "today", now: now).description == "2024-02-29")
        #expect(try Day(parsing: "yesterday", now: now).description == "2024-02-28")
        #expect(try Day(parsing: "today", now: now + 1).description == "2024-03-01")
    }

    @Test func strftimeFormats() throws {
        let d = try day("2024-03-05")
        #expect(d.format("%Y%m%d") == "20240305")
        #expect(d.format("%Y/%m/%d") == "2024/03/05")
        #expect(d.format("%y") == "24")
        #expect(d.format("%j") == "065")
        #expect(d.format("%b") == "Mar")
        #expect(d.format("%d-%b-%Y") == "05-Mar-2024")
        #expect(d.format("%e") == " 5")
        #expect(d.format("100%%") == "100%")
        #expect(d.format("%Q") == "%Q")
        #expect(try day("2024-01-01").format("%j") == "001")
        #expect(try day("2024-12-31").format("%j") == "366")
        #expect(try day("2023-12-31").format("%j") == "365")
        #expect(try day("2024-12-25").format("%b %e") == "Dec 25")
        #expect(try day("0999-01-02").format("%Y") == "0999")
    }

    @Test func monthNames() throws {
        let names = try (1...12).map { try day("2024-\($0 < 10 ? "0" : "")\($0)-15").format("%b") }
        #expect(names == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
    }

    @Test func rangesIncludeBothEnds() throws {
        let days = try RunOptions.days(from: day("2024-02-27"), to: day("2024-03-02"))
        #expect(days.map(\.description) == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"])
        #expect(try RunOptions.days(from: day("2024-03-01"), to: day("2024-03-01")).map(\.description) == ["2024-03-01"])
        let newYear = try RunOptions.days(from: day("2023-12-31"), to: day("2024-01-01"))
        #expect(newYear.map(\.description) == ["2023-12-31", "2024-01-01"])
    }

    @Test func rangeWithFromAfterToIsAnError() throws {
        let from = try day("2024-03-02")
        let to = try day("2024-03-01")
        do {
            _ = try RunOptions.days(from: from, to: to)
            Issue.record("from > to gave a range")
        } catch {
            #expect(error.description.contains("--from"))
            #expect(error.description.contains("2024-03-02"))
            #expect(error.description.contains("2024-03-01"))
        }
    }
}

struct PathTemplateTests {
    @Test func fillsDatePlaceholders() throws {
        let day = try Day(parsing: "2024-03-05")
        #expect(try PathTemplate("logs/access-{date}.log.gz").filled(for: day) == "logs/access-2024-03-05.log.gz")
        #expect(try PathTemplate("logs/{date:%Y%m%d}/access.log").filled(for: day) == "logs/20240305/access.log")
        #expect(try PathTemplate("{date:%Y}/{date:%j}/{date}-x-{date:%b}.gz").filled(for: day) == "2024/065/2024-03-05-x-Mar.gz")
        #expect(try PathTemplate("/var/log/nginx/access-*-{date}.log*").filled(for: day) == "/var/log/nginx/access-*-2024-03-05.log*")
    }

    @Test func pathWithoutPlaceholderNeedsNoDay() throws {
        let template = PathTemplate("logs/access.log")
        #expect(!template.hasDate)
        #expect(try template.filled(for: nil) == "logs/access.log")
        #expect(try template.filled(for: Day(parsing: "2024-01-01")) == "logs/access.log")
        #expect(PathTemplate("a-{date:%Y}").hasDate)
    }

    @Test func placeholderWithoutDayIsAnErrorNamingTheFlags() {
        do {
            _ = try PathTemplate("logs/access-{date}.log").filled(for: nil)
            Issue.record("filled without a day")
        } catch {
            #expect(error.description.contains("--date"))
            #expect(error.description.contains("logs/access-{date}.log"))
        }
    }

    @Test(arguments: ["logs/{date", "logs/{date:%Y%m%d.log", "logs/{dates}.log", "logs/{date %Y}.log"])
    func malformedPlaceholdersAreErrors(_ text: String) throws {
        let day = try Day(parsing: "2024-03-05")
        do {
            let filled = try PathTemplate(text).filled(for: day)
            Issue.record("'\(text)' filled as '\(filled)'")
        } catch {
            #expect(error.description.contains(text))
        }
    }

    /// The day a matched file holds, read back through the pattern: what `validate` sorts by
    /// to sample the newest days of every server (by name, `web2` came after all of `web1`).
    @Test func theDayOfAMatchedPathIsReadBack() throws {
        func day(_ pattern: String, _ path: String) -> String? { PathTemplate(pattern).day(of: path)?.description }
        #expect(day("logs/access-*-{date:%Y%m%d}.log.gz", "logs/access-web1-20240303.log.gz") == "2024-03-03")
        #expect(day("logs/access-*-{date}.log.gz", "logs/access-web-2-2024-12-31.log.gz") == "2024-12-31")
        #expect(day("{date:%Y}/{date:%j}/e.gz", "2024/065/e.gz") == "2024-03-05")
        #expect(day("a-{date:%d%b%y}.log", "a-05mar24.log") == "2024-03-05")
        #expect(day("a-{date:%Y%m}.log", "a-202403.log") == "2024-03-01", "no day of the month: the first")
        #expect(day("a-{date:%e}-{date:%m}-{date:%Y}?.log", "a- 5-03-2024x.log") == "2024-03-05")
        #expect(day("a+[0-9]-{date}.log", "a+7-2024-03-05.log") == "2024-03-05", "glob brackets and regex characters")
        #expect(day("a-{date}.log", "a-2024-02-30.log") == nil, "no such day")
        #expect(day("a-{date}.log", "b-2024-03-05.log") == nil)
        #expect(day("a.log", "a.log") == nil, "no date in the pattern")
    }

    @Test func anyDateReplacesPlaceholdersWithStars() {
        #expect(PathTemplate("logs/access-{date}.log.gz").anyDate == "logs/access-*.log.gz")
        #expect(PathTemplate("{date:%Y}/{date:%m%d}/e-{date}.ndjson").anyDate == "*/*/e-*.ndjson")
        #expect(PathTemplate("plain/file.log").anyDate == "plain/file.log")
    }

    @Test func globListsMatchesSortedAndKeepsPlainPaths() {
        let folder = TestFiles.temporaryFolder("path-template")
        defer { TestFiles.remove(folder) }
        for name in ["access-2024-03-02.log", "access-2024-03-01.log", "other.log"] { TestFiles.write(folder + "/" + name, "x\n") }
        #expect(PathTemplate.glob(folder + "/access-*.log") == [folder + "/access-2024-03-01.log", folder + "/access-2024-03-02.log"])
        #expect(PathTemplate.glob(folder + "/nothing-*.log") == [])
        // A plain path is returned as is, even when missing, so the reader reports it.
        #expect(PathTemplate.glob(folder + "/missing.log") == [folder + "/missing.log"])
        #expect(PathTemplate.glob("-") == ["-"])
    }
}
