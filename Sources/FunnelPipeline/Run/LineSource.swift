import FunnelCore
import FunnelReaders
import FunnelTransform
#if canImport(Glibc)
import Glibc
#endif

/// One input file read line by line and parsed with its source's reader, handing out records,
/// rejects (with file and line) and blank lines.
struct LineSource {
    enum Item {
        case record(Record, line: Int, raw: UnsafeRawBufferPointer)
        /// An access-log line `next`'s `pageView` took as bytes.
        case taken
        case reject(Reject)
        case blank
        case skip(FilterReason)
    }

    struct Damage {
        var message: String
        var tail: [UInt8]
    }

    private enum Parser {
        case accessLog(AccessLogParser)
        case ndjson(NDJSONParser)
    }

    let file: InputFile
    private let parser: Parser
    /// The day of the last access-log line's `$time_local` (`TimeParser.TimeLocalMemo`).
    private var timeMemo = TimeParser.TimeLocalMemo()
    private(set) var lines = 0
    /// Whether the file's last line had no line end (`LineReader.endsWithoutLineEnd`).
    private(set) var endsWithoutLineEnd = false
    private(set) var bytes: Int64 = 0
    /// Lines and bytes read so far: `lines` and `bytes` once the file is read to its end, its
    /// reader's counts while it is being read (a run stopped early counts what it read).
    var linesSoFar: Int { reader?.lineCount ?? lines }
    var bytesSoFar: Int64 { stream?.bytesRead ?? bytes }
    private(set) var checksum: UInt = 0
    private(set) var openFailed = false
    /// It could not be opened for want of descriptors (`InputError.outOfDescriptors`).
    private(set) var outOfDescriptors = false
    /// The length of the file's content (its decompressed bytes) when a run read it before
    /// (`Manifest`): the CRC-32 of its first so many bytes now is kept in `prefixChecksum`.
    var previousContentBytes: Int64?
    private(set) var prefixChecksum: UInt?
    /// The content's length and CRC-32, at the end.
    private(set) var contentBytes: Int64 = 0
    private(set) var contentChecksum: UInt = 0
    /// Events kept without a numeric property they held that is no number (`"value":
    /// "12,50"`), and the first of them: the run warns of them (`NDJSONParser`).
    private(set) var unreadNumbers = 0
    /// The bits of the pipeline's `fields` mappings whose paths the file's lines held
    /// (`FieldMapping.ends`), and how many NDJSON lines were read as events.
    private var mappedFound: UInt64 = 0
    private var eventLines = 0
    private(set) var firstUnreadNumber: String?
    /// Of the first `pastFormatSample` access-log lines the format fits, those with text
    /// after the format's end (`AccessLogParser.textPastTheFormat`), and the first of them.
    private(set) var pastFormat = (sampled: 0, past: 0, firstLine: 0)
    static let pastFormatSample = 1_000
    /// Whether most of at least 20 sampled lines have text after the format's end (a few odd
    /// lines are no format's fault), or every line of a shorter file has (a CI fixture of six
    /// `combined` lines read as `common` passed quietly until 2026-12-06; a review).
    var mostLinesPastFormat: Bool {
        pastFormat.sampled >= 20 ? pastFormat.past * 2 > pastFormat.sampled : pastFormat.sampled > 0 && pastFormat.past == pastFormat.sampled
    }

    /// The bytes of buffers the open file holds: its compressed bytes' and as much of its
    /// lines' as reads have filled (which grows to its longest line); 0 when not open.
    var heldBytes: Int { (stream?.bufferBytes ?? 0) + (reader?.bufferUsed ?? 0) }

    /// Whether the file is read with small buffers (64 KiB of compressed bytes, 128 KiB of
    /// lines, against 256 KiB and 1 MiB): set for a day of many files, whose window may hold
    /// hundreds open at once (`ReadStage.slidingFrom`).
    var smallBuffers = false

