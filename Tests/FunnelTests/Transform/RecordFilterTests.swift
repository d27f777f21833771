import FunnelCore
import FunnelTransform
import Testing

/// The page-view rule of SPEC 1.1 and the bot filter of SPEC 3.
struct RecordFilterTests {
    static let chromeDesktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

    private func logLine(_ target: String, method: String? = "GET", status: Int? = 200, agent: String? = chromeDesktop) -> Record {
        var record = Record(origin: .accessLog, event: "PageView", timestamp: 1_704_067_200_000)
        let parts = URLParts(target)
        record.path = parts.path
        record.query = parts.query
        record.method = method
        record.status = status
        record.userAgent = agent
        record.ip = "203.0.113.9"
        return record
    }

    private func clientEvent(agent: String?) -> Record {
        var record = Record(origin: .client, event: "ViewContent", timestamp: 1_704_067_200_000)
        record.userAgent = agent
        record.visitorID = "v1"
        return record
    }

    // MARK: - Page-view rule

    @Test func keepsAPlainPageView() {
        #expect(RecordFilter().reason(toDrop: logLine("/watch")) == nil)
        #expect(RecordFilter().reason(toDrop: logLine("/")) == nil)
    }

    @Test(arguments: ["POST", "HEAD", "PUT", "DELETE", "OPTIONS"])
    func dropsMethodsOtherThanGET(_ method: String) {
        #expect(RecordFilter().reason(toDrop: logLine("/donate", method: method)) == .notGet)
    }

    @Test(arguments: [200, 204, 301, 302, 304, 399])
    func keepsStatusesBelow400(_ status: Int) {
        #expect(RecordFilter().reason(toDrop: logLine("/watch", status: status)) == nil)
    }

    @Test(arguments: [400, 401, 403, 404, 410, 499, 500, 502, 503])
    func dropsErrorStatuses(_ status: Int) {
        #expect(RecordFilter().reason(toDrop: logLine("/watch", status: status)) == .errorStatus)
    }

    @Test func dropsALineWithoutStatus() {
        #expect(RecordFilter().reason(toDrop: logLine("/watch", status: nil)) == .errorStatus)
    }

    @Test(arguments: [
        "/app.css", "/app.js", "/mod.mjs", "/app.js.map", "/img/a.png", "/a.jpg", "/a.jpeg", "/a.gif", "/logo.svg",
        "/a.webp", "/a.avif", "/icon.ico", "/f.woff", "/f.woff2", "/f.ttf", "/f.eot", "/f.otf", "/trailer.mp4",
        "/clip.webm", "/hls/index.m3u8", "/hls/seg1.ts", "/notes.txt", "/sitemap.xml", "/data.json",
        "/robots.txt", "/favicon.ico", "/ROBOTS.TXT", "/Favicon.ICO", "/IMG/Photo.JPG", "/styles/Main.Css",
        // A film's media beside SPEC's list (page views until 2026-12-06; a review).
        "/video/seg-00001.m4s", "/video/stream.mpd", "/subs/en.vtt", "/subs/en.srt", "/a.aac", "/a.mov", "/a.m4v",
        "/a.mp3", "/site.webmanifest", "/Manifest.WebManifest", "/a.bmp", "/a.tiff", "/a.heic", "/a.jxl", "/a.wasm",
    ])
    func dropsStaticAssetsCaseInsensitively(_ path: String) {
        #expect(RecordFilter.isStaticAsset(path))
        #expect(RecordFilter().reason(toDrop: logLine(path)) == .staticAsset)
    }

    @Test func staticAssetRuleIgnoresTheQueryString() {
        #expect(RecordFilter().reason(toDrop: logLine("/app.js?v=123")) == .staticAsset)
        #expect(RecordFilter().reason(toDrop: logLine("/watch?file=trailer.mp4")) == nil)
        #expect(RecordFilter().reason(toDrop: logLine("/watch?utm_source=fb&x=a.css")) == nil)
    }

    @Test(arguments: ["/watch", "/donate/", "/v1.2/page", "/about.html", "/film.example/watch", "/a.jsx", "/a.tsx", "/report.pdf2", "/.well-known/x",
                      "/a.", "/", "", "/a.jsonx", "/a.woff3", "/a.\u{0}js", "/.js.x", "/a.cſs", "/a.CSSS", "/webmanifest",
                      "/a.webmanifests", "/a.xwebmanifest"])
    func keepsPagesThatAreNotStaticAssets(_ path: String) {
        #expect(!RecordFilter.isStaticAsset(path))
        #expect(RecordFilter().reason(toDrop: logLine(path)) == nil)
    }

    @Test func extensionIsTakenFromTheLastSegmentOnly() {
        #expect(!RecordFilter.isStaticAsset("/assets.css/page"))
        #expect(RecordFilter.isStaticAsset("/page/assets.css"))
    }

