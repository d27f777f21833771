/// Which fields a session record carries (SPEC 5) and how its events are stored (SPEC 7).
public enum Schema: String, Sendable, CaseIterable {
    case mvp
    case enhanced

    /// `mvp` keeps events in a list, `enhanced` in a sorted set scored by timestamp.
    public var eventsAsSortedSet: Bool { self == .enhanced }
}

/// The exact field list of one pipeline's output: the schema's fields, with the enhanced
/// schema's per-slot fields (`trailer_watched`, `trailer_completion`, ...) in slot order. CSV
/// headers and docs take their columns from here, so every sink agrees on one order.
public struct FieldLayout: Sendable, Hashable {
    public let schema: Schema
    /// Content slot names, e.g. `["trailer", "intro"]` (enhanced only).
    public let slots: [String]

    public init(schema: Schema, slots: [String] = ContentSlot.defaults.map(\.name)) {
        self.schema = schema
        self.slots = slots
    }

    /// Field names in output order (without `session_id` and `events`).
    public var fieldNames: [String] {
        switch schema {
        case .mvp:
            return FieldName.mvp
        case .enhanced:
            return FieldName.enhancedHead + slots.flatMap { [$0 + "_watched", $0 + "_completion"] } + FieldName.enhancedTail
        }
    }
}

/// A group of video contents measured together: `trailer` matches contents named `trailer*`.
public struct ContentSlot: Sendable, Hashable {
    public var name: String
    /// Glob on the event's `content`; `*` matches any run of characters.
    public var pattern: String

    public init(name: String, pattern: String) {
        self.name = name
        self.pattern = pattern
    }

    public static let defaults = [ContentSlot(name: "trailer", pattern: "trailer*"), ContentSlot(name: "intro", pattern: "intro*")]
}

/// Output field names, spelled once.
public enum FieldName {
    public static let sessionID = "session_id"
    public static let events = "events"
    public static let utmSource = "utm_source"
    public static let utmMedium = "utm_medium"
    public static let utmCampaign = "utm_campaign"
    public static let utmContent = "utm_content"
    public static let utmTerm = "utm_term"
    public static let firstTouchSource = "first_touch_source"
    public static let firstTouchTimestamp = "first_touch_timestamp"
    public static let lastTouchSource = "last_touch_source"
    public static let lastTouchTimestamp = "last_touch_timestamp"
    public static let source = "source"
    public static let medium = "medium"
    public static let referrer = "referrer"
    public static let landingPage = "landing_page"
    public static let contentViewed = "content_viewed"
    public static let totalWatchTime = "total_watch_time"
    public static let donationInitiated = "donation_initiated"
    public static let donationCompleted = "donation_completed"
    public static let donationAmount = "donation_amount"
    public static let checkoutType = "checkout_type"
    public static let timeToConversion = "time_to_conversion"
    public static let fbclid = "fbclid"
    public static let gclid = "gclid"
    public static let posthogDistinctID = "posthog_distinct_id"
    public static let userID = "user_id"
    public static let deviceType = "device_type"
    public static let browser = "browser"
    public static let country = "country"
    public static let city = "city"
    public static let sessionCount = "session_count"
    public static let consentAnalytics = "consent_analytics"
    public static let consentMarketing = "consent_marketing"
    public static let sessionEnd = "session_end"
    public static let eventCount = "event_count"
    public static let pageViews = "page_views"
    public static let createdAt = "created_at"

    public static let mvp = [
        utmSource, utmMedium, utmCampaign, utmContent, firstTouchTimestamp, landingPage,
        contentViewed, donationInitiated, donationCompleted, donationAmount, fbclid, country, createdAt,
    ]

    /// Enhanced fields before the per-slot ones.
    public static let enhancedHead = [
        utmSource, utmMedium, utmCampaign, utmContent, utmTerm, firstTouchSource, firstTouchTimestamp,
        lastTouchSource, lastTouchTimestamp, source, medium, referrer, landingPage, contentViewed,
    ]

    /// Enhanced fields after the per-slot ones.
    public static let enhancedTail = [
        totalWatchTime, donationInitiated, donationCompleted, donationAmount, checkoutType, timeToConversion,
        fbclid, gclid, posthogDistinctID, userID, deviceType, browser, country, city, sessionCount,
        consentAnalytics, consentMarketing, sessionEnd, eventCount, pageViews, createdAt,
    ]
}
