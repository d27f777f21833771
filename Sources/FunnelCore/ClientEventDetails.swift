/// What a client event read as bytes (`PageViewFields`, `RecordCoding.PageView`) holds beyond
/// a page view's fields: its name, its `event_id`, its properties and whether it named a page,
/// behind one reference that a plain page view (and every access-log line) leaves nil. Held inline, they made the
/// fields of every line the byte path takes about 190 bytes larger, and moving and destroying
/// those cost more than reading the events as bytes saved (29 million more instructions of
/// the bench's S than with page views alone).
public final class ClientEventDetails {
    /// One of funnel's event names.
    public let event: StaticString
    /// Bytes of the line: valid only while the line is read, as the fields that hold this.
    public let eventID: UnsafeBufferPointer<UInt8>?
    /// As the event's record would hold them; nil when it gave none.
    public let properties: EventProperties?
    /// False for an event without a page or URL: its record has no host, path or query (the
    /// fields' target is then empty).
    public let located: Bool

    public init(event: StaticString, eventID: UnsafeBufferPointer<UInt8>?, properties: EventProperties?, located: Bool) {
        self.event = event
        self.eventID = eventID
        self.properties = properties
        self.located = located
    }

    /// Whether two static names are the same text.
    public static func same(_ a: StaticString, _ b: StaticString) -> Bool {
        a.utf8CodeUnitCount == b.utf8CodeUnitCount && (0..<a.utf8CodeUnitCount).allSatisfy { a.utf8Start[$0] == b.utf8Start[$0] }
    }
}
