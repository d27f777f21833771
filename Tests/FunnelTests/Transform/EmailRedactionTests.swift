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
        // Characters beyond ASCII in either part (until 2026-12-05 `josé@` stayed whole).
        ("josé@example.com", "(email)"),
        ("to: josé@example.com!", "to: (email)!"),
        ("fan@münchen.de", "(email)"),
        ("ünal.yılmaz@örnek.com.tr", "(email)"),
        // Other characters beyond ASCII end the address.
        ("«fan@example.org»", "«(email)»"),
        ("“fan@example.org”", "“(email)”"),
        ("Kontakt→fan@example.org", "Kontakt→(email)"),
        ("fan@example.org—thanks", "(email)—thanks"),
        // An `@` encoded twice; a local part starts after the last separator passed (a text
        // of many took time with its square).
        ("u=fan%2540example.org", "u=(email)"), ("a%40b%40example.org", "a%40(email)"),
        // A domain's dots and hyphens percent-encoded, once or twice (since 2026-12-06).
        ("/u/fan%40example%2Eorg/x", "/u/(email)/x"), ("ann%40ex%2ecom", "(email)"),
        ("ann%2540ex%252Ecom", "(email)"), ("fan@my%2Dfilm%2Eexample", "(email)"),
    ])
    func addressesAreRedacted(_ text: String, _ expected: String) {
        #expect(EmailRedaction.redacted(text) == expected)
    }

    @Test(arguments: ["@filmhandle", "a@b", "user@localhost", "fan@example%2E", "fan@%2Eorg", "a%40b%2", "team@acme%2Dcorp", "fan@.org", "@example.org", "50%", "100%4", "%40example.org",
                      "trailer_main", "", "a@b.", "café@"])
    func otherTextsStay(_ text: String) {
        #expect(EmailRedaction.redacted(text) == nil)
    }

    @Test func sessionsAreRedactedInEveryTextAndTheirIdsHashed() {
        let session = SessionRecord(
            id: "Fan@Example.org", start: 1,
            fields: [Field("utm_content", .string("fan@example.org")), Field("donation_amount", .integer(5)), Field("landing_page", .string("/"))],
            events: [EventRecord(name: "ButtonClick", properties: [Field("element", .string("x fan@example.org"))], timestamp: 2)])
        let clean = SessionTexts.redacted(session) { "em<" + $0.lowercased() + ">" }
        #expect(clean.id == "em<fan@example.org>")
        #expect(clean.fields == [Field("utm_content", .string("(email)")), Field("donation_amount", .integer(5)), Field("landing_page", .string("/"))])
        #expect(clean.events[0].properties == [Field("element", .string("x (email)"))])
        // What the run passes: a visitor id's stand-in hashes it lower-cased (one address, one
        // visitor), a client session id's as it came (since 2026-12-05: two sessions whose
        // ids differed only in case got one id).
        let identity = VisitorIdentity(salt: "s")
        #expect(identity.standIn(forAddressID: "Fan@Example.org") == "em" + identity.keyedHash("fan@example.org"))
        #expect(SessionTexts.redacted(session, standIn: identity.standIn(forSessionID:)).id == "em" + identity.keyedHash("Fan@Example.org"))
        let plain = SessionRecord(id: "s-1", start: 1, fields: [Field("landing_page", .string("/a"))], events: [])
        #expect(SessionTexts.redacted(plain) { _ in "unused" } == plain)
    }

    /// An id may be an address when it holds an `@` or `%40` anywhere (in a string stored
    /// inline, up to 15 bytes, or in storage of its own, and in a line's bytes alike), and not
    /// for a `%` without `40` after it.
    @Test func anIdMayBeAnAddressByItsAtOrPercent40WhereverItIs() {
        for length in 0...40 {
            let plain = String(repeating: "a", count: length)
            #expect(!EmailRedaction.mayBeAddress(plain), "\(length) bytes without one")
            for separator in ["@", "%40"] where separator.utf8.count <= length {
                for place in 0...(length - separator.utf8.count) {
                    var bytes = Array(plain.utf8)
                    bytes.replaceSubrange(place..<(place + separator.utf8.count), with: Array(separator.utf8))
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(EmailRedaction.mayBeAddress(text), "\(separator) at \(place) of \(length)")
                    #expect(bytes.withUnsafeBufferPointer { EmailRedaction.mayBeAddress($0) }, "bytes: \(separator) at \(place) of \(length)")
                }
            }
        }
        for text in ["50%", "%4", "a%4", "%41b", "%%4", "100%4x0", "%0", "", "é東京🎬 film%"] {
            #expect(!EmailRedaction.mayBeAddress(text), "\(text)")
        }
        for text in ["%%40", "%4%40", "é東京🎬 film@example", "x%40"] {
            #expect(EmailRedaction.mayBeAddress(text), "\(text)")
        }
    }

    /// A custom event named after an address and a session id holding `%40` (a URL-encoded
    /// cookie) leave no address behind: the name redacted, the id hashed.
    @Test func eventNamesAndPercentEncodedSessionIdsAreCovered() {
        let session = SessionRecord(id: "dana%40example.com", start: 1, fields: [],
                                    events: [EventRecord(name: "Signup fan2@example.org", timestamp: 2), EventRecord(name: "PageView", timestamp: 3)])
        let clean = SessionTexts.redacted(session) { "em<" + $0.lowercased() + ">" }
        #expect(clean.id == "em<dana%40example.com>")
        #expect(clean.events.map(\.name) == ["Signup (email)", "PageView"])
        let named = SessionRecord(id: "s-1", start: 1, fields: [], events: [EventRecord(name: "Signup fan2@example.org", timestamp: 2)])
        #expect(SessionTexts.redacted(named) { _ in "unused" }.events.map(\.name) == ["Signup (email)"])
        #expect(EnhancedFields.unlessEmail("erin%40example.com") == nil)
        #expect(EnhancedFields.unlessEmail("u-42") == "u-42")
        // An id that holds an IP address is left out too (it was written `(ip)`; a review).
        #expect(EnhancedFields.unlessEmail("203.0.113.9") == nil)
        #expect(EnhancedFields.unlessEmail("anon-2001:db8::1") == nil)
        #expect(EnhancedFields.unlessEmail("0190c7e2-1f3a-7c8e-9d2b-4a5e6f708192") != nil)
    }
}
