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
    /// Position in the input (file order, then line order): breaks timestamp ties.
    public var sequence: Int = 0

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