    init(file: InputFile) throws(PipelineError) {
        self.file = file
        switch file.source.kind {
        case .accessLog:
            do {
                var options = AccessLogParser.Options(visitorCookie: file.source.visitorCookie, sessionCookie: file.source.sessionCookie)
                options.countryVariable = file.source.countryVariable
                options.cityVariable = file.source.cityVariable
                parser = .accessLog(try AccessLogParser(format: AccessLogFormat(file.source.format), options: options))
            } catch {
                throw PipelineError("\(file.path): \(error)")
            }
        case .ndjson:
            do {
                let mapping = file.source.fields.isEmpty ? nil : try FieldMapping(file.source.fields)
                parser = .ndjson(NDJSONParser(dialect: NDJSONParser.Dialect(rawValue: file.source.dialect) ?? .canonical, mapping: mapping,
                                              eventNames: file.source.eventNames))
            } catch {
                throw PipelineError("\(file.path): \(error)")
            }
        }
    }

    private var reader: LineReader?
    private var stream: InputStream?
    /// The line after a NUL hole, parsed once the hole's reject has been handed out.
    private var afterHole: (line: UnsafeRawBufferPointer, number: Int)?
    /// An over-long line's reject, handed out after the hole before it.
    private var pendingReject: Reject?
    private var finished = false
    /// Set when the file ended early (cannot be opened, damaged gzip): what happened and the
    /// partial line it cut.
    private(set) var damage: Damage?

    /// Receives an access-log line's fields as bytes with the line's number, and returns
    /// whether it took them (see `AccessLogParser.parse(_:requestFilter:pageView:)`); and a
    /// client event's (`NDJSONParser.clientEvent`, `origin` `.client`).
    typealias PageViewTaker = (PageViewFields, _ line: Int) -> Bool

