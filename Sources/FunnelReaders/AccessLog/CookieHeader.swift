/// Reads one cookie out of a raw `Cookie:` header (`a=1; vid=abc; b=2`).
enum CookieHeader {
    /// `text` without the double quotes RFC 6265 lets a cookie's value stand in (`vid="v-B"`
    /// is `v-B`, as a client's `anonymous_id` names it; until 2026-12-06 the quotes were part
    /// of the visitor id; a review).
    static func unquoted(_ text: String) -> String {
        guard text.utf8.count >= 2, text.utf8.first == UInt8(ascii: "\""), text.utf8.last == UInt8(ascii: "\"") else { return text }
        return String(text.dropFirst().dropLast())
    }

    /// The same on a value's bytes.
    static func unquoted(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else { return bytes }
        return UnsafeBufferPointer(rebasing: bytes[1..<(bytes.count - 1)])
    }

    static func value(of name: String, in header: [UInt8]) -> String? {
        let nameBytes = Array(name.utf8)
        for part in header.split(separator: UInt8(ascii: ";")) {
            let trimmed = part.drop(while: { $0 == 0x20 })
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else { continue }
            if trimmed[trimmed.startIndex..<equals].elementsEqual(nameBytes) {
                var value = trimmed[(equals + 1)...]
                while value.last == 0x20 { value.removeLast() }
                let text = unquoted(String(decoding: value, as: UTF8.self))
                return text.isEmpty ? nil : text
            }
        }
        return nil
    }
}
