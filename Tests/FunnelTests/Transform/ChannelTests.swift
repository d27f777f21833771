import FunnelCore
@testable import FunnelTransform
import Testing

/// A session's source and medium (SPEC 5, "Source and medium of a session"): the UTM fields
/// when there is a `utm_source` (medium `(not set)` without `utm_medium`), else the click id,
/// else the host of the session's first referrer that is not the site itself (search engine:
/// `organic`; social network: `social`; webmail: `email`; any other host: itself without
/// `www.`, `referral`), else `direct` / `(none)`.
///
/// The channel is written as `source` and `medium` and decides `first_touch_source` and
/// `last_touch_source`, so one wrong row moves a visitor's attribution. The rule is tested
/// through `Channel.classify`, which takes the UTM fields, the click-id name and the referrer
/// host; the site's own hosts are dropped before it, by `SessionFacts`, so the rows about
/// them (and about a campaign read from a session's URLs) go through `SessionFacts`. Expected
/// values are the SPEC's, and the code's host tables where the SPEC says "...".
@Suite struct ChannelTests {
    // MARK: - UTM fields and click ids

    @Test(arguments: [
        // UTM source and medium, as given (the session's decoded values).
        ("newsletter", "email", nil, nil, "newsletter", "email"),
        ("Mail Chimp", "E-Mail", nil, nil, "Mail Chimp", "E-Mail"),
        // A source without a medium.
        ("newsletter", nil, nil, nil, "newsletter", "(not set)"),
        // UTM wins over the referrer and over a click id, even without a medium.
        ("partner", "cpc", nil, "www.google.com", "partner", "cpc"),
        ("spring_sale", "banner", "gclid", nil, "spring_sale", "banner"),
        ("fb", nil, "fbclid", "l.facebook.com", "fb", "(not set)"),
        // Click ids without UTM.
        (nil, nil, "gclid", nil, "google", "cpc"),
        (nil, nil, "gbraid", nil, "google", "cpc"),
        (nil, nil, "wbraid", nil, "google", "cpc"),
        (nil, nil, "msclkid", nil, "bing", "cpc"),
        (nil, nil, "fbclid", nil, "facebook", "social"),
        (nil, nil, "ttclid", nil, "tiktok", "social"),
        (nil, nil, "twclid", nil, "twitter", "social"),
        (nil, nil, "li_fat_id", nil, "linkedin", "social"),
        // A click id wins over the referrer.
        (nil, nil, "gclid", "duckduckgo.com", "google", "cpc"),
        (nil, nil, "fbclid", "t.co", "facebook", "social"),
        // Nothing at all.
        (nil, nil, nil, nil, "direct", "(none)"),
    ] as [(String?, String?, String?, String?, String, String)])
    func utmFieldsThenClickIDs(utmSource: String?, utmMedium: String?, clickID: String?, referrerHost: String?,
                               source: String, medium: String) {
        let channel = Channel.classify(utmSource: utmSource, utmMedium: utmMedium, clickID: clickID, referrerHost: referrerHost)
        #expect(channel == Channel(source: source, medium: medium))
    }

    /// Every click id a campaign recognizes has a channel, in the same order: a name added to
    /// one list and not the other would make its sessions fall through to the referrer.
    @Test func everyCampaignClickIDHasAChannel() {
        #expect(Channel.clickIDChannels.map { $0.0 } == Campaign.clickIDNames)
        #expect(Channel.clickIDChannels.allSatisfy { $0.1 != .direct })
    }

    // MARK: - Referrer hosts

