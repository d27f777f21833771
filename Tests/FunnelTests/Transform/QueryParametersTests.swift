@testable import FunnelTransform
import FunnelTestSupport
import Testing

/// `QueryParameters` looks names up by scanning the query's bytes; these tests hold it to the
/// plain definition (split on `&`, decode every name and value, take the first non-empty value
/// of a matching name), on hand-picked edge cases and on many generated queries.
@Suite struct QueryParametersTests {
    /// The plain definition, written the obvious way.
    private static func model(_ query: String, _ name: String) -> String? {
        for part in query.utf8.split(separator: UInt8(ascii: "&")) {
            let bytes = Array(part)
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let value = QueryParameters.decode(bytes[(equals + 1)...])
            if QueryParameters.decode(bytes[..<equals]) == name && !value.isEmpty { return value }
        }
        return nil
    }

    @Test(arguments: [
        ("utm_source=fb&utm_medium=cpc", "utm_source", "fb"),
        ("utm_source=&utm_source=fb", "utm_source", "fb"),
        ("utm_source&utm_source=x", "utm_source", "x"),
        ("utm%5Fsource=a%20b+c", "utm_source", "a b c"),
        ("utm_source=1=2", "utm_source", "1=2"),
        ("&&utm_term=t&&", "utm_term", "t"),
        ("xutm_source=1&utm_sourcex=2", "utm_source", nil),
        ("=v", "", "v"),
        ("caf%C3%A9=1", "café", "1"),
        ("cafe%CC%81=1", "café", "1"),  // canonically equivalent, as String's == has it
        ("%E2%84%AA=1", "K", "1"),      // KELVIN SIGN is canonically K
        ("%FF=1", "\u{FFFD}", "1"),
        ("gclid=%00", "gclid", "%00"),
        ("", "gclid", nil),
    ] as [(String, String, String?)])
    func findsTheFirstNonEmptyValue(query: String, name: String, value: String?) {
        #expect(QueryParameters(query).firstValue(of: QueryParameters.Names([name])) == value)
        #expect(Self.model(query, name) == value)
    }

    private func pick(_ bound: Int, _ generator: inout SplitMix64) -> Int { Int(generator.next(upTo: UInt64(bound))) }

    @Test func agreesWithThePlainDefinitionOnGeneratedQueries() {
        let names = ["utm_source", "utm%5Fsource", "utm_source+", "gclid", "fbclid", "K", "%E2%84%AA", "", "a"]
        let values = ["", "x", "a+b", "%41", "%G1", "%", "%0A", "caf%C3%A9", "%FF", "=", "1=2"]
        let asked = ["utm_source", "utm_source ", "gclid", "fbclid", "K", "a", "", "utm%5Fsource", "\u{212A}", "café"]
        // Asked together, names no two of which are equal: each gets what it gets alone.
        let together = QueryParameters.Names(asked.filter { $0 != "\u{212A}" })
        var generator = SplitMix64(seed: 0x5EED)
        var compared = 0
        for _ in 0..<3000 {
            var parts: [String] = []
            for _ in 0..<pick(6, &generator) {
                let name = names[pick(names.count, &generator)]
                switch pick(4, &generator) {
                case 0: parts.append(name)
                default: parts.append(name + "=" + values[pick(values.count, &generator)])
                }
            }
            let query = parts.joined(separator: pick(5, &generator) == 0 ? "&&" : "&")
            let parameters = QueryParameters(query)
            for name in asked {
                #expect(parameters.firstValue(of: QueryParameters.Names([name])) == Self.model(query, name), "query \(query), name \(name)")
                compared += 1
            }
            // Each name at most once, with what it gets alone.
            var seen = [String?](repeating: nil, count: together.names.count)
            parameters.forEachFirstValue(of: together) { index, value in
                #expect(seen[index] == nil, "query \(query), name \(together.names[index]) given twice")
                seen[index] = value
            }
            #expect(seen == together.names.map { Self.model(query, $0) }, "query \(query)")
        }
        #expect(compared == 30_000)
    }

    @Test func campaignReadsItsFieldsFromTheQuery() {
        let campaign = Campaign(QueryParameters("utm_source=fb&x=1&utm_campaign=spring+sale&msclkid=&ttclid=T1&gclid=G"))
        #expect(campaign?.utmSource == "fb")
        #expect(campaign?.utmCampaign == "spring sale")
        #expect(campaign?.utmMedium == nil)
        // Click ids are tried in `clickIDNames` order; an empty one does not count.
        #expect(campaign?.clickIDName == "gclid")
        #expect(campaign?.clickID == "G")
        #expect(Campaign(QueryParameters("x=1&utm_source=")) == nil)
        // Whatever their order in the query.
        let clicks = Campaign(QueryParameters("fbclid=F&msclkid=M&gclid=G&utm_term=t"))
        #expect(clicks?.clickIDName == "gclid")
        #expect(clicks?.clickID == "G")
        #expect(clicks?.utmTerm == "t")
        #expect(Campaign(QueryParameters("twclid=T&fbclid=F"))?.clickIDName == "fbclid")
        #expect(Campaign(QueryParameters("li_fat_id=L"))?.clickID == "L")
    }
}