    /// The next item of the file, or nil at its end (then `damage` tells whether it was cut
    /// short). A record's `raw` line is valid until the next call. An access-log line that
    /// `requestFilter` drops comes as `.skip` with its reason, without a record; one that
    /// `pageView` takes (an access-log line or a plain client event) comes as `.taken`.
    mutating func next(maxLineLength: Int, requestFilter: AccessLogParser.RequestFilter? = nil, pageView: PageViewTaker? = nil) -> Item? {
        if let pending = pendingReject {
            pendingReject = nil
            return .reject(pending)
        }
        if let (line, number) = afterHole {
            afterHole = nil
            if Self.isBlank(line) { return .blank }
            return parse(line, number: number, requestFilter: requestFilter, pageView: pageView)
        }
        if finished { return nil }
        if reader == nil {
            if let what = file.notRegular {
                openFailed = true
                finished = true
                damage = Damage(message: InputError(path: file.path, notAFile: what).description, tail: [])
                return nil
            }
            do {
                let stream = try InputStream.opening(file.path, bufferSize: smallBuffers ? 1 << 16 : 1 << 18, regularOnly: file.listedRegular)
                stream.contentPrefixLength = previousContentBytes
                self.stream = stream
                reader = LineReader(stream: stream, maxLineLength: maxLineLength, chunkSize: smallBuffers ? 1 << 17 : 1 << 20)
            } catch {
                openFailed = true
                outOfDescriptors = error.outOfDescriptors
                finished = true
                damage = Damage(message: error.description, tail: [])
                return nil
            }
        }
        guard let reader, let stream else { return nil }
        guard let item = reader.next() else {
            finished = true
            lines = reader.lineCount
            endsWithoutLineEnd = reader.endsWithoutLineEnd
            bytes = stream.bytesRead
            checksum = stream.checksum
            prefixChecksum = stream.contentPrefixChecksum
            contentBytes = stream.contentBytes
            contentChecksum = stream.contentChecksum
            if let cut = reader.end.damage {
                damage = Damage(message: "\(cut.message); \(lines) lines before it were read", tail: reader.end.tail)
            }
            self.reader = nil
            self.stream = nil
            return nil
        }
        switch item {
        case .tooLong(let prefix, let number, let length):
            let tooLong = Reject(source: file.path, line: number, reason: .lineTooLong, raw: prefix,
                                 detail: "\(length) bytes, over the limit of \(maxLineLength)")
            // A hole before it is said too (rv75g: it went without a word).
            let hole = reader.holeBeforeLine
            guard hole > 0 else { return .reject(tooLong) }
            pendingReject = tooLong
            return .reject(Reject(source: file.path, line: number, reason: .nulHole, raw: Self.raw(hole: hole, UnsafeRawBufferPointer(start: nil, count: 0)),
                                  detail: "\(hole) NUL bytes (a hole a crash left in the file) before the line, which is over the limit"))
        case .line(let line, let number):
            // A crash can leave a hole of NUL bytes where a log's tail was; the server then
            // appends its next line right behind it. The reader takes the hole off the line
            // (`holeBeforeLine`): it is reported, and the line after it read, so no good line is
            // lost to it; a hole with nothing after it is damage too (rv75a: a NUL-only tail was
            // a `nul_byte` reject, in the reject rate), and its line is blank.
            let readerCut = reader.cutBeforeHole
            let hole = reader.holeBeforeLine - readerCut
            // One `memchr` a line, as before holes were looked for inside lines.
            let nul = line.baseAddress.flatMap { base in memchr(base, 0, line.count).map { UnsafeRawPointer($0) - base } }
            var inside = nul.flatMap { Self.holeInside(line, from: $0) }
            // A file system loses a tail from a block's start, seldom a line's end: the part of
            // a line before the hole is cut short, and the line after it is the server's next
            // (rv75g: a hole after 40 bytes of a line lost the good line behind it).
            if hole > 0 && inside == nil && nul == nil {
                inside = (cut: readerCut, run: 0, rest: line)
            }
            if let inside {
                afterHole = (inside.rest, number)
                let raw = Self.raw(hole: hole, line)
                let after = inside.rest.isEmpty ? "with nothing after it" : "before the line; the rest of the line was read"
                let what = inside.cut > 0 ? "\(inside.cut) bytes of a line cut short, then \(hole + inside.run) NUL bytes" : "\(hole + inside.run) NUL bytes"
                return .reject(Reject(source: file.path, line: number, reason: .nulHole, raw: raw,
                                      detail: "\(what) (a hole a crash left in the file) \(after)"))
            }
            if hole == 0 && Self.isBlank(line) { return .blank }
            if hole > 0 || nul != nil {
                let raw = Self.raw(hole: hole, line)
                return .reject(Reject(source: file.path, line: number, reason: .nulByte, raw: raw, detail: "NUL byte in the line"))
            }
            return parse(line, number: number, requestFilter: requestFilter, pageView: pageView)
        }
    }

    private mutating func parse(_ line: UnsafeRawBufferPointer, number: Int, requestFilter: AccessLogParser.RequestFilter?,
                                pageView: PageViewTaker?) -> Item {
        switch parser {
        case .accessLog(let parser):
            let outcome = if let pageView {
                parser.parse(line, requestFilter: requestFilter, timeMemo: &timeMemo, pageView: { pageView($0, number) })
            } else {
                parser.parse(line, requestFilter: requestFilter)
            }
            if pastFormat.sampled < Self.pastFormatSample {
                if case .reject = outcome {} else {
                    pastFormat.sampled += 1
                    if parser.textPastTheFormat(line) {
                        pastFormat.past += 1
                        if pastFormat.firstLine == 0 { pastFormat.firstLine = number }
                    }
                }
            }
            switch outcome {
            case .record(let record): return .record(record, line: number, raw: line)
            case .taken: return .taken
            case .reject(let reason, let detail): return .reject(Reject(source: file.path, line: number, reason: reason, raw: line, detail: detail))
            case .filtered(let reason): return .skip(reason)
            }
        case .ndjson(let parser):
            // The plainest client events go as bytes too (`clientEvent`), when the reader
            // takes them.
            if let pageView, let view = parser.clientEvent(line), pageView(view, number) {
                eventLines += 1
                return .taken
            }
            var unread: String?
            var found: UInt64 = 0
            let outcome = parser.parse(line, unreadNumber: &unread, describing: firstUnreadNumber == nil, mappedFound: &found)
            // Events alone: a rejected line, or a skipped call (Segment's identify), holds none
            // (rv75h: a file of identify calls was warned of every night).
            if case .record = outcome {
                eventLines += 1
                mappedFound |= found
            }
            switch outcome {
            case .record(let record):
                if let unread {
                    unreadNumbers += 1
                    // Quoted in a warning that the summary file keeps: an address given as a
                    // value is shown redacted (it was quoted whole until 2026-12-05).
                    if firstUnreadNumber == nil { firstUnreadNumber = "line \(number), \(Self.quotable(unread))" }
                }
                return .record(record, line: number, raw: line)
            case .reject(let reason, let detail): return .reject(Reject(source: file.path, line: number, reason: reason, raw: line, detail: detail))
            case .skip(let reason): return .skip(reason)
            }
        }
    }

