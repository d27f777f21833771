@testable import FunnelReaders
import FunnelTestSupport
import Testing

/// `AccessLogParser.nearIndex` looks for a variable's end eight bytes at a step: it must give
/// the first place of the byte, as a byte-by-byte scan does, wherever the byte is, near the
/// line's end where no whole word is left, and among the bytes that trip the zero-byte test
/// (the byte plus one, 0x80 and 0x00 after the XOR).
struct AccessLogNearIndexTests {
    /// The first index of `byte` in `bytes[from..<end]`, or `end`.
    private func reference(_ bytes: [UInt8], _ byte: UInt8, from: Int, to end: Int) -> Int {
        bytes[from..<end].firstIndex(of: byte) ?? end
    }

    @Test func findsTheFirstPlaceOfTheByteAsAByteScanDoes() {
        var random = SplitMix64(seed: 0x5EED_0F_1E1D)
        var compared = 0
        var found = 0
        for byte: UInt8 in [0x20, 0x22, 0x5D, 0x00, 0xFF, 0x7F] {
            // Bytes around the one looked for: equal, one more or less, its XOR with 0x80 and 0x01.
            let near: [UInt8] = [byte, byte &+ 1, byte &- 1, byte ^ 0x80, byte ^ 0x01, 0x00, 0x80, 0x41]
            for _ in 0..<600 {
                let count = Int(random.next() % 40)
                let bytes = (0..<count).map { _ in near[Int(random.next() % UInt64(near.count))] }
                for from in 0...count {
                    for end in from...min(count, from + 17) {
                        let expected = reference(bytes, byte, from: from, to: end)
                        let got = bytes.withUnsafeBufferPointer { b in
                            b.baseAddress.map { AccessLogParser.nearIndex(of: byte, in: $0, from: from, to: end, count: count) } ?? end
                        }
                        #expect(got == expected, "byte \(byte) in \(bytes) from \(from) to \(end)")
                        compared += 1
                        if expected < end { found += 1 }
                    }
                }
            }
        }
        // Both answers occur, many times each.
        #expect(compared > 100_000)
        #expect(found > 20_000 && compared - found > 20_000)
    }

    @Test func aByteAtEveryPlaceOfTwoWordsIsFound() {
        for count in 1...24 {
            for place in 0..<count {
                var bytes = [UInt8](repeating: 0x21, count: count)
                bytes[place] = 0x20
                // A second one after it must not be taken instead.
                if place + 3 < count { bytes[place + 3] = 0x20 }
                let got = bytes.withUnsafeBufferPointer {
                    AccessLogParser.nearIndex(of: 0x20, in: $0.baseAddress!, from: 0, to: min(count, 16), count: count)
                }
                #expect(got == (place < 16 ? place : min(count, 16)), "\(count) \(place)")
            }
        }
    }
}
