@testable import FunnelTransform
import Testing

/// What normalization keeps of a query: only campaign parameters, as written, in order.
@Suite struct CampaignQueryTests {
    @Test(arguments: [
        ("a=1&utm_source=fb&b=2&gclid=xyz", "utm_source=fb&gclid=xyz"),
        ("&&utm_medium=email&", "utm_medium=email"),
        ("utm%5Fcampaign=spring&x=1", "utm%5Fcampaign=spring"),
        ("li_fat_id=9&fbclid", "li_fat_id=9&fbclid"),
        ("q=utm_source&page=2", nil),
        ("=utm_source&utm=1&utmx_source=2", nil),
        ("gclidx=1&xgclid=2", nil),
        ("", nil),
        ("utm_source=fb&utm_medium=cpc&fbclid=1", "utm_source=fb&utm_medium=cpc&fbclid=1"),
        ("utm_source=fb&", "utm_source=fb"),
        ("utm_source=fb&gclid=1&a=2&utm_term=x", "utm_source=fb&gclid=1&utm_term=x"),
        ("utm_source=fb&&gclid=1", "utm_source=fb&gclid=1"),
        ("&", nil),
    ] as [(String, String?)])
    func keepsOnlyCampaignParameters(query: String, kept: String?) {
        #expect(Transformer.campaignQuery(query) == kept)
    }

    /// Queries made of campaign and other parameters, empty parts and stray `&`s give what the
    /// plain definition gives: the non-empty parts whose name is a campaign name, joined by `&`
    /// (the query itself when that is all of it).
    @Test func generatedQueriesMatchThePlainDefinition() {
        let parts = ["utm_source=fb", "utm_medium=", "utm_x", "gclid=9", "fbclid", "a=1", "page=2", "", "=utm_source", "utm%5Fterm=t"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            var chosen: [String] = []
            for _ in 0..<(Int(state >> 60) % 6) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                chosen.append(parts[Int(state >> 33) % parts.count])
            }
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let query = chosen.joined(separator: "&")
            let plain = chosen.filter { part in
                guard !part.isEmpty else { return false }
                let name = QueryParameters.decode(ArraySlice(part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0].utf8))
                return name.hasPrefix("utm_") || Campaign.clickIDNames.contains(name)
            }
            #expect(Transformer.campaignQuery(query) == (plain.isEmpty ? nil : plain.joined(separator: "&")), "\(query)")
        }
    }

    @Test(arguments: [
        ("a%20b+c%41", "a b cA"),
        ("x%00y%0Az%09w%7F", "x%00y%0Az%09w%7F"),
        ("%", "%"),
        ("%4", "%4"),
        ("%G1", "%G1"),
        ("caf%C3%A9", "café"),
        ("%FF", "\u{FFFD}"),
    ] as [(String, String)])
    func valuesArePercentDecodedButControlBytesStayEscaped(raw: String, decoded: String) {
        #expect(QueryParameters.decode(ArraySlice(raw.utf8)) == decoded)
    }

    /// A value of white space alone is no value, and a later one of the same name is taken
    /// (until 2026-12-05 `utm_source=%20` was the campaign's source: no source, the referrer
    /// unread, a blank last touch).
    @Test(arguments: [
        ("utm_source=%20&utm_medium=email", nil, "email"),
        ("utm_source=+&utm_source=fb", "fb", nil),
        ("utm_source=fb&utm_medium=%20%20", "fb", nil),
        ("utm_source=%20fb%20", " fb ", nil),
        // White space beyond ASCII (a no-break space, an ideographic space) since 2026-12-06.
        ("utm_source=fb&utm_medium=%C2%A0", "fb", nil), ("utm_source=%E3%80%80&utm_medium=cpc", nil, "cpc"),
        ("utm_source=%C2%A0fb", "\u{A0}fb", nil),
    ] as [(String, String?, String?)])
    func aBlankValueIsNoValue(query: String, source: String?, medium: String?) {
        let campaign = Campaign(QueryParameters(query))
        #expect(campaign?.utmSource == source)
        #expect(campaign?.utmMedium == medium)
    }
}
