import FunnelCore
import FunnelReaders
#if canImport(Glibc)
import Glibc
#endif

/// Turns a pipeline's sources (or `--input` paths) and the run's days into the list of files
/// to read, each with the source settings to read it with.
enum InputPlan {
    /// The files to read, the patterns (filled) that matched none, and warnings: the files
    /// left out as another name of one already listed (`… is the same file as …`), and the
    /// kinds of `--input` files the pipeline has no source for.
    static func files(pipeline: Pipeline, options: RunOptions) throws(PipelineError) -> (files: [InputFile], missing: [String], warnings: [String]) {
        // A file is read once, whatever names reach it (a link beside its target, `x.log` and
        // `./x.log`): until 2026-12-05 each name was read, and every event counted twice.
        var identities: [FileIdentity: String] = [:]
        var warnings: [String] = []
        func isRepeat(_ path: String, _ identity: FileIdentity?) -> Bool {
            guard let identity else { return false }
            if let first = identities[identity] {
                warnings.append("\(path) is the same file as \(first): read once")
                return true
            }
            identities[identity] = path
            return false
        }
        if !options.inputs.isEmpty {
            var files: [InputFile] = []
            var patterns = PatternMatches(pipeline: pipeline, days: options.days)
            // The files of each kind the pipeline has no source for, in the order given.
            var defaulted: [Pipeline.Source.Kind: [String]] = [:]
            if options.inputs.filter({ $0 == "-" }).count > 1 {
                throw PipelineError("--input - is given more than once: standard input can be read once")
            }
            for path in options.inputs {
                if path != "-" && access(path, R_OK) != 0 {
                    throw PipelineError("--input \(path): \(InputError(path: path, errno: errno).reason)")
                }
                let looked = path == "-" ? nil : FileIdentity.look(path)
                if isRepeat(path, looked?.identity) { continue }
                let kind: Pipeline.Source.Kind
                if let given = options.inputKind {
                    kind = given
                } else {
                    // Its first bytes, once read, cannot be read again: its kind is not guessed
                    // (until 2026-12-05 the first 64 KiB of a pipe were lost without a word, and
                    // a named FIFO hung the run).
                    if let what = looked?.notRegular {
                        throw PipelineError("--input \(path) is \(what), which funnel cannot look into and then read from the start: add --input-kind access_log or ndjson, or give it as standard input (--input -)")
                    }
                    kind = try sniff(path, accessLogFits: Self.jsonAccessLogTest(pipeline))
                }
                let candidates = pipeline.sources.filter { $0.kind == kind }
                // Sources of one kind read alike (two servers, one format) are one choice;
                // read differently, funnel cannot tell which one the file is (until 2026-12-05
                // it took the first, and a file of the second was all format_mismatch).
                if let first = candidates.first, candidates.contains(where: { !Self.readAlike($0, first) }) {
                    throw PipelineError("--input \(path) is read as \(kind.rawValue), and the pipeline has \(candidates.count) \(kind.rawValue) sources read differently (format, cookies, country_variable, dialect or fields); funnel cannot tell which one the file belongs to: run it with a pipeline file holding that one source")
                }
                if candidates.isEmpty { defaulted[kind, default: []].append(path) }
                let source = candidates.first ?? Pipeline.Source(kind: kind, paths: [])
                var file = InputFile(path: path, source: source)
                // A new file's positions are named by its path as given, not its place among
                // the arguments: ties in time and duplicate event ids go by path, so `--input b
                // --input a` reads as `--input a --input b` and as two runs of them (SPEC 4:
                // "whatever the order of files"; until 2026-12-06 the place was part of the
                // positions, and the orders differed for a tie: rv73a). A file read before
                // keeps the positions the manifest's `position` gives it (`Runner`), whatever
                // its place or spelling now: a history written before has its place in every
                // position.
                file.sourceIndex = 999
                file.patternIndex = 0
                file.positionName = path == "-" ? try stdinName() : givenName(path)
                // A file one of the pipeline's patterns matches is named as that pattern names
                // it, so its ties in time go as in a day run (SPEC 10; rv73b: a night's late
                // file fed with --input lost every tie to the pattern-read files for good, and
                // a re-run of the day, a repeat, kept it so).
                if let identity = looked?.identity, let match = patterns.match(identity, kind: kind) {
                    file.sourceIndex = match.source
                    file.patternIndex = match.pattern
                    file.day = match.day?.number
                    file.lastDay = match.lastDay?.number
                    file.positionName = match.name
                }
                file.manifestKey = Manifest.key(path)
                files.append(file)
            }
            // Without a source of its kind, with the defaults: said, as they may not be what
            // the files need (until 2026-12-05 without a word; a review), naming how many
            // (until 2026-12-05's night the first file only).
            for kind in Pipeline.Source.Kind.allCases {
                guard let paths = defaulted[kind], let first = paths.first else { continue }
                let defaults = kind == .accessLog ? "the combined format, no cookies" : "the canonical dialect"
                let named = paths.count == 1 ? "--input \(first) is" : "--input \(first) and \(paths.count - 1) more \(paths.count == 2 ? "file" : "files") are"
                warnings.append("\(named) read as \(kind.rawValue), and the pipeline has no \(kind.rawValue) source: \(paths.count == 1 ? "it is" : "they are") read with the defaults (\(defaults)); add such a source to the pipeline file to say how")
            }
            return (files, [], warnings)
        }
        var files: [InputFile] = []
        // The source and pattern that first matched each path.
        var seen: [String: (source: Int, pattern: Int)] = [:]
        var missing: [String] = []
        var missingSeen = Set<String>()
        let days: [Day?] = options.days.isEmpty ? [nil] : options.days
        for (sourceIndex, source) in pipeline.sources.enumerated() {
            for (patternIndex, pattern) in source.paths.enumerated() {
                let template = PathTemplate(pattern)
                if !options.days.isEmpty, !template.hasDate, Self.namesNumberedRotation(pattern) {
                    warnings.append("sources[\(sourceIndex)].paths '\(PathTemplate.unescaped(pattern))' has no {date} and ends as a numbered rotation's names do (access.log.1, access.log.2.gz): each night the name holds another day, and funnel keeps a file's lines by its name, so nights are said changed and lines are lost; rotate with dated names (logrotate's dateext) and write a {date} pattern (docs/operations.md, \"Nightly cron\")")
                }
                // The day before's filling and first day: a month's pattern fills alike all
                // month, and `{date:static}` every day (25 years of days each looked back 400
                // days: 12 s before reading; a review).
                var before: (filled: String, day: Day?, lastDay: Int?)?
                // The files the pattern matched for the day before, by their dateless names
                // (`template.dateless`): one of them without a file of the day's is said.
                var dayBefore: (day: Int, names: [String: String])?
                for day in template.hasDate ? days : [nil] {
                    let filled = try template.filled(for: day)
                    // Once a pattern and day, not once a file (a year's folder of 8,760 files
                    // took 12 s to list on its last day; a review).
                    let positionDay = before?.filled == filled ? before!.day : day.flatMap { Self.firstDay(of: template, filling: filled, from: $0) }
                    // So is the last day it fills alike (`InputFile.lastDay`).
                    let lastDay = before?.filled == filled ? before!.lastDay : day.map { Self.lastDay(of: template, filling: filled, from: $0).number }
                    before = (filled, positionDay, lastDay)
                    // A link whose target is gone is a file that cannot be read, not one that
                    // is missing: until 2026-12-05 it was left out without a word (`lstat`).
                    var status = stat()
                    var notUTF8: [String] = []
                    let matches = PathTemplate.glob(filled, notUTF8: &notUTF8).filter { $0 == "-" || lstat($0, &status) == 0 }
                    for name in notUTF8 {
                        warnings.append("\(TerminalText.oneLine(name)) (its name shown with U+FFFD) matches sources[\(sourceIndex)].paths, and its name is not UTF-8: it is not read; rename it")
                    }
                    // Once a path (a month's file missing was said for each day of the month).
                    if matches.isEmpty, case let shown = PathTemplate.unescaped(filled), missingSeen.insert(shown).inserted { missing.append(shown) }
                    if let day, PathTemplate.hasWildcard(filled) {
                        let names = Self.namesByDay(matches, template, day)
                        if !matches.isEmpty, let warning = try Self.lookingMissing(template, day: day, filled: filled, names: names, before: dayBefore) {
                            warnings.append(warning)
                        }
                        dayBefore = (day.number, names)
                    }
                    for path in matches {
                        if let first = seen[path] {
                            // Matched again by another pattern: read once, with the first's
                            // settings, and said; refused when the two read it differently
                            // (until 2026-12-05's night left out without a word, the second source's
                            // settings with it; a review).
                            if first.source == sourceIndex && first.pattern == patternIndex { continue }
                            let other = pipeline.sources[first.source]
                            guard Self.readAlike(other, source) else {
                                throw PipelineError("\(path) is matched by the paths of sources[\(first.source)] and sources[\(sourceIndex)], which read it differently (format, cookies, country_variable, city_variable, dialect or fields): narrow their paths so that one source matches it")
                            }
                            let by = first.source == sourceIndex ? "two path patterns of sources[\(sourceIndex)]" : "the paths of sources[\(first.source)] and sources[\(sourceIndex)]"
                            let warning = "\(path) is matched by \(by): read once, as the first names it"
                            if !warnings.contains(warning) { warnings.append(warning) }
                            continue
                        }
                        seen[path] = (sourceIndex, patternIndex)
                        let looked = path == "-" ? nil : FileIdentity.look(path)
                        if isRepeat(path, looked?.identity) { continue }
                        var file = InputFile(path: path, source: source)
                        file.notRegular = looked?.notRegular
                        file.listedRegular = looked != nil && looked?.notRegular == nil
                        file.sourceIndex = sourceIndex
                        file.patternIndex = patternIndex
                        file.day = positionDay?.number
                        file.lastDay = lastDay
                        // stdin as a pipeline's path is named by what it holds, as with --input -
                        // (until 2026-12-06 it was `-` every night: the second night's lines were
                        // taken for the first's, exit 0; a review).
                        file.positionName = path == "-" ? try Self.stdinName() : PathTemplate.positionName(of: path, filled: filled)
                        file.manifestKey = Manifest.key(path)
                        files.append(file)
                    }
                }
            }
        }
        if files.isEmpty {
            var error = PipelineError("no input file matched: \(missing.joined(separator: ", "))", noInput: true)
            error.missingInputs = missing
            throw error
        }
        return (files, missing, warnings)
    }

