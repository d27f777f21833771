/// Variable names of a format that are most likely a misspelling of one funnel reads.
///
/// nginx refuses an unknown variable when it loads its configuration; funnel cannot, since a
/// format may use variables of `map` or `set` blocks it has never heard of, which it matches
/// and ignores. But a name one or two letters from one funnel reads (`$stauts`,
/// `$http_referrer`, `$request_url`) is refused, naming the one meant: ignored, it would take
/// the filtering or the attribution away without a word (until 2026-12-05 it did).
extension LogVariable {
    /// The variables whose values funnel keeps, and the request headers it reads.
    static let read = ["remote_addr", "time_local", "time_iso8601", "msec", "request", "request_method", "request_uri",
                       "status", "http_referer", "http_user_agent", "http_x_forwarded_for", "http_host", "host", "http_cookie",
                       "http_cf_ipcountry", "http_cf_connecting_ip", "http_true_client_ip", "http_x_real_ip", "http_fastly_client_ip"]

    /// Names of nginx's own variables (core, proxy, upstream, SSL, real IP, gzip, stub status,
    /// limits): known, so never taken for a misspelling, whatever they are close to.
    static let nginx: Set<String> = [
        "args", "binary_remote_addr", "body_bytes_sent", "bytes_received", "bytes_sent", "connection", "connection_requests",
        "connection_time", "connections_active", "connections_reading", "connections_waiting", "connections_writing",
        "content_length", "content_type", "date_gmt", "date_local", "document_root", "document_uri", "gzip_ratio", "host",
        "hostname", "https", "invalid_referer", "is_args", "limit_conn_status", "limit_rate", "limit_req_status", "msec",
        "nginx_version", "pid", "pipe", "proxy_add_x_forwarded_for", "proxy_host", "proxy_port", "proxy_protocol_addr",
        "proxy_protocol_port", "proxy_protocol_server_addr", "proxy_protocol_server_port", "query_string", "realip_remote_addr",
        "realip_remote_port", "realpath_root", "remote_addr", "remote_port", "remote_user", "request", "request_body",
        "request_body_file", "request_completion", "request_filename", "request_id", "request_length", "request_method",
        "request_time", "request_uri", "scheme", "secure_link", "secure_link_expires", "server_addr", "server_name",
        "server_port", "server_protocol", "status", "tcpinfo_rcv_space", "tcpinfo_rtt", "tcpinfo_rttvar", "tcpinfo_snd_cwnd",
        "time_iso8601", "time_local", "uri", "http2", "http3",
    ]

    /// Prefixes of nginx's families of variables (`$upstream_response_time`, `$ssl_protocol`,
    /// `$arg_utm_source`, `$sent_http_location`, ...), never taken for misspellings either.
    static let nginxPrefixes = ["upstream_", "ssl_", "arg_", "sent_http_", "sent_trailer_", "cookie_", "geoip_", "geoip2_",
                                "jwt_", "proxy_protocol_tlv_", "fastcgi_", "uwsgi_", "scgi_", "memcached_", "quic", "slice_"]

    /// The variable funnel reads that `name` most likely means, when `name` is no nginx
    /// variable but one or two letters from one (one, for names of up to five letters).
    static func meant(by name: String) -> String? {
        let name = name.lowercased()
        guard !nginx.contains(name), !read.contains(name), !nginxPrefixes.contains(where: { name.hasPrefix($0) }) else { return nil }
        let bytes = Array(name.utf8)
        var best: (String, Int)?
        for candidate in read {
            let limit = candidate.utf8.count <= 5 ? 1 : 2
            let distance = Self.distance(bytes, Array(candidate.utf8), limit: limit)
            if distance <= limit, distance < (best?.1 ?? .max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Edit distance (insertions, deletions, substitutions, swaps of neighbours), at least
    /// `limit + 1` when the lengths alone differ by more than `limit`.
    static func distance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var twoBack = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { value = min(value, twoBack[j - 2] + 1) }
                current[j] = value
            }
            (twoBack, previous, current) = (previous, current, twoBack)
        }
        return previous[b.count]
    }
}
