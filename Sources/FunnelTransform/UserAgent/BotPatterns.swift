/// What automated clients say about themselves (SPEC 3), and how to hear it without dropping
/// people.
///
/// The evidence, any of which makes a bot:
/// - a name that only bots send, anywhere in the agent (`googlebot`, `facebookexternalhit`,
///   `kube-probe`, `python-requests`, `headlesschrome`);
/// - an HTTP library's name as the first word of the agent (`curl/8.5`, `Java/17`, `Ruby`),
///   where a short name cannot be part of a device or a locale;
/// - a generic word a bot calls itself by (`bot`, `spider`, `crawler`, `monitor`, ...) ending a
///   word: `Googlebot/2.1`, `Sogou web spider/4.0`, `(+https://example.com/robots)`. Phone and
///   tablet models continue after a space, a digit or `_` ("CUBOT J9", "VR BOT 552",
///   "IDbot553", "XBot_Senior", "Spider 8"), so in Android agents only punctuation ends the word,
///   and the brands that would still match are listed as people;
/// - a link or a mail address (`+http://...`, `www.`, `support@example.com`): a crawler states
///   who runs it, a browser never does.
enum BotPatterns {
    static let names: TokenSet = [
        // search and AI crawlers, SEO tools
        "googlebot", "adsbot-google", "mediapartners-google", "google-inspectiontool", "googleother",
        "storebot-google", "google-extended", "apis-google", "feedfetcher-google", "duplexweb-google",
        "google-read-aloud", "google-site-verification", "google page speed", "chrome-lighthouse", "bingbot",
        "bingpreview", "msnbot", "adidxbot", "slurp", "duckduckbot", "duckassistbot", "baiduspider",
        "yandex.com/bots", "sogou web spider", "exabot", "ahrefsbot", "semrushbot", "mj12bot", "dotbot", "petalbot",
        "applebot", "bytespider", "gptbot", "chatgpt-user", "oai-searchbot", "ccbot", "claudebot", "claude-web",
        "claude-user", "anthropic-ai", "perplexitybot", "perplexity-user", "amazonbot", "dataforseobot",
        "seznambot", "ia_archiver", "archive.org_bot", "heritrix", "blexbot", "barkrowler", "serpstatbot",
        "seekport", "mojeekbot", "qwantify", "coccocbot", "yeti/", "istellabot", "rogerbot", "screaming frog",
        "sitebulb", "siteimprove", "deepcrawl", "oncrawl", "contentking", "diffbot", "omgili", "cohere-ai",
        "imagesiftbot", "timpibot", "youbot", "ai2bot", "img2dataset", "webzio", "newsnow", "linkdexbot",
        "w3c_validator", "validator.nu", "w3c-checklink", "linkchecker", "feedly", "feedburner", "inoreader",
        "newsblur", "tiny tiny rss", "google-", "googleimageproxy", "google favicon", "google search console",
        "googleprober", "googleassociationservice", "googlesites", "googleadsenseinfeed", "nutch-", "larbin",
        "binlar", "gigablast", "ichiro/", "daumoa", "ask jeeves", "baidu transcoder", "y!j", "yahoo:linkexpander",
        "yahoomailproxy", "seznamemailproxy", "ramblermail", "sistrix", "seobility", "datanyze", "brandverity",
        "tineye", "twingly", "trendsmap", "addthis", "admantx", "ltx71", "ezooms", "grub-client", "httrack",
        "xenu link", "linkwalker", "lipperhey", "dataprovider.com", "meltwater", "newspaper/", "infegy", "ips-agent",
        "panscient", "zoominfobot", "semanticbot", "rssing", "simplepie", "subscribers", "feed parser", "feedbin",
        "feedspot", "netvibes", "newsgator", "bloglovin", "blogtrottr", "commafeed", "freshrss", "theoldreader",
        "bloglines", "postrank", "hatena", "marginalia", "research", "headless", "favicon", "screenshot",
        "imageproxy", "linkexpander", "link preview", "linkpreview", "metadataretriever", "urllookup",
        "meta-external", "bluesky cardyb", "github-camo", "substackcontentfetch", "chrome privacy preserving prefetch",
        "amazon cloudfront", "dareboost", "cookiehubscan", "ghost inspector", "functionize", "uptimia",
        "detectify", "acunetix", "zmeu", "jndi:", "${", "{{", "sectigo", "comodo dcv", "keycdn", "whatsmyip",
        "azure-logic-apps", "microsoft-flow", "apachebench", "jmeter", "gobuster", "k6/", "locust", "siege/",
        "grafana/", "prtg", "collectd", "munin/", "thousandeyes", "cloudflare", "sentry/", "grammarly",
        "matomo/", "phpmyadmin", "xenforo/", "request-promise", "jersey/", "jetty/", "pcore-http", "btwebclient",
        "http client", "http_get", "httpunit", "crawler4j", "stormcrawler", "newrelic", "synthetic", "firecrawl",
        "crawlspace", "manus-user", "googleagent", "silktide", "dmbrowser", "sitesucker", "whatcms", "adbeat",
        "cookiehub", "digicert",
        // link previewers
        "facebookexternalhit", "facebookcatalog", "facebot", "meta-externalagent", "meta-externalfetcher",
        "twitterbot", "slackbot", "slack-imgproxy", "whatsapp", "telegrambot", "discordbot", "linkedinbot",
        "pinterestbot", "skypeuripreview", "redditbot", "embedly", "iframely", "vkshare", "bitlybot",
        "google-pagerenderer", "snap url preview", "outbrain", "quora link preview", "mastodon/",
        "pleroma", "misskey", "akkoma", "nuzzel", "flipboardproxy", "tumblr/14", "xing-contenttabreceiver",
        "line-poker", "kakaotalk-scrap", "yahoo link preview", "microsoftpreview", "skypepreview",
        // monitors and probes
        "kube-probe", "uptimerobot", "pingdom", "statuscake", "site24x7", "newrelicpinger", "datadog",
        "elb-healthchecker", "googlehc", "googlestackdrivermonitoring", "better uptime", "betteruptime",
        "uptime-kuma", "uptime kuma", "nagios", "check_http", "zabbix", "blackbox exporter", "prometheus",
        "checkly", "freshping", "hetrixtools", "nodeping", "uptime.com", "monitis", "catchpoint",
        "ruxitsynthetic", "dynatrace", "gtmetrix", "ptst/", "speedcurve", "route53-health-check",
        "health-check", "healthcheck", "consul health", "envoy/hc", "alwaysonline", "cloudflare-",
        "azure traffic manager", "panopta", "monitoring360", "updown.io", "pulsetic", "cron-job.org",
        // HTTP libraries and tools
        "python-requests", "python-urllib", "python-httpx", "aiohttp", "urllib3", "pycurl", "libcurl", "dart:io",
        "go-http-client", "okhttp", "apache-httpclient", "commons-httpclient", "java-http-client",
        "libwww-perl", "lwp::", "lwp-request", "node-fetch", "undici", "axios/", "got (", "guzzlehttp",
        "httpclient", "winhttp", "httpie", "postmanruntime", "insomnia/", "restsharp", "faraday v",
        "mechanize", "scrapy", "cfnetwork/", "dalvik/", "wordpress/", "powershell", "curl/", "wget/",
        "masscan", "zgrab", "nmap scripting", "nikto", "sqlmap", "wpscan", "nuclei", "censysinspect",
        "expanse indexes", "expanseinc", "palo alto networks", "internet-measurement", "netcraft", "leakix", "l9explore", "l9tcpid",
        "arachni", "httpx",
        // more clients, crawlers, link checkers and Office's link prefetches (kept as people
        // until 2026-12-06; a review): an Outlook or Word link is fetched by Office first
        "wget2", "apache-httpasyncclient", "superagent", "fasthttp", "reactornetty", "vert.x-webclient", "http-kit",
        "rust-reqwest", "indy library", "apache nutch", "nutch/", "lychee/", "linkinator", "ms-office", "msoffice",
        "existence discovery", "protocol discovery",
        // a forum's link preview, a Delphi HTTP client (kept as people until 2026-12-06)
        "discourse forum onebox", "embarcadero uri client",
        // headless and automated browsers
        "headlesschrome", "phantomjs", "puppeteer", "playwright", "selenium", "webdriver", "slimerjs",
        "htmlunit", "cypress/",
    ]

