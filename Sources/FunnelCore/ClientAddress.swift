#if canImport(Glibc)
import Glibc
#endif

/// A client's address as logs and events write it, reduced to the address.
///
/// The address keys a fingerprint visitor (SPEC 4) and finds a country in the MaxMind DB, so
/// two spellings of one address must be one address, and a placeholder must not be taken for
/// one. Proxies write `unknown` or an obfuscated `_hidden` into `X-Forwarded-For` (RFC 7239);
/// Azure's gateway writes `203.0.113.21:51234`; hand-made exports put spaces around it. Until
/// 2026-12-06 each was used as written: every `unknown` client of one browser was one visitor,
/// a client whose port changed was two, and none had a country.
public enum ClientAddress {
    /// The address `text` holds: its first word (a list written with spaces), without RFC
    /// 7239's `for=` and quotes, `[2001:db8::5]:443`'s brackets and port, `203.0.113.21:51234`'s
    /// port; an IPv6 address in its one written form (lower case, zeros compressed) and one
    /// that maps an IPv4 address as that address (`::ffff:203.0.113.9` is `203.0.113.9`); nil
    /// when what is left is not an IPv4 or IPv6 address (`unknown`, `_hidden`, empty).
    public static func address(in text: Substring) -> String? {
        var text = trimmed(text)
        text = text.prefix { $0 != " " && $0 != "\t" }
        if text.count > 4, text.prefix(4).lowercased() == "for=" { text = text.dropFirst(4) }
        if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
        guard let address = written(text) else { return nil }
        return canonical(address)
    }

    /// The client of a request from its `X-Forwarded-For` and its peer's address: the first
    /// entry that is a public address, else the peer's address when it is one, else the first
    /// entry when it is an address, else the peer's address as written. A proxy on a client's
    /// own network adds its private address first (`10.0.0.1, 203.0.113.7`), and a CDN or
    /// load balancer is the peer: until 2026-12-06 the first entry was taken whatever it was,
    /// and such a client had no country and a fingerprint shared with everyone behind any
    /// proxy of that private address (a review). The leftmost entries are the client's to
    /// write: they are trusted as a log's `$http_x_forwarded_for` is (docs/pipeline.md).
    public static func client(forwardedFor: String?, peer: String?) -> String? {
        guard let forwardedFor else { return peer }
        var first: String?
        for (index, entry) in forwardedFor.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            guard let address = address(in: entry) else { continue }
            if isPublic(address) { return address }
            if index == 0 { first = address }
        }
        // The peer reduced as an entry is (its port, `::ffff:`), as the client it now is.
        if let peer, let address = address(in: Substring(peer)), isPublic(address) { return address }
        return first ?? peer
    }

    /// Whether `address` (as `address(in:)` gives it) is public: not private, shared (CGNAT),
    /// loopback, link-local, unspecified, multicast, benchmarking (198.18/15), IETF protocol
    /// assignments (192.0.0/24) or reserved; an IPv6 address that embeds an IPv4 one
    /// (`::a.b.c.d`, NAT64's `64:ff9b::/96`) as that one. The documentation ranges
    /// (`203.0.113.0/24` and the like) count as public: examples and tests use them so.
    public static func isPublic(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return isPublic(v4: UInt32(bigEndian: v4.s_addr)) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        let embedded = UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15])
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return embedded > 1 && isPublic(v4: embedded) }
        if bytes[0..<12].elementsEqual([0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) { return isPublic(v4: embedded) }
        if bytes[0] & 0xFE == 0xFC { return false }
        if bytes[0] == 0xFE && bytes[1] & 0x80 == 0x80 { return false }  // fe80::/10 and fec0::/10
        if bytes[0] == 0xFF { return false }
        return true
    }

    private static func isPublic(v4 value: UInt32) -> Bool {
        let a = value >> 24, b = (value >> 16) & 0xFF, c = (value >> 8) & 0xFF
        switch a {
        case 0, 10, 127: return false
        case 100 where b & 0xC0 == 64: return false
        case 169 where b == 254: return false
        case 172 where b & 0xF0 == 16: return false
        case 192 where b == 168 || (b == 0 && c == 0): return false
        case 198 where b & 0xFE == 18: return false
        case 224...255: return false
        default: return true
        }
    }

    /// `address(in:)` before the IPv6 form is made one.
    private static func written(_ text: Substring) -> String? {
        var text = text
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigit) && rest.count > 1) else { return nil }
            text = text[text.index(after: text.startIndex)..<close]
            return isIPv6(text) ? String(text) : nil
        }
        if isIPv4(text) || isIPv6(text) { return String(text) }
        // One colon: an IPv4 address and its port (an IPv6 address has two or more).
        if let colon = text.firstIndex(of: ":"), text[text.index(after: colon)...].allSatisfy(\.isASCIIDigit),
           colon != text.index(before: text.endIndex), isIPv4(text[..<colon]) {
            return String(text[..<colon])
        }
        return nil
    }

    /// The address of a field that should hold one (an event's `ip`): the first entry of a
    /// list (`203.0.113.9, 10.0.0.1`), reduced by `address(in:)`; an entry that is no address
    /// is kept as it is, trimmed, as before (nil when empty).
    public static func normalized(_ text: String) -> String? {
        let first = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(text)
        if let address = address(in: first) { return address }
        let entry = trimmed(first)
        return entry.isEmpty ? nil : String(entry)
    }

    /// A host written as an IPv4 address in another form browsers read (`2130706433`,
    /// `0x7f.0.0.1`, `10.1`) as that address in four decimal labels, which the outputs' redaction
    /// finds; other hosts as they are. Until 2026-12-06 `http://2130706433/` made the referrer
    /// and source `2130706433` (a review of SPEC 11).
    public static func dottedQuad(ofHost host: String) -> String {
        guard let first = host.utf8.first, first &- 0x30 < 10 else { return host }
        var address = in_addr()
        guard inet_aton(host, &address) != 0 else { return host }
        return presentation(AF_INET, &address) ?? host
    }

    /// An address in binary as `inet_ntop` writes it (its "presentation" form).
    private static func presentation(_ family: Int32, _ address: UnsafeRawPointer) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An IPv6 address as `inet_ntop` writes it, an IPv4-mapped one as its IPv4 address; an
    /// IPv4 address, or an IPv6 one with a zone, as it is.
    private static func canonical(_ address: String) -> String {
        guard address.contains(":"), !address.contains("%") else { return address }
        var binary = in6_addr()
        guard inet_pton(AF_INET6, address, &binary) == 1, let text = presentation(AF_INET6, &binary) else { return address }
        if text.hasPrefix("::ffff:"), text.dropFirst(7).contains("."), !text.dropFirst(7).contains(":") { return String(text.dropFirst(7)) }
        return text
    }

    private static func trimmed(_ text: Substring) -> Substring {
        text.trimming { $0 == " " || $0 == "\t" }
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        var address = in_addr()
        return text.count <= 15 && inet_pton(AF_INET, String(text), &address) == 1
    }

    /// An IPv6 address, with a zone (`fe80::1%eth0`) allowed.
    private static func isIPv6(_ text: Substring) -> Bool {
        guard text.contains(":") else { return false }
        let bare = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first ?? text
        var address = in6_addr()
        return bare.count <= 45 && inet_pton(AF_INET6, String(bare), &address) == 1
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
