import FunnelCore
import FunnelReaders
import FunnelTransform
import FunnelWriters
import Yams
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pipeline YAML file into a checked `Pipeline`.
///
/// The file is walked as a YAML node tree rather than decoded with `Codable` so that an
/// unknown key (a typo such as `timout`) is an error naming the key and the keys allowed
/// there, instead of a setting silently ignored in a nightly job.
public enum PipelineLoader {
    public static func load(path: String) throws(PipelineError) -> Pipeline {
        guard let text = readText(path) else {
            let code = errno
            // Out of descriptors, the remedy is the limit, not the file (rv72a).
            throw PipelineError("cannot read pipeline file \(path): \(String(cString: strerror(code)))\(SinkError.descriptorsRemedy(code))")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(PipelineError) -> Pipeline {
        // A byte order mark, as Windows editors write one, is not part of the YAML (until
        // 2026-12-06 such a file was "not valid YAML: did not find expected <document start>").
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        // Before Yams composes it, which expands aliases as it hashes mapping keys.
        switch YAMLSize.problem(text, limit: nodeLimit) {
        case .tooLarge?:
            throw PipelineError(
                "\(file): the file holds more than \(nodeLimit) YAML nodes, each alias (*name) counted as the nodes it stands for; "
                    + "a pipeline needs a few hundred: check that no anchor is repeated through others, and that no list is longer than it should be")
        case .keyNotAWord(let line)?:
            throw PipelineError("\(file): line \(line): a key is a list, a mapping or an alias (*name); a pipeline's keys are words such as sources or paths")
        case nil: break
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw PipelineError("\(file): the file is empty") }
            root = node
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError("\(file): not valid YAML: \(YAMLProblem.text(of: error, in: text))")
        }
        do {
            return try read(root, file: file)
        } catch {
            throw PipelineLines(root).locate(error, file: file)
        }
    }

    /// The most nodes a pipeline file may hold once its aliases are expanded; the largest
    /// example in `pipelines/` holds a few hundred. Ten nested lists of ten aliases, 600
    /// bytes, are 10^10 nodes once walked: the run died for want of memory, exit 134, with
    /// neither `--summary-json` nor `--metrics-file` written (rv74a); `YAMLSize` counts them
    /// without expanding them.
    public static let nodeLimit = 100_000

    /// The pipeline `root` describes; a message names the key path at fault, to which `parse`
    /// adds its line.
    private static func read(_ root: Node, file: String) throws(PipelineError) -> Pipeline {
        let folder = file.lastIndex(of: "/").map { String(file[..<$0]) } ?? "."
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, "the top level",
                                     allowed: ["sources", "site", "identity", "sessions", "geo", "schema", "content_slots", "sink", "filters", "limits"])
        var pipeline = Pipeline(file: file, sources: [])

        guard let sourceNodes = top["sources"] else { throw PipelineError("\(file): 'sources' is missing: name at least one input") }
        for (index, node) in try reader.sequence(sourceNodes, "sources").enumerated() {
            let where_ = "sources[\(index)]"
            let map = try reader.mapping(node, where_, allowed: ["kind", "format", "dialect", "fields", "event_names", "paths", "visitor_cookie", "session_cookie", "country_variable", "city_variable"])
            let kindText = try reader.string(map["kind"], "\(where_).kind")
            guard let kind = kindText.flatMap(Pipeline.Source.Kind.init(rawValue:)) else {
                if let kindText { try refuseCapitals(kindText, "\(where_).kind", of: Pipeline.Source.Kind.self, file: file) }
                throw PipelineError("\(file): \(where_).kind is \(kindText.map { "'\($0)'" } ?? "missing"); use access_log or ndjson")
            }
            // A setting of the other kind of source would be ignored: refused, as every
            // unknown key is (`fields` says so below, with an example).
            for key in ["city_variable", "country_variable", "dialect", "format", "session_cookie", "visitor_cookie"] where map[key] != nil {
                let owner: Pipeline.Source.Kind = key == "dialect" ? .ndjson : .accessLog
                guard owner == kind else {
                    throw PipelineError("\(file): \(where_).\(key) applies to \(owner.rawValue) sources only, and this source is \(kind.rawValue): remove it")
                }
            }
            let paths = try reader.strings(map["paths"], "\(where_).paths")
            guard !paths.isEmpty else { throw PipelineError("\(file): \(where_).paths is empty: list the files to read") }
            for (number, path) in paths.enumerated() {
                if let problem = PathTemplate(path).dateProblem { throw PipelineError("\(file): \(where_).paths[\(number)]: \(problem)") }
                try refuseHome(path, "\(where_).paths[\(number)]", file: file)
            }
            // The folder is a literal part of each pattern (its `[`, `*`, `?` are themselves).
            var source = Pipeline.Source(kind: kind, paths: paths.map { resolve($0, against: PathTemplate.escaped(folder)) })
            if let format = try reader.string(map["format"], "\(where_).format") { source.format = format }
            source.visitorCookie = try reader.string(map["visitor_cookie"], "\(where_).visitor_cookie")
            source.sessionCookie = try reader.string(map["session_cookie"], "\(where_).session_cookie")
            if let variable = try reader.string(map["country_variable"], "\(where_).country_variable") {
                source.countryVariable = variable.hasPrefix("$") ? String(variable.dropFirst()) : variable
                source.writtenCountryVariable = source.countryVariable
            }
            if let variable = try reader.string(map["city_variable"], "\(where_).city_variable") {
                source.cityVariable = variable.hasPrefix("$") ? String(variable.dropFirst()) : variable
                source.writtenCityVariable = source.cityVariable
            }
            if let dialect = try reader.string(map["dialect"], "\(where_).dialect") {
                guard NDJSONParser.Dialect(rawValue: dialect) != nil else {
                    try refuseCapitals(dialect, "\(where_).dialect", of: NDJSONParser.Dialect.self, file: file)
                    throw PipelineError("\(file): \(where_).dialect is '\(dialect)'; this version reads: \(NDJSONParser.Dialect.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                source.dialect = dialect
            }
            if let fields = map["fields"] {
                guard kind == .ndjson, case .mapping(let mapping) = fields else {
                    throw PipelineError("\(file): \(where_).fields maps canonical field names to JSON paths (ndjson sources only), e.g. timestamp: data.ts")
                }
                for (key, value) in mapping {
                    guard let name = key.string, let path = try reader.string(value, "\(where_).fields.\(key.string ?? "")") else {
                        throw PipelineError("\(file): \(where_).fields entries must be name: json.path")
                    }
                    source.fields[name] = path
                }
                do {
                    _ = try FieldMapping(source.fields)
                } catch {
                    throw PipelineError("\(file): \(where_).fields: \(error)")
                }
            }
            if let names = map["event_names"] {
                guard kind == .ndjson, case .mapping(let mapping) = names else {
                    throw PipelineError("\(file): \(where_).event_names maps an export's event names to funnel's (ndjson sources only), e.g. \"Order Completed\": Purchase")
                }
                for (key, value) in mapping {
                    guard let name = key.string, !name.isEmpty, let target = try reader.string(value, "\(where_).event_names.\(key.string ?? "")"), !target.isEmpty else {
                        throw PipelineError("\(file): \(where_).event_names entries must be \"export name\": FunnelName, both not empty")
                    }
                    source.eventNames[name] = target
                    // `purchase` was a custom event: no conversion, no revenue, no word (a review,
                    // 2026-12-06). funnel's names are matched exactly, as the events are. A name
                    // mapped to itself is one meant to stay custom: said neither here nor by the
                    // run (rv75i: it could not be silenced).
                    if name != target, !Self.funnelEventNames.contains(target), let meant = Self.funnelEventNames.first(where: { $0.lowercased() == target.lowercased().filter { $0 != " " && $0 != "_" } }) {
                        pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: .ndjson, text: "\(where_).event_names maps '\(name)' to '\(target)', which is no event of funnel's (names are matched exactly): it is kept as a custom event; write \(meant) to have it counted as one"))
                    }
                }
            }
            if kind == .accessLog {
                do {
                    let format = try AccessLogFormat(source.format)
                    // Without a setting, a country or city variable the format holds under a
                    // well-known name other than Cloudflare's (`$geoip2_data_country_code`,
                    // CloudFront's header) is read (it was dropped without a word until
                    // 2026-12-06; a review).
                    for (key, names) in [("country_variable", Pipeline.Source.countryVariables), ("city_variable", Pipeline.Source.cityVariables)]
                    where map[key] == nil {
                        guard let known = names.first(where: { format.variables.contains(LogVariable(name: $0)) }) else { continue }
                        if key == "country_variable" { source.countryVariable = known } else { source.cityVariable = known }
                    }
                    var options = AccessLogParser.Options(visitorCookie: source.visitorCookie, sessionCookie: source.sessionCookie)
                    options.countryVariable = source.countryVariable
                    options.cityVariable = source.cityVariable
                    _ = try AccessLogParser(format: format, options: options)
                    // The named formats hold no cookies (a custom one without them is refused
                    // by the parser).
                    if format.source == AccessLogFormat.combined || format.source == AccessLogFormat.common {
                        for (key, name) in [("visitor_cookie", source.visitorCookie), ("session_cookie", source.sessionCookie)] {
                            guard let name else { continue }
                            pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: kind, text: "\(where_).\(key) '\(name)' is never found: the \(format.source == AccessLogFormat.combined ? "combined" : "common") format holds no cookies, so \(key == "visitor_cookie" ? "visitors are told apart by fingerprint (address and user agent)" : "sessions are cut by the timeout alone"); to read it, use an nginx log_format with $cookie_\(name) or $http_cookie as the format"))
                        }
                    }
                    // A country variable the format does not hold is a typo that would leave
                    // every access-log session without a country (until 2026-12-05 it loaded
                    // without a word); the default is not checked, most formats lack it.
                    for (key, variable) in [("country_variable", source.countryVariable), ("city_variable", source.cityVariable)]
                    where map[key] != nil && !format.variables.contains(LogVariable(name: variable)) {
                        let headers = format.variables.map(\.name).filter { $0.hasPrefix("http_") }
                        throw PipelineError("\(file): \(where_).\(key) '\(variable)' is set, but the log format has no $\(variable)\(headers.isEmpty ? "" : " (its header variables: \(headers.map { "$" + $0 }.joined(separator: ", ")))"); correct the name, add the variable to the format, or leave the key out")
                    }
                } catch let error as PipelineError {
                    throw error
                } catch {
                    throw PipelineError("\(file): \(where_).format: \(error)")
                }
            }
            pipeline.sources.append(source)
        }
        guard !pipeline.sources.isEmpty else { throw PipelineError("\(file): 'sources' is empty: name at least one input") }

        if let site = top["site"] {
            let map = try reader.mapping(site, "site", allowed: ["hosts"])
            // A host as a referrer names it: no scheme, path or port (`https://film.example` or
            // `film.example:443` matched no referrer, and was accepted without a word until
            // 2026-12-06; a review); a root dot is no part of it.
            pipeline.siteHosts = try reader.strings(map["hosts"], "site.hosts").enumerated().map { (number, written) throws(PipelineError) in
                var host = written.lowercased()
                if host.hasSuffix("."), host.count > 1 { host.removeLast() }
                // Labels of letters, digits, `-` and `_` (which some hosts use), none empty.
                let labels = host.split(separator: ".", omittingEmptySubsequences: false)
                guard !host.isEmpty, labels.allSatisfy({ !$0.isEmpty && $0 != "-" }),
                      host.utf8.allSatisfy({ $0 &- UInt8(ascii: "a") < 26 || $0 &- 0x30 < 10 || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") }) else {
                    throw PipelineError("\(file): site.hosts[\(number)] '\(written)' is not a host name; write the host alone, as referrers name it: film.example (no scheme, path or port; its subdomains count with it; a name beyond ASCII in its punycode form, xn--...)")
                }
                return host
            }
        }
        if let identity = top["identity"] {
            let map = try reader.mapping(identity, "identity", allowed: ["salt"])
            pipeline.salt = try reader.string(map["salt"], "identity.salt") ?? ""
        }
        if let sessions = top["sessions"] {
            let map = try reader.mapping(sessions, "sessions", allowed: ["timeout", "max_duration"])
            if let text = try reader.string(map["timeout"], "sessions.timeout") {
                pipeline.sessions.timeoutMillis = try DurationText.millis(text, key: "\(file): sessions.timeout")
            }
            if let text = try reader.string(map["max_duration"], "sessions.max_duration") {
                pipeline.sessions.maxDurationMillis = try DurationText.millis(text, key: "\(file): sessions.max_duration")
            }
            // A plain number is seconds, as documented; `timeout: 30` meant as SPEC 4's "30 min"
            // cut a visitor's sessions at every 30-second pause without a word (a review).
            for key in ["timeout", "max_duration"] {
                guard let text = try reader.string(map[key], "sessions.\(key)"), let seconds = Int(text.trimmingCharacters(in: " ")), seconds < 60 else { continue }
                pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: nil, text: "sessions.\(key) is \(seconds): a plain number is seconds; if minutes were meant, write \(seconds)m"))
            }
        }
        if let geo = top["geo"] {
            let map = try reader.mapping(geo, "geo", allowed: ["database"])
            if let database = try reader.string(map["database"], "geo.database") {
                try refuseHome(database, "geo.database", file: file)
                pipeline.geoDatabase = resolve(database, against: folder)
            }
        }
        if let schema = try reader.string(top["schema"], "schema") {
            guard let value = Schema(rawValue: schema) else {
                try refuseCapitals(schema, "schema", of: Schema.self, file: file)
                throw PipelineError("\(file): schema '\(schema)' is not available in this version; use: \(Schema.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            pipeline.schema = value
        }
        if let slots = top["content_slots"] {
            // A mapping keeps its order: the slots' fields come out in the order written.
            guard case .mapping(let mapping) = slots else {
                throw PipelineError("\(file): content_slots must map slot names to content patterns, e.g. trailer: \"trailer*\"")
            }
            pipeline.slots = []
            for (key, value) in mapping {
                guard let name = key.string, let pattern = try reader.string(value, "content_slots.\(key.string ?? "")"),
                      !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    // Named, so that its line is found (it was the section's line; a review).
                    let named = key.string.map { "content_slots.\($0) " } ?? "content_slots "
                    throw PipelineError("\(file): \(named)is no slot: content_slots entries must be name: pattern, with names of letters, digits and _")
                }
                pipeline.slots.append(ContentSlot(name: name, pattern: pattern))
            }
        }
        // What access logs cannot tell without help (a review: both passed without a word):
        // without `$host` and `site.hosts`, a click from one of the site's pages to another is
        // a referral from the site itself; the `common` format has no referrer or agent.
        for (index, source) in pipeline.sources.enumerated() where source.kind == .accessLog {
            guard let format = try? AccessLogFormat(source.format) else { continue }
            if format.source == AccessLogFormat.common {
                pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: .accessLog, text: "sources[\(index)] reads the common format, which holds no referrer and no user agent: no bot is told apart by its agent, and every session of these logs is direct; use combined, or a log_format with $http_referer and $http_user_agent"))
            } else if pipeline.schema == .enhanced, pipeline.siteHosts.isEmpty, format.variables.contains(.httpReferer), !format.variables.contains(.host) {
                pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: .accessLog, text: "sources[\(index)]'s log format has no $host and site.hosts is empty: a click from one of the site's pages to another is a referral from the site's own host; list the site's hosts under site.hosts"))
            }
        }
        if top["content_slots"] != nil && pipeline.schema == .mvp {
            // The MVP schema has no slot fields (a review: ignored without a word).
            pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: nil, text: "content_slots are fields of the enhanced schema, and this pipeline's schema is mvp: they are not used; set schema: enhanced to have them"))
        }
        if let sink = top["sink"] {
            let map = try reader.mapping(sink, "sink", allowed: ["kind", "url", "output", "key_prefix", "hash_tags", "ttl", "gzip"])
            if let kind = try reader.string(map["kind"], "sink.kind") {
                guard let value = Pipeline.SinkKind(rawValue: kind) else {
                    try refuseCapitals(kind, "sink.kind", of: Pipeline.SinkKind.self, file: file)
                    throw PipelineError("\(file): sink.kind '\(kind)' is not available in this version; use: \(Pipeline.SinkKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                pipeline.sink.kind = value
            }
            pipeline.sink.url = try reader.string(map["url"], "sink.url")
            if let output = try reader.string(map["output"], "sink.output") {
                // Until 2026-12-05 an empty one wrote every output beside the pipeline file.
                guard !output.isEmpty else { throw PipelineError("\(file): sink.output is empty: name the folder of the outputs, or leave the key out for 'out'") }
                try refuseHome(output, "sink.output", file: file)
                pipeline.sink.output = output
            }
            pipeline.sink.keyPrefix = try reader.string(map["key_prefix"], "sink.key_prefix") ?? ""
            // Said, not refused: such a prefix loaded before 2026-12-06 keeps its history
            // (rv73f: refused, it could only start an empty one); a run into a Redis holding
            // the other pipeline's history is refused (`RunLock`).
            if let collision = RedisKeyLayout(prefix: pipeline.sink.keyPrefix).collision {
                pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: nil, text: "sink.key_prefix '\(pipeline.sink.keyPrefix)' \(collision): a run into a Redis database holding that pipeline's history is refused; choose a prefix such as 'film:' for a new pipeline (a new prefix starts an empty history: rebuild the days under it, docs/operations.md)"))
            }
            pipeline.sink.hashTags = try reader.bool(map["hash_tags"], "sink.hash_tags") ?? false
            // A brace in the prefix makes the prefix's the key's hash tag (`x{sess:{id}` and
            // `x{events:sess:{id}` land in two slots; `{t}:` puts every key in one): accepted
            // without a word until 2026-12-06 (a review).
            if pipeline.sink.hashTags, pipeline.sink.keyPrefix.contains(where: { $0 == "{" || $0 == "}" }) {
                pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: nil, text: "sink.key_prefix '\(pipeline.sink.keyPrefix)' holds a brace, and sink.hash_tags is true: a Redis Cluster would hash the prefix's braces, not the session id's, and a session's two keys could land in two slots; write the prefix without braces"))
            }
            pipeline.sink.gzip = try reader.bool(map["gzip"], "sink.gzip") ?? false
            if pipeline.sink.gzip && pipeline.sink.kind == .redis {
                throw PipelineError("\(file): sink.gzip applies to the flat-file sinks (ndjson, csv, resp), and sink.kind is redis: remove it")
            }
            if let ttl = try reader.string(map["ttl"], "sink.ttl") {
                pipeline.sink.ttlSeconds = Int(try DurationText.millis(ttl, key: "\(file): sink.ttl") / 1000)
                // A plain number is seconds, as for the sessions' durations: `ttl: 30` meant as
                // days let the keys expire half a minute after loading, without a word (a review).
                if let seconds = Int(ttl.trimmingCharacters(in: " ")), seconds < 86_400 {
                    pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: nil, text: "sink.ttl is \(seconds): a plain number is seconds, so the keys expire \(seconds) s after loading; if days were meant, write \(seconds)d"))
                }
            }
            // Loaded and ignored without a word until 2026-12-06 (a review: `kind: csv` with
            // a `url` and a `ttl`), though `--redis-url` on such a run is said.
            let unused = pipeline.sink.unusedSettings(by: pipeline.sink.kind)
            if !unused.isEmpty {
                let keys = unused.map { "sink." + $0 }
                let names = keys.count == 1 ? keys[0] : keys.dropLast().joined(separator: ", ") + " and " + keys[keys.count - 1]
                pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: nil, text: "\(names) \(keys.count == 1 ? "is" : "are") for the redis sink\(unused == ["url"] ? "" : " (key_prefix, hash_tags and ttl for resp too)"), and sink.kind is \(pipeline.sink.kind.rawValue): not used; remove \(keys.count == 1 ? "it" : "them") or set sink.kind: redis", aboutTheFilesSink: true))
            }
        }
        pipeline.sink.output = resolve(pipeline.sink.output, against: folder)
        if let filters = top["filters"] {
            let map = try reader.mapping(filters, "filters", allowed: ["exclude_paths", "bot_patterns"])
            pipeline.excludedPaths = try reader.strings(map["exclude_paths"], "filters.exclude_paths")
            // A request's path begins with `/`: `healthz` matched nothing, without a word (a review).
            for (number, pattern) in pipeline.excludedPaths.enumerated() where !pattern.hasPrefix("/") && !pattern.hasPrefix("*") {
                pipeline.loadWarnings.append(Pipeline.LoadWarning(kind: nil, text: "filters.exclude_paths[\(number)] '\(pattern)' does not begin with / or *, and every path does: it matches nothing; write /\(pattern)"))
            }
            pipeline.botPatterns = try reader.strings(map["bot_patterns"], "filters.bot_patterns")
        }
        if let limits = top["limits"] {
            let map = try reader.mapping(limits, "limits", allowed: ["max_line_length", "max_reject_rate", "max_events_per_session", "key_filter_bytes",
                                                                         "warn_visitor_records", "continue_visitor_records"])
            /// A limit that is a whole number of at least 1, if the file sets it.
            func wholeNumber(_ key: String) throws(PipelineError) -> Int? {
                guard let text = try reader.string(map[key], "limits." + key) else { return nil }
                guard let value = Int(text), value >= 1 else {
                    throw PipelineError("\(file): limits.\(key) must be a whole number of at least 1")
                }
                return value
            }
            if let text = try reader.string(map["max_line_length"], "limits.max_line_length") {
                guard let value = Int(text), value >= 1024, value <= 64 << 20 else {
                    throw PipelineError("\(file): limits.max_line_length must be a byte count from 1024 to 67108864")
                }
                pipeline.maxLineLength = value
            }
            if let text = try reader.string(map["max_reject_rate"], "limits.max_reject_rate") {
                guard let value = Double(text), value >= 0, value <= 1 else {
                    throw PipelineError("\(file): limits.max_reject_rate must be a number from 0 to 1")
                }
                pipeline.maxRejectRate = value
            }
            if let value = try wholeNumber("max_events_per_session") { pipeline.maxEventsPerSession = value }
            if let text = try reader.string(map["key_filter_bytes"], "limits.key_filter_bytes") {
                guard let value = Int(text), value >= Pipeline.minimumKeyFilterBytes, value <= Pipeline.maximumKeyFilterBytes else {
                    throw PipelineError("\(file): limits.key_filter_bytes must be a byte count from \(Pipeline.minimumKeyFilterBytes) to \(Pipeline.maximumKeyFilterBytes) (256 MiB, the most one stored value holds in both histories)")
                }
                pipeline.keyFilterBytes = value
            }
            if let value = try wholeNumber("warn_visitor_records") { pipeline.warnVisitorRecords = value }
            if let value = try wholeNumber("continue_visitor_records") { pipeline.continueVisitorRecords = value }
        }
        return pipeline
    }

    /// The events SPEC 7 and docs/fields.md give a meaning (a conversion, a checkout, a video).
    static let funnelEventNames = ["PageView", "ViewContent", "VideoStart", "VideoProgress", "VideoComplete",
                                   "ButtonClick", "InitiateCheckout", "FormSubmit", "Purchase", "Consent"]

    /// A known name written in capitals is said as such (rv75d: "not available in this
    /// version" sent a user to look for an upgrade for `schema: ENHANCED`).
    static func refuseCapitals<Name: CaseIterable & RawRepresentable>(_ value: String, _ key: String, of _: Name.Type,
                                                                      file: String) throws(PipelineError) where Name.RawValue == String {
        guard let named = Name.allCases.first(where: { $0.rawValue == value.lowercased() }) else { return }
        throw PipelineError("\(file): \(key) '\(value)': names are written in lower case, '\(named.rawValue)'")
    }

    /// A path beginning with `~` is refused: only a shell expands it, and funnel read it as a
    /// folder named `~` beside the pipeline file (a review, 2026-12-06: `sink.output:
    /// ~/funnel-out` made `./~/funnel-out` and exited 0; the `rm -rf ~` that cleans it up
    /// removes the home folder).
    static func refuseHome(_ path: String, _ key: String, file: String) throws(PipelineError) {
        guard path.hasPrefix("~") else { return }
        throw PipelineError("\(file): \(key) '\(path)' begins with ~, which funnel does not expand (a shell does, and a pipeline file is read by no shell): write the full path, e.g. /home/NAME/..., or one relative to the pipeline file's folder")
    }

    /// Relative paths in a pipeline file are relative to the file's folder (SPEC 12).
    static func resolve(_ path: String, against folder: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path.hasPrefix("/") || path == "-" ? path : (folder == "." ? path : folder + "/" + path)
    }

    /// Nil, with `errno` set, for a path that cannot be read, a folder included (a folder
    /// opens, and its read error was taken for the end of an empty file: "the file is empty").
    static func readText(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var info = stat()
        if fstat(fileno(file), &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            errno = EISDIR
            return nil
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Typed access to YAML nodes with errors that name the key.
struct NodeReader {
    let file: String

    func mapping(_ node: Node, _ where_: String, allowed: Set<String>) throws(PipelineError) -> [String: Node] {
        // A section whose keys are all commented out (`filters:` alone) is empty, as a value
        // left empty is its default (it was "must be a mapping" until 2026-12-06, a review).
        if case .scalar(let scalar) = node, scalar.style == .plain, ["", "~", "null"].contains(scalar.string) { return [:] }
        guard case .mapping(let mapping) = node else { throw PipelineError("\(file): \(where_) must be a mapping of keys to values") }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw PipelineError("\(file): \(where_) has a key that is not text") }
            guard allowed.contains(name) else {
                // Yams reads anchors and aliases but not YAML 1.1's merge key (a review: it was
                // "not a known key", which sent the reader looking for a typo).
                if name == "<<" {
                    throw PipelineError("\(file): '<<' is not a known key in \(where_) (YAML's merge key is not supported; write the keys out: an alias, *name, may stand for a whole value)")
                }
                throw PipelineError("\(file): '\(name)' is not a known key in \(where_) (known: \(allowed.sorted().joined(separator: ", ")))")
            }
            result[name] = value
        }
        return result
    }

    func sequence(_ node: Node, _ where_: String) throws(PipelineError) -> [Node] {
        guard case .sequence(let sequence) = node else { throw PipelineError("\(file): \(where_) must be a list") }
        return Array(sequence)
    }

    func string(_ node: Node?, _ where_: String) throws(PipelineError) -> String? {
        guard let node else { return nil }
        if case .scalar(let scalar) = node {
            if scalar.style == .plain && (scalar.string == "~" || scalar.string == "null") { return nil }
            return scalar.string
        }
        throw PipelineError("\(file): \(where_) must be a single value")
    }

    func strings(_ node: Node?, _ where_: String) throws(PipelineError) -> [String] {
        guard let node else { return [] }
        // An empty text is no path: resolved against the pipeline's folder it read the folder
        // itself (until 2026-12-05 `paths: [""]` loaded, then failed as a damaged input).
        if case .scalar = node {
            guard let text = try string(node, where_) else { return [] }
            guard !text.isEmpty else { throw PipelineError("\(file): \(where_) is empty") }
            return [text]
        }
        return try sequence(node, where_).enumerated().map { (index, item) throws(PipelineError) in
            guard let text = try string(item, "\(where_)[\(index)]"), !text.isEmpty else { throw PipelineError("\(file): \(where_)[\(index)] is empty") }
            return text
        }
    }

    func bool(_ node: Node?, _ where_: String) throws(PipelineError) -> Bool? {
        guard let text = try string(node, where_) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw PipelineError("\(file): \(where_) must be true or false")
        }
    }
}
