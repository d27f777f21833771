/// ISO 3166-1 alpha-2 codes as outputs want them: two upper-case letters.
public enum CountryCode {
    /// Upper-cases a two-letter code; nil for anything else, and for the "unknown" codes CDNs
    /// send (`XX`, Cloudflare's `T1` for Tor is not two letters and falls out already).
    public static func normalize(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { normalize(utf8: $0) }
    }

    /// The same from the field's bytes, without a string for what is dropped. The readers call
    /// it once per line; the codes are made once.
    public static func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count == 2, let first = letter(bytes[0]), let second = letter(bytes[1]) else { return nil }
        if first == second && (first == 23 || first == 25) { return nil }  // XX, ZZ
        return codes[first * 26 + second]
    }

    /// The code whose bytes are exactly `bytes`, two upper-case letters, made once; nil for
    /// anything else (`KnownText`).
    static func upperCase(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count == 2, bytes[0] &- 0x41 < 26, bytes[1] &- 0x41 < 26 else { return nil }
        return codes[Int(bytes[0] &- 0x41) * 26 + Int(bytes[1] &- 0x41)]
    }

    /// A letter's place in the alphabet, either case.
    private static func letter(_ byte: UInt8) -> Int? {
        let folded = byte | 0x20
        return folded >= 0x61 && folded <= 0x7A ? Int(folded - 0x61) : nil
    }

    private static let codes: [String] = (0..<676).map { index in
        String(decoding: [UInt8(0x41 + index / 26), UInt8(0x41 + index % 26)], as: UTF8.self)
    }
}
