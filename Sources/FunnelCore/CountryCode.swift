/// ISO 3166-1 alpha-2 codes as outputs want them: two upper-case letters.
public enum CountryCode {
    /// Upper-cases an assigned two-letter code (`UK` as `GB`); nil for anything else: the
    /// "unknown" codes CDNs send (`XX`; Cloudflare's `T1` for Tor is not two letters), names.
    public static func normalize(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { normalize(utf8: $0) }
    }

    /// The same from the field's bytes, without a string for what is dropped. The readers call
    /// it once per line; the codes are made once.
    /// Spaces and tabs around the code are not part of it (` de ` from a hand-made export is
    /// `DE`; until 2026-12-06 it was dropped).
    public static func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var start = 0
        var end = bytes.count
        if end != 2 {
            while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
            while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        }
        guard end - start == 2, let first = letter(bytes[start]), let second = letter(bytes[start + 1]) else { return nil }
        let index = first * 26 + second
        if index == unitedKingdom { return codes[greatBritain] }
        return assigned[index] ? codes[index] : nil
    }

    /// The 249 codes ISO 3166-1 assigns, and `XK` (Kosovo), which MaxMind and CDNs send. Any
    /// other pair of letters is not a country: the "unknown" codes of CDNs (`XX`, `ZZ`), the
    /// reserved `EU`, `AP`, a typo. Until 2026-12-05 every pair but `XX` and `ZZ` was taken.
    static let assignedCodes = """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW \
        BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI \
        FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN \
        IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME \
        MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF \
        PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV \
        SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK \
        YE YT ZA ZM ZW
        """

    private static let assigned: [Bool] = {
        var table = [Bool](repeating: false, count: 676)
        for code in assignedCodes.split(separator: " ") {
            let bytes = Array(code.utf8)
            table[Int(bytes[0] - 0x41) * 26 + Int(bytes[1] - 0x41)] = true
        }
        return table
    }()

    /// `UK`, which ISO reserves for the United Kingdom and some sources send: `GB`.
    private static let unitedKingdom = 20 * 26 + 10
    private static let greatBritain = 6 * 26 + 1

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