    /// The first day whose `{date}` fills the pattern as `day` does: a file named by month
    /// (`{date:%Y%m}`), or a month's folder of files, is the same file every day of the month,
    /// and its lines keep one position whichever day's run reads them (until 2026-12-05 each
    /// day's run stored them again under its own day: every event once more a night; a
    /// review). A pattern filled by the day alone gives the day itself, after one look back;
    /// one that fills alike over more than a year (`{date:static}`, no date in it at all)
    /// gives nil, as a pattern without `{date}` does.
    static func firstDay(of template: PathTemplate, filling filled: String, from day: Day) -> Day? {
        edge(of: template, filling: filled, from: day, by: -1)
    }

    /// The last day from `day` on whose filling of `template` is `filled` (at most 400 days on).
    static func lastDay(of template: PathTemplate, filling filled: String, from day: Day) -> Day {
        edge(of: template, filling: filled, from: day, by: 1) ?? Day(number: day.number + 400)
    }

    /// The last day, going from `day` by `step`, whose filling of `template` is still `filled`;
    /// nil when it still is 400 days on.
    private static func edge(of template: PathTemplate, filling filled: String, from day: Day, by step: Int) -> Day? {
        var edge = day
        for _ in 0..<400 {
            let next = Day(number: edge.number + step)
            guard let text = try? template.filled(for: next), text == filled else { return edge }
            edge = next
        }
        return nil
    }

