/// A money amount held exactly in millionths of a unit.
///
/// Purchase values are summed per session; binary floating point would turn `0.1 + 0.2` into
/// `0.30000000000000004`, and the spec wants amounts printed without trailing zeros (`25`,
/// `12.5`). Six decimal places cover every currency and keep sums exact.
public struct Amount: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var micros: Int64

    public init(micros: Int64) { self.micros = micros }

    public static let zero = Amount(micros: 0)

    public static func < (a: Amount, b: Amount) -> Bool { a.micros < b.micros }

    /// Adds, or returns nil when the sum does not fit (an absurd amount is dropped, not wrapped).
    public func adding(_ other: Amount) -> Amount? {
        let (sum, overflow) = micros.addingReportingOverflow(other.micros)
        return overflow ? nil : Amount(micros: sum)
    }

    /// `(micros + divisor / 2) / divisor`, rounding halves up to whole `divisor`s (1,000 for
    /// milliseconds, 1,000,000 for units), without that sum's overflow: an amount parses up to
    /// `Int64.max` micros, and a timestamp or a percent that large in an input line must become
    /// a reject or a clamped value, not a crash of the run.
    @inlinable
    public func rounded(toMultiplesOf divisor: Int64) -> Int64 {
        let half = divisor / 2
        guard micros >= 0 else { return (micros + half) / divisor }
        let (quotient, remainder) = micros.quotientAndRemainder(dividingBy: divisor)
        return remainder >= divisor - half ? quotient + 1 : quotient
    }

    /// Parses the text of a JSON number (`25`, `12.50`, `-3`, `1e2`, `1.704067205123E12`, and a
    /// leading `+` as text may carry it); nil
    /// when it is not a number or does not fit in 9.2e12 units. Digits past the sixth decimal
    /// of the value (after its exponent) are rounded by the first of them. Until 2026-12-05
    /// digits past the sixth after the point were dropped before the exponent was applied:
    /// `1.704067205123E12`, as Java writes a millisecond time, read as 1704067000000.
    @inlinable
    public init?<Bytes: Collection<UInt8>>(jsonNumber bytes: Bytes) {
        @inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        var index = bytes.startIndex
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") {
            negative = true
            bytes.formIndex(after: &index)
        } else if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") {
            // No JSON number, but a value given as text (`"value": "+5"`) may carry it, as
            // JavaScript's `Number("+5")` does (rv76d: it was no amount while `"5."` was).
            bytes.formIndex(after: &index)
        }
        let integerStart = index
        while index < bytes.endIndex, isDigit(bytes[index]) { bytes.formIndex(after: &index) }
        let integerEnd = index
        var fractionStart = index
        var fractionEnd = index
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            bytes.formIndex(after: &index)
            fractionStart = index
            while index < bytes.endIndex, isDigit(bytes[index]) { bytes.formIndex(after: &index) }
            fractionEnd = index
        }
        let fractionDigits = bytes.distance(from: fractionStart, to: fractionEnd)
        let digits = bytes.distance(from: integerStart, to: integerEnd) + fractionDigits
        guard digits > 0 else { return nil }
        var exponent = 0
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            bytes.formIndex(after: &index)
            var expNegative = false
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                expNegative = bytes[index] == UInt8(ascii: "-")
                bytes.formIndex(after: &index)
            }
            var expDigits = 0
            while index < bytes.endIndex, isDigit(bytes[index]) {
                exponent = min(exponent * 10 + Int(bytes[index] - 0x30), 10_000)
                expDigits += 1
                bytes.formIndex(after: &index)
            }
            guard expDigits > 0 else { return nil }
            if expNegative { exponent = -exponent }
        }
        guard index == bytes.endIndex else { return nil }
        // value = D * 10^(exponent - fractionDigits), D all the digits; micros = value * 10^6.
        // The digits past the millionth are dropped, the first of them rounding.
        let shift = exponent - fractionDigits + 6
        let kept = digits + min(shift, 0)
        var mantissa: Int64 = 0
        var roundUp = false
        var position = 0
        for range in [integerStart..<integerEnd, fractionStart..<fractionEnd] {
            var at = range.lowerBound
            while at < range.upperBound {
                let digit = bytes[at] &- 0x30
                if position < kept {
                    let (m1, o1) = mantissa.multipliedReportingOverflow(by: 10)
                    let (m2, o2) = m1.addingReportingOverflow(Int64(digit))
                    if o1 || o2 { return nil }
                    mantissa = m2
                } else if position == kept {
                    roundUp = digit >= 5
                }
                position += 1
                bytes.formIndex(after: &at)
            }
        }
        var grow = shift
        while grow > 0 {
            let (m, o) = mantissa.multipliedReportingOverflow(by: 10)
            if o { return nil }
            mantissa = m
            grow -= 1
            if mantissa == 0 { break }
        }
        if roundUp {
            // 9223372036854.7758075 rounds past Int64.max: too large, like any other overflow.
            let (m, o) = mantissa.addingReportingOverflow(1)
            if o { return nil }
            mantissa = m
        }
        micros = negative ? -mantissa : mantissa
    }

    /// Decimal text without trailing zeros: `25`, `12.5`, `-0.25`.
    public var description: String {
        let magnitude = micros.magnitude
        var text = micros < 0 ? "-" : ""
        text += String(magnitude / 1_000_000)
        var fraction = magnitude % 1_000_000
        if fraction != 0 {
            var width = 6
            while fraction % 10 == 0 { fraction /= 10; width -= 1 }
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: width - digits.count) + digits
        }
        return text
    }
}
