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
    ] as [(String, String?)])
    func keepsOnlyCampaignParameters(query: String, kept: String?) {
        #expect(Transformer.campaignQuery(query) == kept)
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
}
