/// Reads one cookie out of a raw `Cookie:` header (`a=1; vid=abc; b=2`).
enum CookieHeader {
    static func value(of name: String, in header: [UInt8]) -> String? {
        let nameBytes = Array(name.utf8)
        for part in header.split(separator: UInt8(ascii: ";")) {
            let trimmed = part.drop(while: { $0 == 0x20 })
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else { continue }
            if trimmed[trimmed.startIndex..<equals].elementsEqual(nameBytes) {
                let value = trimmed[(equals + 1)...]
                return value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
            }
        }
        return nil
    }
}
