import FunnelCore
@testable import FunnelTransform
import Testing

/// `IPRedaction` (SPEC 11): every IP address in a session's text (a referrer host such as
/// `203.0.113.50` or `[2001:db8::1]`, the sources made of it, `from 198.51.100.77` in an event
/// property) becomes `(ip)`, the rest of the text kept; an id holding one is hashed. Hosts,
/// paths, times, versions and MAC addresses stay.
struct IPRedactionTests {
    @Test(arguments: [
        ("203.0.113.50", "(ip)"), ("10.0.0.5", "(ip)"), ("999.1.1.1", "(ip)"), ("[2001:db8::1]", "(ip)"), ("[::1]", "(ip)"),
        ("[::ffff:192.0.2.1]", "(ip)"), ("203.0.113.5:8080", "(ip)"), ("[2001:db8::9]:443", "(ip)"), ("2001:db8::2", "(ip)"),
        ("::ffff:203.0.113.6", "(ip)"), ("::1", "(ip)"), ("2001:0db8:0000:0000:0000:ff00:0042:8329", "(ip)"),
        // inside longer texts
        ("from 198.51.100.77", "from (ip)"), ("203.0.113.7/24", "(ip)/24"), ("/share/1.2.3.4", "/share/(ip)"),
        ("198.51.100.7,203.0.113.9", "(ip),(ip)"), ("fe80::1%eth0", "(ip)"), ("1.2.3.4:123456", "(ip):123456"),
        ("ip:10.1.2.3", "ip:(ip)"), ("http://[2001:db8::1]:8080/x", "http://(ip)/x"), ("seen at 10.0.0.1.", "seen at (ip)."),
        ("\"a 10.20.30.40...\"", "\"a (ip)...\""), ("[1.2.3.4]", "[(ip)]"), ("x 2001:db8::1 y 10.0.0.9", "x (ip) y (ip)"),
    ])
    func addressesAreRedacted(_ text: String, _ redacted: String) {
        #expect(IPRedaction.withoutAddresses(text) == redacted)
        #expect(IPRedaction.containsAddress(text))
    }

    /// Texts and ids without an address stay as they are (nil: nothing to rewrite), and the
    /// ids stay unhashed.
    @Test(arguments: ["film.example", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "1234.1.1.1", "1.2.3.4x", "12:30:45",
                      "[film]", "[1:2]", "[]", "", "v1.2.3.4", "(ip)", "[2001:db8::g]", "a1b2c3d4e5f6",
                      "550e8400-e29b-41d4-a716-446655440000", "hs-fixed", "deadbeef:cafe", "1:2:3:4:5:6:7:8:9",
                      "00:1a:2b:3c:4d:5e", "https://lm.facebook.com/l.php?u=x", "std::string", "Title :: Subtitle",
                      "GA1.2.1234567890.1712345678", "app-v2.10.3.1", "10.0.0.1.nip.io", "2001:db8::1g"])
    func otherTextsAreNot(_ text: String) {
        #expect(IPRedaction.withoutAddresses(text) == nil)
        #expect(!IPRedaction.containsAddress(text))
    }

    /// An id with an address anywhere in it is stored as a keyed hash with the `ip` prefix.
    @Test(arguments: ["198.51.100.7,203.0.113.9", "fe80::1%eth0", "1.2.3.4:123456", "203.0.113.5:http", "[2001:db8::9]:"])
    func idsHoldingAnAddressAreHashed(_ id: String) {
        #expect(VisitorIdentity.needsStandIn(id))
        let standIn = VisitorIdentity(salt: "s").standIn(forAddressID: id)
        #expect(standIn.hasPrefix("ip") && standIn.count == 18 && !standIn.contains("."))
    }

    @Test func aSessionsAddressTextsBecomeMarkers() {
        let session = SessionRecord(
            id: "s-1", start: 1,
            fields: [Field("referrer", .string("203.0.113.50")), Field("source", .string("203.0.113.50")),
                     Field("first_touch_source", .string("[2001:db8::1]")), Field("medium", .string("referral")),
                     Field("session_count", .integer(1)), Field("landing_page", .string("/10.0.0.1")),
                     Field("utm_content", .string("https://10.0.0.2/t.mp4?token=1"))],
            events: [EventRecord(name: "ButtonClick", properties: [Field("element", .string("10.0.0.5")), Field("step", .string("12:30:45")),
                                                                                     Field("page", .string("/from 10.1.1.1 to [::1]"))], timestamp: 2)])
        let clean = SessionTexts.withoutAddressesOrQueries(session)
        let ported = SessionRecord(id: "s-3", start: 1, fields: [Field("referrer", .string("203.0.113.5:8080")), Field("utm_source", .string("2001:db8::1")),
                                                                   Field("source", .string("::ffff:203.0.113.6"))], events: [])
        #expect(SessionTexts.withoutAddressesOrQueries(ported).fields.map(\.value) == Array(repeating: .string("(ip)"), count: 3))
        #expect(clean.fields.map(\.value) == [.string("(ip)"), .string("(ip)"), .string("(ip)"), .string("referral"), .integer(1), .string("/(ip)"),
                                               .string("https://(ip)/t.mp4")])
        #expect(clean.events[0].properties.map(\.value) == [.string("(ip)"), .string("12:30:45"), .string("/from (ip) to (ip)")])
        let plain = SessionRecord(id: "s-2", start: 1, fields: [Field("referrer", .string("t.co"))], events: [])
        #expect(SessionTexts.withoutAddressesOrQueries(plain) == plain)
    }
}
