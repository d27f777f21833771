/// Known referrer hosts: search engines (medium `organic`), social networks (`social`) and
/// webmail (`email`). Any other host is a `referral` named after the host without `www.`.
public enum ReferrerHosts {
    /// Search engines by the registrable name that identifies them in any country domain
    /// (`google.de`, `google.co.uk`), with the source name to report.
    static let searchEngines: [(label: String, source: String)] = [
        ("google", "google"), ("bing", "bing"), ("duckduckgo", "duckduckgo"), ("yahoo", "yahoo"), ("yandex", "yandex"),
        ("baidu", "baidu"), ("ecosia", "ecosia"), ("naver", "naver"), ("seznam", "seznam"),
        ("qwant", "qwant"), ("startpage", "startpage"), ("aol", "aol"), ("sogou", "sogou"),
        ("daum", "daum"), ("kagi", "kagi"), ("perplexity", "perplexity"),
    ]

    /// Search engines known by one host (and its subdomains) only: Yandex's own short domain,
    /// a referral until 2026-12-05 (`ya` in other domains is not Yandex's); Ask and Brave,
    /// whose names other sites share or whose company site is no search (`ask.fm`, a social
    /// site, and `brave.com` were `organic` by their label until 2026-12-06; a review).
    static let searchHosts: [(host: String, source: String)] = [("ya.ru", "yandex"), ("ask.com", "ask"), ("search.brave.com", "brave")]

    /// Hosts (and their subdomains) of a search engine's company that are no search: sign-in
    /// redirects, user-made sites, the app store, documents. Referrals named after the host
    /// (until 2026-12-06 `google` / `organic` by their label; a review).
    static let notSearch: [String] = [
        "accounts.google.com", "sites.google.com", "play.google.com", "docs.google.com", "drive.google.com",
        "calendar.google.com", "photos.google.com", "groups.google.com", "classroom.google.com", "support.google.com",
        "login.yahoo.com", "login.live.com", "login.microsoftonline.com",
    ]

    /// Hosts (and their subdomains) of payment providers a checkout leaves the site for and
    /// returns from, and of sign-in pages a login does: a return from one is a step of the
    /// site's own flow, neither the session's referrer nor its source (`SessionFacts`).
    static let flowSteps: [String] = [
        "paypal.com", "paypal.me", "stripe.com", "stripe.network", "klarna.com", "mollie.com", "adyen.com",
        "checkout.com", "braintreegateway.com", "authorize.net", "squareup.com", "gocardless.com", "paddle.com",
        "pay.google.com", "payments.google.com", "pay.amazon.com", "payments.amazon.com", "2checkout.com",
        "worldpay.com", "sumup.com", "razorpay.com", "payu.com", "mercadopago.com",
        "accounts.google.com", "login.microsoftonline.com", "login.live.com", "login.yahoo.com", "appleid.apple.com",
    ]

    /// Providers of `flowSteps` that serve from country domains (`paypal.de`, `klarna.se`,
    /// `mercadopago.com.br`), by the name before the public suffix, as search engines are read.
    static let flowStepLabels: Set<Substring> = ["paypal", "klarna", "mercadopago"]

    /// `flowSteps` with a leading dot, made once: a subdomain's suffix.
    private static let flowStepSuffixes = flowSteps.map { "." + $0 }

    /// `flowSteps` and `flowStepLabels` as bytes, made once (`isFlowStep`'s ASCII path).
    private static let flowStepBytes = flowSteps.map { Array($0.utf8) }
    private static let flowStepLabelBytes = flowStepLabels.map { Array($0.utf8) }

    /// Whether `host` (lower case, no port) is a payment provider's or a sign-in page's
    /// (`flowSteps`, `flowStepLabels`), or one of their subdomains (`www.` included). Until
    /// 2026-12-06 a donor back from PayPal made the session's source `paypal.com` (a review).
    ///
    /// An ASCII host (nearly every one: a record's hosts are lower-cased, and an IDN comes as
    /// punycode) is compared as bytes: `hasSuffix` compares by Characters, and with the split
    /// into labels a call took about 14,750 instructions (callgrind of the bench's S, 3,072
    /// sessions' referrers: 45.3 M, 1.2% of the run). Anything else is compared as strings, as
    /// before: the two agree on ASCII (`ASCIIHostTests`).
    public static func isFlowStep(_ host: String) -> Bool {
        if let answer = ASCIIHost.with(host, { host in
            flowStepBytes.contains { ASCIIHost.matches(host, $0) }
                || ASCIIHost.providerName(of: host).map { name in flowStepLabelBytes.contains { ASCIIHost.same(name, $0) } } ?? false
        }) { return answer }
        return isFlowStepComparingStrings(host)
    }

