/// Texts that records repeat on nearly every line, as literals: the SPEC's event names, the
/// device types and browsers the user-agent classifier gives, consent states and common
/// currencies, and the two-letter country codes.
///
/// The flush decodes every record it plans, and a returning visitor's stored records again
/// (S: 768,000 strings for 81,000 records, some 190 instructions each); a known text is told
/// by its byte count and bytes, read as two words, and given as a literal, which costs no
/// allocation and no reference count. A text missing here is only made the usual way, so the
/// list decides speed, never results. The words are the texts' bytes, little-endian and
/// zero-filled (`KnownTextTests` checks each against its text).
enum KnownText {
    /// The literal whose bytes are `bytes`, or nil when they are not a known text.
    static func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let count = bytes.count
        if count == 2 { return CountryCode.upperCase(bytes) }
        guard count > 2, count <= 16, let base = bytes.baseAddress else { return nil }
        var words: (low: UInt64, high: UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: base, byteCount: count) }
        switch (count, UInt64(littleEndian: words.low), UInt64(littleEndian: words.high)) {
        case (3, 0x0000000000445541, 0x0000000000000000): return "AUD"
        case (3, 0x0000000000444143, 0x0000000000000000): return "CAD"
        case (3, 0x0000000000464843, 0x0000000000000000): return "CHF"
        case (3, 0x0000000000525545, 0x0000000000000000): return "EUR"
        case (3, 0x0000000000504247, 0x0000000000000000): return "GBP"
        case (3, 0x0000000000445355, 0x0000000000000000): return "USD"
        case (4, 0x0000000065676445, 0x0000000000000000): return "Edge"
        case (5, 0x000000617265704F, 0x0000000000000000): return "Opera"
        case (5, 0x000000726568744F, 0x0000000000000000): return "Other"
        case (6, 0x0000656D6F726843, 0x0000000000000000): return "Chrome"
        case (6, 0x0000697261666153, 0x0000000000000000): return "Safari"
        case (6, 0x00006B6F546B6954, 0x0000000000000000): return "TikTok"
        case (6, 0x00006465696E6564, 0x0000000000000000): return "denied"
        case (6, 0x0000656C69626F6D, 0x0000000000000000): return "mobile"
        case (6, 0x000074656C626174, 0x0000000000000000): return "tablet"
        case (7, 0x00746E65736E6F43, 0x0000000000000000): return "Consent"
        case (7, 0x00786F6665726946, 0x0000000000000000): return "Firefox"
        case (7, 0x00706F746B736564, 0x0000000000000000): return "desktop"
        case (7, 0x006465746E617267, 0x0000000000000000): return "granted"
        case (8, 0x6B6F6F6265636146, 0x0000000000000000): return "Facebook"
        case (8, 0x7765695665676150, 0x0000000000000000): return "PageView"
        case (8, 0x6573616863727550, 0x0000000000000000): return "Purchase"
        case (9, 0x6172676174736E49, 0x000000000000006D): return "Instagram"
        case (10, 0x6D6275536D726F46, 0x0000000000007469): return "FormSubmit"
        case (10, 0x6174536F65646956, 0x0000000000007472): return "VideoStart"
        case (11, 0x6C436E6F74747542, 0x00000000006B6369): return "ButtonClick"
        case (11, 0x746E6F4377656956, 0x0000000000746E65): return "ViewContent"
        case (13, 0x6D6F436F65646956, 0x0000006574656C70): return "VideoComplete"
        case (13, 0x6F72506F65646956, 0x0000007373657267): return "VideoProgress"
        case (15, 0x2064696F72646E41, 0x0077656976626557): return "Android Webview"
        case (16, 0x6574616974696E49, 0x74756F6B63656843): return "InitiateCheckout"
        case (16, 0x20676E75736D6153, 0x74656E7265746E49): return "Samsung Internet"
        default: return nil
        }
    }

    /// Every text `lookup` knows beyond the country codes, one per case of its `switch`: a
    /// case added there goes here too, so that `KnownTextTests` checks its words against its
    /// literal (a case left out of this list would go unchecked).
    static let texts = [
        "AUD",
        "CAD",
        "CHF",
        "EUR",
        "GBP",
        "USD",
        "Edge",
        "Opera",
        "Other",
        "Chrome",
        "Safari",
        "TikTok",
        "denied",
        "mobile",
        "tablet",
        "Consent",
        "Firefox",
        "desktop",
        "granted",
        "Facebook",
        "PageView",
        "Purchase",
        "Instagram",
        "FormSubmit",
        "VideoStart",
        "ButtonClick",
        "ViewContent",
        "VideoComplete",
        "VideoProgress",
        "Android Webview",
        "InitiateCheckout",
        "Samsung Internet",
    ]
}
