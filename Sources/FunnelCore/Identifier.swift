/// The rule for ids taken from input (SPEC 11): they become Redis key parts and file content,
/// so they must be short, printable ASCII, without spaces or the braces of cluster hash tags.
public enum Identifier {
    public static let maxLength = 128

    public static func isValid(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { isValid(bytes: $0) }
    }

    /// The same rule on an id's bytes.
    public static func isValid(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        for byte in bytes where byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") {
            return false
        }
        return true
    }

    /// Whether an id has the shape of the ids funnel makes for a visitor without one (`fp`, a
    /// fingerprint) or for an id that was an address (`em`, `ip`): the two letters and 16
    /// lowercase hex digits. Taken from input, such an id is another's, made or sent (rv75b:
    /// a client session id `emac3b8e40e24288d6` replaced the session whose id was an e-mail
    /// address, and an `anonymous_id` of that shape became that visitor, exit 0).
    public static func hasMadeShape(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 18 else { return false }
        let head = (bytes[0], bytes[1])
        guard head == (0x66, 0x70) || head == (0x65, 0x6D) || head == (0x69, 0x70) else { return false }
        for byte in bytes[2...] where !(byte &- 0x30 < 10 || byte &- 0x61 < 6) { return false }
        return true
    }

    public static func hasMadeShape(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { hasMadeShape(bytes: $0) }
    }

    /// Whether an id is a value that scripts and templates write where no id was set
    /// (`undefined`, `null`, `None`, `NaN`, `deleted`, `0`, ...), in any case: such a value is
    /// every such client's, so taken as an id it makes them one visitor, one session or one
    /// event (rv76a: an `event_id` of `undefined` on every event made a day's events one,
    /// conversions 0, and its planning quadratic; a cookie `vid=undefined` made the visitors
    /// sending it one). Read as no id. A length test first: real ids are longer.
    public static func isPlaceholder(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= 15, !bytes.isEmpty else { return false }
        return placeholders.contains { word in
            word.count == bytes.count && zip(word, bytes).allSatisfy { $0 == ($1 &- 0x41 < 26 ? $1 | 0x20 : $1) }
        }
    }

    public static func isPlaceholder(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { isPlaceholder(bytes: $0) }
    }

    /// `isPlaceholder`'s words, in lower case.
    static let placeholders: [[UInt8]] = ["undefined", "null", "none", "nil", "nan", "(null)", "[object object]", "deleted",
                                          "n/a", "unknown", "0", "-"].map { Array($0.utf8) }

    /// Why an id funnel made cannot come from input.
    public static let madeShapeProblem = "has the shape of the ids funnel makes (fp, em or ip and 16 hex digits), which would make it another visitor's or session's"
}