    /// `isFlowStep` for a host that is not ASCII (and for the tests that hold the byte path to it).
    static func isFlowStepComparingStrings(_ host: String) -> Bool {
        if flowSteps.contains(host) || flowStepSuffixes.contains(where: { host.hasSuffix($0) }) { return true }
        return providerName(of: host).map(flowStepLabels.contains) ?? false
    }

    /// A host's labels and the index of its provider's name, the label before its public
    /// suffix (`google` of `www.google.co.uk`, `search.yahoo.co.jp`, `duckduckgo.com`); nil
    /// when it has none.
    static func providerLabels(of host: String) -> (labels: [Substring], name: Int)? {
        let labels = host.split(separator: ".")
        guard labels.count >= 2 else { return nil }
        let suffixLength = labels.count >= 3 && ["co", "com", "ac", "or", "ne", "go"].contains(labels[labels.count - 2]) ? 2 : 1
        let nameIndex = labels.count - 1 - suffixLength
        return nameIndex >= 0 ? (labels, nameIndex) : nil
    }

    /// The label before a host's public suffix, or nil (`providerLabels(of:)`).
    static func providerName(of host: String) -> Substring? {
        providerLabels(of: host).map { $0.labels[$0.name] }
    }

    /// Exact hosts (and their subdomains) of social networks.
    static let social: [(host: String, source: String)] = [
        ("facebook.com", "facebook"), ("fb.me", "facebook"), ("fb.com", "facebook"), ("messenger.com", "facebook"),
        ("instagram.com", "instagram"), ("t.co", "twitter"), ("twitter.com", "twitter"), ("x.com", "twitter"),
        ("reddit.com", "reddit"), ("redd.it", "reddit"), ("linkedin.com", "linkedin"), ("lnkd.in", "linkedin"),
        ("youtube.com", "youtube"), ("youtu.be", "youtube"), ("tiktok.com", "tiktok"), ("pinterest.com", "pinterest"),
        ("pin.it", "pinterest"), ("threads.net", "threads"), ("threads.com", "threads"), ("bsky.app", "bluesky"), ("tumblr.com", "tumblr"),
        ("vk.com", "vk"), ("snapchat.com", "snapchat"), ("quora.com", "quora"), ("discord.com", "discord"),
        ("whatsapp.com", "whatsapp"), ("telegram.org", "telegram"), ("t.me", "telegram"), ("letterboxd.com", "letterboxd"),
    ]

    /// Social networks that serve their users from country domains (`pinterest.co.uk`,
    /// `pinterest.de`), by the name before the public suffix, as the search engines are read
    /// (until 2026-12-05 only `pinterest.com` was known, and the rest were referrals).
    static let socialByLabel: [(label: String, source: String)] = [("pinterest", "pinterest")]

    /// Webmail hosts (and subdomains): mail clients in a browser.
    static let webmail: [(host: String, source: String)] = [
        ("mail.google.com", "gmail"), ("outlook.live.com", "outlook"), ("outlook.office.com", "outlook"),
        ("outlook.office365.com", "outlook"), ("mail.yahoo.com", "yahoo_mail"), ("mail.aol.com", "aol_mail"),
        ("mail.proton.me", "proton_mail"), ("mail.zoho.com", "zoho_mail"), ("mail.yandex.ru", "yandex_mail"),
        ("e.mail.ru", "mail_ru"), ("webmail", "webmail"), ("mail.gmx.net", "gmx"), ("web.de", "web_de"),
    ]

