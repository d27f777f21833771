#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// SPEC 11: no IP address reaches an output. The visitor's own address never gets this far
/// (`Transformer.normalize` keeps only what it is reduced to); this catches an address that
/// is some other host: a referrer such as `http://203.0.113.50/page` or
/// `http://[2001:db8::1]/` (an intranet server, a link shared by address) would otherwise be
/// written whole as the session's `referrer` and as its sources. A text of a session (a field
/// or an event property) that is an address and nothing else becomes `marker`; the rules
/// that read hosts (the site's own hosts, channels) see the address before. Since 2026-12-05.
enum IPRedaction {
    static let marker = "(ip)"

    /// An IPv4 address in dotted form (four labels of one to three digits: what the privacy
    /// scan of outputs looks for, values over 255 included) or an IPv6 address in the brackets
    /// a URL's host puts it in (hex digits and at least two colons, perhaps a dotted tail).
    /// Bare IPv6 is not looked for: no host comes without its brackets, and texts such as a
    /// time (`12:30:45`) would pass for one.
    static func isAddress(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isAddress($0) }
    }

    private static func isAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "[") { return isIPv6(bytes) }
        return first &- 0x30 < 10 && isIPv4(bytes[...])
    }

    /// Whether a visitor or client session id is an IP address: `isAddress`, or one with a
    /// port (`203.0.113.5:8080`, `[2001:db8::9]:443`), or IPv6 without brackets
    /// (`2001:db8::2`: hex digits and colons, with `::` or all eight groups; a time such as
    /// `12:30:45` is none). Such an id is stored as a keyed hash (`VisitorIdentity.standIn`),
    /// as an e-mail address is: a session cookie or `session_id` holding the client's address
    /// was written as the session's id and Redis key (until 2026-12-05).
    static func isAddressID(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { isAddressID($0) }
    }

    /// `isAddressID(_:)` of an id still in a line's bytes.
    static func isAddressID(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if isAddress(bytes) { return true }
        // Every other form has a colon: most ids (hex, UUIDs, numbers) have none, found by
        // `memchr` (every record's ids are looked at, at every build).
        guard let first = bytes.first, let base = bytes.baseAddress, memchr(base, Int32(UInt8(ascii: ":")), bytes.count) != nil else { return false }
        if first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close + 1 < bytes.count,
                  bytes[close + 1] == UInt8(ascii: ":") else { return false }
            return isIPv6(UnsafeBufferPointer(rebasing: bytes[...close])) && isPort(bytes[(close + 2)...])
        }
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), first &- 0x30 < 10, isIPv4(bytes[..<colon]) {
            return isPort(bytes[(colon + 1)...])
        }
        var colons = 0
        var doubled = false
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: ":") {
                colons += 1
                if previous == byte { doubled = true }
            } else if Hex.value(byte) == nil && byte != UInt8(ascii: ".") {
                return false
            }
            previous = byte
        }
        return colons >= 2 && colons <= 7 && (doubled || colons == 7)
    }

    private static func isPort(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        !bytes.isEmpty && bytes.count <= 5 && bytes.allSatisfy { $0 &- 0x30 < 10 }
    }

    private static func isIPv4(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var labels = 0
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                labels += 1
                digits = 0
            } else if byte &- 0x30 < 10, digits < 3 {
                digits += 1
            } else {
                return false
            }
        }
        return labels == 3 && digits > 0
    }

    private static func isIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= 2, bytes.last == UInt8(ascii: "]") else { return false }
        var colons = 0
        for byte in bytes[1..<(bytes.count - 1)] {
            if byte == UInt8(ascii: ":") {
                colons += 1
            } else if Hex.value(byte) == nil && byte != UInt8(ascii: ".") {
                return false
            }
        }
        return colons >= 2
    }
}
