/// An nginx variable in a `log_format`, with the meaning funnel gives it.
public enum LogVariable: Sendable, Hashable {
    case remoteAddr, remoteUser, timeLocal, timeISO8601, msec, request, requestMethod, requestURI
    case status, bodyBytesSent, bytesSent, httpReferer, httpUserAgent, httpXForwardedFor, host, requestTime
    /// `$cookie_NAME`: one cookie's value.
    case cookie(String)
    /// `$http_NAME`: any other request header, e.g. `http_cf_ipcountry`.
    case header(String)
    /// Any other variable: matched and ignored.
    case other(String)

    /// Request headers a CDN or a proxy sets to the client's address alone (Cloudflare's
    /// `CF-Connecting-IP`, Akamai's and Cloudflare's `True-Client-IP`, nginx's and many
    /// proxies' `X-Real-IP`, Fastly's `Fastly-Client-IP`), as their `$http_` variables name them.
    public static let clientAddressHeaders: Set<String> = ["cf_connecting_ip", "true_client_ip", "x_real_ip", "fastly_client_ip"]

    public init(name: String) {
        switch name {
        case "remote_addr": self = .remoteAddr
        case "remote_user": self = .remoteUser
        case "time_local": self = .timeLocal
        case "time_iso8601": self = .timeISO8601
        case "msec": self = .msec
        case "request": self = .request
        case "request_method": self = .requestMethod
        case "request_uri": self = .requestURI
        case "status": self = .status
        case "body_bytes_sent": self = .bodyBytesSent
        case "bytes_sent": self = .bytesSent
        case "http_referer": self = .httpReferer
        case "http_user_agent": self = .httpUserAgent
        case "http_x_forwarded_for": self = .httpXForwardedFor
        case "host", "http_host": self = .host
        case "request_time": self = .requestTime
        default:
            if name.hasPrefix("cookie_"), name.count > 7 {
                self = .cookie(String(name.dropFirst(7)))
            } else if name.hasPrefix("http_"), name.count > 5 {
                self = .header(String(name.dropFirst(5)))
            } else {
                self = .other(name)
            }
        }
    }

    public var name: String {
        switch self {
        case .remoteAddr: "remote_addr"
        case .remoteUser: "remote_user"
        case .timeLocal: "time_local"
        case .timeISO8601: "time_iso8601"
        case .msec: "msec"
        case .request: "request"
        case .requestMethod: "request_method"
        case .requestURI: "request_uri"
        case .status: "status"
        case .bodyBytesSent: "body_bytes_sent"
        case .bytesSent: "bytes_sent"
        case .httpReferer: "http_referer"
        case .httpUserAgent: "http_user_agent"
        case .httpXForwardedFor: "http_x_forwarded_for"
        case .host: "host"
        case .requestTime: "request_time"
        case .cookie(let name): "cookie_" + name
        case .header(let name): "http_" + name
        case .other(let name): name
        }
    }
}