    /// Android apps by the package name Chrome on Android sends as the referrer of a link
    /// opened from an app (`android-app://com.facebook.katana/`): the host funnel keeps is the
    /// package. Matched whole; an app not listed is a `referral` named after its package.
    /// (Until 2026-12-05 none was known, so Facebook's app was a referral from
    /// `com.facebook.katana`.)
    static let androidApps: [String: Channel] = [
        "com.facebook.katana": Channel(source: "facebook", medium: "social"),
        "com.facebook.lite": Channel(source: "facebook", medium: "social"),
        "com.facebook.orca": Channel(source: "facebook", medium: "social"),
        "com.facebook.mlite": Channel(source: "facebook", medium: "social"),
        "com.instagram.android": Channel(source: "instagram", medium: "social"),
        "com.instagram.barcelona": Channel(source: "threads", medium: "social"),
        "com.twitter.android": Channel(source: "twitter", medium: "social"),
        "com.linkedin.android": Channel(source: "linkedin", medium: "social"),
        "com.reddit.frontpage": Channel(source: "reddit", medium: "social"),
        "com.google.android.youtube": Channel(source: "youtube", medium: "social"),
        "com.zhiliaoapp.musically": Channel(source: "tiktok", medium: "social"),
        "com.ss.android.ugc.trill": Channel(source: "tiktok", medium: "social"),
        "com.pinterest": Channel(source: "pinterest", medium: "social"),
        "com.snapchat.android": Channel(source: "snapchat", medium: "social"),
        "com.whatsapp": Channel(source: "whatsapp", medium: "social"),
        "org.telegram.messenger": Channel(source: "telegram", medium: "social"),
        "com.discord": Channel(source: "discord", medium: "social"),
        "com.google.android.gm": Channel(source: "gmail", medium: "email"),
        "com.microsoft.office.outlook": Channel(source: "outlook", medium: "email"),
        "com.yahoo.mobile.client.android.mail": Channel(source: "yahoo_mail", medium: "email"),
        "ch.protonmail.android": Channel(source: "proton_mail", medium: "email"),
        "com.google.android.googlequicksearchbox": Channel(source: "google", medium: "organic"),
    ]

    /// The channel of a referrer host (lower case, no port).
    public static func channel(forHost host: String) -> Channel {
        if let app = androidApps[host] { return app }
        let bare = host.hasPrefix("www.") ? String(host.dropFirst(4)) : host
        for (mailHost, source) in webmail where matches(bare, mailHost) || (mailHost == "webmail" && bare.hasPrefix("webmail.")) {
            return Channel(source: source, medium: "email")
        }
        for (socialHost, source) in social where matches(bare, socialHost) {
            return Channel(source: source, medium: "social")
        }
        for (searchHost, source) in searchHosts where matches(bare, searchHost) {
            return Channel(source: source, medium: "organic")
        }
        if notSearch.contains(where: { matches(bare, $0) }) { return Channel(source: bare, medium: "referral") }
        // The provider's name is the label before the public suffix.
        guard let (labels, nameIndex) = providerLabels(of: bare) else { return Channel(source: bare, medium: "referral") }
        let name = labels[nameIndex]
        // A provider's mail in a browser not listed above (`mail.yandex.com`, `mail.naver.com`,
        // `email.seznam.cz`, `mail.qq.com`): a first label `mail` or `email` under the
        // provider's name. Checked before the search engines, whose companies run many of
        // them (until 2026-12-05 `mail.yandex.com` was `yandex` / `organic`).
        if nameIndex > 0, ["mail", "email"].contains(labels[0]) {
            return Channel(source: "\(name)_mail", medium: "email")
        }
        if let network = socialByLabel.first(where: { $0.label == name }) {
            return Channel(source: network.source, medium: "social")
        }
        if let engine = searchEngines.first(where: { $0.label == name }) {
            return Channel(source: engine.source, medium: "organic")
        }
        return Channel(source: bare, medium: "referral")
    }

    /// `host` is `domain` or one of its subdomains. As bytes when both are ASCII (every
    /// listed domain and nearly every host; `ASCIIHost`): the string form joined a dot and the
    /// domain and compared by Characters for each of the forty-odd domains a referrer is
    /// checked against.
    static func matches(_ host: String, _ domain: String) -> Bool {
        if let answer = ASCIIHost.with(host, { host in ASCIIHost.with(domain) { ASCIIHost.matches(host, $0) } }), let answer {
            return answer
        }
        return matchesComparingStrings(host, domain)
    }

    /// `matches` for texts that are not ASCII (and for the tests that hold the byte path to it).
    static func matchesComparingStrings(_ host: String, _ domain: String) -> Bool {
        host == domain || host.hasSuffix("." + domain)
    }
}
