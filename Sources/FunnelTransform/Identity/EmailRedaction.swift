#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// SPEC 11: no e-mail address reaches an output. Visitor ids and user ids that are addresses
/// are handled where they are read (a keyed hash, or left out); this catches the rest at the
/// edge, in every text a session is written with: utm values (mail tools often put the
/// subscriber's address in `utm_content`), paths (`/u/fan@example.org`), event properties
/// (an element or a step named after an address), and client session ids.
///
/// An address is a run of `A-Z a-z 0-9 . _ % + -` (and characters beyond ASCII) before an
/// `@` (or its percent-encoded `%40`) and a run of `A-Z a-z 0-9 . -` (and the same) after it
/// holding a dot: the shape the privacy test
/// scans outputs for. Each one in a text becomes `(email)`; the rest of the text stays (an
/// `@handle` or `a@b` is not an address). A session id holding an `@` becomes `em` + the 16
/// hex digits of its keyed hash, as a visitor id does: stable across runs, and still one
/// session.
public enum EmailRedaction {
    public static let marker = "(email)"

    /// `text` with each address replaced by `marker`; nil when it holds none (nearly always,
    /// found by one scan for `@` and `%`).
    public static func redacted(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard bytes.contains(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "%") }) else { return nil }
            var out: [UInt8] = []
            var copied = 0
            // A local part starts after the last separator (`@`, `%40`) passed: walking back
            // over earlier ones took time with the square of a text of them (64 KiB of `%40`:
            // 1.1 s; a review, 2026-12-05).
            var floor = 0
            var index = 0
            while index < bytes.count {
                let separator = separatorLength(bytes, at: index)
                guard separator > 0 else { index += 1; continue }
                var start = index
                while start > max(copied, floor), isLocal(bytes[start - 1]) { start -= 1 }
                let domain = index + separator
                var end = domain
                while end < bytes.count {
                    if isDomain(bytes[end]) { end += 1 } else if let dot = encodedDotLength(bytes, at: end) { end += dot } else { break }
                }
                // Beyond ASCII, letters and digits belong to an address (`josé`, `münchen`);
                // other characters end it (`«fan@example.org»`, `Kontakt→fan@…`).
                start = index - lettersOrASCII(UnsafeBufferPointer(rebasing: bytes[start..<index]), fromEnd: true)
                end = domain + lettersOrASCII(UnsafeBufferPointer(rebasing: bytes[domain..<end]), fromEnd: false)
                while end > domain {
                    if bytes[end - 1] == UInt8(ascii: ".") || bytes[end - 1] == UInt8(ascii: "-") {
                        end -= 1
                    } else if end - 3 >= domain, encodedDotLength(bytes, at: end - 3) == 3 {
                        end -= 3
                    } else if end - 5 >= domain, encodedDotLength(bytes, at: end - 5) == 5 {
                        end -= 5
                    } else {
                        break
                    }
                }
                // A dot after the domain's first byte and before its last: `example.org`.
                let isAddress = start < index && end - domain >= 3 && bytes[domain] != UInt8(ascii: ".")
                    && ((domain + 1)..<(end - 1)).contains { bytes[$0] == UInt8(ascii: ".") || encodedDotLength(bytes, at: $0, dotOnly: true) != nil }
                guard isAddress else {
                    index += separator
                    floor = index
                    continue
                }
                out.append(contentsOf: bytes[copied..<start])
                out.append(contentsOf: marker.utf8)
                copied = end
                index = end
            }
            guard copied > 0 else { return nil }
            out.append(contentsOf: bytes[copied...])
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Whether an id may be an address, and so is replaced (visitor and session ids: a keyed
    /// hash) or left out (user and PostHog ids) rather than written as it is: it holds an `@`,
    /// or the `%40` that stands for one in a URL-encoded cookie or query parameter
    /// (`ann%40example.com`; `%2540`, encoded twice, since the session of 2026-12-05 from 14:57). Until 2026-12-05 only `@` counted for ids, and such an id reached
    /// the outputs as it was. `memchr` on the bytes in place: every record's visitor id and
    /// every session's id is looked at.
    public static func mayBeAddress(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { mayBeAddress($0) }
    }

    /// `mayBeAddress(_:)` of an id still in a line's bytes.
    public static func mayBeAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        if memchr(base, Int32(UInt8(ascii: "@")), bytes.count) != nil { return true }
        var from = 0
        while from + 2 < bytes.count, let hit = memchr(base + from, Int32(UInt8(ascii: "%")), bytes.count - from) {
            let at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
            if separatorLength(bytes, at: at) > 1 { return true }
            from = at + 1
        }
        return false
    }

    /// 1 for `@`, 3 for `%40`, else 0.
    private static func separatorLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        if bytes[index] == UInt8(ascii: "@") { return 1 }
        if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "4"), bytes[index + 2] == UInt8(ascii: "0") { return 3 }
        // `%2540`: an `@` encoded twice (a URL carried in a URL's query), since the session
        // of 2026-12-05 from 14:57.
        if bytes[index] == UInt8(ascii: "%"), index + 4 < bytes.count, bytes[index + 1] == UInt8(ascii: "2"), bytes[index + 2] == UInt8(ascii: "5"),
           bytes[index + 3] == UInt8(ascii: "4"), bytes[index + 4] == UInt8(ascii: "0") { return 5 }
        return 0
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// How many bytes at the end (or the start) of `run` (bytes `isLocal` or `isDomain` took)
    /// are ASCII or letters and digits beyond it.
    private static func lettersOrASCII(_ run: UnsafeBufferPointer<UInt8>, fromEnd: Bool) -> Int {
        guard run.contains(where: { $0 >= 0x80 }) else { return run.count }
        let scalars = Array(String(decoding: run, as: UTF8.self).unicodeScalars)
        var count = 0
        for scalar in fromEnd ? scalars.reversed() : scalars {
            guard scalar.isASCII || scalar.properties.isAlphabetic || scalar.properties.numericType != nil else { break }
            count += scalar.utf8.count
        }
        return count
    }

    /// A byte of an address's local part; the bytes of a character beyond ASCII count
    /// (`josé@example.com`, RFC 6531), which until 2026-12-05 ended the part, so the address
    /// stayed whole when one stood just before the `@`.
    private static func isLocal(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte >= 0x80 || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "%")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    /// 3 for a percent-encoded dot or hyphen of a domain (`%2E`, `%2D`, either case), 5 for one
    /// encoded twice (`%252E`), else nil: `fan%40example%2Eorg` is an address (until
    /// 2026-12-06 written as it was; a review of SPEC 11).
    /// `dotOnly`: a `%2E` alone, the dot an address's domain must hold (`acme%2Dcorp` is no
    /// domain of two labels).
    private static func encodedDotLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, dotOnly: Bool = false) -> Int? {
        guard bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "2") else { return nil }
        var at = index + 2
        var length = 3
        if bytes[at] == UInt8(ascii: "5"), index + 4 < bytes.count, bytes[index + 3] == UInt8(ascii: "2") {
            at = index + 4
            length = 5
        }
        let folded = bytes[at] | 0x20
        return folded == UInt8(ascii: "e") || (!dotOnly && folded == UInt8(ascii: "d")) ? length : nil
    }

    /// A byte of an address's domain, a character beyond ASCII included (`münchen.de`).
    private static func isDomain(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte >= 0x80 || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }
}
