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
}
