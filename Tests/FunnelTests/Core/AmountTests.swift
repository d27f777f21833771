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
}
