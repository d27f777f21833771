import FunnelCore
import Testing

/// `appendUTF8` copies a string's UTF-8 bytes whether Swift holds the string inline (15 bytes
/// or fewer) or in storage of its own.
struct ByteAppendingTests {
    @Test(arguments: ["", "a", "PageView", "1704067200000", "exactly15bytes!", "sixteen bytes ok", "café ☕ 映画",
                      String(repeating: "long id ", count: 40), "tab\there\u{0}nul"])
    func appendsTheSameBytesAsTheUTF8View(text: String) {
        var out: [UInt8] = [0xFF]
        out.appendUTF8(text)
        #expect(out == [0xFF] + Array(text.utf8))
    }

    @Test func appendsAfterWhatIsThere() {
        var out: [UInt8] = []
        out.reserveCapacity(4)
        for piece in ["ab", "cdefghijklmnopqrstuvwxyz", "é"] { out.appendUTF8(piece) }
        #expect(String(decoding: out, as: UTF8.self) == "abcdefghijklmnopqrstuvwxyzé")
    }

    @Test(arguments: [Int64(0), 7, 9, 10, 99, 100, 1_704_067_200_000, 999_999_999_999_999_999, .max, -1, -10, -1_234_567, .min])
    func appendsTheDecimalDigitsStringWrites(value: Int64) {
        var out: [UInt8] = [0xFF]
        out.appendDecimal(value)
        #expect(out == [0xFF] + Array(String(value).utf8))
    }

    @Test func appendsDecimalsOfEveryWidth() {
        for value in [UInt8.max, 0, 10] {
            var out: [UInt8] = []
            out.appendDecimal(value)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
        var out: [UInt8] = []
        out.appendDecimal(Int.max)
        out.appendDecimal(UInt64.max)
        #expect(String(decoding: out, as: UTF8.self) == String(Int.max) + String(UInt64.max))
    }
}
