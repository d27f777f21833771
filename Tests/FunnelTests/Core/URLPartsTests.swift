import FunnelCore
import Testing

/// URLParts splits what clients send into host, path and query without validating it.
struct URLPartsTests {
    static let urls = [
        "https://l.facebook.com/l.php?u=https%3A%2F%2Ffilm.example%2F&h=AT0", "HTTPS://WWW.Google.COM/", "//cdn.Example.net/x.js",
        "http://user:pw@Film.Example:8080/watch?utm_source=fb#top", "http://[2001:DB8::1]:443/p", "/watch?x=1", "/", "", "?q=1",
        "mailto:someone@example.com", "android-app://com.google.android.gm/", "https://bücher.Example/straße", "http://ÉCOLE.fr/",
        "https://xn--bcher-kva.example", "https:///no-host", "http://host?only=query", "https://h#frag", "ftp://a@b@C/d",
        "https://a.example:/", "http://[::1", "weird://Δ/x", "https://EXAMPLE.com\u{0}/z",
    ]

    @Test func splitsHostPathAndQuery() {
        let parts = URLParts("http://user:pw@Film.Example:8080/watch?utm_source=fb#top")
        #expect(parts.host == "film.example")
        #expect(parts.path == "/watch")
        #expect(parts.query == "utm_source=fb")
        #expect(URLParts("/watch").host == nil)
        #expect(URLParts("https://h").path == "/")
        #expect(URLParts("http://[2001:DB8::1]:443/p").host == "[2001:db8::1]")
        #expect(URLParts("https://Facebook.com./x").host == "facebook.com")
        #expect(URLParts("https://film.example.:443/").host == "film.example")
        #expect(URLParts.host(of: "https://film.example./") == "film.example")
        #expect(URLParts("http://./").host == ".")
    }

    /// A path parameter (`;jsessionid=`: a servlet's session, a credential in the URL) is cut
    /// as a query is, from an absolute URL and from a request target, when it is the last
    /// segment's; a `;` before no `name=` stays.
    @Test func pathParametersAreCutAsAQueryIs() {
        let parts = URLParts("https://film.example/donate;jsessionid=9A1F0C2B77E4D1A0?utm_source=fb")
        #expect(parts.path == "/donate")
        #expect(parts.query == "utm_source=fb")
        #expect(URLParts("/watch;JSESSIONID=AB12#t").path == "/watch")
        #expect(URLParts("/a/b;sid=1").path == "/a/b")
        // In the middle of the path it is part of the page (a review: `/cars;color=red/models`
        // was `/cars`, `/static;v=123/app.js` no static asset).
        #expect(URLParts("/a;sid=1/b").path == "/a;sid=1/b")
        #expect(URLParts("/static;v=123/app.js").path == "/static;v=123/app.js")
        #expect(URLParts("/a;b/c").path == "/a;b/c")
        #expect(URLParts("/a;=x").path == "/a;=x")
        #expect(URLParts("/a;").path == "/a;")
        let target = Array("/trailer;jsessionid=77?x=1".utf8)
        target.withUnsafeBufferPointer { bytes in
            let ranges = URLParts.Ranges(bytes, requestTarget: true)
            #expect(ranges.path == 0..<8)
            #expect(ranges.query == 23..<26)
        }
    }

    @Test func hostAloneIsTheHostOfTheWholeParse() {
        for url in Self.urls {
            #expect(URLParts.host(of: url) == URLParts(url).host, "\(url)")
        }
    }

    @Test func hostsAreLowerCasedAsStringLowercasedDoes() {
        for url in Self.urls {
            guard let host = URLParts(url).host else { continue }
            let start = url.range(of: "://").map(\.upperBound) ?? url.range(of: "//")!.upperBound
            let authority = url[start...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            #expect(authority.lowercased().contains(host), "\(url) -> \(host)")
            #expect(host == host.lowercased(), "\(url) -> \(host)")
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<500 {
            var host = ""
            for _ in 0..<(1 + Int(state >> 59)) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let choices = Array("aZbYcX09.-_ÄéΣ".unicodeScalars)
                host.unicodeScalars.append(choices[Int(state >> 33) % choices.count])
            }
            // A fully qualified name's root dot is not part of the host.
            let expected = host.count > 1 && host.hasSuffix(".") ? String(host.lowercased().dropLast()) : host.lowercased()
            #expect(URLParts.host(of: "https://" + host + "/p") == expected, "\(host)")
            #expect(URLParts.lowercasedHost(host) == expected, "\(host)")
        }
    }

    /// A host field (`$host`, `$http_host`, the `Host` header) is a name and maybe a port; the
    /// port is no part of the host (until 2026-12-05 `film.example:8443` was kept whole, and
    /// the site's own pages were referrals from another site).
    @Test(arguments: [
        ("film.example:8443", "film.example"), ("Film.Example.:80", "film.example"), ("[2001:DB8::1]:8080", "[2001:db8::1]"),
        ("[::1]", "[::1]"), ("film.example", "film.example"), (":8080", ""), ("127.0.0.1:3000", "127.0.0.1"),
    ])
    func aHostFieldLosesItsPort(field: String, host: String) {
        #expect(URLParts.lowercasedHost(field) == host)
    }

    /// In a request line `//x/y` is a path (RFC 9112's origin form), not the host `x`; only an
    /// absolute target names a host. Referrers and client URLs keep reading `//x` as a host.
    @Test func aRequestTargetOfTwoSlashesIsAPath() {
        var target = Array("//evil.example/watch?utm_source=fb".utf8)
        let parts = target.withUnsafeMutableBufferPointer { URLParts(bytes: UnsafeBufferPointer($0), requestTarget: true) }
        #expect(parts.host == nil)
        #expect(parts.path == "//evil.example/watch")
        #expect(parts.query == "utm_source=fb")
        #expect(URLParts("//evil.example/watch").host == "evil.example")
        var absolute = Array("https://Film.Example/watch".utf8)
        #expect(absolute.withUnsafeMutableBufferPointer { URLParts(bytes: UnsafeBufferPointer($0), requestTarget: true) }.host == "film.example")
    }
}
