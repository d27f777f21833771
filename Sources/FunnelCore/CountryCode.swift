/// ISO 3166-1 alpha-2 codes as outputs want them: two upper-case letters.
public enum CountryCode {
    /// Upper-cases a two-letter code; nil for anything else, and for the "unknown" codes CDNs
    /// send (`XX`, Cloudflare's `T1` for Tor is not two letters and falls out already).
    public static func normalize(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 2, bytes.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) else { return nil }
        let upper = String(decoding: bytes.map { $0 & ~0x20 }, as: UTF8.self)
        return upper == "XX" || upper == "ZZ" ? nil : upper
    }
}
