import FunnelCore

/// Where Redis is and how to log in, parsed from the one URL a user gives (SPEC 8.1).
///
/// Accepted forms:
/// - `redis://[user[:password]@]host[:port][/db]`: defaults `127.0.0.1`, `6379`, db `0`;
///   user and password are percent-decoded; an IPv6 host goes in brackets (`[::1]`).
/// - `unix:///path/to/redis.sock[?db=N]`, optionally `unix://[user[:password]@]/path...`.
///
/// A user without a colon (`redis://alice@host`) is a user name, as in RFC 3986, so the
/// password can stay out of the URL: when the URL has none, it comes from `REDIS_PASSWORD`.
/// That keeps passwords out of pipeline files, shell history and `ps` output.
///
/// `description` is the redacted form, so interpolating a `RedisURL` into a message or a
/// log line can never leak the password.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    /// How to reach the server.
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var endpoint: Endpoint
    /// ACL user name (Redis 6+); nil logs in as the `default` user.
    public var username: String?
    /// From the URL, else from `REDIS_PASSWORD`; nil when neither has one.
    public var password: String?
    /// Database number for `SELECT`; 0 needs no `SELECT`.
    public var db: Int

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 6379
    public static let passwordVariable = "REDIS_PASSWORD"

    public init(endpoint: Endpoint, username: String? = nil, password: String? = nil, db: Int = 0) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.db = db
    }

    /// Parses `text`. `environment` is injectable so tests need not touch the process's
    /// environment; only `REDIS_PASSWORD` is read from it, and only when the URL has no password.
    public init(
        _ text: String,
        environment: [String: String] = ProcessEnvironment.current()
    ) throws(RedisURLError) {
        let scheme: Substring
        let rest: Substring
        if let range = text.firstRange(of: "://") {
            scheme = text[..<range.lowerBound]
            rest = text[range.upperBound...]
        } else {
            throw RedisURLError(text, "it has no scheme; write redis://host:port/db or unix:///path/to/redis.sock")
        }
        // A password holding an unencoded `/`, `?` or `#` ends the URL's host part early, and
        // every later message would quote pieces of it: refused first, with all of it masked
        // (until 2026-12-05 `redis://u:pa/ss@host` printed the password in the error).
        if RedisURLError.credentialsCutShort(rest) {
            throw RedisURLError(
                text, "the user name or password holds '/', '?' or '#', which end a URL's host part; percent-encode them (%2F, %3F, %23) or leave the password out of the URL and set \(Self.passwordVariable)")
        }
        switch scheme.lowercased() {
        case "redis":
            try self.init(tcp: rest, text: text)
        case "unix":
            try self.init(unix: rest, text: text)
        case "rediss":
            throw RedisURLError(text, "TLS (rediss://) is not supported; use redis:// through a TLS tunnel or a unix socket")
        default:
            throw RedisURLError(text, "unknown scheme '\(scheme)'; use redis:// or unix://")
        }
        if password == nil, let fromEnvironment = environment[Self.passwordVariable], !fromEnvironment.isEmpty {
            password = fromEnvironment
        }
        // The name is not quoted: `redis://PASSWORD@host`, a password without its colon, reads
        // as a user name, and the message printed it (until 2026-12-05).
        if username != nil, password == nil {
            throw RedisURLError(
                text, "a user name is given without a password; add the password after a colon (redis://user:password@host:port/db, or redis://:password@host:port/db without a user) or set \(Self.passwordVariable)")
        }
    }

    /// The URL with the password replaced by `***`: safe for messages, logs and summaries.
    public var redacted: String {
        var credentials = ""
        if username != nil || password != nil {
            credentials = (username.map(Self.percentEncode) ?? "") + (password == nil ? "" : ":***") + "@"
        }
        switch endpoint {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(credentials)\(shownHost):\(port)/\(db)"
        case .unix(let path):
            return "unix://\(credentials)\(path)" + (db == 0 ? "" : "?db=\(db)")
        }
    }

    public var description: String { redacted }

    // MARK: - Parsing

    private init(tcp rest: Substring, text: String) throws(RedisURLError) {
        var rest = rest
        if rest.contains("?") {
            throw RedisURLError(
                text, "a query ('?...') is not supported in redis:// URLs; give the db as the path (redis://host:port/2) and the password as redis://user:password@host or in \(Self.passwordVariable)")
        }
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
            path = ""
        }
        let (username, password, hostPort) = try Self.splitCredentials(authority, text: text)
        let (host, port) = try Self.parseHostPort(hostPort, text: text)
        self.init(endpoint: .tcp(host: host, port: port), username: username, password: password, db: try Self.parseDB(path, text: text))
    }

    private init(unix rest: Substring, text: String) throws(RedisURLError) {
        var rest = rest
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let authority: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            rest = rest[slash...]
        } else {
            throw RedisURLError(text, "the socket path must be absolute: unix:///path/to/redis.sock (three slashes)")
        }
        let (username, password, host) = try Self.splitCredentials(authority, text: text)
        if !host.isEmpty {
            throw RedisURLError(text, "a unix socket URL has no host ('\(host)'); write unix:///path/to/redis.sock (three slashes)")
        }
        let path = try Self.percentDecode(rest, what: "socket path", text: text)
        if path == "/" {
            throw RedisURLError(text, "the socket path is missing: unix:///path/to/redis.sock")
        }
        var db = 0
        for parameter in query.split(separator: "&") {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == "db" else {
                throw RedisURLError(text, "unknown parameter '\(parts[0])'; only ?db=N is understood")
            }
            db = try Self.parseDB(parts.count == 2 ? parts[1] : "", text: text, allowEmpty: false)
        }
        self.init(endpoint: .unix(path: path), username: username, password: password, db: db)
    }

    /// Splits `user:password@rest`. The last `@` ends the credentials, so a password with an
    /// unencoded `@` still parses; the first `:` separates user and password.
    private static func splitCredentials(
        _ authority: Substring, text: String
    ) throws(RedisURLError) -> (String?, String?, Substring) {
        guard let at = authority.lastIndex(of: "@") else { return (nil, nil, authority) }
        let userinfo = authority[..<at]
        let rest = authority[authority.index(after: at)...]
        var username: String?
        var password: String?
        if let colon = userinfo.firstIndex(of: ":") {
            username = try percentDecode(userinfo[..<colon], what: "user name", text: text)
            password = try percentDecode(userinfo[userinfo.index(after: colon)...], what: "password", text: text)
        } else {
            username = try percentDecode(userinfo, what: "user name", text: text)
        }
        if username == "" { username = nil }
        if password == "" { password = nil }
        return (username, password, rest)
    }

    private static func parseHostPort(_ hostPort: Substring, text: String) throws(RedisURLError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw RedisURLError(text, "the IPv6 address has no closing ']'")
            }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw RedisURLError(text, "unexpected '\(after)' after the IPv6 address; write [addr]:port")
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
            if host.contains(":") {
                throw RedisURLError(text, "an IPv6 address must be written in brackets: redis://[\(hostPort[..<colon])]:6379")
            }
        } else {
            host = hostPort
        }
        if host.isEmpty { host = Substring(defaultHost) }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else {
                throw RedisURLError(text, "port '\(portText)' is not a number from 1 to 65535")
            }
            port = value
        }
        return (String(host), port)
    }

    private static func parseDB(_ path: Substring, text: String, allowEmpty: Bool = true) throws(RedisURLError) -> Int {
        if path.isEmpty && allowEmpty { return 0 }
        guard let db = Int(path), db >= 0, path.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RedisURLError(text, "database '\(path)' is not a non-negative number; write e.g. /0")
        }
        return db
    }

    private static func percentDecode(_ text: Substring, what: String, text url: String) throws(RedisURLError) -> String {
        guard text.contains("%") else { return String(text) }
        let raw = Array(text.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < raw.count {
            guard raw[index] == UInt8(ascii: "%") else {
                bytes.append(raw[index])
                index += 1
                continue
            }
            guard let value = Hex.percentEscape(raw, at: index) else {
                throw RedisURLError(url, "the \(what) has a bad percent escape; write %XX with two hex digits (%40 for @)")
            }
            bytes.append(value)
            index += 3
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw RedisURLError(url, "the \(what) is not valid UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func percentEncode(_ text: String) -> String { Hex.percentEncoded(text) }
}

/// A Redis URL that cannot be used. The message says what is wrong and how to write it; the
/// URL is quoted with any password masked.
public struct RedisURLError: Error, Sendable, CustomStringConvertible {
    public var message: String

    init(_ url: String, _ problem: String) {
        message = "Bad Redis URL '\(Self.mask(url))': \(problem)"
    }

    public var description: String { message }

    /// Masks whatever sits between the first `:` after `//` and the `@` that ends the
    /// credentials, without trusting the rest of the URL to be well formed: the authority's
    /// last `@`, or, when the authority holds none but the URL has one further on (a password
    /// with an unencoded `/`, `?` or `#`), the URL's last `@`. Credentials without a `:` are
    /// masked whole (`redis://PASSWORD@host` is a password without its colon as often as a
    /// user), and so is every query value but `db`'s (`?password=...`). Masking too much in a
    /// message costs nothing; masking too little leaks the password.
    static func mask(_ url: String) -> String {
        guard let start = url.firstRange(of: "://")?.upperBound else { return url }
        let afterScheme = url[start...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        var masked = url
        if let end = authority.lastIndex(of: "@") ?? (authority.isEmpty ? nil : afterScheme.lastIndex(of: "@")) {
            let from = afterScheme[..<end].firstIndex(of: ":").map { url.index(after: $0) } ?? start
            masked = String(url[..<from]) + "***" + String(url[end...])
        }
        guard let mark = masked.firstIndex(of: "?") else { return masked }
        let parameters = masked[masked.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter in
            // A parameter without `=` may be a password given bare (`?SECRET`).
            guard let equals = parameter.firstIndex(of: "=") else { return parameter.isEmpty ? "" : "***" }
            return parameter[..<equals] == "db" ? String(parameter) : String(parameter[...equals]) + "***"
        }
        return String(masked[...mark]) + parameters.joined(separator: "&")
    }

    /// `mask` for a text that may be a URL written anywhere: one without a scheme
    /// (`u:secret@host:6379`) is masked as if it had one.
    public static func maskAnyURL(_ text: String) -> String {
        if text.contains("://") { return mask(text) }
        guard text.contains("@") else { return text }
        return String(mask("x://" + text).dropFirst(4))
    }

    /// Whether the text after `://` has credentials cut short by a `/`, `?` or `#`: an
    /// authority without `@` that is not empty (`unix:///a@b.sock` is a path), an `@` further
    /// on, and a `:` before it.
    static func credentialsCutShort(_ afterScheme: Substring) -> Bool {
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@"), let at = afterScheme.lastIndex(of: "@") else { return false }
        return afterScheme[..<at].contains(":")
    }
}
