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

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    /// Appends the value as JSON: strings quoted and escaped, everything else bare.
    public func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .string(let value): JSONText.appendString(value, to: &out)
        case .integer(let value): out.appendDecimal(value)
        case .bool(let value): out.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        case .amount: out.appendUTF8(text)
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
