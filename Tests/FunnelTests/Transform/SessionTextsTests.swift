@testable import FunnelTransform
import FunnelTestSupport
import Testing

/// `SessionTexts.withoutPersonalData` passes a text that `mayHoldPersonalData` clears without
/// running its three steps: that is only right if none of the steps would change such a text.
struct SessionTextsTests {
    /// Texts a session holds, texts at the edges of each step, and generated ones over an
    /// alphabet of the bytes the steps look for and the bytes around them.
    static let texts: [String] = {
        var texts = ["", "direct", "paid_social", "trailer_launch", "PageView", "VideoProgress", "desktop", "Chrome",
                     "FR", "/", "/watch", "/donate/thanks", "l.facebook.com", "film.example", "PAAa6199", "v8986",
                     "fan@example.org", "fan%40example.org", "fan%2540example.org", "x@y", "@", "%", "?", "#", ":",
                     "1.", ".1", "a1.b", "a.1", "1.2.3.4", "10.0.0.1", "10%2E0%2E0%2E1", "::1", "fe80::1", "[::1]:80",
                     "12:30", "v1.2", "version 2.0", "/go?email=fan", "https://film.example/?utm_source=x", "/a#b",
                     "100%", "50% off", "café", "naïve.1", "１.２", "2024-03-01", "a-b_c d", "x=1&y=2", "é@example.org"]
        let alphabet: [String] = ["a", "Z", "0", "7", "9", ".", ":", "@", "%", "?", "#", "/", "-", "_", " ", "=", "&",
                                  "4", "0", "E", "2", "é", "１", "[", "]"]
        var generator = SplitMix64(seed: 0x5E55_1045)
        for _ in 0..<4_000 {
            var text = ""
            for _ in 0...generator.next(upTo: 16) {
                text += alphabet[Int(generator.next(upTo: UInt64(alphabet.count)))]
            }
            texts.append(text)
        }
        return texts
    }()

    @Test func aTextClearedByThePreCheckIsLeftAsItIsByEveryStep() {
        var cleared = 0
        var changed = 0
        for text in Self.texts {
            let steps = [EmailRedaction.redacted(text), URLRedaction.withoutQuery(text), IPRedaction.withoutAddresses(text)]
            if steps.contains(where: { $0 != nil }) { changed += 1 }
            guard !SessionTexts.mayHoldPersonalData(text) else { continue }
            cleared += 1
            #expect(steps == [nil, nil, nil], "\(text)")
            #expect(SessionTexts.withoutPersonalData(text, queries: true) == nil, "\(text)")
        }
        // Both kinds occur: a check that cleared nothing, or everything, would fail.
        #expect(cleared > 300 && changed > 100, "\(cleared) cleared, \(changed) changed of \(Self.texts.count)")
    }

    @Test(arguments: ["fan@example.org", "fan%40example.org", "/go?email=fan", "/a#b", "10.0.0.1", "::1", "12:30", "a1.b"])
    func aTextWithWhatAStepLooksForIsNotCleared(_ text: String) {
        #expect(SessionTexts.mayHoldPersonalData(text))
    }

    @Test(arguments: ["direct", "paid_social", "PageView", "/watch", "l.facebook.com", "v1x", "a.1", "café", "１.２"])
    func aPlainTextIsCleared(_ text: String) {
        #expect(!SessionTexts.mayHoldPersonalData(text))
    }
}
