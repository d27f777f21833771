import FunnelCore
import Testing

/// `String.utf8Contains`: the same answer as `utf8.contains` for texts stored inline (up to
/// 15 bytes) and in storage of their own, at every place, and for none.
struct UTF8SearchTests {
    @Test func aByteIsFoundWhereverItIsAndOnlyThere() {
        for length in 0...40 {
            let plain = String(repeating: "a", count: length)
            #expect(!plain.utf8Contains(UInt8(ascii: "@")), "\(length) bytes without one")
            for place in 0..<length {
                var bytes = Array(plain.utf8)
                bytes[place] = UInt8(ascii: "@")
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(text.utf8Contains(UInt8(ascii: "@")) == text.utf8.contains(UInt8(ascii: "@")), "at \(place) of \(length)")
                #expect(text.utf8Contains(UInt8(ascii: "@")))
            }
        }
        #expect("é東京🎬 film@example".utf8Contains(UInt8(ascii: "@")))
        #expect(!"é東京🎬 film".utf8Contains(UInt8(ascii: "@")))
        #expect(!"".utf8Contains(0))
        #expect(("prefix" + String(repeating: "x", count: 30)).dropFirst(6).description.utf8Contains(UInt8(ascii: "x")))
    }
}
