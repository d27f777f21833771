import FunnelCore
import Testing

/// The writer behind session lines, record encodings and RESP: what it writes must not depend
/// on the room it starts with, since a value that does not fit is written again with more.
struct ByteWriterTests {
    /// Text with every kind of escape, long enough to overflow small buffers mid-escape.
    private let awkward = "a\"b\\c\nd\re\tf\u{01}g\u{7F}h – 東京 🎬 " + String(repeating: "x\"", count: 300)

    private func written(capacity: Int, _ body: (inout ByteWriter) -> Void) -> [UInt8] {
        ByteWriter.bytes(capacity: capacity, body)
    }

    /// A string is written from where it is (`utf8.withContiguousStorageIfAvailable`) with
    /// the bytes `withUTF8` gives: small strings (kept inside the value), large ones, ones cut
    /// from a larger string, with and without escapes and beyond ASCII, as JSON and as UTF-8.
    @Test func aStringIsWrittenAsItsUTF8Is() {
        let long = "ab\"c\u{01}é東🎬" + String(repeating: "xy", count: 40)
        var texts: [String] = [""]
        for length in 1...40 { texts.append(String(long.prefix(length))) }
        texts += [String(long.dropFirst(3)), long, "\u{7F}", "–", String(repeating: "q", count: 15), String(repeating: "q", count: 16)]
        for text in texts {
            // What the bytes' own path writes (`JSONText.appendString` goes through the
            // string's path, so it is no reference here).
            let expectedJSON = Array(text.utf8).withUnsafeBufferPointer { bytes in ByteWriter.bytes { $0.writeJSONString(bytes) } }
            #expect(expectedJSON.first == UInt8(ascii: "\"") && expectedJSON.count >= text.utf8.count + 2)
            #expect(ByteWriter.bytes { $0.writeJSONString(text) } == expectedJSON, "\(text)")
            #expect(ByteWriter.bytes { $0.writeUTF8(text) } == Array(text.utf8), "\(text)")
        }
    }

    @Test func theBytesDoNotDependOnTheRoomItStartsWith() {
        let body: (inout ByteWriter) -> Void = { w in
            w.write("{\"k\":")
            w.writeJSONString(awkward)
            w.write(UInt8(ascii: ","))
            w.writeDecimal(Int64.min)
            w.writeUTF8("é")
            w.write(UInt8(ascii: "}"))
        }
        let roomy = written(capacity: 1 << 16, body)
        var expected: [UInt8] = Array("{\"k\":".utf8)
        JSONText.appendString(awkward, to: &expected)
        expected += Array(",-9223372036854775808é}".utf8)
        #expect(roomy == expected)
        for capacity in [1, 2, 3, 7, 64, 500, 900, 1023] {
            #expect(written(capacity: capacity, body) == roomy, "capacity \(capacity)")
        }
    }

    /// Integers are written two digits at a time: every width of digits, both sides of each
    /// power of ten, the ends of every integer type and a spread of others read as
    /// `String(value)` does.
    @Test func decimalsAreWrittenAsStringDoes() {
        func text<T: FixedWidthInteger>(_ value: T) -> String {
            String(decoding: written(capacity: 4) { $0.writeDecimal(value) }, as: UTF8.self)
        }
        var values: [Int64] = [0, 1, 9, 10, 11, 99, 100, 101, 1_709_251_664_000, .max, .min, .max - 1, .min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power, -(power - 1), power / 2 + 37]
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Int64(bitPattern: state) >> Int64(state % 60))
        }
        for value in values { #expect(text(value) == String(value)) }
        #expect(text(UInt64.max) == String(UInt64.max))
        #expect(text(Int8.min) == "-128" && text(Int32.min) == String(Int32.min) && text(UInt16.max) == "65535")
        for value in 0...10_000 { #expect(text(value) == String(value)) }
    }

    @Test func anOverflowStopsWritingAndIsReported() {
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: 4)
        defer { base.deallocate() }
        var writer = ByteWriter(base: base, capacity: 4)
        writer.write("abc")
        #expect(!writer.overflowed && writer.count == 3)
        writer.writeJSONString("d")
        #expect(writer.overflowed)
        writer.write(UInt8(ascii: "e"))
        #expect(writer.count == 3, "nothing is written after an overflow, even what would fit")
    }

    @Test func appendAddsToWhatIsThereAndWithBytesRunsTheBodyAgainWithMoreRoom() {
        var out: [UInt8] = Array("head:".utf8)
        ByteWriter.append(to: &out, capacity: 2) { $0.writeUTF8(String(repeating: "z", count: 40)) }
        #expect(out == Array(("head:" + String(repeating: "z", count: 40)).utf8))
        var runs = 0
        let hundred = [UInt8](repeating: 1, count: 100)
        let count = hundred.withUnsafeBufferPointer { bytes in
            ByteWriter.withBytes(capacity: 8, { w in
                runs += 1
                w.write(bytes)
            }) { $0.count }
        }
        #expect(count == 100)
        #expect(runs == 3, "8, then 32, then 128 bytes of room")
    }
}
