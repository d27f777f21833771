#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// SPEC 11: no IP address reaches an output. The visitor's own address never gets this far
/// (`Transformer.normalize` keeps only what it is reduced to); this catches an address that
/// comes some other way: a referrer such as `http://203.0.113.50/page` (an intranet server, a
/// link shared by address), a utm value or event property holding one (`from 198.51.100.77`,
/// a range `203.0.113.7/24`), a session cookie set to the client's address or to a forwarded
/// list of them (`198.51.100.7,203.0.113.9`). Each address in a session's text becomes
/// `marker`, the rest of the text kept (`SessionTexts`); an id holding one is stored as a
/// keyed hash (`VisitorIdentity.standIn`). The rules that read hosts (the site's own hosts,
/// channels) see the address before. Since 2026-12-05; addresses inside longer texts and ids
/// since the session of 2026-12-05 from 14:57 (before, only a text or id that was an address
/// and nothing else, perhaps with a port).
///
/// What counts as an address:
/// - IPv4: four labels of one to three digits (what a privacy scan of the outputs looks for,
///   values over 255 included), with no letter, digit or dot just before or after
///   (`v1.2.3.4` and `1.2.3.4.5` are versions), perhaps with a port (`:8080`);
/// - IPv6: hex digits and at least two colons that `inet_pton` takes for an address (so a
///   time `12:30:45`, a MAC `00:1a:2b:3c:4d:5e` or a bare `::` is none), with no letter or digit just
///   before or after, bare or in the brackets a URL's host puts it in, perhaps with a zone
///   (`fe80::1%eth0`) and, in brackets, a port (`[2001:db8::9]:443`).
public enum IPRedaction {
    public static let marker = "(ip)"

    /// Whether `bytes` hold an address anywhere (an id is hashed when it does).
    static func containsAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard mayHoldAddress(bytes) else { return false }
        var found = false
        forEachAddress(in: bytes) { _ in
            found = true
            return false
        }
        return found
    }

    static func containsAddress(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { containsAddress($0) }
    }

    /// `text` with each address in it written `marker`; nil when it holds none (nearly every
    /// text: one pass over its bytes for dots and colons).
    public static func withoutAddresses(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard mayHoldAddress(bytes) else { return nil }
            var kept = 0
            var out: [UInt8] = []
            forEachAddress(in: bytes) { range in
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[kept..<range.lowerBound]))
                out.append(contentsOf: marker.utf8)
                kept = range.upperBound
                return true
            }
            guard kept > 0 else { return nil }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[kept...]))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Whether `bytes` have a digit before a dot, or a colon: what every address has. Most
    /// texts have neither, and are passed by this loop alone.
    @inline(__always)
    private static func mayHoldAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: ":") || (byte == UInt8(ascii: ".") && isDigit(previous)) { return true }
            previous = byte
        }
        return false
    }

    /// Calls `body` with the range of each address in `bytes`, in order, while it returns
    /// true. Linear in the text: each run of hex digits, colons and dots is looked at once.
    static func forEachAddress(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Bool) {
        let count = bytes.count
        var from = 0
        while from < count {
            // The next dot or colon. A loop, not `memchr`: most texts are a few bytes long,
            // where a call costs more than the bytes (two `memchr`s a text were 1% of a run).
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
            var start = hit
            while start > 0, isRunByte(bytes[start - 1]) { start -= 1 }
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
    /// (IPv6: the whole run; IPv4: a part of it between colons); where to look on.
    private static func match(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ found: (Range<Int>) -> Void) -> Int {
        let bracketed = start > 0 && bytes[start - 1] == UInt8(ascii: "[")
        let lead = bracketed ? start - 1 : start
        let bounded = lead == 0 || !isAlphanumeric(bytes[lead - 1])
        if bounded, let range = ipv6(bytes, start, end, bracketed: bracketed) {
            found(range)
            return range.upperBound
        }
        // IPv4 in the parts between colons (`ip:1.2.3.4`, `1.2.3.4:8080`, `::ffff:` tails
        // inet_pton refused as a whole); the first part only with nothing alphanumeric before.
        var part = bounded ? start : (start..<end).firstIndex { bytes[$0] == UInt8(ascii: ":") }.map { $0 + 1 } ?? end
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

    /// An IPv6 address that is the whole run, with its zone and, in brackets, its brackets and
    /// port.
    private static func ipv6(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, bracketed: Bool) -> Range<Int>? {
        var end = end
        while !bracketed, end > start, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }  // a full stop, an ellipsis
        var colons = 0
        var digits = 0
        for index in start..<end {
            if bytes[index] == UInt8(ascii: ":") { colons += 1 } else if Hex.value(bytes[index]) != nil { digits += 1 }
        }
        // `::` alone is an address to inet_pton, and a separator in a title (`Title :: Subtitle`).
        guard colons >= 2, digits > 0, end - start <= 45, parsesAsIPv6(bytes, start, end) else { return nil }
        var upper = end
        if upper < bytes.count, bytes[upper] == UInt8(ascii: "%") {
            var zone = upper + 1
            while zone < bytes.count, isAlphanumeric(bytes[zone]) || bytes[zone] == UInt8(ascii: "_") || bytes[zone] == UInt8(ascii: "-") { zone += 1 }
            if zone > upper + 1 { upper = zone }
        }
        var lower = start
        if bracketed {
            guard upper < bytes.count, bytes[upper] == UInt8(ascii: "]") else { return nil }
            lower = start - 1
            upper += 1
            if upper < bytes.count, bytes[upper] == UInt8(ascii: ":") {
                var digits = upper + 1
                while digits < bytes.count, isDigit(bytes[digits]) { digits += 1 }
                if digits > upper + 1, digits - upper - 1 <= 5 { upper = digits }
            }
        }
        guard upper == bytes.count || !isAlphanumeric(bytes[upper]) else { return nil }
        return lower..<upper
    }

    private static func parsesAsIPv6(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { text in
            for index in start..<end { text[index - start] = CChar(bitPattern: bytes[index]) }
            text[end - start] = 0
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { address in
                inet_pton(AF_INET6, text.baseAddress!, address.baseAddress!) == 1
            }
        }
    }

    /// The end of a port of one to five digits that runs to `end`, the end of the run.
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

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// Hex digits, colons and dots: what an address is written with.
    private static func isRunByte(_ byte: UInt8) -> Bool {
        Hex.value(byte) != nil || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20) &- UInt8(ascii: "a") < 26
    }
}
