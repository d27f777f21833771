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
    /// sending it one). Read as no id. By length first, then against the words of that
    /// length: it is asked of every id of every line (a walk over all twelve words was 180
    /// instructions a line of the bench's S, whose cookies are short).
    public static func isPlaceholder(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch bytes.count {
        case 1: return bytes[0] == UInt8(ascii: "0") || bytes[0] == UInt8(ascii: "-")
        case 3: return folded(bytes, is: "nil") || folded(bytes, is: "nan") || folded(bytes, is: "n/a")
        case 4: return folded(bytes, is: "null") || folded(bytes, is: "none")
        case 6: return folded(bytes, is: "(null)")
        case 7: return folded(bytes, is: "deleted") || folded(bytes, is: "unknown")
        case 9: return folded(bytes, is: "undefined")
        case 15: return folded(bytes, is: "[object object]")
        default: return false
        }
    }

    /// Whether `bytes`, their ASCII letters in lower case, are `word` (of their length).
    @inline(__always)
    private static func folded(_ bytes: UnsafeBufferPointer<UInt8>, is word: StaticString) -> Bool {
        let letters = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for (byte, letter) in zip(bytes, letters) where (byte &- 0x41 < 26 ? byte | 0x20 : byte) != letter { return false }
        return true
    }

    public static func isPlaceholder(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { isPlaceholder(bytes: $0) }
    }

    /// Why an id funnel made cannot come from input.
    public static let madeShapeProblem = "has the shape of the ids funnel makes (fp, em or ip and 16 hex digits), which would make it another visitor's or session's"
}
