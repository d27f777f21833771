import FunnelCore

/// What one pass over a session's records establishes, shared by both schemas' field rules.
struct SessionFacts {
    let session: Sessionizer.Session
    /// The first record whose URL has any utm parameter supplies all utm fields.
    var utm: Campaign?
    /// Name of the first click-id parameter in the session's URLs.
    var clickIDName: String?
    var fbclid: String?
    var gclid: String?
    /// Host of the first referrer that is not the site itself.
    var referrerHost: String?
    var landingPage: String?
    var contentViewed: String?
    var initiated = false
    var completed = false
    var amount: Amount?
    var firstPurchase: Int64?
    var checkoutType: String?
    /// Device and browser of the session's first record with a user agent.
    var deviceType: String?
    var browser: String?
    /// MaxMind geography of the session's first record that had one.
    var geoCountry: String?
    var geoCity: String?
    private var sawGeo = false
    var country: String?
    var city: String?
    var userID: String?
    var distinctID: String?
    var pageViews = 0
    /// The session's channel (SPEC 5), from its campaign, click id and referrer. Stored: read
    /// through a computed property, each session's facts were copied whole (some thirty
    /// strings retained and released) to compute it.
    let channel: Channel

    var start: Int64 { session.start }
    var end: Int64 { session.last }

    /// Looked up when a session's first click id is not fbclid: prepared once.
    private static let fbclidName = QueryParameters.Names(["fbclid"])

    init(session: Sessionizer.Session, siteHosts: [String]) {
        self.session = session
        var viewContent: String?
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
            if referrerHost == nil, let host = record.referrerHost, !siteHosts.contains(where: { ReferrerHosts.matches(host, $0) }) {
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
            case "Purchase":
                completed = true
                if firstPurchase == nil { firstPurchase = record.timestamp }
                if let value = record.properties.value { amount = (amount ?? .zero).adding(value) ?? amount }
            default:
                break
            }
            if record.event == "InitiateCheckout" || record.event == "Purchase", let type = record.properties.checkoutType {
                checkoutType = type  // the last one carrying it wins
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
            if city == nil { city = record.city }
            if userID == nil { userID = record.userID }
            if distinctID == nil { distinctID = record.distinctID }
        }
        contentViewed = viewContent ?? videoStart
        channel = Channel.classify(utmSource: utm?.utmSource, utmMedium: utm?.utmMedium, clickID: clickIDName, referrerHost: referrerHost)
    }
}
