/// Tells bots from people by user agent (SPEC 3), before sessionization.
///
/// Matching is a case-insensitive substring test against a list of crawler, link-preview,
/// monitor and HTTP-library tokens, plus the pipeline's own patterns. Verdicts are cached
/// per distinct user agent: real traffic repeats a few thousand agents millions of times.
public final class BotRule {
    /// Tokens that only automated clients send. Kept specific: a token that could appear in a
    /// browser's agent (such as "mobile") would drop people.
    public static let defaultPatterns: [String] = [
        // crawlers
        "googlebot", "bingbot", "slurp", "duckduckbot", "baiduspider", "yandexbot", "yandex.com/bots", "sogou",
        "exabot", "ahrefsbot", "semrushbot", "mj12bot", "dotbot", "petalbot", "applebot", "bytespider",
        "gptbot", "ccbot", "claudebot", "perplexitybot", "amazonbot", "dataforseobot", "seznambot",
        "adsbot-google", "mediapartners-google", "google-inspectiontool", "googleother", "storebot-google",
        "crawler", "spider", "/bot", "bot/", "-bot", "_bot", " bot ",
        // link previewers
        "facebookexternalhit", "facebookcatalog", "meta-externalagent", "twitterbot", "slackbot", "slack-imgproxy",
        "whatsapp", "telegrambot", "discordbot", "linkedinbot", "pinterestbot", "skypeuripreview",
        "redditbot", "embedly", "iframely", "vkshare", "bitlybot",
        // monitors and probes
        "kube-probe", "uptimerobot", "pingdom", "statuscake", "site24x7", "newrelicpinger", "datadog",
        "elb-healthchecker", "googlestackdrivermonitoring", "better uptime", "uptime-kuma", "nagios", "zabbix",
        "prometheus", "blackbox exporter", "checkly", "freshping",
        // HTTP libraries and headless browsers
        "curl/", "wget/", "python-requests", "python-urllib", "python-httpx", "aiohttp", "go-http-client",
        "java/", "okhttp", "apache-httpclient", "libwww-perl", "lwp::simple", "ruby", "node-fetch", "axios/",
        "undici", "got (", "php/", "guzzlehttp", "httpclient", "winhttp", "headlesschrome", "phantomjs",
        "puppeteer", "playwright", "selenium", "scrapy", "httpie", "postmanruntime", "insomnia",
        "masscan", "zgrab", "nmap", "nikto", "sqlmap", "censys", "expanse",
    ]

    private let patterns: [[UInt8]]
    private var cache: [String: Bool] = [:]

    public init(extraPatterns: [String] = []) {
        patterns = (Self.defaultPatterns + extraPatterns).map { Array($0.lowercased().utf8) }
    }

    /// True when the agent belongs to a bot. An empty or missing agent is not judged a bot:
    /// some privacy tools strip it, and the record still has an IP to identify the visitor.
    public func isBot(_ userAgent: String?) -> Bool {
        guard let userAgent, !userAgent.isEmpty else { return false }
        if let cached = cache[userAgent] { return cached }
        let lowered = Array(userAgent.lowercased().utf8)
        let verdict = patterns.contains { Self.contains(lowered, $0) }
        if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
        cache[userAgent] = verdict
        return verdict
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return needle.isEmpty }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var k = 1
                while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}
