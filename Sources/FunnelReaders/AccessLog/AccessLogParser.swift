import FunnelCore

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

        public init(visitorCookie: String? = nil, sessionCookie: String? = nil) {
            self.visitorCookie = visitorCookie
            self.sessionCookie = sessionCookie
        }
    }

    public enum Outcome {
        case record(Record)
        case reject(RejectReason, detail: String)
    }

    public let format: AccessLogFormat
    public let options: Options
    private let tokens: [AccessLogFormat.Token]
    private let cookieHeaderHolds: Bool
    private let countryVariable: LogVariable

    public init(format: AccessLogFormat, options: Options = Options()) throws(AccessLogFormatError) {
        self.format = format
        self.options = options
        tokens = format.tokens
        let variables = format.variables
        cookieHeaderHolds = variables.contains(.header("cookie"))
        countryVariable = LogVariable(name: options.countryVariable)
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

    public func parse(_ line: UnsafeRawBufferPointer) -> Outcome {
        var b = line.bindMemory(to: UInt8.self)
        // A byte-order mark before the first line (a log saved by an editor) is not content.
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF {
            b = UnsafeBufferPointer(rebasing: b[3...])
        }
        var fields = Fields()
        var position = 0
        var index = 0
        while index < tokens.count {
            switch tokens[index] {
            case .literal(let literal):
                guard Self.matches(b, at: position, literal) else {
                    return .reject(.formatMismatch, detail: "expected '\(String(decoding: literal, as: UTF8.self))' at byte \(position + 1)")
                }
                position += literal.count
            case .variable(let variable, let quoted):
                var end = b.count
                if index + 1 < tokens.count, case .literal(let next) = tokens[index + 1] {
                    guard let found = Self.find(next, in: b, from: position, quoted: quoted) else {
                        return .reject(.formatMismatch, detail: "no '\(String(decoding: next, as: UTF8.self))' after $\(variable.name)")
                    }
                    end = found
                }
                fields.store(variable, UnsafeBufferPointer(rebasing: b[position..<end]), quoted: quoted, parser: self)
                position = end
            }
            index += 1
        }
        return fields.makeRecord(parser: self)
    }

    // MARK: - Matching

    @inline(__always)
    private static func matches(_ b: UnsafeBufferPointer<UInt8>, at position: Int, _ literal: [UInt8]) -> Bool {
        guard position + literal.count <= b.count else { return false }
        for i in 0..<literal.count where b[position + i] != literal[i] { return false }
        return true
    }

    private static func find(_ literal: [UInt8], in b: UnsafeBufferPointer<UInt8>, from: Int, quoted: Bool) -> Int? {
        let first = literal[0]
        var i = from
        while i < b.count {
            let byte = b[i]
            if quoted && byte == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if byte == first && matches(b, at: i, literal) { return i }
            i += 1
        }
        return nil
    }

    // MARK: - Fields

    /// The byte ranges of the variables funnel uses, decoded lazily.
    private struct Fields {
        var remoteAddr: String?
        var forwardedFor: String?
        var time: Int64?
        /// The time field as written, for the message of a bad time (valid during `parse`).
        var timeText: UnsafeBufferPointer<UInt8>?
        var timeFound = false
        var timePrecision = 0
        var method: String?
        var target: UnsafeBufferPointer<UInt8>?
        var targetStorage: [UInt8]?
        var status: Int?
        var referrer: String?
        var userAgent: String?
        var host: String?
        var visitorID: String?
        var sessionID: String?
        var country: String?
        var cookieHeader: [UInt8]?

        mutating func store(_ variable: LogVariable, _ raw: UnsafeBufferPointer<UInt8>, quoted: Bool, parser: AccessLogParser) {
            if raw.count == 1 && raw[0] == UInt8(ascii: "-") { return }
            if raw.isEmpty { return }
            switch variable {
            case .remoteAddr: remoteAddr = text(raw, quoted)
            case .httpXForwardedFor: forwardedFor = text(raw, quoted)
            case .timeLocal: setTime(precision: 1, raw, TimeParser.parseTimeLocal(raw))
            case .timeISO8601: setTime(precision: 2, raw, CivilTime.parseISO8601(raw))
            case .msec: setTime(precision: 3, raw, TimeParser.parseEpochSeconds(raw))
            case .request:
                // "GET /path?x HTTP/1.1": method, target, protocol.
                func split(_ bytes: UnsafeBufferPointer<UInt8>) {
                    guard let space = bytes.firstIndex(of: 0x20) else { return }
                    method = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<space]), as: UTF8.self)
                    var end = bytes.count
                    if let last = bytes.lastIndex(of: 0x20), last > space { end = last }
                    targetStorage = Array(bytes[(space + 1)..<end])
                }
                if quoted && raw.contains(UInt8(ascii: "\\")) {
                    unescape(raw).withUnsafeBufferPointer { split($0) }
                } else {
                    split(raw)
                }
            case .requestMethod: method = text(raw, quoted)
            case .requestURI: targetStorage = quoted ? unescape(raw) : Array(raw)
            case .status:
                var value = 0
                for byte in raw {
                    guard byte &- 0x30 < 10, value < 1000 else { value = -1; break }
                    value = value * 10 + Int(byte - 0x30)
                }
                status = value >= 0 ? value : nil
            case .httpReferer: referrer = text(raw, quoted)
            case .httpUserAgent: userAgent = text(raw, quoted)
            case .host: host = text(raw, quoted).lowercased()
            case .cookie(let name):
                // Ids are decoded in full: one with a control byte is an `invalid_id`.
                if name == parser.options.visitorCookie { visitorID = text(raw, quoted, decodingControls: true) }
                if name == parser.options.sessionCookie { sessionID = text(raw, quoted, decodingControls: true) }
            case .header("cookie"):
                cookieHeader = quoted ? unescape(raw, decodingControls: true) : Array(raw)
            default:
                break
            }
            if variable == parser.countryVariable {
                country = CountryCode.normalize(text(raw, quoted))
            }
        }

        mutating func setTime(precision: Int, _ raw: UnsafeBufferPointer<UInt8>, _ value: Int64?) {
            guard precision > timePrecision else { return }
            timePrecision = precision
            time = value
            timeText = raw
        }

        func makeRecord(parser: AccessLogParser) -> Outcome {
            guard timePrecision > 0 else { return .reject(.formatMismatch, detail: "the time field is empty") }
            guard let time else { return .reject(.badTimestamp, detail: "impossible or out-of-range time \"\(timeText.map { String(decoding: $0, as: UTF8.self) } ?? "")\"") }
            var record = Record(origin: .accessLog, event: "PageView", timestamp: time)
            record.method = method
            record.status = status
            if let targetStorage {
                let parts = targetStorage.withUnsafeBufferPointer { URLParts(bytes: $0) }
                record.path = parts.path
                record.query = parts.query
                record.host = parts.host ?? host
            } else {
                record.host = host
            }
            record.referrer = referrer
            record.userAgent = userAgent
            // Behind a proxy or CDN the client is the first X-Forwarded-For entry.
            if let forwardedFor, let first = forwardedFor.split(separator: ",").first {
                record.ip = first.trimmingSpaces
            } else {
                record.ip = remoteAddr
            }
            record.visitorID = visitorID
            record.sessionID = sessionID
            if let cookieHeader {
                if record.visitorID == nil, let name = parser.options.visitorCookie {
                    record.visitorID = CookieHeader.value(of: name, in: cookieHeader)
                }
                if record.sessionID == nil, let name = parser.options.sessionCookie {
                    record.sessionID = CookieHeader.value(of: name, in: cookieHeader)
                }
            }
            record.country = country
            return .record(record)
        }

        private func text(_ raw: UnsafeBufferPointer<UInt8>, _ quoted: Bool, decodingControls: Bool = false) -> String {
            guard quoted && raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
            return String(decoding: unescape(raw, decodingControls: decodingControls), as: UTF8.self)
        }

        /// nginx escapes `"`, `\` and non-printable bytes in quoted fields as `\xHH`; other
        /// servers write `\"` and `\\`. Both are undone here, except an escaped control byte
        /// (below 0x20, or 0x7F), which stays as written unless `decodingControls`: a NUL,
        /// newline or tab must not reach a kept field (a path, a campaign value) and through it
        /// a CSV or Redis value. Ids decode them, so that validation rejects them.
        private func unescape(_ raw: UnsafeBufferPointer<UInt8>, decodingControls: Bool = false) -> [UInt8] {
            guard raw.contains(UInt8(ascii: "\\")) else { return Array(raw) }
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

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
