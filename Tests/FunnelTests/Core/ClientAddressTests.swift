import FunnelCore
import Testing

/// A client's address as logs and events write it, reduced to the address, so that one
/// address is one fingerprint and finds its country (`ClientAddress`).
struct ClientAddressTests {
    @Test(arguments: [
        ("203.0.113.9", "203.0.113.9"), (" 203.0.113.9\t", "203.0.113.9"), ("203.0.113.9:4567", "203.0.113.9"),
        ("2001:db8::5", "2001:db8::5"), ("[2001:db8::5]", "2001:db8::5"), ("[2001:db8::5]:443", "2001:db8::5"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        // One address, one spelling (the review of 839b3a8): RFC 7239's form, quotes, a list
        // written with spaces, IPv6 in capitals or uncompressed, an IPv4-mapped address.
        ("for=203.0.113.9", "203.0.113.9"), ("\"203.0.113.9\"", "203.0.113.9"), ("203.0.113.9 10.0.0.1", "203.0.113.9"),
        ("For=\"[2001:db8::5]:443\"", "2001:db8::5"), ("2001:DB8::5", "2001:db8::5"), ("2001:db8:0:0:0:0:0:5", "2001:db8::5"),
        ("::ffff:203.0.113.9", "203.0.113.9"), ("[::ffff:203.0.113.9]:80", "203.0.113.9"),
    ])
    func anAddressIsReducedToItself(text: String, address: String) {
        #expect(ClientAddress.address(in: Substring(text)) == address)
    }

    @Test(arguments: ["", " ", "unknown", "_hidden", "203.0.113", "203.0.113.256", "203.0.113.9:", "203.0.113.9:x",
                      "[2001:db8::5", "[2001:db8::5]:", "[203.0.113.9]", "2001:db8::5:443:x", "1.2.3.4.5", "a:b"])
    func anythingElseIsNoAddress(text: String) {
        #expect(ClientAddress.address(in: Substring(text)) == nil)
    }

    /// An event's `ip`: the first entry of a list, reduced; one that is no address is kept as
    /// it came, trimmed (a fingerprint of it stays what it was).
    @Test(arguments: [
        (" 203.0.113.9 ", "203.0.113.9"), ("203.0.113.9:4567", "203.0.113.9"), ("203.0.113.9, 10.0.0.1", "203.0.113.9"),
        ("unknown", "unknown"), (" unknown ", "unknown"), ("  ", nil), ("", nil),
    ] as [(String, String?)])
    func anEventsAddressIsItsFirstEntry(text: String, expected: String?) {
        #expect(ClientAddress.normalized(text) == expected)
    }
}
