import FunnelCore
import FunnelReaders
import FunnelTransform
import FuzzSupport

// One access-log line through the combined format and through a custom format with cookies,
// every time variable, `$host` and quoted fields full of escapes; each parsed as a record and
// again with the page-view rule's request check applied before the record is made (the
// reader's path), whose answers must agree: the same reject, or the rule's reason for the
// record's request, or the record. A third time the line is offered as bytes
// (`PageViewFields`), as the reader does: what the byte path makes of it must be what the
// record path gives (the bot check, then the group and the encoding of the normalized record),
// and a line it declines must be the record.
let parsers = [
    try! AccessLogParser(format: AccessLogFormat("combined")),
    try! AccessLogParser(
        format: AccessLogFormat(#"$remote_addr - [$time_local] $time_iso8601 $msec "$request" $status "$http_referer" "$http_user_agent" "$cookie_vid" "$http_cookie" $http_x_forwarded_for $http_cf_ipcountry $host"#),
        options: AccessLogParser.Options(visitorCookie: "vid", sessionCookie: "sid")),
]
let filter = RecordFilter(excludedPaths: ["/admin/*", "/health"])
let transformer = Transformer(configuration: TransformConfiguration(salt: "fuzz"), agents: filter.agents)
let positionPrefix = "001001000000|fuzz.log|"
let positionPrefixBytes = Array(positionPrefix.utf8)
/// The reader's memo of the last line's `$time_local` day, carried from one input to the next
/// as from one line of a file to the next: the byte path must give what a fresh parse gives
/// whatever line came before.
nonisolated(unsafe) var timeMemos = [TimeParser.TimeLocalMemo](repeating: TimeParser.TimeLocalMemo(), count: 2)

/// The reader's byte path for one line (`ReadStage.take`): nil when it declines the line,
/// else whether the agent is a bot, or the group and encoding it made.
@MainActor func take(_ view: PageViewFields) -> (bot: Bool, made: (group: String, data: [UInt8])?)? {
    let agent = view.userAgent.map { String(decoding: $0, as: UTF8.self) }
    if filter.agentReason(userAgent: agent) != nil { return (true, nil) }
    guard IdentityRule.allows(view),
          let made = positionPrefixBytes.withUnsafeBufferPointer({ transformer.encode(view, userAgent: agent, positionPrefix: $0, line: 7) })
    else { return nil }
    return (false, made)
}

fuzz { line in
    for (index, parser) in parsers.enumerated() {
        let whole = parser.parse(line)
        let checked = parser.parse(line) { filter.requestReason(isGET: $0, status: $1, path: $2) }
        switch (whole, checked) {
        case (.reject(let a, _), .reject(let b, _)):
            precondition(a == b, "rejects differ: \(a) and \(b)")
        case (.record(let record), .filtered(let reason)):
            precondition(filter.requestReason(isGET: record.method == "GET", status: record.status, path: record.path) == reason,
                         "filtered as \(reason), but the record's request gives another reason")
        case (.record(let record), .record(let kept)):
            precondition(filter.requestReason(isGET: record.method == "GET", status: record.status, path: record.path) == nil,
                         "kept a record whose request the rule drops")
            precondition(record.path == kept.path && record.host == kept.host && record.ip == kept.ip, "the kept record differs")
        default:
            preconditionFailure("parse and parse with the request check disagree: \(whole) and \(checked)")
        }
        var taken: (bot: Bool, made: (group: String, data: [UInt8])?)?
        let offered = parser.parse(line, requestFilter: { filter.requestReason(isGET: $0, status: $1, path: $2) },
                                   timeMemo: &timeMemos[index]) { view in
            taken = take(view)
            return taken != nil
        }
        switch (checked, offered) {
        case (.record(var record), .taken):
            if taken!.bot {
                precondition(filter.agentReason(record) == .bot, "the byte path dropped a line as a bot that the record path keeps")
            } else {
                precondition(filter.agentReason(record) == nil && IdentityRule.violation(record) == nil,
                             "the byte path kept a line the record path drops or rejects")
                record.position = RecordPosition.make(prefix: positionPrefix, line: 7)
                let normalized = transformer.normalize(record)
                precondition(Transformer.group(of: normalized) == taken!.made!.group, "the byte path's group differs")
                precondition(RecordCoding.encode(normalized) == taken!.made!.data, "the byte path's encoding differs")
            }
        case (.record(let record), .record(let again)):
            precondition(RecordCoding.encode(record) == RecordCoding.encode(again) && record.userAgent == again.userAgent
                         && record.ip == again.ip && record.referrer == again.referrer, "a declined line's record differs")
        case (.reject(let a, _), .reject(let b, _)):
            precondition(a == b, "rejects differ when offered as bytes: \(a) and \(b)")
        case (.filtered(let a), .filtered(let b)):
            precondition(a == b, "filtered differently when offered as bytes: \(a) and \(b)")
        default:
            preconditionFailure("parse with and without the byte path disagree: \(checked) and \(offered)")
        }
    }
}
