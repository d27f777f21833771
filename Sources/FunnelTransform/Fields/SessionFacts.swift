import FunnelCore

/// What one pass over a session's records establishes, shared by both schemas' field rules.
///
/// A class: as a struct, its initializer built it aside and copied it out whole (some thirty
/// strings retained, then the copy's source released: 22 million instructions of the bench's
/// S run, for 20,562 sessions), even when it gathered into local values first; one
/// allocation costs less. Its fields are set by the initializer only.
final class SessionFacts {
    let session: Sessionizer.Session
    /// The session's records that are written as its events: all of them, or those the
    /// event cap keeps (`EventCap`); the fields come from `session.records`, all of them.
    let written: [Record]
    /// The first record whose URL has any utm parameter supplies all utm fields.
    private(set) var utm: Campaign?
    /// Name of the first click-id parameter in the session's URLs.
    private(set) var clickIDName: String?
    private(set) var fbclid: String?
    private(set) var gclid: String?
    /// Host of the first referrer that is not the site itself.
    private(set) var referrerHost: String?
    private(set) var landingPage: String?
    private(set) var contentViewed: String?
    private(set) var initiated = false
    private(set) var completed = false
    private(set) var amount: Amount?
    private(set) var firstPurchase: Int64?
    private(set) var checkoutType: String?
    /// Device and browser of the session's first record with a user agent.
    private(set) var deviceType: String?
    private(set) var browser: String?
    /// MaxMind geography of the session's first record that had one.
    private(set) var geoCountry: String?
    private(set) var geoCity: String?
    private var sawGeo = false
    private(set) var country: String?
    private(set) var city: String?
    private(set) var userID: String?
    private(set) var distinctID: String?
    private(set) var pageViews = 0
    /// The session's channel (SPEC 5), from its campaign, click id and referrer. Stored: read
    /// through a computed property, each session's facts were copied whole (some thirty
    /// strings retained and released) to compute it.
    let channel: Channel

    var start: Int64 { session.start }
    var end: Int64 { session.last }

    /// Looked up when a session's first click id is not fbclid: prepared once.
    private static let fbclidName = QueryParameters.Names(["fbclid"])

    init(session: Sessionizer.Session, written: [Record]? = nil, siteHosts: [String]) {
        self.session = session
        self.written = written ?? session.records
        var viewContent: String?
        var cityOfCountry: String?
        var cityWithoutCountry: String?
        var videoStart: String?
        for record in session.records {
            if let query = record.query, utm == nil || clickIDName == nil || fbclid == nil || gclid == nil {
                // A query without a campaign has no click id either; `Campaign` finds the first
                // click id in `clickIDNames` order, and gclid comes first in it.
                let parameters = QueryParameters(query)
                if let campaign = Campaign(parameters) {
                    if utm == nil, campaign.hasUTM { utm = campaign }
                    if clickIDName == nil { clickIDName = campaign.clickIDName }
                    if fbclid == nil, let name = campaign.clickIDName {
                        fbclid = name == "fbclid" ? campaign.clickID : parameters.firstValue(of: Self.fbclidName)
                    }
                    if gclid == nil, campaign.clickIDName == "gclid" { gclid = campaign.clickID }
                }
            }
            // A payment provider's or a sign-in page is a step of the site's own flow, not a
            // source: a donor back from PayPal credited the donation to paypal.com until
            // 2026-12-06 (a review).
            if referrerHost == nil, let host = record.referrerHost, !siteHosts.contains(where: { ReferrerHosts.matches(host, $0) }),
               !Self.isPagesOwnHost(host, page: record.host), !ReferrerHosts.isFlowStep(host) {
                referrerHost = host
            }
            switch record.event {
            case "PageView":
                pageViews += 1
                if landingPage == nil { landingPage = record.path }
            case "ViewContent":
                if viewContent == nil { viewContent = record.properties.content }
            case "VideoStart":
                if videoStart == nil { videoStart = record.properties.content }
            case "InitiateCheckout":
                initiated = true
                if let type = record.properties.checkoutType { checkoutType = type }  // the last one carrying it wins
            case "Purchase":
                completed = true
                if firstPurchase == nil { firstPurchase = record.timestamp }
                if let value = record.properties.value { amount = (amount ?? .zero).adding(value) ?? amount }
                if let type = record.properties.checkoutType { checkoutType = type }
            default:
                break
            }
            if deviceType == nil, let device = record.deviceType {
                deviceType = device
                browser = record.browser
            }
            if !sawGeo, record.geoCountry != nil || record.geoCity != nil {
                sawGeo = true
                geoCountry = record.geoCountry
                geoCity = record.geoCity
            }
            if country == nil { country = record.country }
            if let recordCity = record.city {
                if record.country == nil {
                    if cityWithoutCountry == nil { cityWithoutCountry = recordCity }
                } else if record.country == country, cityOfCountry == nil {
                    cityOfCountry = recordCity
                }
            }
            if userID == nil { userID = record.userID }
            if distinctID == nil { distinctID = record.distinctID }
        }
        contentViewed = viewContent ?? videoStart
        // A city stands beside its own country: a record's city when that record's country is
        // the session's, else one from a record that names no country. Until 2026-12-05 the
        // first city of any record was taken ("DE" beside a US record's "Seattle").
        // One from a record that names no country only when the session has no country at all
        // (a city beside a country from another record or the database may be another
        // country's: "US, Lyon", "DE, Seattle" until 2026-12-06; a review).
        city = cityOfCountry ?? (country == nil && geoCountry == nil ? cityWithoutCountry : nil)
        channel = Channel.classify(utmSource: utm?.utmSource, utmMedium: utm?.utmMedium, clickID: clickIDName, referrerHost: referrerHost)
    }

    /// A referrer on the host of the page it led to (or that host's `www.` twin) is a step
    /// inside the site even when `site.hosts` leaves the host out: without this, a pipeline
    /// that names no hosts counted every internal click as a `referral` from the site itself.
    static func isPagesOwnHost(_ referrer: String, page: String?) -> Bool {
        guard let page else { return false }
        func bare(_ host: Substring) -> Substring { host.hasPrefix("www.") ? host.dropFirst(4) : host }
        let pageHost = page.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? page.lowercased() : page
        return bare(Substring(referrer)) == bare(Substring(pageHost))
    }
}
