import FunnelReaders
import FuzzSupport

// One access-log line through the combined format and through a custom format with cookies,
// every time variable and quoted fields full of escapes.
let parsers = [
    try! AccessLogParser(format: AccessLogFormat("combined")),
    try! AccessLogParser(
        format: AccessLogFormat(#"$remote_addr - [$time_local] $time_iso8601 $msec "$request" $status "$http_referer" "$http_user_agent" "$cookie_vid" "$http_cookie" $http_x_forwarded_for $http_cf_ipcountry"#),
        options: AccessLogParser.Options(visitorCookie: "vid", sessionCookie: "sid")),
]

fuzz { line in
    for parser in parsers { _ = parser.parse(line) }
}
