import Testing
@testable import FunnelCore
import FunnelTransform

/// The texts a decoded record shares instead of making them again: each is found by its own
/// bytes and by no other bytes, so that decoding gives what it gave without them.
struct KnownTextTests {
    private func lookup(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { KnownText.lookup($0) }
    }

    @Test func everyTextIsFoundByItsBytes() {
        for text in KnownText.texts { #expect(lookup(Array(text.utf8)) == text) }
        #expect(Set(KnownText.texts).count == KnownText.texts.count)
        for code in ["DE", "US", "AA", "ZZ", "XX"] { #expect(lookup(Array(code.utf8)) == code) }
    }

    /// What the classifier gives is known (a missing one would only be slower).
    @Test func classifierValuesAreKnown() {
        for value in DeviceType.allCases.map(\.rawValue) + Browser.allCases.map(\.rawValue) {
            #expect(KnownText.texts.contains(value), "\(value)")
        }
    }

    /// Bytes that are not a known text exactly give nil: one byte changed, one byte more or
    /// less, another case, other lengths.
    @Test func nearMissesAreNotFound() {
        for text in KnownText.texts {
            let bytes = Array(text.utf8)
            for index in bytes.indices {
                for delta: UInt8 in [1, 0x20, 0x80] {
                    var changed = bytes
                    changed[index] ^= delta
                    #expect(lookup(changed) == nil, "\(text) at \(index)")
                }
            }
            // Three letters less one are a country code: found as itself, if at all.
            let shorter = Array(bytes.dropLast())
            #expect(lookup(shorter) == nil || lookup(shorter).map { Array($0.utf8) } == shorter)
            #expect(lookup(bytes + [0]) == nil)
            #expect(lookup(bytes + [UInt8(ascii: "s")]) == nil)
        }
        for other in ["de", "D1", "1D", "D", "", "film.example", "Samsung Internet2", "PageView\u{0}"] {
            #expect(lookup(Array(other.utf8)) == nil, "\(other)")
        }
    }

    /// A record decodes to the same fields whether its texts are known or not.
    @Test func decodedRecordsHoldTheirTexts() {
        for (event, device, browser, country) in [("PageView", "mobile", "Chrome", "DE"), ("Checkout", "phone", "Brave", "de"),
                                                  ("Purchase", "desktop", "Samsung Internet", "XX")] {
            var record = Record(origin: .client, event: event, timestamp: 1_709_251_200_000)
            record.position = "0:0:-:web.log:1"
            record.deviceType = device
            record.browser = browser
            record.country = country
            record.geoCountry = country
            record.properties.currency = "EUR"
            record.properties.analytics = "granted"
            let decoded = RecordCoding.decode(RecordCoding.encode(record))
            #expect(decoded?.event == event)
            #expect(decoded?.deviceType == device)
            #expect(decoded?.browser == browser)
            #expect(decoded?.country == country)
            #expect(decoded?.geoCountry == country)
            #expect(decoded?.properties.currency == "EUR")
            #expect(decoded?.properties.analytics == "granted")
        }
    }
}
