import FunnelCore
@testable import FunnelTransform
import Testing

/// `EmailRedaction` (SPEC 11): each e-mail address in a text becomes `(email)`, in the shape
/// the privacy test scans outputs for, the `%40` form included; texts with an `@` that is not
/// an address stay as they are; a session id holding an `@` becomes a keyed hash.
struct EmailRedactionTests {
    @Test(arguments: [
        ("fan@example.org", "(email)"),
        ("Fan.Name+film@Mail.Example.CO.UK", "(email)"),
        ("/u/fan@example.org", "/u/(email)"),
        ("/share/ann%40example.com", "/share/(email)"),
        ("bob%2Bfilm%40mail.example.com", "(email)"),
        ("to a@x.io and b@y.io.", "to (email) and (email)."),
        ("x@a.b", "(email)"),
        ("mailto:fan@example.org?subject=hi", "mailto:(email)?subject=hi"),
        ("fan@example.org-", "(email)-"),
    ])
    func addressesAreRedacted(_ text: String, _ expected: String) {
        #expect(EmailRedaction.redacted(text) == expected)
    }

    @Test(arguments: ["@filmhandle", "a@b", "user@localhost", "fan@.org", "@example.org", "50%", "100%4", "%40example.org",
                      "trailer_main", "", "a@b.", "café@"])
    func otherTextsStay(_ text: String) {
        #expect(EmailRedaction.redacted(text) == nil)
    }

    @Test func sessionsAreRedactedInEveryTextAndTheirIdsHashed() {
        let session = SessionRecord(
            id: "Fan@Example.org", start: 1,
            fields: [Field("utm_content", .string("fan@example.org")), Field("donation_amount", .integer(5)), Field("landing_page", .string("/"))],
            events: [EventRecord(name: "ButtonClick", properties: [Field("element", .string("x fan@example.org"))], timestamp: 2)])
        let clean = EmailRedaction.redacted(session) { "em<" + $0.lowercased() + ">" }
        #expect(clean.id == "em<fan@example.org>")
        #expect(clean.fields == [Field("utm_content", .string("(email)")), Field("donation_amount", .integer(5)), Field("landing_page", .string("/"))])
        #expect(clean.events[0].properties == [Field("element", .string("x (email)"))])
        // What the run passes: visitor ids and session ids share one stand-in.
        let identity = VisitorIdentity(salt: "s")
        #expect(identity.standIn(forAddressID: "Fan@Example.org") == "em" + identity.keyedHash("fan@example.org"))
        #expect(EmailRedaction.redacted(session, standIn: identity.standIn(forAddressID:)).id == identity.standIn(forAddressID: "fan@example.org"))
        let plain = SessionRecord(id: "s-1", start: 1, fields: [Field("landing_page", .string("/a"))], events: [])
        #expect(EmailRedaction.redacted(plain) { _ in "unused" } == plain)
    }
}
