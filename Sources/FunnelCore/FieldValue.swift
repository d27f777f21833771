/// A session field's value, typed so each sink can render it its own way: Redis hashes hold
/// strings (`true`, `25`, epoch milliseconds), NDJSON keeps numbers and booleans as such.
public enum FieldValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case amount(Amount)
    case bool(Bool)

    /// The text stored in a Redis hash or a CSV cell.
    public var text: String {
        switch self {
        case .string(let value): value
        case .integer(let value): String(value)
        case .amount(let value): value.description
        case .bool(let value): value ? "true" : "false"
        }
    }

    /// Appends the value as JSON: strings quoted and escaped, everything else bare.
    public func appendJSON(to out: inout [UInt8]) {
        ByteWriter.append(to: &out, capacity: 256) { writeJSON(to: &$0) }
    }

    /// Writes the value as JSON (see `appendJSON`).
    @inlinable
    public func writeJSON(to out: inout ByteWriter) {
        switch self {
        case .string(let value): out.writeJSONString(value)
        case .integer(let value): out.writeDecimal(value)
        case .bool(let value): out.write(value ? "true" : "false")
        case .amount: out.writeUTF8(text)
        }
    }
}

/// One named field of a session, in schema order.
public struct Field: Sendable, Hashable {
    public var name: String
    public var value: FieldValue

    public init(_ name: String, _ value: FieldValue) {
        self.name = name
        self.value = value
    }
}
