/// Unsigned LEB128: seven bits a byte, low first, the high bit set on all but the last. The
/// lengths of a stored record's fields and of a block's records (`RecordCoding`) and the
/// numbers of a visitor's compact past (`VisitorPast.compactItem`) are written in it.
public enum LEB128 {
    /// `value`'s bytes, one at a time, so that writers at a pointer and into an array share it.
    @inlinable @inline(__always)
    public static func forEachByte(_ value: UInt64, _ body: (UInt8) -> Void) {
        var value = value
        while value >= 0x80 {
            body(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        body(UInt8(truncatingIfNeeded: value))
    }

    /// The number at `index`, which is moved past it; nil when the bytes end first or its
    /// bytes reach `shiftLimit` bits (35 for a record's lengths, 64 for a full 64-bit value).
    @inlinable @inline(__always)
    public static func read<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ index: inout Int, shiftLimit: UInt64) -> UInt64?
    where Bytes.Index == Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex, shift < shiftLimit else { return nil }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { return value }
        }
    }
}