    /// Whether two sources read a file the same way (their paths aside).
    static func readAlike(_ a: Pipeline.Source, _ b: Pipeline.Source) -> Bool {
        a.format == b.format && a.visitorCookie == b.visitorCookie && a.sessionCookie == b.sessionCookie
            && a.countryVariable == b.countryVariable && a.cityVariable == b.cityVariable && a.dialect == b.dialect && a.fields == b.fields
    }

    /// An `--input` file's name in positions: the path as given, without leading `./`, so
    /// that `--input d1/events.ndjson` and `--input d2/events.ndjson` are two files.
    static func givenName(_ path: String) -> String {
        var name = Substring(path)
        while name.hasPrefix("./") { name = name.dropFirst(2) }
        return name.isEmpty ? path : String(name)
    }

    /// stdin's name in positions: `-` and 16 hex digits of a hash (64-bit FNV-1a) of its first
    /// line that is not blank (at most 64 KiB of it), read ahead and handed back to the one
    /// stream the run reads. stdin has no name of its own: a night's log piped in is not the
    /// night before's (whose first line differs), and the same stream piped in again is known
    /// as a repeat. Until 2026-12-06 the first line, blank or not: two nights' streams that
    /// began with a blank line had one name, and the second night's lines were taken for the
    /// first's (a review). A stream whose first line is another's is said by the manifest
    /// (`Manifest.record`).
    static func stdinName() throws(PipelineError) -> String {
        let seen = try peek("-", limit: stdinPeekLimit) { firstLine(of: $0).complete }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        // At most 64 KiB of it, and nothing past the peek's limit: how much more a pipe gave
        // with the last read varies (a review: blank lines and a long line past 64 KiB were
        // named by how the pipe was written).
        let start = firstLine(of: seen).start
        for byte in seen[start..<min(seen.count, stdinPeekLimit)].prefix(while: { $0 != 0x0A }).prefix(65_536) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// How much of stdin is read ahead to name it at most: blank lines before its first line
    /// and 64 KiB of that line.
    static let stdinPeekLimit = 1 << 20

    /// Where the first line that is not blank (spaces, tabs, a carriage return) starts in
    /// `seen` (its end when there is none), and whether its end (or 64 KiB of it) is read.
    static func firstLine(of seen: [UInt8]) -> (start: Int, complete: Bool) {
        var start = 0
        var blank = true
        for (index, byte) in seen.enumerated() {
            if byte == 0x0A {
                if !blank { return (start, true) }
                start = index + 1
            } else if blank, byte != 0x20, byte != 0x09, byte != 0x0D {
                blank = false
            }
        }
        return blank ? (seen.count, false) : (start, seen.count - start >= 65_536)
    }

    /// An `--input` without `--input-kind` is NDJSON when its first non-blank byte is `{`
    /// (after a byte-order mark), an access log otherwise. stdin is peeked the same way, its
    /// bytes handed back to the one stream the run then reads (`InputStream.opening`).
    ///
    /// A day's matched paths by their names without the day's date and a `.gz` ending (a
    /// day's file compressed the next day, `delaycompress`, is the same file), so that two
    /// days' files compare.
    static func namesByDay(_ paths: [String], _ template: PathTemplate, _ day: Day) -> [String: String] {
        Dictionary(paths.map { path in
            let name = template.dateless(path, day: day)
            return (name.hasSuffix(".gz") ? String(name.dropLast(3)) : name, path)
        }, uniquingKeysWith: { a, _ in a })
    }

    /// Whether a pattern's file name ends as a numbered rotation's does: `.1`, `.2.gz`, `.*.gz`
    /// (a review: Debian's default logrotate, `access.log.1` read each night, lost lines).
    static func namesNumberedRotation(_ pattern: String) -> Bool {
        var name = Substring(pattern.split(separator: "/").last ?? "")
        if name.hasSuffix(".gz") { name = name.dropLast(3) }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        let tail = name[name.index(after: dot)...]
        return !tail.isEmpty && (tail.allSatisfy(\.isASCII) && tail.allSatisfy(\.isNumber) || tail == "*" || tail == "[0-9]")
    }

    /// What a glob pattern matched for the day before and not for `day` (a server's log not
    /// shipped yet, an hour's dump not written): said, naming the day before's file, since
    /// such a file is read by no later night (until 2026-12-06 a day's run without it said
    /// nothing, exit 0; a review). The day before is looked at on disk when the run's days do
    /// not hold it (a nightly run); a pattern that fills alike on both days (a month's) and a
    /// day without any file (said as missing) are not compared, nor a pattern whose date is
    /// shorter than six characters.
    static func lookingMissing(_ template: PathTemplate, day: Day, filled: String, names: [String: String],
                               before: (day: Int, names: [String: String])?) throws(PipelineError) -> String? {
        let previous = Day(number: day.number - 1)
        let filledBefore = try template.filled(for: previous)
        guard filledBefore != filled else { return nil }
        // A short date text (`{date:%d}`'s `03`) may stand elsewhere in a name (`web03`): the
        // names of two days would not compare.
        guard template.dateTexts(for: day).allSatisfy({ $0.count >= 6 }) else { return nil }
        let earlier: [String: String]
        if let before, before.day == previous.number {
            earlier = before.names
        } else {
            var status = stat()
            let matches = PathTemplate.glob(filledBefore).filter { lstat($0, &status) == 0 }
            earlier = namesByDay(matches, template, previous)
        }
        // Only names that repeat from day to day compare: a day sharing none of the day
        // before's (a random or epoch part, a date written twice, a month's folder turning)
        // says nothing (a review of the first rule: false warnings every night).
        guard earlier.keys.contains(where: { names[$0] != nil }) else { return nil }
        let gone = earlier.filter { names[$0.key] == nil }.map(\.value).sorted()
        guard let first = gone.first else { return nil }
        let more = gone.count > 1 ? " and \(gone.count - 1) more" : ""
        return "\(PathTemplate.unescaped(filled)) matched no file in place of \(first)\(more) of \(previous) (a file not copied yet, a server that wrote none?): no later night reads it; once it is there, run \(day) again"
    }

    /// `accessLogFits`: given when the pipeline reads access logs written as JSON (an nginx
    /// `log_format` of `{"ip":"$remote_addr",...}`): a `{` file is such a log when its first
    /// line fits one of those formats, else NDJSON (until 2026-12-06 it was NDJSON with the
    /// canonical defaults, every line rejected, and since the morning an access log only when
    /// the pipeline had no NDJSON source; reviews).
    static func sniff(_ path: String, accessLogFits: (([UInt8]) -> Bool)? = nil) throws(PipelineError) -> Pipeline.Source.Kind {
        let seen = try peek(path) { accessLogFits == nil ? firstContent(of: $0) != nil : firstLine(of: $0).complete }
        guard let first = firstContent(of: seen) else { return .accessLog }
        guard seen[first] == UInt8(ascii: "{") else { return .accessLog }
        guard let accessLogFits else { return .ndjson }
        let line = seen[first...].prefix { $0 != 0x0A }
        return accessLogFits(Array(line)) ? .accessLog : .ndjson
    }

    /// For a pipeline with access-log sources whose format is JSON: whether a line fits one of
    /// them (every line does when the pipeline has no NDJSON source); nil without such sources.
    static func jsonAccessLogTest(_ pipeline: Pipeline) -> (([UInt8]) -> Bool)? {
        let sources = pipeline.sources.filter { $0.kind == .accessLog && $0.format.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("{") }
        guard !sources.isEmpty else { return nil }
        guard pipeline.sources.contains(where: { $0.kind == .ndjson }) else { return { _ in true } }
        let parsers = sources.compactMap { source -> AccessLogParser? in
            var options = AccessLogParser.Options(visitorCookie: source.visitorCookie, sessionCookie: source.sessionCookie)
            options.countryVariable = source.countryVariable
            options.cityVariable = source.cityVariable
            return try? AccessLogParser(format: AccessLogFormat(source.format), options: options)
        }
        return { line in
            var bytes = line
            return parsers.contains { parser in
                bytes.withUnsafeMutableBytes { raw in
                    if case .reject(.formatMismatch, _) = parser.parse(UnsafeRawBufferPointer(raw)) { return false }
                    return true
                }
            }
        }
    }

    /// Where the first byte that is not blank is, after a byte-order mark; nil until one is
    /// read (a mark may come in pieces).
    private static func firstContent(of seen: [UInt8]) -> Int? {
        if seen.count < 3 && seen.first == 0xEF { return nil }
        var index = seen.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        // NUL bytes too: a hole a crash left at the start of a file (rv75g: an NDJSON file was
        // taken for an access log).
        while index < seen.count, [0x20, 0x09, 0x0A, 0x0D, 0x00].contains(seen[index]) { index += 1 }
        return index < seen.count ? index : nil
    }

    /// The first bytes of `path` (decompressed), read until `enough` holds of them (a pipe
    /// may give a few bytes at a time) or 64 KiB are read. stdin's are handed back to its one
    /// stream, which the run then reads from the start.
    private static func peek(_ path: String, limit: Int = 65_536, until enough: ([UInt8]) -> Bool) throws(PipelineError) -> [UInt8] {
        let stream: InputStream
        do {
            stream = try InputStream.opening(path)
        } catch {
            throw PipelineError(error.description)
        }
        var seen: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { buffer.deallocate() }
        while seen.count < limit, !enough(seen) {
            let count = stream.read(into: buffer)
            if count == 0 { break }
            seen += UnsafeRawBufferPointer(rebasing: buffer[..<count])
        }
        if path == "-" { seen.withUnsafeBytes { stream.unread($0) } }
        return seen
    }
}