    /// Library names that start the agent as a whole word: "curl/8.5.0", "Go 1.1 package http", "Ruby".
    static let leadingProducts: TokenSet = [
        "curl", "wget", "python", "ruby", "php", "perl", "go", "java", "node", "deno", "bun", "okhttp", "axios",
        "httpie", "lwp", "mechanize", "dalvik", "rest-client", "http.rb", "typhoeus", "faraday", "reqwest",
        "hyper", "aria2", "colly", "fetch", "httpclient", "libcurl", "ahc",
        // Office's own fetch of a link in a mail or a document (`Microsoft Office/16.0
        // (Windows NT 10.0; Microsoft Outlook 16.0...)`, `Microsoft Office Word 2014`): kept as
        // a person until 2026-12-06 (a review); a person's click opens a browser.
        "microsoft office",
    ]

    /// Word endings a bot names itself with. Matched only when punctuation or the end of the
    /// agent follows (an optional plural "s" first).
    static let wordEndings: TokenSet = [
        "bot", "spider", "crawler", "crawl", "scraper", "fetcher", "checker", "preview", "validator",
        "archiver", "indexer", "harvester", "probe", "scan", "scanner", "analyzer", "analyser", "resolver",
        "collector", "monitor", "monitoring", "inspector", "detector", "verifier", "sleuth", "auditor",
    ]

