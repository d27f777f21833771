import FunnelReaders
import FunnelTransform
import FuzzSupport

// One access-log line through the combined format and through a custom format with cookies,
// every time variable, `$host` and quoted fields full of escapes; each parsed as a record and
// again with the page-view rule's request check applied before the record is made (the
// reader's path), whose answers must agree: the same reject, or the rule's reason for the
// record's request, or the record.
let parsers = [
    try! AccessLogParser(format: AccessLogFormat("combined")),
    try! AccessLogParser(
        format: AccessLogFormat(#"$remote_addr - [$time_local] $time_iso8601 $msec "$request" $status "$http_referer" "$http_user_agent" "$cookie_vid" "$http_cookie" $http_x_forwarded_for $http_cf_ipcountry $host"#),
        options: AccessLogParser.Options(visitorCookie: "vid", sessionCookie: "sid")),
]
let filter = RecordFilter(excludedPaths: ["/admin/*", "/health"])

fuzz { line in
    for parser in parsers {
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
    }
}