    @Test(arguments: [
        // Search engines: the engine's name, `organic`, in any country domain.
        ("google.com", "google", "organic"),
        ("www.google.com", "google", "organic"),
        ("www.google.co.uk", "google", "organic"),
        ("bing.com", "bing", "organic"),
        ("duckduckgo.com", "duckduckgo", "organic"),
        ("search.yahoo.com", "yahoo", "organic"),
        ("yandex.ru", "yandex", "organic"),
        ("ya.ru", "yandex", "organic"),
        ("ya.com", "ya.com", "referral"),
        ("www.baidu.com", "baidu", "organic"),
        ("www.ecosia.org", "ecosia", "organic"),
        // Ask and Brave by their search hosts; a search company's other services are
        // referrals (all `organic` by their label until 2026-12-06; a review).
        ("www.ask.com", "ask", "organic"), ("uk.ask.com", "ask", "organic"), ("ask.fm", "ask.fm", "referral"),
        ("search.brave.com", "brave", "organic"), ("brave.com", "brave.com", "referral"),
        ("accounts.google.com", "accounts.google.com", "referral"), ("sites.google.com", "sites.google.com", "referral"),
        ("play.google.com", "play.google.com", "referral"), ("docs.google.com", "docs.google.com", "referral"),
        ("news.google.com", "google", "organic"), ("www.google.de", "google", "organic"),
        ("www.threads.com", "threads", "social"), ("threads.net", "threads", "social"),
        // Social networks.
        ("facebook.com", "facebook", "social"),
        ("www.facebook.com", "facebook", "social"),
        ("m.facebook.com", "facebook", "social"),
        ("l.facebook.com", "facebook", "social"),
        ("lm.facebook.com", "facebook", "social"),
        ("fb.me", "facebook", "social"),
        ("www.instagram.com", "instagram", "social"),
        ("t.co", "twitter", "social"),
        ("x.com", "twitter", "social"),
        ("www.reddit.com", "reddit", "social"),
        ("www.linkedin.com", "linkedin", "social"),
        ("www.youtube.com", "youtube", "social"),
        ("www.tiktok.com", "tiktok", "social"),
        ("pinterest.com", "pinterest", "social"),
        // Pinterest's country domains (they were referrals until 2026-12-05).
        ("www.pinterest.co.uk", "pinterest", "social"),
        ("www.pinterest.de", "pinterest", "social"),
        ("pinterest.fr", "pinterest", "social"),
        ("www.pinterest.com.au", "pinterest", "social"),
        ("uk.pinterest.com", "pinterest", "social"),
        ("pinterest.example.org", "pinterest.example.org", "referral"),
        // Webmail, before the search engine of the same company.
        ("mail.google.com", "gmail", "email"),
        ("outlook.live.com", "outlook", "email"),
        ("mail.yahoo.com", "yahoo_mail", "email"),
        ("webmail.example.net", "webmail", "email"),
        // Webmail not listed: a first label `mail` or `email` under the provider's name, even
        // where the provider is a search engine.
        ("mail.yandex.com", "yandex_mail", "email"),
        ("mail.naver.com", "naver_mail", "email"),
        ("email.seznam.cz", "seznam_mail", "email"),
        ("mail.daum.net", "daum_mail", "email"),
        ("mail.yahoo.co.jp", "yahoo_mail", "email"),
        ("mail.qq.com", "qq_mail", "email"),
        ("mail.ru", "mail.ru", "referral"),
        ("gmail.com", "gmail.com", "referral"),
        ("mailchimp.com", "mailchimp.com", "referral"),
        // Android apps, by the package Chrome sends as `android-app://PACKAGE/`.
        ("com.facebook.katana", "facebook", "social"),
        ("com.facebook.orca", "facebook", "social"),
        ("com.instagram.android", "instagram", "social"),
        ("com.linkedin.android", "linkedin", "social"),
        ("com.google.android.gm", "gmail", "email"),
        ("com.google.android.googlequicksearchbox", "google", "organic"),
        ("com.google.android.youtube", "youtube", "social"),
        ("com.example.unknownapp", "com.example.unknownapp", "referral"),
        // Any other host: itself without `www.`, `referral`.
        ("www.example.org", "example.org", "referral"),
        ("news.ycombinator.com", "news.ycombinator.com", "referral"),
        ("blog.example.co.uk", "blog.example.co.uk", "referral"),
        ("notfacebook.com", "notfacebook.com", "referral"),
        ("www2.example.com", "www2.example.com", "referral"),
    ] as [(String, String, String)])
    func referrerHosts(host: String, source: String, medium: String) {
        let channel = Channel.classify(utmSource: nil, utmMedium: nil, clickID: nil, referrerHost: host)
        #expect(channel == Channel(source: source, medium: medium))
    }

    // MARK: - Through a session: the site's own hosts, campaigns from URLs

    /// The channel `SessionFacts` derives for one session of `PageView`s, one per visit
    /// (query of its URL, host of its referrer), a second apart.
    private func channel(siteHosts: [String], pageHost: String? = nil, _ visits: [(query: String?, referrer: String?)]) -> Channel {
        let t0: Int64 = 1_704_067_200_000
        var records: [Record] = []
        for (index, visit) in visits.enumerated() {
            var record = Record(origin: .client, event: "PageView", timestamp: t0 + Int64(index) * 1000)
            record.visitorID = "v1"
            record.query = visit.query
            record.referrerHost = visit.referrer
            record.host = pageHost
            records.append(record)
        }
        let session = Sessionizer.Session(id: "s1", isClientSession: true, start: t0, last: records.last?.timestamp ?? t0,
                                          campaign: nil, records: records)
        return SessionFacts(session: session, siteHosts: siteHosts).channel
    }

