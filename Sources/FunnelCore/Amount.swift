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

    /// Parses the text of a JSON number (`25`, `12.50`, `-3`, `1e2`); nil when it is not a
    /// number or does not fit in 9.2e12 units. Digits past the sixth decimal are rounded.
    @inlinable
    public init?<Bytes: Collection<UInt8>>(jsonNumber bytes: Bytes) {
        var index = bytes.startIndex
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") {
            negative = true
            bytes.formIndex(after: &index)
        }
        var mantissa: Int64 = 0
        var scale = 0  // digits after the decimal point kept in mantissa
        var digits = 0
        var dropped = false
        var roundUp = false
        var seenPoint = false
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte >= 0x30 && byte <= 0x39 {
                digits += 1
                if seenPoint && scale >= 6 {
                    if !dropped { roundUp = byte >= 0x35; dropped = true }
                } else {
                    let (m1, o1) = mantissa.multipliedReportingOverflow(by: 10)
                    let (m2, o2) = m1.addingReportingOverflow(Int64(byte - 0x30))
                    if o1 || o2 { return nil }
                    mantissa = m2
                    if seenPoint { scale += 1 }
                }
            } else if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            bytes.formIndex(after: &index)
        }
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
            while index < bytes.endIndex, bytes[index] >= 0x30 && bytes[index] <= 0x39 {
                exponent = min(exponent * 10 + Int(bytes[index] - 0x30), 10_000)
                expDigits += 1
                bytes.formIndex(after: &index)
            }
            guard expDigits > 0 else { return nil }
            if expNegative { exponent = -exponent }
        }
        guard index == bytes.endIndex else { return nil }
        if roundUp {
            // 9223372036854.7758075 rounds past Int64.max: too large, like any other overflow.
            let (m, o) = mantissa.addingReportingOverflow(1)
            if o { return nil }
            mantissa = m
        }
        // value = mantissa * 10^(exponent - scale); we want value * 10^6.
        var shift = exponent - scale + 6
        while shift > 0 {
            let (m, o) = mantissa.multipliedReportingOverflow(by: 10)
            if o { return nil }
            mantissa = m
            shift -= 1
        }
        while shift < 0 {
            let remainder = mantissa % 10
            mantissa /= 10
            shift += 1
            if shift == 0 && remainder >= 5 { mantissa += 1 }
            if mantissa == 0 { break }
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
