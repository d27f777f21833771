import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// Turns access-log lines into records, for one source's format and cookie names.
///
/// Matching is a single pass over the bytes: each variable ends where the next literal of the
/// format starts (inside quotes, `\"` does not end it). Strings are made only for the
/// variables funnel keeps. Lines are not filtered here: whether a line is a page view is the
/// transformer's rule, so the record carries `method` and `status`.
public struct AccessLogParser: Sendable {
    public struct Options: Sendable {
        /// Cookie holding the visitor id (`$cookie_NAME`, or parsed from `$http_cookie`).
        public var visitorCookie: String?
        /// Cookie holding the client session id.
        public var sessionCookie: String?
        /// Header variable holding an ISO country code, e.g. Cloudflare's `http_cf_ipcountry`.
        public var countryVariable: String = "http_cf_ipcountry"
        /// Header variable holding the city's name, e.g. Cloudflare's `http_cf_ipcity` (SPEC
        /// 6: a record's own city comes before the MaxMind DB's).
        public var cityVariable: String = "http_cf_ipcity"

        public init(visitorCookie: String? = nil, sessionCookie: String? = nil) {
            self.visitorCookie = visitorCookie
            self.sessionCookie = sessionCookie
        }
    }

    public enum Outcome {
        case record(Record)
        case reject(RejectReason, detail: String)
        /// Dropped by the request filter passed to `parse` (a static file, an error status, ...).
        case filtered(FilterReason)
        /// Handed to `parse`'s `pageView` as bytes, which took it.
        case taken
    }

    /// Why a request is not a page view, from its method (whether it is GET), status and path
    /// alone, or nil: the page-view rule's part that needs no user agent (SPEC 1.1). `parse`
    /// applies it before it makes a record, since most dropped lines are static files and
    /// making their record's strings cost more than reading the line.
    /// The path comes as its bytes (in the line, or in the record's path string): a line the
    /// filter drops never makes a string for it.
    public typealias RequestFilter = (_ isGET: Bool, _ status: Int?, _ path: UnsafeBufferPointer<UInt8>?) -> FilterReason?

    public let format: AccessLogFormat
    public let options: Options
    private let tokens: [AccessLogFormat.Token]
    /// The tokens compiled for the line loop: plain values, so that matching a line retains
    /// nothing and compares no variable names (see `Step`).
    private let steps: [Step]
    /// Every literal's bytes, one after another; a step names its own by offset and length.
    private let literals: [UInt8]
    private let cookieHeaderHolds: Bool
    /// Whether the format gives each line's method (`$request`, `$request_method`) and
    /// status. One that does not has its lines taken as GET and as successful: the page-view
    /// rule checks what the format gives. Until 2026-12-05 a format of `$request_uri` and no
    /// method, or without `$status`, loaded, then filtered every line (`not_get`,
    /// `error_status`) and the run ended with no sessions and exit 0.
    private let givesMethod: Bool
    private let givesStatus: Bool

    public init(format: AccessLogFormat, options: Options = Options()) throws(AccessLogFormatError) {
        self.format = format
        self.options = options
        tokens = format.tokens
        let variables = format.variables
        cookieHeaderHolds = variables.contains(.header("cookie"))
        givesMethod = variables.contains(.request) || variables.contains(.requestMethod)
        givesStatus = variables.contains(.status)
        (steps, literals) = Self.compile(tokens, options: options)
        // A custom format without the named cookie is a mistake worth stopping for. The named
        // formats hold no cookies at all, yet SPEC 12's example pairs `combined` with cookie
        // names and must load as written: there the cookies are simply never found.
        let namedFormat = format.source == AccessLogFormat.combined || format.source == AccessLogFormat.common
        for (role, name) in [("visitor_cookie", options.visitorCookie), ("session_cookie", options.sessionCookie)] {
            guard let name, !namedFormat else { continue }
            if !variables.contains(.cookie(name)) && !cookieHeaderHolds {
                throw AccessLogFormatError("\(role) '\(name)' is set, but the log format has neither $cookie_\(name) nor $http_cookie; add one of them to the format")
            }
        }
        guard variables.contains(where: { [.timeLocal, .timeISO8601, .msec].contains($0) }) else {
            throw AccessLogFormatError("the log format has no time variable ($time_local, $time_iso8601 or $msec)")
        }
        guard variables.contains(where: { [.request, .requestURI].contains($0) }) else {
            throw AccessLogFormatError("the log format has no $request or $request_uri, so page views cannot be told")
        }
    }

