/// One thing a visitor did, as read from any input: a client event or an access-log page view.
///
/// Readers fill it; the transformer never looks at input bytes again. Only fields some output
/// or rule needs are kept, so memory follows what the pipeline uses, not the input's width.
public struct Record: Sendable {
    public enum Origin: UInt8, Sendable {
        /// A line of a web server's access log (always a `PageView` once it passed the filters).
        case accessLog
        /// A client event from an NDJSON dump.
        case client
    }

    public var origin: Origin
    /// Event name: `PageView`, `Purchase`, ... or any custom name.
    public var event: String
    /// Event time in epoch milliseconds.
    public var timestamp: Int64
    /// Where the record was read (see `RecordPosition`): breaks timestamp ties and identifies
    /// the record across runs, so reading the same line twice stores it once.
    public var position: String = ""

    public var sessionID: String?
    /// The visitor id from the client (`anonymous_id`) or the visitor cookie.
    public var visitorID: String?
    public var userID: String?
    /// PostHog's `distinct_id`, kept for the enhanced schema's `posthog_distinct_id`.
    public var distinctID: String?
    public var eventID: String?

    /// Host of the page URL when the input gave an absolute URL.
    public var host: String?
    /// Path of the page without query string, e.g. `/donate`.
    public var path: String?
    /// Raw query string without the leading `?`, percent-encoded as received.
    public var query: String?
    public var referrer: String?
    public var userAgent: String?
    public var ip: String?
    public var country: String?
    public var city: String?

    public var properties = EventProperties()

    // Set by the transformer when it normalizes a record; raw IP, agent, referrer URL and
    // query are then dropped, so what is stored as history holds nothing personal (SPEC 11).

    /// The visitor this record names by itself: its visitor id, else its fingerprint.
    public var visitorKey: String?
    /// Host of the referrer URL.
    public var referrerHost: String?
    /// Device and browser of the user agent.
    public var deviceType: String?
    public var browser: String?
    /// Country and city from the MaxMind DB, used when no record of the session names them.
    public var geoCountry: String?
    public var geoCity: String?

    /// Access-log lines only: request method and status, for the page-view rule.
    public var method: String?
    public var status: Int?

    public init(origin: Origin, event: String, timestamp: Int64) {
        self.origin = origin
        self.event = event
        self.timestamp = timestamp
    }
}

/// The event properties funnel uses (SPEC 1.2); others are not kept.
public struct EventProperties: Sendable, Hashable {
    public var value: Amount?
    public var currency: String?
    public var content: String?
    /// 0 to 100.
    public var percent: Int64?
    /// Seconds.
    public var watchTime: Amount?
    public var element: String?
    public var step: String?
    public var checkoutType: String?
    public var paymentMethod: String?
    /// Consent events: `granted` or `denied`.
    public var analytics: String?
    public var marketing: String?

    public init() {}
}
