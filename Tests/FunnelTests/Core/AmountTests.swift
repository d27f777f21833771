import Testing
@testable import FunnelCore

struct AmountTests {
    @Test(arguments: [("25", "25"), ("12.50", "12.5"), ("-3.25", "-3.25"), ("1e2", "100"), ("0.0000015", "0.000002"), ("2.5E-1", "0.25")])
    func parsesAndPrintsWithoutTrailingZeros(input: String, expected: String) {
        #expect(Amount(jsonNumber: Array(input.utf8))?.description == expected)
    }

    @Test(arguments: ["", "-", "abc", "1.2.3", "1e", "99999999999999999999"])
    func rejectsNonNumbers(input: String) {
        #expect(Amount(jsonNumber: Array(input.utf8)) == nil)
    }

    @Test func sumsExactly() {
        let a = Amount(jsonNumber: Array("0.1".utf8))!
        let b = Amount(jsonNumber: Array("0.2".utf8))!
        #expect(a.adding(b)?.description == "0.3")
    }
}
