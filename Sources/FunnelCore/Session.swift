/// One output record: a session with its fields in schema order and its events in time order.
/// This is the whole contract between the transformer and the writers.
public struct SessionRecord: Sendable, Hashable {
    /// Client session id, or the derived 16-hex-digit id (SPEC 4).
    public var id: String
    /// Start of the session (its first record), epoch milliseconds.
    public var start: Int64
    public var fields: [Field]
    public var events: [EventRecord]

    public init(id: String, start: Int64, fields: [Field], events: [EventRecord]) {
        self.id = id
        self.start = start
        self.fields = fields
        self.events = events
    }

    public subscript(field name: String) -> FieldValue? {
        fields.first { $0.name == name }?.value
    }

    /// The order of every output: (`created_at`, `session_id`).
    @inlinable public static func outputOrder(_ a: SessionRecord, _ b: SessionRecord) -> Bool {
        a.start != b.start ? a.start < b.start : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
    }
}

/// One event of a session as it appears in outputs: `event`, kept properties, `timestamp`.
public struct EventRecord: Sendable, Hashable {
    public var name: String
    public var properties: [Field]
    public var timestamp: Int64

    public init(name: String, properties: [Field] = [], timestamp: Int64) {
        self.name = name
        self.properties = properties
        self.timestamp = timestamp
    }

    /// Compact JSON with keys in the spec's order: `event`, properties, `timestamp`.
    public func appendJSON(to out: inout [UInt8]) {
        ByteWriter.append(to: &out) { writeJSON(to: &$0) }
    }

    /// Writes the event's JSON (see `appendJSON`).
    @inlinable
    public func writeJSON(to out: inout ByteWriter) {
        out.write(#"{"event":"#)
        out.writeJSONString(name)
        for property in properties {
            out.write(UInt8(ascii: ","))
            out.writeJSONString(property.name)
            out.write(UInt8(ascii: ":"))
            property.value.writeJSON(to: &out)
        }
        out.write(#","timestamp":"#)
        out.writeDecimal(timestamp)
        out.write(UInt8(ascii: "}"))
    }

    public var json: [UInt8] { ByteWriter.bytes { writeJSON(to: &$0) } }
}
