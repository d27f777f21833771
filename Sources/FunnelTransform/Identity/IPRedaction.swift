#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// SPEC 11: no IP address reaches an output. The visitor's own address never gets this far
/// (`Transformer.normalize` keeps only what it is reduced to); this catches an address that
/// comes some other way: a referrer such as `http://203.0.113.50/page` (an intranet server, a
/// link shared by address), a utm value, page, event property or event name holding one
/// (`from 198.51.100.77`, a range `203.0.113.7/24`, `go%2F10.0.0.5`), a session cookie set to
/// the client's address or to a forwarded list of them (`198.51.100.7,203.0.113.9`). Each
/// address in a session's text becomes `marker`, the rest of the text kept (`SessionTexts`);
/// an id holding one is stored as a keyed hash (`VisitorIdentity.standIn`). The rules that
/// read hosts (the site's own hosts, channels) see the address before. Since 2026-12-05;
/// addresses inside longer texts and ids since the session of 2026-12-05 from 14:57 (before,
/// only a text or id that was an address and nothing else, perhaps with a port).
///
/// What counts as an address (docs/fields.md, "IP addresses (SPEC 11)"):
/// - IPv4: four labels of one to three digits (what a privacy scan of the outputs looks for,
///   values over 255 included), with no letter or digit just before, and none just after nor
///   a dot followed by one (`v1.2.3.4`, `1.2.3.4.5` and `10.0.0.1.example` are none;
///   `host.10.0.0.1` and `see 1.2.3.4.` hold one), perhaps with a port (`:8080`);
/// - IPv6: hex digits and at least two colons that `inet_pton` takes for an address (so a
///   time `12:30:45`, a six-group MAC `00:1a:2b:3c:4d:5e` or a bare `::` is none; `a::b` and
///   `Cafe::Bead` are), with no letter or digit just before it or after it (a colon counts as
///   neither: `ip:2001:db8::1`, `a=:2001:db8::1`, `2001:db8::1: reset`), bare or in the
///   brackets a URL's host puts it in (without the closing one, as bare), perhaps with a zone
///   (`fe80::1%eth0`) and, in brackets, a port (`[2001:db8::9]:443`);
/// - beside a percent escape, which separates it and stays (`go%2F10.0.0.5` is written
///   `go%2F(ip)`), or written with escapes inside it (`10%2E0%2E0%2E1`, `2001%3Adb8%3A%3A1`):
///   a text with escapes is also looked through with its escapes of printable ASCII decoded
///   once, and where that shows none, twice; one that holds an address only so is written
///   decoded as far as that, its addresses redacted.
public enum IPRedaction {
    public static let marker = "(ip)"