    /// The line's record, or why it is rejected; with `requestFilter`, `.filtered` for a valid
    /// line whose request it drops. Strings are made only for records handed out.
    public func parse(_ line: UnsafeRawBufferPointer, requestFilter: RequestFilter? = nil) -> Outcome {
        var memo = TimeParser.TimeLocalMemo()
        return parse(line, requestFilter: requestFilter, offering: false, timeMemo: &memo) { _ in false }
    }

    /// `parse(_:requestFilter:)`, except that a line that passed the filter and needs no
    /// decoding is first offered to `pageView` as bytes (`PageViewFields`), and is `.taken`
    /// when `pageView` returns true; it is made a record when it returns false. `timeMemo`
    /// carries the day of one line's `$time_local` to the next line of the same file.
    public func parse(_ line: UnsafeRawBufferPointer, requestFilter: RequestFilter?, timeMemo: inout TimeParser.TimeLocalMemo,
                      pageView: (PageViewFields) -> Bool) -> Outcome {
        parse(line, requestFilter: requestFilter, offering: true, timeMemo: &timeMemo, pageView)
    }

    /// `nested`: a part of a line tried as a line of its own (`fits`), without the checks for
    /// lines run together, which would try its parts again.
    private func parse(_ line: UnsafeRawBufferPointer, requestFilter: RequestFilter?, offering: Bool,
                       timeMemo: inout TimeParser.TimeLocalMemo, nested: Bool = false, _ pageView: (PageViewFields) -> Bool) -> Outcome {
        var b = line.bindMemory(to: UInt8.self)
        // A byte-order mark before the first line (a log saved by an editor) is not content.
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF {
            b = UnsafeBufferPointer(rebasing: b[3...])
        }
        var fields = Fields(timeMemo: timeMemo)
        if !givesMethod { fields.method = .made("GET") }
        if !givesStatus { fields.status = 200 }
        defer { timeMemo = fields.timeMemo }
        let (failed, position) = walk(b) { step, raw in fields.store(step, raw) }
        if failed == nil && !nested {
            // Servers write a quote inside a quoted field as `\x22` (nginx) or `\"` (Apache):
            // one as it is, with a whole line of the format starting in the field before it,
            // means the field ran on into another line (rv75a: a line cut short mid-request
            // with the next written onto it was one page view of both, whose path held the
            // other visitor's address, exit 0). A quote a writer left unescaped (nginx's
            // `escape=none`, some application loggers) starts no such line and is kept as
            // before (rv75i: such lines were rejected).
            if let inside = fields.quoteInside, case .variable(let variable, _) = tokens[inside.token],
               let base = b.baseAddress, let field = inside.field.baseAddress {
                let start = base.distance(to: field)
                let quote = start + inside.quote
                if let joined = (start..<min(quote, start + 1024)).first(where: { fits(UnsafeBufferPointer(rebasing: b[$0...])) }) {
                    return .reject(.formatMismatch, detail: "a '\"' inside the quoted $\(variable.name), and a line of the format from byte \(joined + 1): a line cut short and the next written onto it?")
                }
            }
            // Another whole line after the format's end: two lines joined (rv75a: the second
            // was lost without a word), or lines ended by a CR alone.
            if position < b.count, let detail = joinedLine(b, after: position) {
                return .reject(.formatMismatch, detail: detail)
            }
            // A format ending in an unquoted variable (`common`'s `$body_bytes_sent`) has that
            // variable run to the line's end: a line joined there is the whole value (a line cut
            // short in it) or follows its first space (rv75g: `common` lines cut short and run
            // on lost the next line without a word).
            if let tail = fields.unquotedTail, let base = b.baseAddress, let tailBase = tail.baseAddress, tail.contains(0x20) {
                let start = base.distance(to: tailBase)
                let space = tail.firstIndex(of: 0x20)!
                if let detail = joinedLine(b, after: start) ?? joinedLine(b, after: start + space + 1) {
                    return .reject(.formatMismatch, detail: detail)
                }
            }
        }
        if let failed {
            switch tokens[failed] {
            case .literal(let literal):
                return .reject(.formatMismatch, detail: "expected '\(String(decoding: literal, as: UTF8.self))' at byte \(position + 1)")
            case .variable(let variable, _):
                guard case .literal(let next) = tokens[failed + 1] else { break }
                return .reject(.formatMismatch, detail: "no '\(String(decoding: next, as: UTF8.self))' after $\(variable.name)")
            }
        }
        return fields.makeRecord(options: options, requestFilter: requestFilter, offering: offering, pageView)
    }

