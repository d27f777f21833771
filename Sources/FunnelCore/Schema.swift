/// Which fields a session record carries (SPEC 5) and how its events are stored (SPEC 7).
///
/// Only `mvp` exists so far; `enhanced` arrives with the enhanced-attribution work, and a
/// pipeline asking for it gets a clear error instead of a half-filled record.
public enum Schema: String, Sendable, CaseIterable {
    case mvp

    /// Field names in output order.
    public var fieldNames: [String] {
        switch self {
        case .mvp: FieldName.mvp
        }
    }

    /// `mvp` keeps events in a list; the enhanced schema will use a sorted set.
    public var eventsAsSortedSet: Bool { false }
}

/// Output field names, spelled once.
public enum FieldName {
    public static let sessionID = "session_id"
    public static let events = "events"
    public static let utmSource = "utm_source"
    public static let utmMedium = "utm_medium"
    public static let utmCampaign = "utm_campaign"
    public static let utmContent = "utm_content"
    public static let firstTouchTimestamp = "first_touch_timestamp"
    public static let landingPage = "landing_page"
    public static let contentViewed = "content_viewed"
    public static let donationInitiated = "donation_initiated"
    public static let donationCompleted = "donation_completed"
    public static let donationAmount = "donation_amount"
    public static let fbclid = "fbclid"
    public static let country = "country"
    public static let createdAt = "created_at"

    public static let mvp = [
        utmSource, utmMedium, utmCampaign, utmContent, firstTouchTimestamp, landingPage,
        contentViewed, donationInitiated, donationCompleted, donationAmount, fbclid, country, createdAt,
    ]
}