    @Test func excludedPathPatterns() {
        let filter = RecordFilter(excludedPaths: ["/healthz", "/api/*"])
        #expect(filter.reason(toDrop: logLine("/healthz")) == .excludedPath)
        #expect(filter.reason(toDrop: logLine("/healthz?probe=1")) == .excludedPath)
        #expect(filter.reason(toDrop: logLine("/api/v1/donations")) == .excludedPath)
        #expect(filter.reason(toDrop: logLine("/api/")) == .excludedPath)
        #expect(filter.reason(toDrop: logLine("/healthz/deep")) == nil)
        #expect(filter.reason(toDrop: logLine("/api")) == .excludedPath, "/api/* means /api too (since 2026-12-06)")
        #expect(filter.reason(toDrop: logLine("/apiary")) == nil)
        #expect(filter.reason(toDrop: logLine("/watch")) == nil)
        // Without the pipeline's patterns nothing is excluded.
        #expect(RecordFilter().reason(toDrop: logLine("/healthz")) == nil)
    }

    @Test func pageViewRuleAppliesOnlyToAccessLogLines() {
        // A client event has no method or status: it is kept unless it comes from a bot.
        #expect(RecordFilter(excludedPaths: ["/api/*"]).reason(toDrop: clientEvent(agent: Self.chromeDesktop)) == nil)
        #expect(RecordFilter().reason(toDrop: clientEvent(agent: nil)) == nil)
        #expect(RecordFilter().reason(toDrop: clientEvent(agent: "Googlebot/2.1 (+http://www.google.com/bot.html)")) == .bot)
    }

    // MARK: - Bots

    static let botAgents = [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Slackbot 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0",
        "kube-probe/1.29",
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.31.0",
        "Dart/3.1 (dart:io)",
        "Go-http-client/1.1",
        "Go-http-client/2.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
    ]

    @Test(arguments: botAgents)
    func dropsBots(_ agent: String) {
        #expect(UserAgentClassifier().isBot(agent))
        #expect(RecordFilter().reason(toDrop: logLine("/watch", agent: agent)) == .bot)
    }

    @Test func botMatchingIgnoresCase() {
        let rule = UserAgentClassifier()
        #expect(rule.isBot("GOOGLEBOT/2.1"))
        #expect(rule.isBot("CURL/7.0"))
        #expect(rule.isBot("whatsapp/2.0 A"))
    }

    static let browserAgents = [
        // Chrome desktop (Windows, macOS, Linux)
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        // Chrome on Android and iOS
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        // Safari desktop, iPhone, iPad
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        // Firefox desktop and Android
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
        // Edge desktop and Android
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64",
        // Samsung Internet
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        // Facebook and Instagram in-app browsers
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/460.0.0.39.109;FBBV/591187624;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.54 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.48.109;]",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 327.0.0.32.120 (iPhone15,3; iOS 17_4; en_US; en; scale=3.00; 1290x2796; 585348534)",
        "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Instagram 328.0.0.42.90 Android (33/13; 450dpi; 1080x2177; samsung; SM-A536B; a53x; s5e8825; en_GB; 590106637)",
        // Android WebView
        "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36",
        // Opera
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
    ]

    @Test(arguments: browserAgents)
    func keepsRealBrowsers(_ agent: String) {
        #expect(!UserAgentClassifier().isBot(agent))
        #expect(RecordFilter().reason(toDrop: logLine("/watch", agent: agent)) == nil)
    }

    @Test func missingOrEmptyAgentIsNotABot() {
        #expect(!UserAgentClassifier().isBot(nil))
        #expect(!UserAgentClassifier().isBot(""))
        #expect(RecordFilter().reason(toDrop: logLine("/watch", agent: nil)) == nil)
    }

    @Test func pipelinePatternsAddBots() {
        let agent = "Mozilla/5.0 (Windows NT 10.0) InternalLoadTester/3.1"
        #expect(RecordFilter().reason(toDrop: logLine("/watch", agent: agent)) == nil)
        let filter = RecordFilter(botPatterns: ["internalloadtester", "AcmeMonitor"])
        #expect(filter.reason(toDrop: logLine("/watch", agent: agent)) == .bot)
        // Extra patterns are matched case-insensitively, like the built-in ones.
        #expect(filter.reason(toDrop: logLine("/watch", agent: "acmemonitor/1.0")) == .bot)
        // The built-in ones still apply, and browsers still pass.
        #expect(filter.reason(toDrop: logLine("/watch", agent: "curl/8.0")) == .bot)
        #expect(filter.reason(toDrop: logLine("/watch", agent: Self.chromeDesktop)) == nil)
    }

    @Test func repeatedVerdictsAreStable() {
        let rule = UserAgentClassifier()
        for _ in 0..<3 {
            #expect(rule.isBot("curl/8.5.0"))
            #expect(!rule.isBot(Self.chromeDesktop))
        }
    }

    // MARK: - Order of checks

    @Test func checksRunInSpecOrder() {
        // A bot fetching a static asset with POST is reported for the first rule it breaks.
        #expect(RecordFilter().reason(toDrop: logLine("/app.js", method: "POST", status: 500, agent: "curl/8")) == .notGet)
        #expect(RecordFilter().reason(toDrop: logLine("/app.js", status: 404, agent: "curl/8")) == .errorStatus)
        #expect(RecordFilter().reason(toDrop: logLine("/app.js", agent: "curl/8")) == .staticAsset)
        #expect(RecordFilter(excludedPaths: ["/api/*"]).reason(toDrop: logLine("/api/x", agent: "curl/8")) == .excludedPath)
    }

    /// `filters.exclude_paths` are paths that are never page views, whoever reports them: a
    /// client PageView of one is dropped as `excluded_path` (as a log line's is), the site's
    /// other client events on it are kept, and nothing is dropped without the setting.
    @Test func excludedPathsDropClientPageViewsToo() {
        let filter = RecordFilter(excludedPaths: ["/healthz", "/api/*"])
        func client(_ event: String, _ path: String) -> Record {
            var record = Record(origin: .client, event: event, timestamp: 1_704_067_200_000)
            record.path = path
            return record
        }
        #expect(filter.reason(toDrop: client("PageView", "/healthz")) == .excludedPath)
        #expect(filter.reasonAfterRequest(client("PageView", "/api/v1/x")) == .excludedPath)
        #expect(filter.reason(toDrop: client("PageView", "/watch")) == nil)
        #expect(filter.reason(toDrop: client("ButtonClick", "/api/v1/x")) == nil)
        #expect(RecordFilter().reason(toDrop: client("PageView", "/healthz")) == nil)
        #expect(filter.reason(toDrop: logLine("/api/v1/x")) == .excludedPath)
    }
}