    /// The site's own hosts and their subdomains are not referrers (`TransformConfiguration.siteHosts`);
    /// the session's first referrer that is not the site gives the channel.
    @Test(arguments: [
        (["film.example"], ["film.example"], "direct", "(none)"),
        (["film.example"], ["www.film.example"], "direct", "(none)"),
        (["film.example"], ["shop.film.example"], "direct", "(none)"),
        (["film.example", "donate.example"], ["donate.example"], "direct", "(none)"),
        (["film.example"], [nil], "direct", "(none)"),
        // Only the host and its subdomains are the site.
        (["film.example"], ["notfilm.example"], "notfilm.example", "referral"),
        (["film.example"], ["film.example.attacker.net"], "film.example.attacker.net", "referral"),
        // Without the site's hosts configured, and the page's own host unknown, the site is a
        // referral like any other host.
        ([], ["film.example"], "film.example", "referral"),
        // Internal referrers are skipped; the first external one counts.
        (["film.example"], ["film.example", "www.google.com"], "google", "organic"),
        (["film.example"], [nil, "www.film.example", "l.facebook.com", "bing.com"], "facebook", "social"),
        (["film.example"], ["www.example.org", "t.co"], "example.org", "referral"),
        (["film.example"], ["film.example", "mail.google.com"], "gmail", "email"),
        // A donor back from a payment provider's page: a step of the checkout, no source
        // (paypal.com / referral got the donation until 2026-12-06; a review).
        (["film.example"], [nil, "www.paypal.com"], "direct", "(none)"),
        (["film.example"], [nil, "checkout.stripe.com", "www.sandbox.paypal.com"], "direct", "(none)"),
        (["film.example"], ["t.co", "www.paypal.com"], "twitter", "social"),
        (["film.example"], ["paypal.com.attacker.net"], "paypal.com.attacker.net", "referral"),
        // Their country domains, and sign-in pages (a login's return: the review of the mend).
        (["film.example"], [nil, "www.paypal.de", "klarna.se", "www.mercadopago.com.br"], "direct", "(none)"),
        (["film.example"], [nil, "accounts.google.com", "login.microsoftonline.com"], "direct", "(none)"),
        (["film.example"], ["notpaypal.example"], "notpaypal.example", "referral"),
    ] as [([String], [String?], String, String)])
    func siteHostsAreNotReferrers(siteHosts: [String], referrers: [String?], source: String, medium: String) {
        let visits = referrers.map { (query: String?.none, referrer: $0) }
        #expect(channel(siteHosts: siteHosts, visits) == Channel(source: source, medium: medium))
    }

    /// A referrer on the page's own host (or its `www.` twin, any case) is inside the site even
    /// when `site.hosts` does not list it; another host, a subdomain included, is not.
    @Test(arguments: [
        ("film.example", "film.example", "direct", "(none)"),
        ("www.film.example", "film.example", "direct", "(none)"),
        ("film.example", "www.film.example", "direct", "(none)"),
        ("Film.Example", "film.example", "direct", "(none)"),
        ("film.example", "shop.film.example", "shop.film.example", "referral"),
        ("film.example", "other.example", "other.example", "referral"),
        ("film.example", "www.google.com", "google", "organic"),
    ] as [(String, String, String, String)])
    func aReferrerOnThePagesOwnHostIsInternalWithoutSiteHosts(pageHost: String, referrer: String, source: String, medium: String) {
        #expect(channel(siteHosts: [], pageHost: pageHost, [(nil, referrer)]) == Channel(source: source, medium: medium))
    }

    /// UTM fields and click ids as a session's URLs carry them (percent-decoded, `+` as space),
    /// against referrers internal and external.
    @Test(arguments: [
        ("gclid=Cj0KCQ", "film.example", "google", "cpc"),
        ("wbraid=1", "www.film.example", "google", "cpc"),
        ("li_fat_id=9", nil, "linkedin", "social"),
        ("utm_source=newsletter", "mail.google.com", "newsletter", "(not set)"),
        ("utm_source=newsletter&utm_medium=email&fbclid=IwAR", "l.facebook.com", "newsletter", "email"),
        ("utm_source=Mail%20Chimp&utm_medium=e+mail", nil, "Mail Chimp", "e mail"),
        // UTM parameters without utm_source or utm_medium: the referrer decides.
        ("utm_campaign=spring", "www.bing.com", "bing", "organic"),
        ("utm_campaign=spring", "film.example", "direct", "(none)"),
        (nil, "www.film.example", "direct", "(none)"),
    ] as [(String?, String?, String, String)])
    func campaignsFromTheSessionsURLs(query: String?, referrer: String?, source: String, medium: String) {
        #expect(channel(siteHosts: ["film.example"], [(query: query, referrer: referrer)]) == Channel(source: source, medium: medium))
    }
}
