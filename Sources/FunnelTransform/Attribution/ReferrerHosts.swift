/// Known referrer hosts: search engines (medium `organic`), social networks (`social`) and
/// webmail (`email`). Any other host is a `referral` named after the host without `www.`.
public enum ReferrerHosts {
    /// Search engines by the registrable name that identifies them in any country domain
    /// (`google.de`, `google.co.uk`), with the source name to report.
    static let searchEngines: [(label: String, source: String)] = [
        ("google", "google"), ("bing", "bing"), ("duckduckgo", "duckduckgo"), ("yahoo", "yahoo"), ("yandex", "yandex"),
        ("baidu", "baidu"), ("ecosia", "ecosia"), ("ask", "ask"), ("naver", "naver"), ("seznam", "seznam"),
        ("qwant", "qwant"), ("startpage", "startpage"), ("aol", "aol"), ("sogou", "sogou"),
        ("daum", "daum"), ("brave", "brave"), ("kagi", "kagi"), ("perplexity", "perplexity"),
    ]

    /// Exact hosts (and their subdomains) of social networks.
    static let social: [(host: String, source: String)] = [
        ("facebook.com", "facebook"), ("fb.me", "facebook"), ("fb.com", "facebook"), ("messenger.com", "facebook"),
        ("instagram.com", "instagram"), ("t.co", "twitter"), ("twitter.com", "twitter"), ("x.com", "twitter"),
        ("reddit.com", "reddit"), ("redd.it", "reddit"), ("linkedin.com", "linkedin"), ("lnkd.in", "linkedin"),
        ("youtube.com", "youtube"), ("youtu.be", "youtube"), ("tiktok.com", "tiktok"), ("pinterest.com", "pinterest"),
        ("pin.it", "pinterest"), ("threads.net", "threads"), ("bsky.app", "bluesky"), ("tumblr.com", "tumblr"),
        ("vk.com", "vk"), ("snapchat.com", "snapchat"), ("quora.com", "quora"), ("discord.com", "discord"),
        ("whatsapp.com", "whatsapp"), ("telegram.org", "telegram"), ("t.me", "telegram"), ("letterboxd.com", "letterboxd"),
    ]

    /// Webmail hosts (and subdomains): mail clients in a browser.
    static let webmail: [(host: String, source: String)] = [
        ("mail.google.com", "gmail"), ("outlook.live.com", "outlook"), ("outlook.office.com", "outlook"),
        ("outlook.office365.com", "outlook"), ("mail.yahoo.com", "yahoo_mail"), ("mail.aol.com", "aol_mail"),
        ("mail.proton.me", "proton_mail"), ("mail.zoho.com", "zoho_mail"), ("mail.yandex.ru", "yandex_mail"),
        ("e.mail.ru", "mail_ru"), ("webmail", "webmail"), ("mail.gmx.net", "gmx"), ("web.de", "web_de"),
    ]

    /// The channel of a referrer host (lower case, no port).
    public static func channel(forHost host: String) -> Channel {
        let bare = host.hasPrefix("www.") ? String(host.dropFirst(4)) : host
        for (mailHost, source) in webmail where matches(bare, mailHost) || (mailHost == "webmail" && bare.hasPrefix("webmail.")) {
            return Channel(source: source, medium: "email")
        }
        for (socialHost, source) in social where matches(bare, socialHost) {
            return Channel(source: source, medium: "social")
        }
        let labels = bare.split(separator: ".")
        // The search engine's name is the label before the public suffix: google.com,
        // google.co.uk, search.yahoo.co.jp, duckduckgo.com, search.brave.com.
        if labels.count >= 2 {
            let suffixLength = labels.count >= 3 && ["co", "com", "ac", "or", "ne", "go"].contains(labels[labels.count - 2]) ? 2 : 1
            let nameIndex = labels.count - 1 - suffixLength
            if nameIndex >= 0 {
                let name = labels[nameIndex]
                if let engine = searchEngines.first(where: { $0.label == name }) {
                    return Channel(source: engine.source, medium: "organic")
                }
            }
        }
        return Channel(source: bare, medium: "referral")
    }

    /// `host` is `domain` or one of its subdomains.
    static func matches(_ host: String, _ domain: String) -> Bool {
        host == domain || host.hasSuffix("." + domain)
    }
}
