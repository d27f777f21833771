import FunnelCore
import Testing

/// Country codes from CDN headers and events: two letters, upper-cased; CDNs' "unknown" codes
/// and anything else are absent.
struct CountryCodeTests {
    /// Every pair of letters in either case: an assigned code upper-cased, `UK` as `GB`, the
    /// rest absent; 250 codes in all (ISO 3166-1's 249 and `XK`).
    @Test func everyPairOfLettersInEitherCase() {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        var accepted: Set<String> = []
        for first in letters {
            for second in letters {
                let upper = String([first, second]).uppercased()
                var answers: Set<String?> = []
                for text in [String([first, second]), upper, String([first]).uppercased() + String(second)] {
                    let bytes = Array(text.utf8)
                    let fromBytes = bytes.withUnsafeBufferPointer { CountryCode.normalize(utf8: $0) }
                    #expect(CountryCode.normalize(text) == fromBytes)
                    answers.insert(fromBytes)
                }
                #expect(answers.count == 1, "\(upper)")
                guard let answer = answers.first ?? nil else { continue }
                #expect(answer == (upper == "UK" ? "GB" : upper))
                if upper != "UK" { accepted.insert(answer) }
            }
        }
        #expect(accepted.count == 250)
        for code in ["US", "GB", "DE", "FR", "JP", "BR", "IN", "NG", "XK", "AX", "SS", "CW", "BQ", "ZW", "AD"] {
            #expect(accepted.contains(code), "\(code)")
        }
        for code in ["XX", "ZZ", "EU", "AP", "AA", "UK", "QQ", "YU", "AN", "CS", "TP", "ZR"] {
            #expect(!accepted.contains(code), "\(code)")
        }
    }

    /// Spaces and tabs around a code are not part of it.
    @Test(arguments: [(" de ", "DE"), ("DE\t", "DE"), ("  us", "US"), (" uk ", "GB")])
    func spacesAroundACodeAreDropped(text: String, code: String) {
        #expect(CountryCode.normalize(text) == code)
    }

    @Test(arguments: ["", "U", "USA", " ", "  \t", "D E", " X ", "U S A", "1A", "A1", "ü", "üs", "U ", "@A", "[A", "`a", "{a", "T1", "EU", "aa", "Xx", "zz"])
    func anythingElseIsAbsent(text: String) {
        #expect(CountryCode.normalize(text) == nil)
    }
}
