import Testing
@testable import FunnelCore

struct AmountTests {
    @Test(arguments: [("25", "25"), ("12.50", "12.5"), ("-3.25", "-3.25"), ("1e2", "100"), ("0.0000015", "0.000002"), ("2.5E-1", "0.25")])
    func parsesAndPrintsWithoutTrailingZeros(input: String, expected: String) {
        #expect(Amount(jsonNumber: Array(input.utf8))?.description == expected)
    }

    /// A value given as text may carry a plus sign, as JavaScript's `Number("+5")` reads it
    /// (rv76d: `"+5"` was no amount while `"5."` was); one sign only.
    @Test(arguments: [("+5", "5"), ("+12.50", "12.5"), ("+.5", "0.5"), ("+1e2", "100")])
    func readsALeadingPlus(input: String, expected: String) {
        #expect(Amount(jsonNumber: Array(input.utf8))?.description == expected)
    }

    @Test(arguments: ["", "-", "+", "+-5", "-+5", "++5", "abc", "1.2.3", "1e", "99999999999999999999", "1e400", "9223372036854.7758075", "-9223372036854.77580751"])
    func rejectsNonNumbers(input: String) {
        #expect(Amount(jsonNumber: Array(input.utf8)) == nil)
    }

    /// The largest amount parses; rounding it up by one more digit overflows and is refused,
    /// not trapped: before the fix a `value` of 9223372036854.7758075 crashed the run.
    @Test func theLargestAmountParsesAndOneMoreIsRefused() {
        #expect(Amount(jsonNumber: Array("9223372036854.775807".utf8))?.micros == .max)
        #expect(Amount(jsonNumber: Array("9223372036854.7758074".utf8))?.micros == .max)
        #expect(Amount(jsonNumber: Array("1e-400".utf8))?.micros == 0)
    }

    @Test func sumsExactly() {
        let a = Amount(jsonNumber: Array("0.1".utf8))!
        let b = Amount(jsonNumber: Array("0.2".utf8))!
        #expect(a.adding(b)?.description == "0.3")
    }

    /// Rounding to whole milliseconds or units gives `(micros + divisor / 2) / divisor`,
    /// computed here in 128 bits, for every value up to `Int64.max`, where the 64-bit sum
    /// trapped: a timestamp or percent that large in an input line crashed the run before
    /// 2026-12-05.
    @Test func roundsHalvesUpWithoutOverflowing() {
        var generator = SystemRandomNumberGenerator()
        for divisor: Int64 in [1000, 1_000_000] {
            var values: [Int64] = [0, 1, -1, divisor / 2 - 1, divisor / 2, divisor - 1, divisor, -(divisor / 2), -(divisor / 2) - 1, .min / 2]
            values += (0...(2 * divisor)).map { Int64.max - $0 }
            for _ in 0..<20_000 { values.append(Int64.random(in: -(Int64.max / 2)...Int64.max, using: &generator)) }
            for _ in 0..<2_000 { values.append(Int64.random(in: -3 * divisor...3 * divisor, using: &generator)) }
            var wrong = 0
            for value in values where Int64(truncatingIfNeeded: (Int128(value) + Int128(divisor / 2)) / Int128(divisor))
                != Amount(micros: value).rounded(toMultiplesOf: divisor) {
                wrong += 1
                if wrong < 5 { Issue.record("\(value) rounded to multiples of \(divisor)") }
            }
            #expect(wrong == 0)
        }
    }

    /// A number in exponent notation is the same amount as written out: its digits past the
    /// sixth after the point count when the exponent moves them before it (Java writes a
    /// millisecond time as `1.704067205123E12`).
    @Test(arguments: [
        ("1.704067205123E12", 1_704_067_205_123_000_000), ("1.704067265E9", 1_704_067_265_000_000),
        ("1.2345678E2", 123_456_780), ("1.2345678951e2", 123_456_790), ("1.234567891e2", 123_456_789),
        ("5e-7", 1), ("4.9e-7", 0), ("1e-10", 0), ("12.5e-1", 1_250_000), ("123456789e-3", 123_456_789_000),
        ("-1.5e-6", -2), ("0.000000000e5", 0), ("00012.5000000000e0", 12_500_000),
    ] as [(String, Int64)])
    func exponentsMoveTheDigitsThatCount(text: String, micros: Int64) {
        #expect(Amount(jsonNumber: Array(text.utf8))?.micros == micros)
    }

    /// Every way of writing one number with an exponent reads as the number written out.
    @Test func everyExponentFormReadsAsThePlainOne() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        var compared = 0
        for _ in 0..<20_000 {
            let digits = String((0..<(1 + Int(next() % 16))).map { _ in Character(String(next() % 10)) })
            let point = Int(next() % UInt64(digits.count + 1))  // digits before the point
            let plain = (point == 0 ? "0" : String(digits.prefix(point))) + "." + digits.dropFirst(point) + "0"
            guard let expected = Amount(jsonNumber: Array(plain.utf8)) else { continue }
            for shift in -3...3 {
                // The point moved `shift` places left, and the exponent making up for it.
                let at = point - shift
                var mantissa: String
                if at <= 0 {
                    mantissa = "0." + String(repeating: "0", count: -at) + digits
                } else if at >= digits.count {
                    mantissa = digits + String(repeating: "0", count: at - digits.count)
                } else {
                    mantissa = String(digits.prefix(at)) + "." + digits.dropFirst(at)
                }
                let text = mantissa + (shift >= 0 ? "e+" : "E-") + String(abs(shift))
                #expect(Amount(jsonNumber: Array(text.utf8)) == expected, "\(text) against \(plain)")
                compared += 1
            }
        }
        #expect(compared > 100_000)
    }
}
