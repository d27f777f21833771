import Foundation
import FunnelCore
import Testing

/// JSON string literals as every output writes them: RFC 8259's escapes, everything else as
/// it is, checked by hand-written literals and by Foundation's parser reading them back.
struct JSONTextTests {
    private func literal(_ value: String) -> String {
        var out: [UInt8] = []
        JSONText.appendString(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func parsed(_ value: String) throws -> String? {
        var out: [UInt8] = Array("[".utf8)
        JSONText.appendString(value, to: &out)
        out.append(UInt8(ascii: "]"))
        let array = try JSONSerialization.jsonObject(with: Data(out)) as? [String]
        return array?.first
    }

    @Test func plainTextIsCopiedAsItIs() {
        #expect(literal("") == "\"\"")
        #expect(literal("/donate") == "\"/donate\"")
        #expect(literal("Zürich – 東京 🎬") == "\"Zürich – 東京 🎬\"")
        let long = String(repeating: "utm_campaign=trailer_launch&", count: 40)
        #expect(literal(long) == "\"" + long + "\"")
    }

    @Test func escapesAtTheStartMiddleAndEnd() {
        #expect(literal("\"quoted\"") == #""\"quoted\"""#)
        #expect(literal(#"a\b"#) == #""a\\b""#)
        #expect(literal("line\nnext\r\tend") == #""line\nnext\r\tend""#)
        #expect(literal("\u{01}\u{1F}\u{7F}") == #""\u0001\u001f\u007f""#)
        #expect(literal("\"\"\\\\") == #""\"\"\\\\""#)
        #expect(literal("x\u{00}y") == #""x\u0000y""#)
    }

    @Test(arguments: ["", "a", "\"", "\\", "tab\there", "ends with quote\"", "\u{0}\u{7F}mixed\u{1B}[0m é \"q\" \\ /", String(repeating: "ab\"c\n", count: 100)])
    func foundationReadsBackTheSameString(value: String) throws {
        #expect(try parsed(value) == value)
    }

    /// The escape of one byte as RFC 8259 writes it, for the model below.
    private static func modelEscape(_ byte: UInt8) -> [UInt8] {
        switch byte {
        case UInt8(ascii: "\""): Array(#"\""#.utf8)
        case UInt8(ascii: "\\"): Array(#"\\"#.utf8)
        case 0x0A: Array(#"\n"#.utf8)
        case 0x0D: Array(#"\r"#.utf8)
        case 0x09: Array(#"\t"#.utf8)
        case 0..<0x20, 0x7F: Array(String(format: "\\u%04x", Int(byte)).utf8)
        default: [byte]
        }
    }

    /// The writer looks at eight bytes at a step, and at strings of up to 16 bytes as two
    /// overlapping words or byte by byte: every byte value, at every place of strings of 1 to
    /// 27 bytes (shorter than a word, one or two overlapping words, whole words and a tail),
    /// alone and beside a second escape, is written as a byte-by-byte model writes it.
    @Test func everyByteAtEveryPlaceIsWrittenAsTheByteByByteModel() {
        /// Whether `input` is written as the model writes it (an issue recorded if not).
        func writtenAsTheModel(_ input: [UInt8], _ what: String) -> Bool {
            let written = input.withUnsafeBufferPointer { bytes in ByteWriter.bytes(capacity: 4) { $0.writeJSONString(bytes) } }
            let model = [UInt8(ascii: "\"")] + input.flatMap(Self.modelEscape) + [UInt8(ascii: "\"")]
            guard written == model else {
                Issue.record("\(what): \(String(decoding: written, as: UTF8.self))")
                return false
            }
            return true
        }
        for length in 1...27 {
            for place in 0..<length {
                for byte in UInt8.min...UInt8.max {
                    var input = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    input[place] = byte
                    guard writtenAsTheModel(input, "byte \(byte) at \(place) of \(length)") else { return }
                    guard length > 9 else { continue }
                    input[(place + 9) % length] = UInt8(ascii: "\n")
                    guard writtenAsTheModel(input, "byte \(byte) at \(place) of \(length), a newline 9 after") else { return }
                }
            }
        }
    }

    @Test func aWordTestFindsEachEscapedByteValueInEachLaneAndNoOther() {
        for lane in 0..<8 {
            for byte in UInt8.min...UInt8.max {
                // The other lanes hold bytes just beside the escaped ranges.
                var word: UInt64 = 0
                for other in 0..<8 { word |= UInt64([0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7E, 0x80, 0xFF][other]) << (8 * other) }
                word = word & ~(0xFF << (8 * UInt64(lane))) | UInt64(byte) << (8 * UInt64(lane))
                #expect(JSONText.anyNeedsEscape(word) == JSONText.needsEscape(byte), "byte \(byte) in lane \(lane)")
            }
        }
    }
}
