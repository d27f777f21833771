/// The parts of a URL or request target that attribution needs: host, path and query.
///
/// Accepts absolute URLs (`https://film.example/watch?utm_source=fb`), protocol-relative ones
/// and bare request targets (`/watch?x=1`). It does not validate: a web log holds whatever
/// clients sent, and a strange URL must still give its path.
public struct URLParts: Sendable, Hashable {
    /// Lower-cased host without port or credentials, when the URL had one.
    public var host: String?
    /// Path as received (percent-encoding kept), `/` when empty, without its last segment's
    /// path parameters (`/donate;jsessionid=...`; `/cars;color=red/models` stays whole).
    public var path: String
    /// Query string without `?`, nil when absent or empty.
    public var query: String?

    public init(host: String? = nil, path: String, query: String? = nil) {
        self.host = host
        self.path = path
        self.query = query
    }

    public init(_ text: String) {
        var text = text
        self = text.withUTF8 { URLParts(bytes: $0) }
    }

    /// `requestTarget`: `b` is an HTTP request's target, where `//x/y` is a path (RFC 9112's
    /// origin form), not a host `x`; only `scheme://` starts an authority there.
    public init(bytes b: UnsafeBufferPointer<UInt8>, requestTarget: Bool = false) {
        let ranges = Ranges(b, requestTarget: requestTarget)
        self.init(host: ranges.host.map { Self.lowercased(UnsafeBufferPointer(rebasing: b[$0])) },
                  path: ranges.path.isEmpty ? "/" : String(decoding: UnsafeBufferPointer(rebasing: b[ranges.path]), as: UTF8.self),
                  query: ranges.query.map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) })
    }

    /// Where a URL's parts are in its bytes, for a reader that keeps them as bytes: what
    /// `init(bytes:)` makes its strings of (its host before lower-casing; an empty path, which
    /// it makes `/`).
    public struct Ranges: Sendable {
        public var host: Range<Int>?
        public var path: Range<Int>
        /// Nil when absent or empty.
        public var query: Range<Int>?

        public init(_ b: UnsafeBufferPointer<UInt8>, requestTarget: Bool = false) {
            let (host, index) = URLParts.authority(b, requestTarget: requestTarget)
            var pathEnd = index
            var parameter: Int?
            while pathEnd < b.count, b[pathEnd] != UInt8(ascii: "?"), b[pathEnd] != UInt8(ascii: "#") {
                if parameter == nil, b[pathEnd] == UInt8(ascii: ";"), URLParts.startsParameter(b, at: pathEnd + 1) { parameter = pathEnd }
                // In the middle of the path (`/cars;color=red/models`) it is part of the page.
                if parameter != nil, b[pathEnd] == UInt8(ascii: "/") { parameter = nil }
                pathEnd += 1
            }
            var query: Range<Int>?
            if pathEnd < b.count, b[pathEnd] == UInt8(ascii: "?") {
                var queryEnd = pathEnd + 1
                while queryEnd < b.count, b[queryEnd] != UInt8(ascii: "#") { queryEnd += 1 }
                if queryEnd > pathEnd + 1 { query = (pathEnd + 1)..<queryEnd }
            }
            self.host = host
            // A path parameter of the last segment (`/donate;jsessionid=9A1F...`: a servlet's
            // session in the URL, a credential, which servlet containers append there) ends
            // the path as a query does (until 2026-12-06 it was written in `landing_page` and
            // `page`; a carried finding).
            path = index..<(parameter ?? pathEnd)
            self.query = query
        }
    }

    /// True when `b` holds a parameter's `name=` from `start`: letters, digits, `_`, `-` or
    /// `.`, then `=` (`/a;b` and `/a;` keep their `;`).
    static func startsParameter(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        var index = start
        while index < b.count {
            let byte = b[index]
            if byte == UInt8(ascii: "=") { return index > start }
            guard (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") else { return false }
            index += 1
        }
        return false
    }

    /// Where `host(of:)`'s host is in a URL's bytes, before lower-casing.
    public static func hostRange(of b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        authority(b).host
    }

    /// `URLParts(text).host`, without making the path and query: a referrer is kept as its
    /// host only, and most referrers carry a long query (click ids).
    public static func host(of text: String) -> String? {
        var text = text
        return text.withUTF8 { b in authority(b).host.map { lowercased(UnsafeBufferPointer(rebasing: b[$0])) } }
    }

    /// Whether a URL's host is a host's name: ASCII letters, digits, `.`, `-` and `_`, an
    /// address in brackets (`[2001:db8::1]`), or a name beyond ASCII of letters, digits,
    /// marks, symbols (`i❤.ws`) and the joiners some scripts need (rv69f). A referrer's host with a line break, a quote, a comma, a space or a formula's
    /// `=` is none (rv69c: `https://r\rx.example/` was written as the session's `referrer`
    /// and `source`, the CR with it); a referrer without a host's name tells nothing.
    public static func isHostName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "[") {
            return bytes.count > 2 && bytes.last == UInt8(ascii: "]") && bytes.dropFirst().dropLast().allSatisfy {
                $0 &- 0x30 < 10 || ($0 | 0x20) &- UInt8(ascii: "a") < 6 || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".")
            }
        }
        guard UTF8Validation.isASCII(bytes) else {
            return String(decoding: bytes, as: UTF8.self).unicodeScalars.allSatisfy { scalar in
                scalar.isASCII ? isHostByte(UInt8(scalar.value))
                    : scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar.properties.generalCategory == .nonspacingMark
                        || scalar.properties.generalCategory == .spacingMark || scalar.properties.generalCategory == .otherSymbol
                        || scalar.value == 0x200C || scalar.value == 0x200D
            }
        }
        return bytes.allSatisfy(isHostByte)
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- 0x30 < 10 || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// A host as URLs carry it, in lower case: how every host funnel keeps is compared (a
    /// `$host` log variable as well as a URL's). ASCII is folded on the bytes. A port
    /// (`$http_host` is the `Host` header, `film.example:8443`) and a root dot are left out,
    /// as from a URL's host: until 2026-12-05 they were kept, and the site's own pages, read
    /// with `$http_host` behind a port, were referrals from another site.
    public static func lowercasedHost(_ text: String) -> String {
        var text = text
        return text.withUTF8 { lowercased(UnsafeBufferPointer(rebasing: $0[hostFieldRange($0)])) }
    }

    /// Where a host field's name is (`film.example:8443`, `[2001:db8::1]:8080`,
    /// `film.example.`): without its port or root dot.
    public static func hostFieldRange(_ b: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var end = 0
        if b.first == UInt8(ascii: "[") {
            while end < b.count, b[end] != UInt8(ascii: "]") { end += 1 }
            return 0..<min(end + 1, b.count)
        }
        while end < b.count, b[end] != UInt8(ascii: ":") { end += 1 }
        if end > 1, b[end - 1] == UInt8(ascii: ".") { end -= 1 }
        return 0..<end
    }

    /// The host's bytes (without credentials or port) when the URL has an authority
    /// (`scheme://` or `//`), and where the path starts.
    private static func authority(_ b: UnsafeBufferPointer<UInt8>, requestTarget: Bool = false) -> (host: Range<Int>?, end: Int) {
        var schemeEnd = 0
        while schemeEnd < b.count, isSchemeByte(b[schemeEnd]) { schemeEnd += 1 }
        var authorityStart: Int?
        if schemeEnd > 0, schemeEnd + 2 < b.count, b[schemeEnd] == UInt8(ascii: ":"),
           b[schemeEnd + 1] == UInt8(ascii: "/"), b[schemeEnd + 2] == UInt8(ascii: "/") {
            authorityStart = schemeEnd + 3
        } else if !requestTarget, b.count >= 2, b[0] == UInt8(ascii: "/"), b[1] == UInt8(ascii: "/") {
            authorityStart = 2
        }
        guard let start = authorityStart else { return (nil, 0) }
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
            // A fully qualified name's root dot (`facebook.com.`) names the same host.
            if hostEnd - hostStart > 1, b[hostEnd - 1] == UInt8(ascii: ".") { hostEnd -= 1 }
        }
        return (hostEnd > hostStart ? hostStart..<hostEnd : nil, end)
    }

    /// The bytes as a string in lower case: ASCII folded on the bytes (what `lowercased()`
    /// does to ASCII), anything else through `lowercased()`.
    private static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard UTF8Validation.isASCII(bytes) else { return String(decoding: bytes, as: UTF8.self).lowercased() }
        guard bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return String(decoding: bytes, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: bytes.count) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[index] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            }
            return bytes.count
        }
    }

    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
