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
}
