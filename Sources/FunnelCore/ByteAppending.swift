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
        DecimalText.withBytes(of: value) { append(contentsOf: $0) }
    }
}

/// An integer's decimal text made on the stack, for writers that put it into bytes of their own.
public enum DecimalText {
    /// Calls `body` with the text of `value` (a minus sign, then the digits), as `String(value)`
    /// writes it. The digits are made last first, by division by the constant 10 (a
    /// multiplication): dividing by a growing power of ten took a hardware division per digit,
    /// some 450 instructions for a millisecond timestamp. Integers of 64 bits or fewer.
    @inlinable
    public static func withBytes<T: FixedWidthInteger, R>(of value: T, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            var magnitude = UInt64(value.magnitude)
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                digits[start] = UInt8(ascii: "-")
            }
            return body(UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }
}
