/// Why an input line was skipped. Raw values are the stable names used in `rejects.ndjson`
/// and in the run summary; cron jobs and dashboards may match on them.
public enum RejectReason: String, Sendable, CaseIterable, Comparable {
    case lineTooLong = "line_too_long"
    case nulByte = "nul_byte"
    /// A hole of NUL bytes a crash left before a line, which is read (damage, not a line).
    case nulHole = "nul_hole"
    case invalidUTF8 = "invalid_utf8"
    case formatMismatch = "format_mismatch"
    case badTimestamp = "bad_timestamp"
    case badJSON = "bad_json"
    case notAnObject = "not_an_object"
    case missingEvent = "missing_event"
    case missingTimestamp = "missing_timestamp"
    case invalidID = "invalid_id"
    case noIdentity = "no_identity"
    case gzipDamaged = "gzip_damaged"
    case unreadable = "unreadable"

    public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }

    /// Damage to a file rather than a line the format does not fit: a gzip stream cut or
    /// corrupt, a file that cannot be read, a hole of NUL bytes a crash left (the line after
    /// it is read; until 2026-12-05 it was a `nul_byte` reject, as a NUL inside a line is). Written to `rejects.ndjson` like a line's reject, but no line of its own:
    /// the summary counts it apart (`damaged`), outside `rejected` and the reject rate (until
    /// 2026-12-05 it was in both, so kept, filtered and rejected did not add up to the lines
    /// read, and a damaged gzip file's problem advised checking the format).
    public var isDamage: Bool { self == .gzipDamaged || self == .unreadable || self == .nulHole }

    /// What a user should understand from the reason.
    public var explanation: String {
        switch self {
        case .lineTooLong: "the line is longer than the line limit"
        case .nulByte: "the line holds a NUL byte"
        case .nulHole: "a hole of NUL bytes a crash left in the file (the line after it was read)"
        case .invalidUTF8: "a required field is not valid UTF-8"
        case .formatMismatch: "the line does not match the source's log format"
        case .badTimestamp: "the timestamp is not a valid date"
        case .badJSON: "the line is not valid JSON"
        case .notAnObject: "the JSON value is not an object"
        case .missingEvent: "the event has no \"event\" name"
        case .missingTimestamp: "the event has no \"timestamp\""
        case .invalidID: "a session or visitor id is not printable ASCII without spaces or braces, or longer than 128"
        case .noIdentity: "the record has no visitor id, session id, or IP and user agent"
        case .gzipDamaged: "the gzip data is damaged; lines before the damage were kept"
        case .unreadable: "the input could not be read"
        }
    }
}

/// A skipped input line with where it came from, for `rejects.ndjson`.
public struct Reject: Sendable, Hashable {
    /// Bytes of the raw line kept in the reject record.
    public static let rawLimit = 512

    public var source: String
    /// 1-based line number; for damage to a whole file, the line after the last good one.
    public var line: Int
    public var reason: RejectReason
    /// First `rawLimit` bytes of the line as read.
    public var raw: [UInt8]
    /// Extra words for the user (a zlib message, the field that was wrong).
    public var detail: String?

    public init(source: String, line: Int, reason: RejectReason, raw: some Collection<UInt8>, detail: String? = nil) {
        self.source = source
        self.line = line
        self.reason = reason
        self.raw = Array(raw.prefix(Reject.rawLimit))
        self.detail = detail
    }

    /// `{"source":...,"line":...,"reason":...,"detail":...,"raw":...}` on one line.
    public func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"source":"#.utf8)
        JSONText.appendString(source, to: &out)
        out.append(contentsOf: #","line":"#.utf8)
        out.append(contentsOf: String(line).utf8)
        out.append(contentsOf: #","reason":"#.utf8)
        JSONText.appendString(reason.rawValue, to: &out)
        if let detail {
            out.append(contentsOf: #","detail":"#.utf8)
            JSONText.appendString(detail, to: &out)
        }
        out.append(contentsOf: #","raw":"#.utf8)
        JSONText.appendRawBytes(raw, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}
