#if canImport(Glibc)
import Glibc
#endif

extension String {
    /// Whether the text's UTF-8 holds `byte` (an ASCII byte, so never part of a longer
    /// character). `utf8.contains(_:)` walks the view through its generic iterator, about 40
    /// instructions a byte: 290 for a session id of seven bytes, looked at for an `@` in every
    /// session and every visitor id (0.3% of the bench's S run). `memchr` on the bytes in
    /// place takes a few dozen in all.
    @inlinable
    public func utf8Contains(_ byte: UInt8) -> Bool {
        var text = self
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, Int32(byte), bytes.count) != nil
        }
    }
}
