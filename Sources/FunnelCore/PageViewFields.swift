/// An access-log line's fields as bytes of the line, for the common line that needs no
/// decoding: its request target as written, no escapes in the fields kept, cookies as
/// variables of their own. A reader hands these to the transformer (`Transformer.encode`)
/// instead of making a `Record`, whose strings were most of the reader's work per line; a line
/// that needs more (escapes, `X-Forwarded-For`, a `Cookie` header) is made a record as before.
/// A client event of the plainest shape (`NDJSONParser.clientEvent`) comes the same way, with
/// `origin` `.client`: its page or URL as the target, its ids, and its name, event id and
/// properties (`client`).
///
/// The bytes are valid only during the call that receives them. Absent values (`-` or empty
/// in the log) are nil, as they are in a record.
public struct PageViewFields {
    /// Whose page view: an access-log line's, or a client event's (the record's `origin`).
    public var origin: Record.Origin = .accessLog
    /// Event time in epoch milliseconds.
    public var timestamp: Int64
    /// The request target (`/path?query` or an absolute URL; a client event's `url` or
    /// `page`) and where its parts are.
    public var target: UnsafeBufferPointer<UInt8>
    public var targetParts: URLParts.Ranges
    /// The `$host` variable, used when the target names no host.
    public var host: UnsafeBufferPointer<UInt8>?
    public var remoteAddr: UnsafeBufferPointer<UInt8>?
    public var referrer: UnsafeBufferPointer<UInt8>?
    public var userAgent: UnsafeBufferPointer<UInt8>?
    public var visitorID: UnsafeBufferPointer<UInt8>?
    public var sessionID: UnsafeBufferPointer<UInt8>?
    /// The country header, normalized (`CountryCode`).
    public var country: String?
    /// A client event's name, event id and properties, and whether it named a page; nil for a
    /// page view with a page and without the others (and every access-log line).
    public var client: ClientEventDetails?

    /// Whether the event named a page (`ClientEventDetails.located`): every access-log line.
    public var located: Bool { client?.located ?? true }

    /// Whether this is a page view (a client event may be another).
    public var isPageView: Bool { client.map { ClientEventDetails.same($0.event, "PageView") } ?? true }

    public init(timestamp: Int64, target: UnsafeBufferPointer<UInt8>, targetParts: URLParts.Ranges) {
        self.timestamp = timestamp
        self.target = target
        self.targetParts = targetParts
    }
}
