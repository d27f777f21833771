#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// SPEC 11: no full URL with its query string reaches an output. `page` and `landing_page`
/// are paths without their query from the start; this catches a URL that comes in a text the
/// client chose: a `content` of `https://cdn.example/t.mp4?token=...`, an `element` or `step`
/// that is a link, a utm value that is one, an event's name. A text is cut at the query or
/// fragment of its first URL (`scheme://`, `//`), path (`/`) or host and path without a scheme
/// (`cdn.example/t.mp4?...`), wherever it stands (after a quote, a bracket, `url=`), to its
/// end: a query may hold spaces once decoded. Since 2026-12-05 for a text that is a URL or path; since 2026-12-06 for one
/// anywhere in a text (a review found `open https://cdn.example/t.mp4?token=...` in an
/// `element`, ` https://...` in a `content`, a URL without its scheme, and a URL in an event
/// name, all written whole).
enum URLRedaction {
    /// `text` cut at the first `?` or `#` that ends a URL, a path or a host and path; nil when
    /// it stays as it is (nearly always: a text without `?` or `#` is looked at once).
    ///
    /// A text whose URL's `?` or `#` is percent-encoded (`https%3A%2F%2Fcdn.example%2Ft.mp4%3Ftoken%3D...`,
    /// `/a%3Ftoken%3D...`, or encoded twice) is looked through decoded once, and then twice, as
    /// `IPRedaction` does, and written decoded and cut when that shows a URL with its query
    /// (until 2026-12-06 written whole; a review). Decoded, a mark counts only before a
    /// `name=` parameter: in a path, `%3F` and `%23` are data (`/tags/c%23`,
    /// `/blog/is-it-free%3F-the-answer` stay). The text already cut at a plain mark is looked
    /// through too (an encoded URL before a plain one).
    static func withoutQuery(_ text: String) -> String? {
        var text = text
        let (plain, escaped) = text.withUTF8 { bytes in
            (cut(bytes, parameter: false), bytes.baseAddress.map { memchr($0, Int32(UInt8(ascii: "%")), bytes.count) != nil } ?? false)
        }
        guard escaped else { return plain }
        var rest = plain ?? text
        return rest.withUTF8 { bytes -> String? in
            // Looked for again only in what a plain cut left.
            guard plain == nil || memchr(bytes.baseAddress!, Int32(UInt8(ascii: "%")), bytes.count) != nil else { return plain }
            for decoded in IPRedaction.decodings(bytes) {
                if let cut = decoded.withUnsafeBufferPointer({ cut($0, parameter: true) }) { return cut }
            }
            return plain
        }
    }

    /// `bytes` cut at the first `?` or `#` that ends a URL, a path or a host and path (and,
    /// with `parameter`, comes before `name=`); nil when there is none.
    private static func cut(_ bytes: UnsafeBufferPointer<UInt8>, parameter: Bool) -> String? {
        guard let base = bytes.baseAddress, memchr(base, Int32(UInt8(ascii: "?")), bytes.count) != nil
            || memchr(base, Int32(UInt8(ascii: "#")), bytes.count) != nil else { return nil }
        for cut in bytes.indices where bytes[cut] == UInt8(ascii: "?") || bytes[cut] == UInt8(ascii: "#") {
            // The word before the mark: the bytes a URL is written with, back to a space,
            // a quote, a bracket or a character beyond ASCII (`(https://...?`, `"https://...?`,
            // a no-break space), whatever stands before it.
            var start = cut
            while start > 0, isURLByte(bytes[start - 1]) { start -= 1 }
            let word = UnsafeBufferPointer(rebasing: bytes[start..<cut])
            let query = UnsafeBufferPointer(rebasing: bytes[(cut + 1)...])
            if isURLOrPath(word, query: query), !parameter || startsWithParameter(query) {
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<cut]), as: UTF8.self)
            }
        }
        return nil
    }

    /// A byte a URL is written with (RFC 3986's unreserved, reserved but the brackets and
    /// parentheses, and `%`), so that the quotes, brackets, commas and spaces around a URL in
    /// a sentence end it.
    private static func isURLByte(_ byte: UInt8) -> Bool {
        isLetterOrDigit(byte) || "-._~:/@%+=&;!$*".utf8.contains(byte)
    }

    /// A word before its `?` or `#`: a path (`/...`, `//host/...`), a URL of any scheme
    /// anywhere in it (`url=https://...`: letters, digits, `+`, `-`, `.` before `://` or `:/`), or a
    /// host (a name of two or more labels in lower case, the last of letters; an IPv4 address;
    /// `localhost`; a port allowed) followed by a `/`, or by a query of `name=` when it has no
    /// path (`cdn.example?token=...`).
    private static func isURLOrPath(_ word: UnsafeBufferPointer<UInt8>, query: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = word.first else { return false }
        if first == UInt8(ascii: "/") { return true }
        var index = 0
        // `scheme:/` too: browsers read `https:/cdn.example/x` as `https://` (a review).
        while index + 2 <= word.count {
            if word[index] == UInt8(ascii: ":"), word[index + 1] == UInt8(ascii: "/"),
               index > 0, isSchemeByte(word[index - 1]) {
                // `scheme:/` with one slash: a scheme of two or more, from a letter (`C:/x?y`
                // and `1:/2?` are no URLs; a review).
                if index + 2 < word.count, word[index + 2] == UInt8(ascii: "/") { return true }
                var schemeStart = index - 1
                while schemeStart > 0, isSchemeByte(word[schemeStart - 1]) { schemeStart -= 1 }
                if index - schemeStart >= 2, (word[schemeStart] | 0x20) &- UInt8(ascii: "a") < 26 { return true }
            }
            index += 1
        }
        let slash = word.firstIndex(of: UInt8(ascii: "/"))
        // No path: only with a query of `name=` after the mark.
        if slash == nil, !startsWithParameter(query) { return false }
        var host = word[..<(slash ?? word.count)]
        if let colon = host.firstIndex(of: UInt8(ascii: ":")) {
            guard colon + 1 < host.endIndex, host[(colon + 1)...].allSatisfy({ $0 &- 0x30 < 10 }) else { return false }
            host = host[..<colon]
        }
        if host.elementsEqual("localhost".utf8) { return true }
        let labels = host.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return false }
        if labels.count == 4, labels.allSatisfy({ $0.count <= 3 && $0.allSatisfy { $0 &- 0x30 < 10 } }) { return true }
        guard labels.allSatisfy({ $0.allSatisfy { $0 &- UInt8(ascii: "a") < 26 || $0 &- 0x30 < 10 || $0 == UInt8(ascii: "-") } }),
              let last = labels.last, last.count >= 2 else { return false }
        return last.allSatisfy { $0 &- UInt8(ascii: "a") < 26 }
    }

    /// Whether `query` starts with `name=` (letters, digits, `_`, `-`).
    private static func startsWithParameter(_ query: UnsafeBufferPointer<UInt8>) -> Bool {
        var name = 0
        while name < query.count, isLetterOrDigit(query[name]) || query[name] == UInt8(ascii: "_") || query[name] == UInt8(ascii: "-") { name += 1 }
        return name > 0 && name < query.count && query[name] == UInt8(ascii: "=")
    }

    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        isLetterOrDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- 0x30 < 10
    }
}
