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

    /// The utm names, then the click ids in `clickIDNames` order.
    private static let names = QueryParameters.Names(["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"] + clickIDNames)

    /// Nil when the query carries no campaign parameter.
    public init?(_ parameters: QueryParameters) {
        let values = parameters.firstValues(of: Self.names)
        utmSource = values[0]
        utmMedium = values[1]
        utmCampaign = values[2]
        utmContent = values[3]
        utmTerm = values[4]
        if let index = values[5...].firstIndex(where: { $0 != nil }) {
            clickIDName = Self.clickIDNames[index - 5]
            clickID = values[index]
        }
        if !hasUTM && clickID == nil { return nil }
    }

    public var hasUTM: Bool {
        utmSource != nil || utmMedium != nil || utmCampaign != nil || utmContent != nil || utmTerm != nil
    }
}