    /// A link or a mail address: how crawlers, monitors and tools say who runs them. Browsers
    /// and in-app browsers never carry one.
    static let contactMarks: TokenSet = ["+http", "http://", "https://", "www.", "mailto:"]

    /// Whole agents no browser sends: a bare product token, what scripts put in (kept as
    /// people until 2026-12-06; a review).
    static let bareAgents: Set<[UInt8]> = ["mozilla/5.0", "mozilla/5.0 (compatible)", "mozilla/4.0", "mozilla/4.0 (compatible)", "mozilla"]
        .reduce(into: []) { $0.insert(Array($1.utf8)) }

    /// Marks of what is never a server relaying a visitor's event (`isServerRelay`): crawlers,
    /// link previewers, monitors and probes, scanners, automated browsers.
    static let notRelays: TokenSet = [
        "bot", "spider", "crawl", "scrap", "headless", "phantomjs", "puppeteer", "playwright", "selenium", "webdriver",
        "cypress", "externalhit", "facebookcatalog", "meta-external", "whatsapp", "preview", "slurp", "monitor", "probe",
        "uptime", "pingdom", "statuscake", "site24x7", "datadog", "health", "check", "nagios", "zabbix", "prometheus",
        "lighthouse", "gtmetrix", "ptst/", "synthetic", "archive", "feed", "validator", "scan", "nmap", "nikto", "sqlmap",
        "nuclei", "zgrab", "l9explore", "leakix", "postman", "insomnia", "googleother", "bing", "yandex", "baidu",
        "ms-office", "microsoft office", "research",
    ]

    /// Words that end like a bot but name devices people use.
    static let peopleWords: TokenSet = ["cubot"]