    /// The `fields` mappings of what nearly every event has (its name, time, ids and URL)
    /// whose paths none of the file's events held (rv75f: `session_id: props.sid` over lines
    /// holding `props.sessionId` lost every client session without a word); none for a file
    /// without events. A property's or a user's path is not said: a day may have no purchase
    /// and no login.
    var unfoundMappings: [(target: String, path: String)] {
        guard case .ndjson(let parser) = parser, let mapping = parser.mapping, eventLines > 0 else { return [] }
        return mapping.unfound(mappedFound).filter { Self.expectedOnEveryEvent.contains($0.target) }
    }

    private static let expectedOnEveryEvent: Set<String> = ["event", "timestamp", "session_id", "anonymous_id", "url"]

    /// A hole of NUL bytes inside a line whose first NUL byte is at `start`: the bytes before
    /// it (a line cut short), the run's length (`LineReader.holeRunMinimum` or more), and the
    /// text after it, which holds no NUL. Nil for NUL bytes of another shape (`nul_byte`).
    static func holeInside(_ line: UnsafeRawBufferPointer, from start: Int) -> (cut: Int, run: Int, rest: UnsafeRawBufferPointer)? {
        guard let base = line.baseAddress else { return nil }
        var end = start
        while end < line.count && line[end] == 0 { end += 1 }
        guard end - start >= LineReader.holeRunMinimum, memchr(base + end, 0, line.count - end) == nil else { return nil }
        return (start, end - start, UnsafeRawBufferPointer(rebasing: line[end...]))
    }

    /// A reject's raw line for a line behind a hole: the hole's NUL bytes, which the reader
    /// took off the line, then the line, as far as a reject keeps.
    private static func raw(hole: Int, _ line: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](repeating: 0, count: min(hole, Reject.rawLimit)) + line.prefix(max(0, Reject.rawLimit - hole))
    }

    /// Whether a line holds nothing but spaces and tabs, after a byte-order mark an editor put
    /// before it (rv75a: a mark before a blank line made it a `format_mismatch` or `bad_json`
    /// reject, where pipeline.md has blank lines counted, not rejected).
    static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        var rest = line[...]
        if rest.count >= 3, rest[rest.startIndex] == 0xEF, rest[rest.startIndex + 1] == 0xBB, rest[rest.startIndex + 2] == 0xBF {
            rest = rest.dropFirst(3)
        }
        return rest.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    /// A value quoted in a warning (`"value": "12,50"`), with e-mail and IP addresses in it
    /// redacted as in a session's texts (SPEC 11: the summary file keeps the warning), and
    /// then a quoted string cut after 24 characters (`"value": "abc..."`).
    static func quotable(_ text: String) -> String {
        let text = SessionTexts.withoutPersonalData(text, queries: false) ?? text
        guard let open = text.range(of: "\": \""), text.hasSuffix("\""), open.upperBound < text.endIndex else { return text }
        let value = text[open.upperBound..<text.index(before: text.endIndex)]
        guard value.count > 24 else { return text }
        return String(text[..<open.upperBound]) + value.prefix(24) + "...\""
    }
}
