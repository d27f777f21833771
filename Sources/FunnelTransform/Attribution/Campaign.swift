/// The campaign a URL carries (SPEC 4): its UTM fields and click id. A record with a campaign
/// different from its session's starts a new session (outside client-id sessions).
public struct Campaign: Sendable, Hashable {
    public static let clickIDNames = ["gclid", "gbraid", "wbraid", "msclkid", "fbclid", "ttclid", "twclid", "li_fat_id"]

    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    public var utmContent: String?
    public var utmTerm: String?
    /// The first click-id parameter present, as (name, value).
    public var clickIDName: String?
    public var clickID: String?

    /// Nil when the query carries no campaign parameter.
    public init?(_ parameters: QueryParameters) {
        utmSource = parameters["utm_source"]
        utmMedium = parameters["utm_medium"]
        utmCampaign = parameters["utm_campaign"]
        utmContent = parameters["utm_content"]
        utmTerm = parameters["utm_term"]
        for name in Self.clickIDNames {
            if let value = parameters[name] {
                clickIDName = name
                clickID = value
                break
            }
        }
        if !hasUTM && clickID == nil { return nil }
    }

    public var hasUTM: Bool {
        utmSource != nil || utmMedium != nil || utmCampaign != nil || utmContent != nil || utmTerm != nil
    }
}
