import FunnelCore
import FunnelReaders

/// A session as a flat-file history keeps it (its line of `sessions.ndjson`), read back into a
/// `SessionRecord`, so that `funnel export` can write the history's sessions with the CSV and
/// RESP writers too (`Exporter`). The line is funnel's own output: strings, booleans and
/// numbers, fields in schema order, `events` an array of event objects.
enum SessionBody {
    /// The session of `body`; nil when it is not a session line funnel writes.
    static func decode(_ body: [UInt8]) -> SessionRecord? {
        body.withUnsafeBufferPointer { buffer -> SessionRecord? in
            let scanner = JSONScanner(buffer)
            var id: String?
            var start: Int64?
            var fields: [Field] = []
            var events: [EventRecord] = []
            var broken = false
            do throws(JSONScanner.Failure) {
                try scanner.forEachMember { key, escaped, value throws(JSONScanner.Failure) in
                    guard let name = scanner.decodeString(key, escaped: escaped) else { broken = true; return }
                    switch (name, value) {
                    case ("session_id", .string(let range, let escaped)):
                        id = scanner.decodeString(range, escaped: escaped)
                    case ("events", .array(let range)):
                        try scanner.forEachElement(in: range) { element throws(JSONScanner.Failure) in
                            guard case .object(let object) = element, let event = Self.event(object, scanner) else { broken = true; return }
                            events.append(event)
                        }
                    default:
                        guard let field = Self.value(value, scanner) else { broken = true; return }
                        if name == FieldName.createdAt, case .integer(let time) = field { start = time }
                        fields.append(Field(name, field))
                    }
                }
            } catch {
                return nil
            }
            guard !broken, let id, let start else { return nil }
            return SessionRecord(id: id, start: start, fields: fields, events: events)
        }
    }

    private static func event(_ range: Range<Int>, _ scanner: JSONScanner) -> EventRecord? {
        var name: String?
        var timestamp: Int64?
        var properties: [Field] = []
        var broken = false
        do throws(JSONScanner.Failure) {
            try scanner.forEachMember(in: range) { key, escaped, value throws(JSONScanner.Failure) in
                guard let key = scanner.decodeString(key, escaped: escaped), let typed = Self.value(value, scanner) else { broken = true; return }
                switch (key, typed) {
                case ("event", .string(let text)): name = text
                case ("timestamp", .integer(let time)): timestamp = time
                default: properties.append(Field(key, typed))
                }
            }
        } catch {
            return nil
        }
        guard !broken, let name, let timestamp else { return nil }
        return EventRecord(name: name, properties: properties, timestamp: timestamp)
    }

    /// A value as the writers took it: a whole number as an integer, one with a point or an
    /// exponent as an amount (both written the same way: `25`, `12.5`).
    private static func value(_ value: JSONScanner.Value, _ scanner: JSONScanner) -> FieldValue? {
        switch value {
        case .string(let range, let escaped): return scanner.decodeString(range, escaped: escaped).map(FieldValue.string)
        case .bool(let flag): return .bool(flag)
        case .number(let range):
            let bytes = scanner.bytes(range)
            if !bytes.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }),
               let whole = Int64(String(decoding: bytes, as: UTF8.self)) {
                return .integer(whole)
            }
            return Amount(jsonNumber: bytes).map(FieldValue.amount)
        case .null, .object, .array: return nil
        }
    }
}
