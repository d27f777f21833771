#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// SPEC 11: no full URL with its query string reaches an output. `page` and `landing_page`
/// are paths without their query from the start; this catches a URL that comes in a text the
/// client chose: a `content` of `https://cdn.example/t.mp4?token=...`, an `element` or `step`
/// that is a link, a utm value that is one, an event's name. A text is cut at the query or
/// fragment of its first word that is a URL (`scheme://`, `//`), a path (`/`) or a host and
/// path without a scheme (`cdn.example/t.mp4?...`), to its end: a query may hold spaces once
/// decoded. Since 2026-12-05 for a text that is a URL or path; since 2026-12-06 for one
/// anywhere in a text (a review found `open https://cdn.example/t.mp4?token=...` in an
/// `element`, ` https://...` in a `content`, a URL without its scheme, and a URL in an event
/// name, all written whole).
enum URLRedaction {
    /// `text` cut at the `?` or `#` of its first URL or path word that has one; nil when it
    /// stays as it is (nearly always: a text without `?` or `#` is looked at once).
    static func withoutQuery(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard let base = bytes.baseAddress, memchr(base, Int32(UInt8(ascii: "?")), bytes.count) != nil
                || memchr(base, Int32(UInt8(ascii: "#")), bytes.count) != nil else { return nil }
            var start = 0
            while start < bytes.count {
                if isSpace(bytes[start]) {
                    start += 1
                    continue
                }
                var end = start
                while end < bytes.count, !isSpace(bytes[end]) { end += 1 }
                if let cut = bytes[start..<end].firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }),
                   isURLOrPath(UnsafeBufferPointer(rebasing: bytes[start..<cut])) {
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<cut]), as: UTF8.self)
                }
                start = end
            }
            return nil
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// A word before its `?` or `#`: a path (`/...`, `//host/...`), a URL of any scheme
    /// (`https://`, `ftp://`: letters, digits, `+`, `-`, `.` before `://`), or a host name of two
    /// or more labels, the last of letters, followed by a `/` (`cdn.example/t.mp4`).
    private static func isURLOrPath(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = word.first else { return false }
        if first == UInt8(ascii: "/") { return true }
        guard let slash = word.firstIndex(of: UInt8(ascii: "/")), slash > 0 else { return false }
        if slash >= 2, word[slash - 1] == UInt8(ascii: ":"), slash + 1 < word.count, word[slash + 1] == UInt8(ascii: "/") {
            let scheme = word[..<(slash - 1)]
            return !scheme.isEmpty && scheme.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
        }
        // A host (a port allowed) before the first `/`.
        var host = word[..<slash]
        if let colon = host.firstIndex(of: UInt8(ascii: ":")) {
            guard host[(colon + 1)...].allSatisfy({ $0 &- 0x30 < 10 }) else { return false }
            host = host[..<colon]
        }
        let labels = host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "-") } }),
              let last = labels.last, last.count >= 2 else { return false }
        return last.allSatisfy { ($0 | 0x20) &- UInt8(ascii: "a") < 26 }
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- 0x30 < 10
    }
}
