/// UTF-8 checks on raw bytes, for deciding whether a field can become a `String` unchanged.
public enum UTF8Validation {
    /// Whether every byte is ASCII, told eight bytes at a step: fields are tens to hundreds of
    /// bytes, and most are ASCII.
    public static func isASCII(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = raw.baseAddress else { return true }
        let words = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= raw.count {
            if words.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < raw.count {
            if raw[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    /// Length of the valid UTF-8 sequence starting at `index` (1 to 4), or 0 when the bytes
    /// there are not valid UTF-8 (overlong forms, surrogates and truncation included).
    public static func sequenceLength<Bytes: Collection<UInt8>>(_ bytes: Bytes, at index: Int) -> Int where Bytes.Index == Int {
        let first = bytes[index]
        let remaining = bytes.endIndex - index
        func continuation(_ offset: Int) -> UInt8? {
            guard offset < remaining else { return nil }
            let byte = bytes[index + offset]
            return byte & 0xC0 == 0x80 ? byte : nil
        }
        switch first {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return continuation(1) != nil ? 2 : 0
        case 0xE0...0xEF:
            guard let second = continuation(1), continuation(2) != nil else { return 0 }
            if first == 0xE0 && second < 0xA0 { return 0 }
            if first == 0xED && second > 0x9F { return 0 }
            return 3
        case 0xF0...0xF4:
            guard let second = continuation(1), continuation(2) != nil, continuation(3) != nil else { return 0 }
            if first == 0xF0 && second < 0x90 { return 0 }
            if first == 0xF4 && second > 0x8F { return 0 }
            return 4
        default: return 0
        }
    }
}
