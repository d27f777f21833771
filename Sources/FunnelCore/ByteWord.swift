/// Eight bytes looked at as one word: the tests behind the scans that pass over text a word
/// at a time (`JSONText.anyNeedsEscape`, `Hex.containsControl`, the access-log parser's
/// look for a variable's end). Each returns the word's high bits: set for a byte that
/// matches, and perhaps for a byte above one that matches (a borrow only runs upwards), never
/// for a byte below the first match. So a result is zero exactly when no byte matches, and
/// its lowest set bit is the first byte that does, counting from `load`'s first byte.
public enum ByteWord {
    public static let ones: UInt64 = 0x0101_0101_0101_0101
    public static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Eight bytes from `base + offset` (no alignment asked), the first in the lowest bits
    /// whatever the machine's byte order.
    @inlinable @inline(__always)
    public static func load(_ base: UnsafePointer<UInt8>, at offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
    }

    /// `byte` in each of the eight bytes: XORed with a word, the bytes equal to it are zero.
    @inlinable @inline(__always)
    public static func repeating(_ byte: UInt8) -> UInt64 { ones &* UInt64(byte) }

    /// The zero bytes of `word`.
    @inlinable @inline(__always)
    public static func zeroBytes(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & highs }

    /// The bytes of `word` equal to `byte`.
    @inlinable @inline(__always)
    public static func bytes(equalTo byte: UInt8, in word: UInt64) -> UInt64 { zeroBytes(word ^ repeating(byte)) }

    /// The bytes of `word` below `limit`, which is at most 0x80 (bytes of 0x80 and above never
    /// match: `~word` clears their high bit).
    @inlinable @inline(__always)
    public static func bytes(below limit: UInt8, in word: UInt64) -> UInt64 { (word &- repeating(limit)) & ~word & highs }
}
