import FunnelCore
import Testing

/// Country codes from CDN headers and events: two letters, upper-cased; CDNs' "unknown" codes
/// and anything else are absent.
struct CountryCodeTests {
    @Test func everyPairOfLettersInEitherCaseIsUpperCased() {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        for first in letters {
            for second in letters {
                let expected = String([first, second]).uppercased()
                for text in [String([first, second]), expected, String([first]).uppercased() + String(second)] {
                    let wanted: String? = expected == "XX" || expected == "ZZ" ? nil : expected
                    #expect(CountryCode.normalize(text) == wanted)
                    let bytes = Array(text.utf8)
                    #expect(bytes.withUnsafeBufferPointer { CountryCode.normalize(utf8: $0) } == wanted)
                }
            }
        }
    }

    @Test(arguments: ["", "U", "USA", "1A", "A1", "ü", "üs", "U ", "@A", "[A", "`a", "{a", "T1"])
    func anythingElseIsAbsent(text: String) {
        #expect(CountryCode.normalize(text) == nil)
    }
}
