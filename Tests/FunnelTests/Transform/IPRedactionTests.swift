import FunnelCore
@testable import FunnelTransform
import Testing

/// `IPRedaction` (SPEC 11): a session's text that is an IP address and nothing else (a
/// referrer host such as `203.0.113.50` or `[2001:db8::1]`, and the sources made of it)
/// becomes `(ip)`; hosts, paths, times and versions stay.
struct IPRedactionTests {
    @Test(arguments: ["203.0.113.50", "10.0.0.5", "999.1.1.1", "1.2.3.4", "[2001:db8::1]", "[::1]", "[::ffff:192.0.2.1]"])
    func addressesAreFound(_ text: String) {
        #expect(IPRedaction.isAddress(text))
    }

    @Test(arguments: ["film.example", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "1234.1.1.1", "1.2.3.4x", "12:30:45",
                      "[film]", "[1:2]", "[]", "", "/share/1.2.3.4", "v1.2.3.4", "(ip)", "[2001:db8::g]"])
    func otherTextsAreNot(_ text: String) {
        #expect(!IPRedaction.isAddress(text))
    }

    /// Ids that are addresses, with a port or as bare IPv6, are stored as keyed hashes; other
    /// ids (times, versions, hex tokens, UUIDs) stay as they are.
    @Test(arguments: ["198.51.100.23", "203.0.113.5:8080", "[2001:db8::9]:443", "2001:db8::2", "::1", "::ffff:203.0.113.6",
                      "2001:0db8:0000:0000:0000:ff00:0042:8329", "[2001:db8::1]"])
    func addressIDsAreFound(_ id: String) {
        #expect(IPRedaction.isAddressID(id))
    }

    @Test(arguments: ["12:30:45", "a1b2c3d4e5f6", "550e8400-e29b-41d4-a716-446655440000", "1.2.3", "v1.2.3.4", "203.0.113.5:http",
                      "203.0.113.5:123456", "[2001:db8::9]:", "1:2:3:4:5:6:7:8:9", "hs-fixed", "", "deadbeef:cafe"])
    func otherIDsAreNot(_ id: String) {
        #expect(!IPRedaction.isAddressID(id))
    }

    @Test func aSessionsAddressTextsBecomeMarkers() {
        let session = SessionRecord(
            id: "s-1", start: 1,
            fields: [Field("referrer", .string("203.0.113.50")), Field("source", .string("203.0.113.50")),
                     Field("first_touch_source", .string("[2001:db8::1]")), Field("medium", .string("referral")),
                     Field("session_count", .integer(1)), Field("landing_page", .string("/10.0.0.1"))],
            events: [EventRecord(name: "ButtonClick", properties: [Field("element", .string("10.0.0.5")), Field("step", .string("12:30:45"))], timestamp: 2)])
        let clean = SessionTexts.withoutAddressesOrQueries(session)
        let ported = SessionRecord(id: "s-3", start: 1, fields: [Field("referrer", .string("203.0.113.5:8080")), Field("utm_source", .string("2001:db8::1")),
                                                                   Field("source", .string("::ffff:203.0.113.6"))], events: [])
        #expect(SessionTexts.withoutAddressesOrQueries(ported).fields.map(\.value) == Array(repeating: .string("(ip)"), count: 3))
        #expect(clean.fields.map(\.value) == [.string("(ip)"), .string("(ip)"), .string("(ip)"), .string("referral"), .integer(1), .string("/10.0.0.1")])
        #expect(clean.events[0].properties.map(\.value) == [.string("(ip)"), .string("12:30:45")])
        let plain = SessionRecord(id: "s-2", start: 1, fields: [Field("referrer", .string("t.co"))], events: [])
        #expect(SessionTexts.withoutAddressesOrQueries(plain) == plain)
    }
}
