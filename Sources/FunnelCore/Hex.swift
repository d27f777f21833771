/// Hexadecimal digits and control bytes, for the escapes of logs (`\xHH`), URLs (`%HH`) and
/// JSON (`\uHHHH`), shared by the readers and the transformer.
public enum Hex {
    /// The value of one hex digit, either case; nil for any other byte.
    @inlinable
    public static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// The byte a URL's percent escape (`%2F`) at `index` names; nil when there is none
    /// there (no `%`, a broken escape `%G1`, or the text ends first).
    @inlinable
    public static func percentEscape<Bytes: RandomAccessCollection>(_ bytes: Bytes, at index: Int) -> UInt8?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        guard index >= bytes.startIndex, index + 2 < bytes.endIndex, bytes[index] == UInt8(ascii: "%"),
              let high = value(bytes[index + 1]), let low = value(bytes[index + 2]) else { return nil }
        return high << 4 | low
    }

    /// Appends `byte` as a URL's percent escape, upper-case digits (`%09`, `%2F`).
    @inlinable
    public static func appendPercentEscape(_ byte: UInt8, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789ABCDEF"
        out.append(UInt8(ascii: "%"))
        out.append(digits.utf8Start[Int(byte >> 4)])
        out.append(digits.utf8Start[Int(byte & 0xF)])
    }

    /// `text` with every byte but RFC 3986's unreserved characters (letters, digits, `-`, `.`,
    /// `_`, `~`) percent-encoded: a value that goes into a URL's query or user part as it is.
    public static func percentEncoded(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                appendPercentEscape(byte, to: &out)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// C0 controls and DEL: bytes an escape may name but a kept field must not hold.
    @inlinable
    public static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// A request target or URL with its raw control bytes (a tab from a server that does not
    /// escape them, as nginx does; a JSON `\n` in an event's `url`) percent-encoded, as a
    /// browser sends them; nil when it has none, as nearly every target. A path or campaign
    /// value never holds a raw control byte (until 2026-12-06 a raw tab reached
    /// `landing_page` and utm values from a log, and a newline from an event's `url`; nginx's
    /// `\x09` stays as written).
    public static func escapingControls(_ target: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard containsControl(target) else { return nil }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(target.count + 8)
        for byte in target {
            if isControl(byte) { appendPercentEscape(byte, to: &escaped) } else { escaped.append(byte) }
        }
        return escaped
    }

    /// Whether any byte is a C0 control or DEL (`isControl`), eight bytes at a step: every
    /// request target is looked through, and byte by byte that took about 180 instructions
    /// a target of the bench (15 million of its S run).
    public static func containsControl(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var index = 0
        while index &+ 8 <= bytes.count {
            let word = ByteWord.load(base, at: index)
            if ByteWord.bytes(below: 0x20, in: word) | ByteWord.bytes(equalTo: 0x7F, in: word) != 0 { return true }
            index &+= 8
        }
        while index < bytes.count {
            if isControl(base[index]) { return true }
            index &+= 1
        }
        return false
    }
}
