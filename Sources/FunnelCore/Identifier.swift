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

    /// Why an id funnel made cannot come from input.
    public static let madeShapeProblem = "has the shape of the ids funnel makes (fp, em or ip and 16 hex digits), which would make it another visitor's or session's"
}