    /// Walks the format's tokens along the line, giving each variable's bytes to `store`: the
    /// index of the token that did not fit (nil when all did), and where the walk stopped.
    @inline(__always)
    private func walk(_ b: UnsafeBufferPointer<UInt8>, _ store: (Step, UnsafeBufferPointer<UInt8>) -> Void) -> (failed: Int?, position: Int) {
        var position = 0
        let failed: Int? = literals.withUnsafeBufferPointer { literals in
            steps.withUnsafeBufferPointer { steps in
                var index = 0
                while index < steps.count {
                    let step = steps[index]
                    if case .literal = step.slot {
                        guard Self.matches(b, at: position, literals, step.literal) else { return index }
                        position += step.literal.count
                        index += 1
                    } else if let next = step.nextLiteral {
                        // `find` matched the literal that ends the variable: it is passed over.
                        guard let found = Self.find(literals, next, in: b, from: position, quoted: step.quoted) else { return index }
                        store(step, UnsafeBufferPointer(rebasing: b[position..<found]))
                        position = found + next.count
                        index += 2
                    } else {
                        store(step, UnsafeBufferPointer(rebasing: b[position...]))
                        position = b.count
                        index += 1
                    }
                }
                return nil
            }
        }
        return (failed, position)
    }

    /// Whether `candidate` is a line of the format: parsed whole as one, its time and status
    /// read, an event kept or filtered (a bot's or a static file's line is one too), not
    /// rejected. Matching the format's literals alone took any text with spaces for a line of a
    /// format whose only literal is a space (rv75i: every line of `$time_iso8601 $remote_addr
    /// $request_method $request_uri $status $http_user_agent` was rejected, exit 2).
    private func fits(_ candidate: UnsafeBufferPointer<UInt8>) -> Bool {
        var memo = TimeParser.TimeLocalMemo()
        switch parse(UnsafeRawBufferPointer(candidate), requestFilter: nil, offering: false, timeMemo: &memo, nested: true, { _ in false }) {
        case .record, .filtered, .taken: return true
        case .reject: return false
        }
    }

    /// Why the text after the format's end is another log line, or nil: it is a line of the
    /// format too (`fits`), after the blanks and CRs before it.
    private func joinedLine(_ b: UnsafeBufferPointer<UInt8>, after position: Int) -> String? {
        var start = position
        var carriageReturn = false
        while start < b.count, b[start] == 0x20 || b[start] == 0x09 || b[start] == 0x0D {
            if b[start] == 0x0D { carriageReturn = true }
            start += 1
        }
        guard start < b.count, fits(UnsafeBufferPointer(rebasing: b[start...])) else { return nil }
        return carriageReturn
            ? "another log line follows the format's end after a CR: lines ended by a CR alone? (each line must end with LF or CRLF)"
            : "another log line follows the format's end at byte \(start + 1): two lines joined, a line end lost?"
    }

