/// Writes compact JSON into byte buffers. Outputs are built as bytes, not through
/// `JSONEncoder`, so that key order is exactly the spec's and writing stays cheap.
public enum JSONText {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as a JSON string literal with the escapes RFC 8259 requires (see
    /// `ByteWriter.writeJSONString`, which the hot paths write with directly).
    public static func appendString(_ value: String, to out: inout [UInt8]) {
        ByteWriter.append(to: &out, capacity: 256) { $0.writeJSONString(value) }
    }

    /// Whether a byte cannot stand in a JSON string as it is.
    @inlinable @inline(__always)
    public static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F
    }

    /// Whether any of the eight bytes of `word` needs an escape (`needsEscape`), without
    /// looking at them one by one (`ByteWord`: each test is zero exactly when no byte matches).
    @inlinable @inline(__always)
    public static func anyNeedsEscape(_ word: UInt64) -> Bool {
        (ByteWord.bytes(below: 0x20, in: word) | ByteWord.bytes(equalTo: UInt8(ascii: "\""), in: word)
            | ByteWord.bytes(equalTo: UInt8(ascii: "\\"), in: word) | ByteWord.bytes(equalTo: 0x7F, in: word)) != 0
    }

    /// Appends arbitrary bytes (a raw input line) as a JSON string. Valid UTF-8 passes through;
    /// a byte that is not part of valid UTF-8 becomes the text `\xHH`, so the reader of a
    /// reject sees exactly which byte was wrong.
    public static func appendRawBytes<Bytes: Collection<UInt8>>(_ bytes: Bytes, to out: inout [UInt8]) where Bytes.Index == Int {
        out.append(UInt8(ascii: "\""))
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte < 0x80 {
                appendEscaped(byte, to: &out)
                index += 1
                continue
            }
            let length = UTF8Validation.sequenceLength(bytes, at: index)
            if length > 0 {
                out.append(contentsOf: bytes[index..<(index + length)])
                index += length
            } else {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
                index += 1
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Writes the escape of one byte `needsEscape` picked (or the byte itself) at `target`,
    /// which has room for 6 bytes, and returns how many it wrote.
    @inlinable
    public static func escape(_ byte: UInt8, into target: UnsafeMutablePointer<UInt8>) -> Int {
        let short: UInt8? = switch byte {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        default: nil
        }
        if let short {
            target[0] = UInt8(ascii: "\\")
            target[1] = short
            return 2
        }
        guard byte < 0x20 || byte == 0x7F else {
            target[0] = byte
            return 1
        }
        let hex: StaticString = "0123456789abcdef"
        target[0] = UInt8(ascii: "\\")
        target[1] = UInt8(ascii: "u")
        target[2] = UInt8(ascii: "0")
        target[3] = UInt8(ascii: "0")
        target[4] = hex.utf8Start[Int(byte >> 4)]
        target[5] = hex.utf8Start[Int(byte & 15)]
        return 6
    }

    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { buffer in
            let count = escape(byte, into: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }
}
