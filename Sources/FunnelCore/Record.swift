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
    /// The fields behind a copy-on-write reference: a record is copied many times between
    /// reading and sessionizing, and a copy is then one reference count instead of one per
    /// string field.
    private final class Storage: @unchecked Sendable {
        var event: String
        var position: String = ""
        var sessionID: String?
        var visitorID: String?
        var host: String?
        var path: String?
        var query: String?
        var country: String?
        var visitorKey: String?
        var referrerHost: String?
        var deviceType: String?
        var browser: String?
        /// The fields most records lack, behind one more reference (nil while all are nil):
        /// freeing a record releases each field it holds, nil or not, and an access-log page
        /// view has none of these once normalized.
        var rare: Rare?

        init(event: String) { self.event = event }

        func copy() -> Storage {
            let copy = Storage(event: event)
            copy.position = position
            copy.sessionID = sessionID
            copy.visitorID = visitorID
            copy.host = host
            copy.path = path
            copy.query = query
            copy.country = country
            copy.visitorKey = visitorKey
            copy.referrerHost = referrerHost
            copy.deviceType = deviceType
            copy.browser = browser
            copy.rare = rare?.copy()
            return copy
        }

        /// `rare`, made when a field of it is first set.
        var rareForWriting: Rare {
            if let rare { return rare }
            let made = Rare()
            rare = made
            return made
        }
    }

    /// `Storage.rare`: ids only some events carry, the raw fields normalizing drops, places
    /// from the MaxMind database, the request's method and status, the event's properties.
    private final class Rare: @unchecked Sendable {
        var userID: String?
        var distinctID: String?
        var eventID: String?
        var referrer: String?
        var userAgent: String?
        var ip: String?
        var city: String?
        var geoCountry: String?
        var geoCity: String?
        var method: String?
        var status: Int?
        /// Nil until a property is set (every access-log record): freeing or copying a record
        /// then skips the eleven fields at once instead of releasing each.
        var properties: EventProperties?

        func copy() -> Rare {
            let copy = Rare()
            copy.userID = userID
            copy.distinctID = distinctID
            copy.eventID = eventID
            copy.referrer = referrer
            copy.userAgent = userAgent
            copy.ip = ip
            copy.city = city
            copy.geoCountry = geoCountry
            copy.geoCity = geoCity
            copy.method = method
            copy.status = status
            copy.properties = properties
            return copy
        }
    }

    private var storage: Storage

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// Sets a field of `Storage.rare`, making the rare part only for a value: a record without
    /// it holds nil in each of its fields already.
    private mutating func setRare<Value>(_ field: ReferenceWritableKeyPath<Rare, Value?>, _ newValue: Value?) {
        guard newValue != nil || storage.rare != nil else { return }
        unique().rareForWriting[keyPath: field] = newValue
    }

    /// Event name: `PageView`, `Purchase`, ... or any custom name.
    public var event: String {
        get { storage.event }
        set { unique().event = newValue }
    }
    /// Event time in epoch milliseconds.
    public var timestamp: Int64
    /// Where the record was read (see `RecordPosition`): breaks timestamp ties and identifies
    /// the record across runs, so reading the same line twice stores it once.
    public var position: String {
        get { storage.position }
        set { unique().position = newValue }
    }

    public var sessionID: String? {
        get { storage.sessionID }
        set { unique().sessionID = newValue }
    }
    /// The visitor id from the client (`anonymous_id`) or the visitor cookie.
    public var visitorID: String? {
        get { storage.visitorID }
        set { unique().visitorID = newValue }
    }
    public var userID: String? {
        get { storage.rare?.userID }
        set { setRare(\.userID, newValue) }
    }
    /// PostHog's `distinct_id`, kept for the enhanced schema's `posthog_distinct_id`.
    public var distinctID: String? {
        get { storage.rare?.distinctID }
        set { setRare(\.distinctID, newValue) }
    }
    public var eventID: String? {
        get { storage.rare?.eventID }
        set { setRare(\.eventID, newValue) }
    }

    /// Host of the page URL when the input gave an absolute URL.
    public var host: String? {
        get { storage.host }
        set { unique().host = newValue }
    }
    /// Path of the page without query string, e.g. `/donate`.
    public var path: String? {
        get { storage.path }
        set { unique().path = newValue }
    }
    /// Raw query string without the leading `?`, percent-encoded as received.
    public var query: String? {
        get { storage.query }
        set { unique().query = newValue }
    }
    public var referrer: String? {
        get { storage.rare?.referrer }
        set { setRare(\.referrer, newValue) }
    }
    public var userAgent: String? {
        get { storage.rare?.userAgent }
        set { setRare(\.userAgent, newValue) }
    }
    public var ip: String? {
        get { storage.rare?.ip }
        set { setRare(\.ip, newValue) }
    }
    public var country: String? {
        get { storage.country }
        set { unique().country = newValue }
    }
    public var city: String? {
        get { storage.rare?.city }
        set { setRare(\.city, newValue) }
    }

    public var properties: EventProperties {
        get { storage.rare?.properties ?? EventProperties() }
        set { unique().rareForWriting.properties = newValue }
    }

    /// The properties when one was ever set; nil for every access-log record, whose encoding
    /// then skips them without building an empty set.
    var setProperties: EventProperties? { storage.rare?.properties }

    // Set by the transformer when it normalizes a record; raw IP, agent, referrer URL and
    // query are then dropped, so what is stored as history holds nothing personal (SPEC 11).

    /// The visitor this record names by itself: its visitor id, else its fingerprint.
    public var visitorKey: String? {
        get { storage.visitorKey }
        set { unique().visitorKey = newValue }
    }
    /// Host of the referrer URL.
    public var referrerHost: String? {
        get { storage.referrerHost }
        set { unique().referrerHost = newValue }
    }
    /// Device and browser of the user agent.
    public var deviceType: String? {
        get { storage.deviceType }
        set { unique().deviceType = newValue }
    }
    public var browser: String? {
        get { storage.browser }
        set { unique().browser = newValue }
    }
    /// Country and city from the MaxMind DB, used when no record of the session names them.
    public var geoCountry: String? {
        get { storage.rare?.geoCountry }
        set { setRare(\.geoCountry, newValue) }
    }
    public var geoCity: String? {
        get { storage.rare?.geoCity }
        set { setRare(\.geoCity, newValue) }
    }

    /// Access-log lines only: request method and status, for the page-view rule.
    public var method: String? {
        get { storage.rare?.method }
        set { setRare(\.method, newValue) }
    }
    public var status: Int? {
        get { storage.rare?.status }
        set { setRare(\.status, newValue) }
    }

    public init(origin: Origin, event: String, timestamp: Int64) {
        self.origin = origin
        storage = Storage(event: event)
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