    /// Whether a line the format fits has more after the format's end than it reads: text
    /// after the format's last literal, or a quoted field after a space inside an unquoted
    /// last variable, which runs to the line's end (`$body_bytes_sent` of the `common` format
    /// in a `combined` line: `512 "https://ref/" "Mozilla/5.0 ..."`; not a space a value
    /// holds, as `$http_x_forwarded_for`'s `203.0.113.1, 10.1.1.1` or an unquoted
    /// `$time_local`'s zone: a review). Such text is ignored (servers append
    /// fields), but on most lines it means the format lacks fields the log has: a run says
    /// so (SPEC 2: a wrong format must not pass quietly; a review found `common` over
    /// `combined` logs kept every line, without referrers or user agents).
    public func textPastTheFormat(_ line: UnsafeRawBufferPointer) -> Bool {
        let b = line.bindMemory(to: UInt8.self)
        guard let base = b.baseAddress else { return false }
        var tail: (quoted: Bool, raw: UnsafeBufferPointer<UInt8>)?
        let (failed, position) = walk(b) { step, raw in
            if raw.baseAddress.map({ $0 + raw.count == base + b.count }) == true { tail = (step.quoted, raw) }
        }
        guard failed == nil else { return false }
        if position < b.count, b[position...].contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) { return true }
        guard let tail, !tail.quoted else { return false }
        // Trailing blanks (a CR, a space) are no field.
        var end = tail.raw.count
        while end > 0, [0x20, 0x09, 0x0D].contains(tail.raw[end - 1]) { end -= 1 }
        guard end > 1 else { return false }
        return (0..<(end - 1)).contains { tail.raw[$0] == 0x20 && tail.raw[$0 + 1] == 0x22 }
    }

    // MARK: - Steps

    /// One token of the format as the line loop needs it: a literal's place in `literals`, or
    /// what a variable is for (`Slot`) with the literal that ends it.
    private struct Step {
        var slot: Slot
        var quoted = false
        /// The variable is also the pipeline's country header, or its city header.
        var country = false
        var city = false
        /// For a literal: its bytes in `literals`.
        var literal: Range<Int> = 0..<0
        /// For a variable followed by a literal: that literal's bytes; nil, the line's end.
        var nextLiteral: Range<Int>?
        /// The variable's place in the format's tokens, to name it.
        var token = 0
    }

    /// What a variable's value is kept as; `ignored` variables are matched and dropped.
    private enum Slot {
        case literal, ignored, remoteAddr, forwardedFor, clientHeader, timeLocal, timeISO8601, msec, request, requestMethod, requestURI
        case status, referrer, userAgent, host, cookie(visitor: Bool, session: Bool), cookieHeader
    }

    private static func compile(_ tokens: [AccessLogFormat.Token], options: Options) -> ([Step], [UInt8]) {
        var literals: [UInt8] = []
        var ranges: [Range<Int>?] = []
        for token in tokens {
            guard case .literal(let bytes) = token else { ranges.append(nil); continue }
            ranges.append(literals.count..<(literals.count + bytes.count))
            literals += bytes
        }
        let countryVariable = LogVariable(name: options.countryVariable)
        let cityVariable = LogVariable(name: options.cityVariable)
        var steps: [Step] = []
        for (index, token) in tokens.enumerated() {
            switch token {
            case .literal:
                steps.append(Step(slot: .literal, literal: ranges[index]!))
            case .variable(let variable, let quoted):
                let slot: Slot = switch variable {
                case .remoteAddr: .remoteAddr
                case .httpXForwardedFor: .forwardedFor
                case .header(let name) where LogVariable.clientAddressHeaders.contains(name): .clientHeader
                case .timeLocal: .timeLocal
                case .timeISO8601: .timeISO8601
                case .msec: .msec
                case .request: .request
                case .requestMethod: .requestMethod
                case .requestURI: .requestURI
                case .status: .status
                case .httpReferer: .referrer
                case .httpUserAgent: .userAgent
                case .host: .host
                case .cookie(let name): .cookie(visitor: name == options.visitorCookie, session: name == options.sessionCookie)
                case .header("cookie"): .cookieHeader
                default: .ignored
                }
                steps.append(Step(slot: slot, quoted: quoted, country: variable == countryVariable, city: variable == cityVariable,
                                  nextLiteral: index + 1 < tokens.count ? ranges[index + 1] : nil, token: index))
            }
        }
        return (steps, literals)
    }

    // MARK: - Matching

    /// Whether `literal` is at `position` (never negative) in the line. Indices are checked
    /// once, by the guard, and the bytes compared without overflow checks: checked, the loop
    /// took 13 instructions a byte (34 million of the bench's S run, 26 literal bytes a line).
    @inline(__always)
    private static func matches(_ b: UnsafeBufferPointer<UInt8>, at position: Int, _ literals: UnsafeBufferPointer<UInt8>, _ literal: Range<Int>) -> Bool {
        let count = literal.count
        guard position &+ count <= b.count else { return false }
        guard count > 0 else { return true }
        guard let line = b.baseAddress, let bytes = literals.baseAddress else { return false }
        let here = line + position, wanted = bytes + literal.lowerBound
        var i = 0
        while i < count {
            if here[i] != wanted[i] { return false }
            i &+= 1
        }
        return true
    }

    /// Where `byte` first is in `base[from..<end]`, looked for eight bytes at a step while a
    /// whole word of the line (`count` bytes) is left; `end` if it is not there. The lowest
    /// byte `ByteWord.bytes(equalTo:in:)` flags is the first equal one. Byte by byte, a short
    /// variable (a status, a size, an address) took 5 instructions a byte.
    @inline(__always)
    static func nearIndex(of byte: UInt8, in base: UnsafePointer<UInt8>, from: Int, to end: Int, count: Int) -> Int {
        var index = from
        while index < end {
            if index &+ 8 <= count {
                let equal = ByteWord.bytes(equalTo: byte, in: ByteWord.load(base, at: index))
                if equal != 0 { return Swift.min(end, index &+ equal.trailingZeroBitCount >> 3) }
                index &+= 8
            } else {
                if base[index] == byte { return index }
                index &+= 1
            }
        }
        return end
    }

    /// Where `literal` next starts at or after `from`. Inside quotes a backslash escapes the
    /// byte after it, so a candidate behind an odd run of backslashes is passed over.
    /// Candidates are found with `memchr` (a line's long fields, the request and the user
    /// agent, are crossed in vector steps).
    private static func find(_ literals: UnsafeBufferPointer<UInt8>, _ literal: Range<Int>, in b: UnsafeBufferPointer<UInt8>,
                             from: Int, quoted: Bool) -> Int? {
        let first = literals[literal.lowerBound]
        // Inside quotes a backslash only ever starts an escape: a literal starting with one
        // cannot be found there.
        if quoted && first == UInt8(ascii: "\\") { return nil }
        guard let base = b.baseAddress else { return nil }
        var i = from
        while i < b.count {
            // Most variables (an address, a status, a size, a time) end within a few bytes,
            // found a word at a time (`nearIndex`); the call to `memchr` pays off for the long ones.
            let near = min(b.count, i + 16)
            var candidate = nearIndex(of: first, in: base, from: i, to: near, count: b.count)
            if candidate == near {
                guard near < b.count, let hit = memchr(base + near, Int32(first), b.count - near) else { return nil }
                candidate = base.distance(to: UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)))
            }
            if quoted && isEscaped(b, at: candidate, from: from) {
                i = candidate + 1
                continue
            }
            if matches(b, at: candidate, literals, literal) { return candidate }
            i = candidate + 1
        }
        return nil
    }

    /// Whether the byte at `at` follows an odd run of backslashes, looking back no further
    /// than `from`: inside quotes a backslash escapes the byte after it (`find`, `bareQuote`).
    @inline(__always)
    private static func isEscaped(_ b: UnsafeBufferPointer<UInt8>, at: Int, from: Int) -> Bool {
        var run = at
        while run > from && b[run - 1] == UInt8(ascii: "\\") { run -= 1 }
        return (at - run) % 2 == 1
    }

    // MARK: - Fields

    /// A variable's bytes in the line (valid during `parse`) and whether it was quoted, made a
    /// string only when the line becomes a record.
    private struct Raw {
        var bytes: UnsafeBufferPointer<UInt8>
        var quoted: Bool
    }

    /// A request target: bytes of the line, or a copy when it had to be unescaped.
    private enum Target {
        case inLine(UnsafeBufferPointer<UInt8>)
        case unescaped([UInt8])

        var parts: URLParts {
            switch self {
            case .inLine(let bytes): URLParts(bytes: bytes, requestTarget: true)
            case .unescaped(let bytes): bytes.withUnsafeBufferPointer { URLParts(bytes: $0, requestTarget: true) }
            }
        }
    }

    /// A request's method: bytes of the line as they are, or a string when they had escapes.
    /// The filter only asks whether it is `GET`; the string is made for a record alone.
    private enum Method {
        case inLine(UnsafeBufferPointer<UInt8>)
        case made(String)

        var isGET: Bool {
            switch self {
            case .inLine(let bytes):
                bytes.count == 3 && bytes[0] == UInt8(ascii: "G") && bytes[1] == UInt8(ascii: "E") && bytes[2] == UInt8(ascii: "T")
            case .made(let text): text == "GET"
            }
        }

        var text: String {
            switch self {
            case .inLine(let bytes): String(decoding: bytes, as: UTF8.self)
            case .made(let text): text
            }
        }
    }

    /// The variables funnel uses: bytes of the line, decoded when the record is made.
    private struct Fields {
        var remoteAddr: Raw?
        /// `$remote_addr` held blanks alone.
        var blankRemoteAddr = false
        var forwardedFor: Raw?
        /// A CDN's or proxy's header naming the client (`$http_cf_connecting_ip`,
        /// `$http_x_real_ip`, ...).
        var clientHeader: Raw?
        var time: Int64?
        /// The time field as written, for the message of a bad time (valid during `parse`).
        var timeText: UnsafeBufferPointer<UInt8>?
        var timeFound = false
        var timePrecision = 0
        var method: Method?
        var target: Target?
        var status: Int?
        /// A status field that is no three-digit number: the format does not fit the line.
        var badStatus: UnsafeBufferPointer<UInt8>?
        var referrer: Raw?
        var userAgent: Raw?
        var host: Raw?
        var visitorID: Raw?
        var sessionID: Raw?
        var country: String?
        var city: String?
        var cookieHeader: [UInt8]?
        /// The first quoted variable holding a quote no backslash escapes: its token, its bytes
        /// and the quote's place in them.
        var quoteInside: (token: Int, field: UnsafeBufferPointer<UInt8>, quote: Int)?
        /// The value of a last variable that is unquoted, which runs to the line's end.
        var unquotedTail: UnsafeBufferPointer<UInt8>?
        var timeMemo: TimeParser.TimeLocalMemo

        init(timeMemo: TimeParser.TimeLocalMemo) { self.timeMemo = timeMemo }

        mutating func store(_ step: Step, _ raw: UnsafeBufferPointer<UInt8>) {
            if raw.count == 1 && raw[0] == UInt8(ascii: "-") { return }
            if raw.isEmpty { return }
            let quoted = step.quoted
            if quoted, quoteInside == nil, let quote = Self.bareQuote(in: raw) { quoteInside = (step.token, raw, quote) }
            if !quoted, step.nextLiteral == nil { unquotedTail = raw }
            switch step.slot {
            case .remoteAddr:
                // Blanks at its end are the line's, not the address's (rv74d: a format ending
                // in $remote_addr over a line ending in a space made another visitor of it).
                var end = raw.count
                while end > 0, raw[end - 1] == UInt8(ascii: " ") || raw[end - 1] == UInt8(ascii: "\t") { end -= 1 }
                // Blanks alone are a field the format misplaced, as a space inside is (rv74e).
                if end > 0 { remoteAddr = Raw(bytes: UnsafeBufferPointer(rebasing: raw[..<end]), quoted: quoted) } else { blankRemoteAddr = true }
            case .forwardedFor: forwardedFor = Raw(bytes: raw, quoted: quoted)
            case .clientHeader: if clientHeader == nil { clientHeader = Raw(bytes: raw, quoted: quoted) }
            case .timeLocal: setTime(precision: 1, raw, TimeParser.parseTimeLocal(raw, memo: &timeMemo))
            case .timeISO8601: setTime(precision: 2, raw, CivilTime.parseISO8601(raw))
            case .msec: setTime(precision: 3, raw, TimeParser.parseEpochSeconds(raw))
            case .request:
                // "GET /path?x HTTP/1.1": method, target, protocol. The target stays in the line
                // unless the request had escapes.
                if quoted && Self.hasBackslash(raw) {
                    let unescaped = unescape(raw)
                    unescaped.withUnsafeBufferPointer { bytes in
                        guard let (method, target) = Self.split(bytes) else { return }
                        self.method = .made(String(decoding: method, as: UTF8.self))
                        self.target = .unescaped(Hex.escapingControls(target) ?? Array(target))
                    }
                } else if let (method, target) = Self.split(raw) {
                    self.method = .inLine(method)
                    self.target = Hex.escapingControls(target).map(Target.unescaped) ?? .inLine(target)
                }
            case .requestMethod: method = quoted && Self.hasBackslash(raw) ? .made(text(raw, quoted)) : .inLine(raw)
            case .requestURI:
                let target = quoted && Self.hasBackslash(raw) ? unescape(raw) : nil
                self.target = target.map { Target.unescaped($0.withUnsafeBufferPointer { Hex.escapingControls($0) } ?? $0) }
                    ?? Hex.escapingControls(raw).map(Target.unescaped) ?? .inLine(raw)
            case .status:
                // Three digits, as every server writes it. Anything else is a line the format
                // does not fit (a field more or less before it): until 2026-12-05 it was taken
                // for an error status and filtered, so a wrong format passed quietly.
                if raw.count == 3, raw[0] &- 0x30 < 10, raw[1] &- 0x30 < 10, raw[2] &- 0x30 < 10 {
                    status = Int(raw[0] &- 0x30) * 100 + Int(raw[1] &- 0x30) * 10 + Int(raw[2] &- 0x30)
                } else {
                    badStatus = raw
                }
            case .referrer: referrer = Raw(bytes: raw, quoted: quoted)
            case .userAgent: userAgent = Raw(bytes: raw, quoted: quoted)
            case .host: host = Raw(bytes: raw, quoted: quoted)
            case .cookie(let visitor, let session):
                let value = CookieHeader.unquoted(raw)
                if visitor, !value.isEmpty { visitorID = Raw(bytes: value, quoted: quoted) }
                if session, !value.isEmpty { sessionID = Raw(bytes: value, quoted: quoted) }
            case .cookieHeader:
                cookieHeader = quoted ? unescape(raw, decodingControls: true) : Array(raw)
            case .literal, .ignored:
                break
            }
            if step.country {
                country = quoted && Self.hasBackslash(raw) ? CountryCode.normalize(text(raw, quoted)) : CountryCode.normalize(utf8: raw)
            }
            if step.city {
                let name = String(Substring(text(raw, quoted)).trimming { $0 == " " })
                city = name.isEmpty ? nil : name
            }
        }

        /// A request's method and target (between its first space and its last, or the end).
        private static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>)? {
            guard let space = bytes.firstIndex(of: 0x20) else { return nil }
            var end = bytes.count
            if let last = bytes.lastIndex(of: 0x20), last > space { end = last }
            return (UnsafeBufferPointer(rebasing: bytes[..<space]), UnsafeBufferPointer(rebasing: bytes[(space + 1)..<end]))
        }

        private var isGET: Bool { method?.isGET ?? false }

        /// `body` with the bytes of `/`, the path of a target that names none.
        private static func withRootPath<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
            var slash = UInt8(ascii: "/")
            return withUnsafePointer(to: &slash) { body(UnsafeBufferPointer(start: $0, count: 1)) }
        }

        mutating func setTime(precision: Int, _ raw: UnsafeBufferPointer<UInt8>, _ value: Int64?) {
            guard precision > timePrecision else { return }
            timePrecision = precision
            time = value
            timeText = raw
        }

        func makeRecord(options: Options, requestFilter: RequestFilter?, offering: Bool, _ pageView: (PageViewFields) -> Bool) -> Outcome {
            if let badStatus {
                return .reject(.formatMismatch, detail: "status \"\(String(decoding: badStatus.prefix(40), as: UTF8.self))\" is not a three-digit number")
            }
            // No address holds a space: one that does took in the fields the format left out
            // (`$remote_addr [$time_local]` over a combined log made it "198.51.1.17 - -", and
            // every fingerprint, hence every visitor and session id, was another, exit 0: rv74a).
            // memchr: a byte loop here cost 114 instructions a line (callgrind of S).
            // A list of addresses is a proxy's X-Forwarded-For logged where the client's address
            // belongs (Apache's %{X-Forwarded-For}i first; rv74d), with or without spaces (rv74e).
            if blankRemoteAddr { return .reject(.formatMismatch, detail: "remote_addr is blank: the format's text around $remote_addr does not fit the line") }
            if let address = remoteAddr?.bytes, let start = address.baseAddress {
                if memchr(start, Int32(UInt8(ascii: ",")), address.count) != nil {
                    return .reject(.formatMismatch, detail: "remote_addr \"\(String(decoding: address.prefix(40), as: UTF8.self))\" is a list of addresses, as X-Forwarded-For is: name that field $http_x_forwarded_for in the format")
                }
                if memchr(start, 0x20, address.count) != nil || memchr(start, 0x09, address.count) != nil {
                    return .reject(.formatMismatch, detail: "remote_addr \"\(String(decoding: address.prefix(40), as: UTF8.self))\" holds a space: the format's text around $remote_addr does not fit the line")
                }
            }
            guard timePrecision > 0 else { return .reject(.formatMismatch, detail: "the time field is empty") }
            guard let time else { return .reject(.badTimestamp, detail: "time \"\(timeText.map { String(decoding: $0, as: UTF8.self) } ?? "")\": funnel reads the time the log format names, as the server writes it, of a real date from 1990 to 2099") }
            let parts: URLParts?
            if offering, case .inLine(let target)? = target, needsNoDecoding {
                // The filter reads the path alone, and only a line it keeps is offered as bytes.
                let ranges = URLParts.Ranges(target, requestTarget: true)
                if let requestFilter {
                    let reason = ranges.path.isEmpty
                        ? Self.withRootPath { requestFilter(isGET, status, $0) }
                        : requestFilter(isGET, status, UnsafeBufferPointer(rebasing: target[ranges.path]))
                    if let reason { return .filtered(reason) }
                }
                var fields = PageViewFields(timestamp: time, target: target, targetParts: ranges)
                fields.host = host?.bytes
                fields.remoteAddr = remoteAddr?.bytes
                fields.referrer = referrer?.bytes
                fields.userAgent = userAgent?.bytes
                fields.visitorID = visitorID?.bytes
                fields.sessionID = sessionID?.bytes
                fields.country = country
                if pageView(fields) { return .taken }
                parts = URLParts(bytes: target, requestTarget: true)
            } else {
                parts = target?.parts
                if let requestFilter {
                    let reason = if var path = parts?.path {
                        path.withUTF8 { requestFilter(isGET, status, $0) }
                    } else {
                        requestFilter(isGET, status, nil)
                    }
                    if let reason { return .filtered(reason) }
                }
            }
            var record = Record(origin: .accessLog, event: "PageView", timestamp: time)
            record.method = method?.text
            record.status = status
            let host = host.map { URLParts.lowercasedHost(text($0)) }.flatMap { $0.isEmpty ? nil : $0 }
            if let parts {
                record.path = parts.path
                record.query = parts.query
                record.host = parts.host ?? host
            } else {
                record.host = host
            }
            record.referrer = referrer.map { text($0) }
            record.userAgent = userAgent.map { text($0) }
            // Behind a proxy or CDN the client is the first public X-Forwarded-For entry,
            // without a port, else the peer (`ClientAddress.client`); one that is no address (a
            // proxy's `unknown`, RFC 7239's `_hidden`) names no client (until 2026-12-06 the
            // first entry was taken as written).
            // A CDN's or proxy's client header (`CF-Connecting-IP`, `True-Client-IP`,
            // `X-Real-IP`) names the client as the first entry of the list would: it comes
            // first (until 2026-12-06 it was ignored, and every visitor behind one edge
            // address was one fingerprint; a review).
            let forwarded = switch (clientHeader.map { text($0) }, forwardedFor.map { text($0) }) {
            case (let header?, let list?): header + ", " + list
            case (let header, let list): header ?? list
            }
            record.ip = ClientAddress.client(forwardedFor: forwarded, peer: remoteAddr.map { text($0) })
            // Ids are decoded in full: one with a control byte is an `invalid_id`.
            // `""` (nginx's `\x22\x22`) is no id, as an empty value is.
            record.visitorID = visitorID.map { CookieHeader.unquoted(text($0, decodingControls: true)) }.flatMap { $0.isEmpty ? nil : $0 }
            record.sessionID = sessionID.map { CookieHeader.unquoted(text($0, decodingControls: true)) }.flatMap { $0.isEmpty ? nil : $0 }
            if let cookieHeader {
                if record.visitorID == nil, let name = options.visitorCookie {
                    record.visitorID = CookieHeader.value(of: name, in: cookieHeader)
                }
                if record.sessionID == nil, let name = options.sessionCookie {
                    record.sessionID = CookieHeader.value(of: name, in: cookieHeader)
                }
            }
            record.country = country
            record.city = city
            return .record(record)
        }

        /// Whether the fields a record keeps are the line's bytes as they are: no escape in a
        /// quoted one, no `X-Forwarded-For` list or `Cookie` header to take apart.
        private var needsNoDecoding: Bool {
            // A city goes through the record (a page view's bytes carry none).
            guard forwardedFor == nil, clientHeader == nil, cookieHeader == nil, city == nil else { return false }
            return Self.asWritten(remoteAddr) && Self.asWritten(referrer) && Self.asWritten(userAgent) && Self.asWritten(host)
                && Self.asWritten(visitorID) && Self.asWritten(sessionID)
        }

        @inline(__always)
        private static func asWritten(_ raw: Raw?) -> Bool {
            guard let raw, raw.quoted else { return true }
            return !hasBackslash(raw.bytes)
        }

        /// Whether a field holds an escape: `memchr`, since most fields hold none and the long
        /// ones (user agent, referrer) would otherwise be walked byte by byte.
        @inline(__always)
        private static func hasBackslash(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let base = raw.baseAddress else { return false }
            return memchr(base, Int32(UInt8(ascii: "\\")), raw.count) != nil
        }

        /// Where a quoted field holds a `"` that no backslash escapes (`memchr`: most hold none).
        /// Inlined: it is asked of every quoted field (not inlined, 90 instructions a line more
        /// on the bench's S by callgrind).
        @inline(__always)
        private static func bareQuote(in raw: UnsafeBufferPointer<UInt8>) -> Int? {
            guard let base = raw.baseAddress else { return nil }
            var from = 0
            while from < raw.count, let hit = memchr(base + from, Int32(UInt8(ascii: "\"")), raw.count - from) {
                let at = base.distance(to: UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)))
                if !AccessLogParser.isEscaped(raw, at: at, from: 0) { return at }
                from = at + 1
            }
            return nil
        }

        private func text(_ raw: Raw, decodingControls: Bool = false) -> String {
            text(raw.bytes, raw.quoted, decodingControls: decodingControls)
        }

        private func text(_ raw: UnsafeBufferPointer<UInt8>, _ quoted: Bool, decodingControls: Bool = false) -> String {
            guard quoted && Self.hasBackslash(raw) else { return String(decoding: raw, as: UTF8.self) }
            return String(decoding: unescape(raw, decodingControls: decodingControls), as: UTF8.self)
        }

        /// nginx escapes `"`, `\` and non-printable bytes in quoted fields as `\xHH`; other
        /// servers write `\"` and `\\`. Both are undone here, except an escaped control byte
        /// (below 0x20, or 0x7F), which stays as written unless `decodingControls`: a NUL,
        /// newline or tab must not reach a kept field (a path, a campaign value) and through it
        /// a CSV or Redis value. Ids decode them, so that validation rejects them.
        private func unescape(_ raw: UnsafeBufferPointer<UInt8>, decodingControls: Bool = false) -> [UInt8] {
            guard Self.hasBackslash(raw) else { return Array(raw) }
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var i = 0
            while i < raw.count {
                let byte = raw[i]
                if byte == UInt8(ascii: "\\"), i + 1 < raw.count {
                    let next = raw[i + 1]
                    if next == UInt8(ascii: "x"), i + 3 < raw.count, let high = Hex.value(raw[i + 2]), let low = Hex.value(raw[i + 3]),
                       decodingControls || !Hex.isControl(high << 4 | low) {
                        out.append(high << 4 | low)
                        i += 4
                        continue
                    }
                    if next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") {
                        out.append(next)
                        i += 2
                        continue
                    }
                }
                out.append(byte)
                i += 1
            }
            return out
        }
    }
}