    /// Whether a generic word ends at `byte` (nil: the end of the agent). Punctuation ends it;
    /// a space ends it too outside Android agents, whose device models continue after a space
    /// ("VR BOT 552", "M bot 54"). A digit or `_` never does ("IDbot553", "XBot_Senior").
    static func endsWord(_ byte: UInt8?, spaceEnds: Bool) -> Bool {
        guard let byte else { return true }
        switch byte {
        case UInt8(ascii: " "):
            return spaceEnds
        case UInt8(ascii: "/"), UInt8(ascii: ";"), UInt8(ascii: ")"), UInt8(ascii: "("), UInt8(ascii: "-"),
             UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "!"),
             UInt8(ascii: "@"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "="), UInt8(ascii: "\""):
            return true
        default:
            return false
        }
    }
}

extension AgentText {
    /// True when the agent carries any of the built-in bot evidence, or one of `extra`
    /// (the pipeline's patterns, matched anywhere).
    func looksAutomated(extra: TokenSet) -> Bool {
        guard !isEmpty else { return false }
        let spaceEndsWords = !contains("android")
        return containsAny(BotPatterns.names)
            || BotPatterns.bareAgents.contains(trimmedOfSpaces)
            || BotPatterns.leadingProducts.tokens.contains { startsWithWord($0) }
            || BotPatterns.wordEndings.tokens.contains { hasWordEnding($0, spaceEnds: spaceEndsWords) }
            || containsAny(BotPatterns.contactMarks)
            || containsEmailAddress()
            || containsAny(extra)
    }

    /// The agent without spaces around it (`Mozilla/5.0 ` is as bare as `Mozilla/5.0`: it was
    /// kept as a person until 2026-12-06; a carried finding).
    private var trimmedOfSpaces: [UInt8] {
        guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
              let last = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return [] }
        return Array(bytes[first...last])
    }

    /// The agent starts with `token` followed by a non-letter or nothing.
    private func startsWithWord(_ token: Token) -> Bool {
        hasPrefix(token) && (bytes.count == token.bytes.count || !Self.isWordByte(bytes[token.bytes.count]))
    }

    /// Some word ends in `ending` (plural allowed) where `BotPatterns.endsWord` says a word ends.
    private func hasWordEnding(_ ending: Token, spaceEnds: Bool) -> Bool {
        var from = 0
        while let start = firstIndex(of: ending, from: from) {
            from = start + 1
            var end = start + ending.bytes.count
            if end < bytes.count && bytes[end] == UInt8(ascii: "s") { end += 1 }
            guard BotPatterns.endsWord(end < bytes.count ? bytes[end] : nil, spaceEnds: spaceEnds) else { continue }
            var wordStart = start
            while wordStart > 0 && Self.isWordByte(bytes[wordStart - 1]) { wordStart -= 1 }
            let word = bytes[wordStart..<(start + ending.bytes.count)]
            if BotPatterns.peopleWords.tokens.contains(where: { $0.bytes.elementsEqual(word) }) { continue }
            return true
        }
        return false
    }

    /// An e-mail address (`name@host.tld`, the TLD in letters): the contact line of a crawler.
    /// Browsers and apps only ever put version numbers after an `@` ("Ecosia android@88.0").
    private func containsEmailAddress() -> Bool {
        var at = bytes.firstIndex(of: UInt8(ascii: "@"))
        while let index = at {
            at = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "@"))
            guard index > 0, Self.isWordByte(bytes[index - 1]) else { continue }
            var end = index + 1
            while end < bytes.count && (Self.isWordByte(bytes[end]) || bytes[end] == UInt8(ascii: ".") || bytes[end] == UInt8(ascii: "-")) {
                end += 1
            }
            let host = bytes[(index + 1)..<end]
            guard let first = host.first, Self.isLetter(first), let dot = host.lastIndex(of: UInt8(ascii: ".")) else { continue }
            let tld = host[(dot + 1)...]
            if tld.count >= 2 && tld.allSatisfy(Self.isLetter) { return true }
        }
        return false
    }

    private static func isLetter(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "a") < 26 }
}
