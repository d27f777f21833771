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
        ("\"a 10.20.30.40...\"", "\"a (ip)...\""), ("[1.2.3.4]", "[(ip)]"), ("a[1.2.3.4]", "a[(ip)]"), ("x 2001:db8::1 y 10.0.0.9", "x (ip) y (ip)"),
        // a review of the change: IPv6 after `word:` or before `:`, zones with dots
        ("IPv6:2001:db8::1", "IPv6:(ip)"), ("from:fe80::1", "from:(ip)"), ("client 2001:db8::1: reset", "client (ip): reset"),
        ("fe80::1%1.2.3.4", "(ip)"), ("fe80::1%eth0.100 up", "(ip) up"),
        ("x :2001:db8::1", "x :(ip)"), ("a=:2001:db8::1", "a=:(ip)"), ("2001:db8::1::", "(ip)::"), ("2001:db8::1::x", "(ip)::x"),
        ("2001:db8:0:0:0:0:0:1::", "(ip)::"),
        // percent escapes: one beside an address is a separator; escapes inside one are looked
        // through decoded, and the text written decoded
        ("go%2F10.0.0.5", "go%2F(ip)"), ("ip%3D10.0.0.5", "ip%3D(ip)"), ("next=http%3A%2F%2F10.0.0.5%2Fadmin", "next=http%3A%2F%2F(ip)%2Fadmin"), ("go%2F10%2E0%2E0%2E5", "go/(ip)"),
        ("%5B2001:db8::1%5D", "%5B(ip)%5D"), ("%5B2001%3Adb8%3A%3A1%5D", "(ip)"), ("fe80::1%25eth0 up", "(ip) up"), ("2001%3Adb8%3A%3A1", "(ip)"), ("xff=1.2.3.4,%20192.168.0.1", "xff=(ip),%20(ip)"),
        ("double%253A%252F%252F10.1.2.3", "double%3A%2F%2F(ip)"), ("2001%253Adb8%253A%253A1", "(ip)"), ("100%2525 of 10%2E0%2E0%2E1", "100%25 of (ip)"),
        // a review of a4b0b13: an escape's hex digits are not the address's; a bracket
        // without its closing one
        ("report%201.0.0.0%20final.pdf", "report%20(ip)%20final.pdf"), ("/x/%2F::1", "/x/%2F(ip)"), ("%2010.0.0.1", "%20(ip)"),
        ("peers=[2001:db8::1, 2001:db8::2]", "peers=[(ip), (ip)]"), ("host [2001:db8::1 unreachable", "host [(ip) unreachable"),
        ("http://[2001:db8::1/x", "http://[(ip)/x"),
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
                      "GA1.2.1234567890.1712345678", "app-v2.10.3.1", "10.0.0.1.nip.io", "2001:db8::1g", "12:30:45.123",
                      "a%20b%2Fc", "100%", "50% off 3.5", "Foo::Bar", "2024.03.01.12"])
    func otherTextsAreNot(_ text: String) {
        #expect(IPRedaction.withoutAddresses(text) == nil)
        #expect(!IPRedaction.containsAddress(text))
    }

    /// A text that held an IP address only behind escapes is written decoded, and so goes
    /// through the e-mail and URL redactions again: decoded, it must not bring back what they
    /// took (a review of a4b0b13 saw `/go?email=fan@example.org&ip=(ip)` written).
    @Test(arguments: [
        ("/go%3Femail%3Dfan%2540example.org%26ip%3D2001%3Adb8%3A%3A1", "/(email)&ip=(ip)"),
        ("fan%40example%2Eorg via 10%2E0%2E0%2E1", "(email) via (ip)"),
        ("/go%3Ftoken%3Dsecret%2F10%2E0%2E0%2E2", "/go"),
    ])
    func decodedTextsAreRedactedWhole(_ text: String, _ written: String) {
        let session = SessionRecord(id: "s", start: 1, fields: [Field("landing_page", .string(text))],
                                    events: [EventRecord(name: "Click", properties: [Field("element", .string(text))], timestamp: 1)])
        let clean = SessionTexts.redacted(session) { $0 }
        #expect(clean.fields[0].value == .string(written))
        #expect(clean.events[0].properties[0].value == .string(written))
    }

    /// Texts where an address found took part of the next run (a port, a zone): a review of
    /// the change saw each of them stop the whole run (a range reaching back before the last
    /// one: exit 132). Each is redacted, and none is taken twice.
    @Test(arguments: [("[::1]:80.1.2.3", "(ip).1.2.3"), ("fe80::1%fe80::1", "(ip)::1"), ("x [::1]:80.1.2.3 y", "x (ip).1.2.3 y"),
                      ("[::1]:8080:1.2.3.4", "(ip):(ip)")])
    func addressesRunningIntoEachOtherAreTakenOnce(_ text: String, _ redacted: String) {
        #expect(IPRedaction.withoutAddresses(text) == redacted)
    }

    /// Long texts of what addresses are made of cost time in proportion to their length
    /// (each run is looked at once), and redact what they should.
    @Test func longRunsAreLookedAtOnce() {
        let colons = String(repeating: "1:", count: 200_000) + "x"
        #expect(IPRedaction.withoutAddresses(colons) == nil)
        let dots = String(repeating: "1.", count: 200_000)
        #expect(IPRedaction.withoutAddresses(dots) == nil)
        let zones = String(repeating: "fe80::1%", count: 50_000)
        #expect(IPRedaction.withoutAddresses(zones)?.hasPrefix("(ip)") == true)
        let many = Array(repeating: "10.0.0.1", count: 50_000).joined(separator: " ")
        #expect(IPRedaction.withoutAddresses(many) == Array(repeating: "(ip)", count: 50_000).joined(separator: " "))
    }

    /// An id with an address anywhere in it is stored as a keyed hash with the `ip` prefix.
    @Test(arguments: ["198.51.100.7,203.0.113.9", "fe80::1%eth0", "1.2.3.4:123456", "203.0.113.5:http", "[2001:db8::9]:",
                      "client%3A10.0.0.3", "ip:2001:db8::5", "a=:2001:db8::1", "2001:db8::1::"])
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
            events: [EventRecord(name: "Share_10.0.0.1", properties: [Field("element", .string("10.0.0.5")), Field("step", .string("12:30:45")),
                                                                                     Field("page", .string("/from 10.1.1.1 to [::1]"))], timestamp: 2)])
        let clean = SessionTexts.redacted(session) { $0 }
        let ported = SessionRecord(id: "s-3", start: 1, fields: [Field("referrer", .string("203.0.113.5:8080")), Field("utm_source", .string("2001:db8::1")),
                                                                   Field("source", .string("::ffff:203.0.113.6"))], events: [])
        #expect(SessionTexts.redacted(ported) { $0 }.fields.map(\.value) == Array(repeating: .string("(ip)"), count: 3))
        #expect(clean.fields.map(\.value) == [.string("(ip)"), .string("(ip)"), .string("(ip)"), .string("referral"), .integer(1), .string("/(ip)"),
                                               .string("https://(ip)/t.mp4")])
        #expect(clean.events[0].name == "Share_(ip)")
        #expect(clean.events[0].properties.map(\.value) == [.string("(ip)"), .string("12:30:45"), .string("/from (ip) to (ip)")])
        let plain = SessionRecord(id: "s-2", start: 1, fields: [Field("referrer", .string("t.co"))], events: [])
        #expect(SessionTexts.redacted(plain) { $0 } == plain)
    }

    /// A referrer host that is an IPv4 address in a form browsers read besides four decimal
    /// labels (`2130706433`, hex, a short form) is that address, and so `(ip)` in the outputs;
    /// names starting with a digit stay (until 2026-12-06 `http://2130706433/` gave the
    /// referrer and source `2130706433`).
    @Test(arguments: [("http://2130706433/x", "(ip)"), ("http://0x7f.0.0.1/", "(ip)"), ("http://10.1/", "(ip)"),
                      ("https://1password.com/", "1password.com"), ("http://9gag.com/", "9gag.com")])
    func aReferrerAtANumericHostIsAnAddress(referrer: String, written: String) throws {
        let transformer = Transformer(schema: .enhanced, settings: SessionSettings(), salt: "")
        var record = Record(origin: .client, event: "PageView", timestamp: 1_704_067_200_000)
        record.visitorID = "v1"
        record.path = "/"
        record.referrer = referrer
        transformer.add(record)
        let session = try #require(transformer.finish().sessions.first)
        #expect(session[field: "referrer"] == .string(written))
        #expect(session[field: "source"] == .string(written))
    }
}
