@testable import FunnelTransform
import Testing

/// `ReferrerHosts` compares an ASCII host as bytes (`ASCIIHost`) and any other as strings;
/// the two must give the same answer on every ASCII host, or a session's channel would depend
/// on which path its referrer took.
struct ASCIIHostTests {
    /// Hosts at the edges of the rules: each listed domain, its subdomains and look-alikes,
    /// country domains of the providers read by label, empty labels, and hosts too short for a
    /// provider's name.
    static let hosts: [String] = {
        var hosts = ["", ".", "..", "a", "a.", ".a", "a..b", "..paypal..com..", "co.uk", "com.br", "paypal", "paypal.",
                     ".paypal.com", "paypal.com.", "www.paypal.co.uk", "paypal.co.uk", "paypal.ne.jp", "a.paypal.go.kr",
                     "klarna.se", "x.klarna.com.au", "mercadopago.com.br", "www.mercadopago.com.br", "mercadopago.br.com",
                     "notpaypal.com", "paypal.com.attacker.net", "xpaypal.com", "paypalx.com", "pay.google.com.evil",
                     "checkout.stripe.com", "stripe.network", "login.live.com", "live.com", "www.sandbox.paypal.com",
                     "film.example", "www.film.example", "notfilm.example", "film.example.attacker.net",
                     "mail.google.com", "google.com", "t.co", "co", "x.co", "a.b.c.d.e.co.jp", "paypal.ac.uk", "paypal.or.at"]
        for domain in ReferrerHosts.flowSteps + ReferrerHosts.social.map(\.host) + ReferrerHosts.webmail.map(\.host)
            + ReferrerHosts.notSearch + ReferrerHosts.searchHosts.map(\.host) {
            hosts += [domain, "www." + domain, "x" + domain, domain + ".evil", "a.b." + domain, String(domain.dropFirst())]
        }
        for label in ["paypal", "klarna", "mercadopago", "google", "pinterest"] {
            for suffix in ["com", "de", "co.uk", "com.br", "ne.jp", "or.at", "go.kr", "ac.uk", "net.au"] {
                hosts += [label + "." + suffix, "www." + label + "." + suffix, "x" + label + "." + suffix]
            }
        }
        return hosts
    }()

    @Test func flowStepsAreTheSameAsBytesAndAsStrings() {
        var steps = 0
        for host in Self.hosts {
            let expected = ReferrerHosts.isFlowStepComparingStrings(host)
            #expect(ReferrerHosts.isFlowStep(host) == expected, "\(host)")
            if expected { steps += 1 }
        }
        // Both answers occur, so a path that always said one would fail.
        #expect(steps > 100 && steps < Self.hosts.count - 100, "\(steps) of \(Self.hosts.count)")
    }

    @Test func matchesAreTheSameAsBytesAndAsStrings() {
        let domains = ["film.example", "paypal.com", "co", "t.co", "a", "", "mail.google.com"]
        var matched = 0
        for host in Self.hosts {
            for domain in domains {
                let expected = ReferrerHosts.matchesComparingStrings(host, domain)
                #expect(ReferrerHosts.matches(host, domain) == expected, "\(host) \(domain)")
                if expected { matched += 1 }
            }
        }
        #expect(matched > 20, "\(matched)")
    }

    /// The provider's name as bytes is the label the string form finds.
    @Test func providerNamesAreTheSameAsBytesAndAsStrings() {
        for host in Self.hosts {
            let bytes = ASCIIHost.with(host) { ASCIIHost.providerName(of: $0).map { String(decoding: $0, as: UTF8.self) } }
            #expect(bytes == .some(ReferrerHosts.providerName(of: host).map(String.init)), "\(host)")
        }
    }

    /// Hosts beyond ASCII take the string path (a byte comparison would differ from `String`'s
    /// on canonically equivalent texts), and still match as strings do.
    @Test func hostsBeyondASCIIAreComparedAsStrings() {
        #expect(ASCIIHost.with("b\u{fc}cher.example") { _ in true } == nil)
        #expect(ReferrerHosts.matches("www.b\u{fc}cher.example", "b\u{fc}cher.example"))
        #expect(ReferrerHosts.matches("www.bu\u{308}cher.example", "b\u{fc}cher.example"))
        #expect(ReferrerHosts.isFlowStep("\u{e9}.paypal.com"))
        #expect(!ReferrerHosts.isFlowStep("paypal.\u{e9}.example"))
    }
}
