#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// SPEC 11: no full URL with its query string reaches an output. `page` and `landing_page`
/// are paths without their query from the start; this catches a URL that comes in a text the
/// client chose: a `content` of `https://cdn.example/t.mp4?token=...`, an `element` or `step`
/// that is a link, a utm value that is one. A text that is a URL (`http://`, `https://`, `//`)
/// or a path (`/`) is written without its query and fragment. Since 2026-12-05; before, such
/// texts were written whole (a review found signed tokens in `content_viewed`).
enum URLRedaction {
    /// `text` cut at its first `?` or `#` when it is a URL or a path that has one; nil when it
    /// stays as it is (nearly always: the first byte decides for most texts).
    static func withoutQuery(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard let first = bytes.first, first == UInt8(ascii: "/") || first | 0x20 == UInt8(ascii: "h"), isURLOrPath(bytes) else { return nil }
            guard let cut = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<cut]), as: UTF8.self)
        }
    }

    private static func isURLOrPath(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes[0] == UInt8(ascii: "/") { return true }
        for scheme in ["http://", "https://"] where bytes.count > scheme.utf8.count {
            if zip(bytes, scheme.utf8).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) { return true }
        }
        return false
    }
}