struct PathPatternTests {
    /// An exact pattern matches itself, with or without a trailing `/` (`/healthz/` was kept
    /// as a page view until 2026-12-06; a review).
    @Test func exactPatternMatchesOnlyItself() {
        let pattern = PathPattern("/healthz")
        #expect(pattern.matches("/healthz"))
        #expect(pattern.matches("/healthz/"))
        #expect(!pattern.matches("/healthz//"))
        #expect(!pattern.matches("/HEALTHZ"))
        #expect(!pattern.matches("/healthz2"))
        #expect(!pattern.matches("/x/healthz"))
        #expect(!pattern.matches(""))
    }

    @Test func trailingStarMatchesAnyRestIncludingSlashes() {
        let pattern = PathPattern("/api/*")
        #expect(pattern.matches("/api/"))
        #expect(pattern.matches("/api/v1"))
        #expect(pattern.matches("/api/v1/donations/42"))
        // `/api/*` means `/api` too (kept as a page view until 2026-12-06; a review).
        #expect(pattern.matches("/api"))
        #expect(!pattern.matches("/apis/v1"))
        #expect(!pattern.matches("/apis"))
        #expect(!pattern.matches("/x/api/v1"))
    }

    @Test func leadingAndInnerStars() {
        #expect(PathPattern("*.php").matches("/wp-login.php"))
        #expect(PathPattern("*.php").matches("/a/b/c.php"))
        #expect(!PathPattern("*.php").matches("/a.php5"))
        let inner = PathPattern("/admin/*/edit")
        #expect(inner.matches("/admin/42/edit"))
        #expect(inner.matches("/admin/a/b/edit"))
        #expect(inner.matches("/admin//edit"))
        #expect(!inner.matches("/admin/42/edit/more"))
        #expect(!inner.matches("/admin/edit"))
        let two = PathPattern("/a*b*c")
        #expect(two.matches("/abc"))
        #expect(two.matches("/a-x-b-y-c"))
        #expect(!two.matches("/a-c-b"))
    }

    @Test func loneStarMatchesEverything() {
        #expect(PathPattern("*").matches("/"))
        #expect(PathPattern("*").matches(""))
        #expect(PathPattern("*").matches("/any/thing"))
    }

    @Test func prefixAndSuffixMustNotOverlap() {
        // "/ab*ba" needs at least "/abba": "/aba" has the prefix and the suffix only by sharing a letter.
        let pattern = PathPattern("/ab*ba")
        #expect(pattern.matches("/abba"))
        #expect(pattern.matches("/ab-ba"))
        #expect(!pattern.matches("/aba"))
    }

    @Test func keepsItsText() {
        #expect(PathPattern("/api/*").text == "/api/*")
    }

}
