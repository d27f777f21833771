/// The parts of a URL or request target that attribution needs: host, path and query.
///
/// Accepts absolute URLs (`https://film.example/watch?utm_source=fb`), protocol-relative ones
/// and bare request targets (`/watch?x=1`). It does not validate: a web log holds whatever
/// clients sent, and a strange URL must still give its path.
public struct URLParts: Sendable, Hashable {
    /// Lower-cased host without port or credentials, when the URL had one.
    public var host: String?
    /// Path as received (percent-encoding kept), `/` when empty.
    public var path: String
    /// Query string without `?`, nil when absent or empty.
    public var query: String?

    public init(host: String? = nil, path: String, query: String? = nil) {
        self.host = host
        self.path = path
        self.query = query
    }

    public init(_ text: String) {
        var bytes = Array(text.utf8)
        self = bytes.withUnsafeMutableBufferPointer { URLParts(bytes: UnsafeBufferPointer($0)) }
    }

    public init(bytes b: UnsafeBufferPointer<UInt8>) {
        var index = 0
        var host: String?
        // scheme://authority
        var schemeEnd = 0
        while schemeEnd < b.count, Self.isSchemeByte(b[schemeEnd]) { schemeEnd += 1 }
        var authorityStart: Int?
        if schemeEnd > 0, schemeEnd + 2 < b.count, b[schemeEnd] == UInt8(ascii: ":"),
           b[schemeEnd + 1] == UInt8(ascii: "/"), b[schemeEnd + 2] == UInt8(ascii: "/") {
            authorityStart = schemeEnd + 3
        } else if b.count >= 2, b[0] == UInt8(ascii: "/"), b[1] == UInt8(ascii: "/") {
            authorityStart = 2
        }
        if let start = authorityStart {
            var end = start
            while end < b.count, b[end] != UInt8(ascii: "/"), b[end] != UInt8(ascii: "?"), b[end] != UInt8(ascii: "#") { end += 1 }
            var hostStart = start
            for i in start..<end where b[i] == UInt8(ascii: "@") { hostStart = i + 1 }
            var hostEnd = hostStart
            if hostStart < end, b[hostStart] == UInt8(ascii: "[") {
                while hostEnd < end, b[hostEnd] != UInt8(ascii: "]") { hostEnd += 1 }
                if hostEnd < end { hostEnd += 1 }
            } else {
                while hostEnd < end, b[hostEnd] != UInt8(ascii: ":") { hostEnd += 1 }
            }
            if hostEnd > hostStart {
                host = String(decoding: UnsafeBufferPointer(rebasing: b[hostStart..<hostEnd]), as: UTF8.self).lowercased()
            }
            index = end
        }
        var pathEnd = index
        while pathEnd < b.count, b[pathEnd] != UInt8(ascii: "?"), b[pathEnd] != UInt8(ascii: "#") { pathEnd += 1 }
        let path = pathEnd > index ? String(decoding: UnsafeBufferPointer(rebasing: b[index..<pathEnd]), as: UTF8.self) : "/"
        var query: String?
        if pathEnd < b.count, b[pathEnd] == UInt8(ascii: "?") {
            var queryEnd = pathEnd + 1
            while queryEnd < b.count, b[queryEnd] != UInt8(ascii: "#") { queryEnd += 1 }
            if queryEnd > pathEnd + 1 {
                query = String(decoding: UnsafeBufferPointer(rebasing: b[(pathEnd + 1)..<queryEnd]), as: UTF8.self)
            }
        }
        self.init(host: host, path: path, query: query)
    }

    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
