extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of `text` in one copy. `append(contentsOf: text.utf8)` copies a
    /// string of 15 bytes or fewer (which Swift keeps inline, not in contiguous storage) one
    /// byte at a time, through the generic path: most fields of a record and of a session
    /// (event names, timestamps, paths, countries) are that short.
    @inlinable
    public mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }
}

extension Array where Element == UInt8 {
    /// Appends an integer's decimal digits, most significant first, without making a String
    /// (timestamps of records and events, RESP lengths: millions per run).
    @inlinable
    public mutating func appendDecimal<T: FixedWidthInteger>(_ value: T) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var divisor: T.Magnitude = 1
        while divisor <= magnitude / 10 { divisor *= 10 }
        repeat {
            append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        } while divisor > 0
    }
}
