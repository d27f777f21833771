import Testing
@testable import FunnelCore

struct AmountTests {
    @Test(arguments: [("25", "25"), ("12.50", "12.5"), ("-3.25", "-3.25"), ("1e2", "100"), ("0.0000015", "0.000002"), ("2.5E-1", "0.25")])
    func parsesAndPrintsWithoutTrailingZeros(input: String, expected: String) {
        #expect(Amount(jsonNumber: Array(input.utf8))?.description == expected)
    }

    @Test(arguments: ["", "-", "abc", "1.2.3", "1e", "99999999999999999999", "1e400", "9223372036854.7758075", "-9223372036854.77580751"])
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
}