    /// Whether `bytes` hold an address anywhere (an id is hashed when it does).
    static func containsAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let signs = signs(bytes)
        if signs.address, firstAddress(bytes) != nil { return true }
        guard signs.escape else { return false }
        return decodings(bytes).contains { $0.withUnsafeBufferPointer { firstAddress($0) != nil } }
    }

    static func containsAddress(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { containsAddress($0) }
    }

    /// `text` with each address in it written `marker`; nil when it holds none (nearly every
    /// text: one pass over its bytes for dots, colons and percent signs).
    public static func withoutAddresses(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            let signs = signs(bytes)
            let redacted = signs.address ? redacting(bytes) : nil
            guard signs.escape else { return redacted.map { String(decoding: $0, as: UTF8.self) } }
            // Escaped addresses: the text decoded once, or else twice, redacted, when it
            // holds one more (decoded no further than it needs: `100%2525` stays `100%25`).
            let source = redacted ?? Array(bytes)
            for plain in source.withUnsafeBufferPointer({ decodings($0) }) {
                if let again = plain.withUnsafeBufferPointer({ redacting($0) }) { return String(decoding: again, as: UTF8.self) }
            }
            return redacted.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// `bytes` with each address written `marker`; nil when there is none.
    private static func redacting(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var kept = 0
        var out: [UInt8] = []
        forEachAddress(in: bytes) { range in
            guard range.lowerBound >= kept else { return true }  // never overlapping; a guard, not a case
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[kept..<range.lowerBound]))
            out.append(contentsOf: marker.utf8)
            kept = range.upperBound
            return true
        }
        guard kept > 0 else { return nil }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[kept...]))
        return out
    }

    private static func firstAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var found: Range<Int>?
        forEachAddress(in: bytes) { range in
            found = range
            return false
        }
        return found
    }

    /// Whether `bytes` have what every address has (a digit before a dot, or a colon), and
    /// whether they have a percent escape. Most texts have neither, and are passed by this
    /// loop alone.
    @inline(__always)
    private static func signs(_ bytes: UnsafeBufferPointer<UInt8>) -> (address: Bool, escape: Bool) {
        var address = false
        var escape = false
        // Letters, most of a text's bytes, are passed with one comparison: a colon, a dot, a
        // percent sign and digits are all below 0x40.
        for index in bytes.indices where bytes[index] < 0x40 {
            switch bytes[index] {
            case UInt8(ascii: ":"): address = true
            case UInt8(ascii: "."): if index > 0, isDigit(bytes[index - 1]) { address = true }
            case UInt8(ascii: "%"): escape = true
            default: break
            }
        }
        return (address, escape)
    }

    /// `bytes` with their percent escapes decoded once and then twice (a value encoded
    /// twice), each only when it changes the text.
    static func decodings(_ bytes: UnsafeBufferPointer<UInt8>) -> [[UInt8]] {
        var results: [[UInt8]] = []
        var text = Array(bytes)
        for _ in 0..<2 {
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            var index = 0
            while index < text.count {
                // Printable ASCII only, what addresses and their separators are written with:
                // other bytes decoded alone could make a text that is no UTF-8.
                if let escaped = Hex.percentEscape(text, at: index), (0x20...0x7E).contains(escaped) {
                    out.append(escaped)
                    index += 3
                } else {
                    out.append(text[index])
                    index += 1
                }
            }
            if out.count == text.count { break }
            results.append(out)
            text = out
        }
        return results
    }

    /// Calls `body` with the range of each address in `bytes`, in order and never
    /// overlapping, while it returns true. Linear in the text: each run of hex digits, colons
    /// and dots is looked at once, and `inet_pton` sees at most two pieces of it of 45 bytes.
    static func forEachAddress(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Bool) {
        let count = bytes.count
        var from = 0
        while from < count {
            // The next dot or colon. A loop, not `memchr`: most texts are a few bytes long,
            // where a call costs more than the bytes.
            var hit = from
            while hit < count, bytes[hit] != UInt8(ascii: "."), bytes[hit] != UInt8(ascii: ":") { hit += 1 }
            guard hit < count else { return }
            // A dot counts after a digit, a colon beside a hex digit or a colon: host names
            // (`lm.facebook.com`) and schemes (`https:`) are passed over here.
            let byte = bytes[hit]
            let worth = byte == UInt8(ascii: ".")
                ? hit > 0 && isDigit(bytes[hit - 1])
                : (hit > 0 && isRunByte(bytes[hit - 1])) || (hit + 1 < count && isRunByte(bytes[hit + 1]))
            guard worth else {
                from = hit + 1
                continue
            }
            // The run, not reaching back before `from`: what an address found before took (a
            // zone, a port) is not looked at again.
            var start = hit
            while start > from, isRunByte(bytes[start - 1]) { start -= 1 }
            // A run starting with a percent escape's two hex digits starts after them.
            if start > 0, start + 2 <= hit, bytes[start - 1] == UInt8(ascii: "%"), isAfterEscape(bytes, start + 2) { start += 2 }
            var end = hit + 1
            while end < count, isRunByte(bytes[end]) { end += 1 }
            var stop = false
            let next = match(bytes, start, end) { range in
                if !stop, !body(range) { stop = true }
            }
            if stop { return }
            from = max(next, end)
        }
    }

    /// The addresses in the run `start..<end` of hex digits, colons and dots, given to `found`
    /// in order (IPv6: the run or its end; IPv4: a part of it between colons); where to look on.
    private static func match(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ found: (Range<Int>) -> Void) -> Int {
        if let range = ipv6(bytes, start, end) {
            found(range)
            return range.upperBound
        }
        // IPv4 in the parts between colons (`ip:1.2.3.4`, `1.2.3.4:8080`, `::ffff:` tails
        // inet_pton refused as a whole); the first part only with nothing alphanumeric before.
        var part = isBounded(bytes, start) ? start : (start..<end).firstIndex { bytes[$0] == UInt8(ascii: ":") }.map { $0 + 1 } ?? end
        var last = end
        while part < end {
            var partEnd = part
            while partEnd < end, bytes[partEnd] != UInt8(ascii: ":") { partEnd += 1 }
            var v4End = partEnd
            if v4End == end { while v4End > part, bytes[v4End - 1] == UInt8(ascii: ".") { v4End -= 1 } }  // a full stop, an ellipsis
            if isIPv4(bytes, part, v4End), partEnd < end || end == bytes.count || !isAlphanumeric(bytes[end]) {
                var upper = v4End
                if partEnd < end, let port = port(bytes, partEnd + 1, end) { upper = port }
                found(part..<upper)
                last = upper
            }
            part = partEnd + 1
        }
        return last
    }

    /// An IPv6 address in the run: in brackets, the whole run, with its brackets, zone and
    /// port; bare, the run from its start (when nothing alphanumeric is before it) or from
    /// just after its first colon (`ip:2001:db8::1`), to its end or to just before a single
    /// colon ending it (`2001:db8::1: reset`), with its zone.
    private static func ipv6(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int>? {
        // In brackets with the closing one; else (`peers=[2001:db8::1, ...`) as a bare address.
        if start > 0, bytes[start - 1] == UInt8(ascii: "["), parsesAsIPv6(bytes, start, end),
           case let closing = zoneEnd(bytes, end), closing < bytes.count, bytes[closing] == UInt8(ascii: "]") {
            var upper = closing + 1
            if upper < bytes.count, bytes[upper] == UInt8(ascii: ":") {
                var digits = upper + 1
                while digits < bytes.count, isDigit(bytes[digits]) { digits += 1 }
                if let port = port(bytes, upper + 1, digits) { upper = port }
            }
            return (start - 1)..<upper
        }
        var last = end
        while last > start, bytes[last - 1] == UInt8(ascii: ".") { last -= 1 }  // a full stop, an ellipsis
        // The end: the run's, or before a colon or two ending it (`2001:db8::1: reset`,
        // `2001:db8::1::`).
        var ends = [last]
        if last - start >= 2, bytes[last - 1] == UInt8(ascii: ":") {
            ends.append(bytes[last - 2] == UInt8(ascii: ":") ? last - 2 : last - 1)
        }
        // The start: the run's own when nothing alphanumeric is before it; and just after its
        // first colon when that is a single one and the run starts with it or has something
        // alphanumeric before (`IPv6:2001:db8::1`: the run starts at `6`; `a=:2001:db8::1`).
        // No other: `1:2:3:4:5:6:7:8:9` holds an eight-group tail, but is no address.
        var starts: [Int] = []
        let bounded = isBounded(bytes, start)
        if bounded { starts.append(start) }
        if let colon = (start..<last).firstIndex(where: { bytes[$0] == UInt8(ascii: ":") }), colon == start || !bounded, colon + 1 < last,
           bytes[colon + 1] != UInt8(ascii: ":"), colon == start || bytes[colon - 1] != UInt8(ascii: ":") {
            starts.append(colon + 1)
        }
        for from in starts {
            for to in ends where parsesAsIPv6(bytes, from, to) {
                let upper = to == last ? zoneEnd(bytes, to) : to
                if upper == bytes.count || !isAlphanumeric(bytes[upper]) { return from..<upper }
            }
        }
        return nil
    }

    /// The end of a zone after an address ending at `end` (`%eth0`, `%25eth0.100`), or `end`.
    private static func zoneEnd(_ bytes: UnsafeBufferPointer<UInt8>, _ end: Int) -> Int {
        guard end < bytes.count, bytes[end] == UInt8(ascii: "%") else { return end }
        // A percent escape of a separator (`%5D`, `%2F`, `%20`) ends the address; `%25` is the
        // escaped `%` a zone takes in a URL.
        if let escaped = Hex.percentEscape(bytes, at: end), escaped != UInt8(ascii: "%"), (0x20...0x7E).contains(escaped), !isAlphanumeric(escaped) {
            return end
        }
        var zone = end + 1
        while zone < bytes.count, isAlphanumeric(bytes[zone]) || bytes[zone] == UInt8(ascii: "_") || bytes[zone] == UInt8(ascii: "-") || bytes[zone] == UInt8(ascii: ".") {
            zone += 1
        }
        return zone > end + 1 ? zone : end
    }

    /// Hex digits and at least two colons, one of them at least, that `inet_pton` takes.
    /// (`::` alone is an address to it, and a separator in a title: `Title :: Subtitle`.)
    private static func parsesAsIPv6(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard end - start >= 2, end - start <= 45 else { return false }
        var colons = 0
        var digits = 0
        for index in start..<end {
            if bytes[index] == UInt8(ascii: ":") { colons += 1 } else if Hex.value(bytes[index]) != nil { digits += 1 }
        }
        guard colons >= 2, digits > 0 else { return false }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { text in
            for index in start..<end { text[index - start] = CChar(bitPattern: bytes[index]) }
            text[end - start] = 0
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { address in
                inet_pton(AF_INET6, text.baseAddress!, address.baseAddress!) == 1
            }
        }
    }

    /// Nothing alphanumeric just before `index`, or a percent escape (`report%201.0.0.0`: the
    /// escape's `20` is not the address's).
    private static func isBounded(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        index == 0 || !isAlphanumeric(bytes[index - 1]) || isAfterEscape(bytes, index)
    }

    private static func isAfterEscape(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        index >= 3 && Hex.percentEscape(bytes, at: index - 3) != nil
    }

    /// `end`, when `start..<end` is a port of one to five digits with nothing alphanumeric
    /// after it (after an IPv4 part, `end` is the run's; after a bracket, the digits').
    private static func port(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        guard end > start, end - start <= 5, (start..<end).allSatisfy({ isDigit(bytes[$0]) }),
              end == bytes.count || !isAlphanumeric(bytes[end]) else { return nil }
        return end
    }

    private static func isIPv4(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var labels = 0
        var digits = 0
        for index in start..<end {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                labels += 1
                digits = 0
            } else if isDigit(byte), digits < 3 {
                digits += 1
            } else {
                return false
            }
        }
        return labels == 3 && digits > 0
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Hex digits, colons and dots: what an address is written with.
    private static func isRunByte(_ byte: UInt8) -> Bool {
        Hex.value(byte) != nil || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20) &- UInt8(ascii: "a") < 26
    }
}
