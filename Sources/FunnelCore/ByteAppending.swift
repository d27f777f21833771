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
    /// writes it. The digits are made last first, two at a time (division by the constant 100,
    /// a multiplication, and the pair's two digits from `pairs`): dividing by a growing power
    /// of ten took a hardware division per digit, some 450 instructions for a millisecond
    /// timestamp; one digit at a time, about 100. Integers of 64 bits or fewer.
    @inlinable @inline(__always)
    public static func withBytes<T: FixedWidthInteger, R>(of value: T, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            var magnitude = UInt64(value.magnitude)
            var start = digits.count
            let pairs = Self.pairs.utf8Start
            while magnitude >= 10 {
                let pair = Int(truncatingIfNeeded: magnitude % 100) &* 2
                magnitude /= 100
                start -= 2
                digits[start] = pairs[pair]
                digits[start + 1] = pairs[pair + 1]
            }
            // A last single digit, or the zero of a value of zero.
            if magnitude > 0 || start == digits.count {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
            }
            if value < 0 {
                start -= 1
                digits[start] = UInt8(ascii: "-")
            }
            return body(UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// "00" to "99", one pair after another: a constant of the binary, read without a check
    /// that a global was made.
    @usableFromInline static let pairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
}
