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
        // The click id is the first of `clickIDNames` present, whatever its place in the query.
        var click: (index: Int, value: String)?
        parameters.forEachFirstValue(of: Self.names) { index, value in
            switch index {
            case 0: utmSource = value
            case 1: utmMedium = value
            case 2: utmCampaign = value
            case 3: utmContent = value
            case 4: utmTerm = value
            default: if index < (click?.index ?? .max) { click = (index, value) }
            }
        }
        if let click {
            clickIDName = Self.clickIDNames[click.index - 5]
            clickID = click.value
        }
        if !hasUTM && clickID == nil { return nil }
    }

    public var hasUTM: Bool {
        utmSource != nil || utmMedium != nil || utmCampaign != nil || utmContent != nil || utmTerm != nil
    }
}
