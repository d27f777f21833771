import FunnelCore
import FunnelTestSupport
import Testing

/// `Hex.containsControl` looks at eight bytes at a step: it must say what a byte-by-byte
/// look with `Hex.isControl` says, for the bytes on both sides of each edge (0x1F and 0x20,
/// 0x7E, 0x7F and 0x80, bytes of UTF-8 beyond ASCII) at every place and length.
struct HexControlTests {
    @Test func agreesWithAByteByByteLook() {
        let alphabet: [UInt8] = [0x00, 0x09, 0x1F, 0x20, 0x21, 0x41, 0x7E, 0x7F, 0x80, 0x9F, 0xA0, 0xC3, 0xFF]
        var random = SplitMix64(seed: 0xC0_47_20)
        var withControl = 0
        var without = 0
        for round in 0..<20_000 {
            let count = Int(random.next() % 40)
            // Most rounds hold plain bytes but one, so that a control's place varies over the words.
            var bytes = (0..<count).map { _ in round % 3 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : [0x20, 0x41, 0x7E, 0x80, 0xC3][Int(random.next() % 5)] }
            if round % 3 == 1, count > 0 { bytes[Int(random.next() % UInt64(count))] = [0x00, 0x1F, 0x7F, 0x0A][Int(random.next() % 4)] }
            let expected = bytes.contains(where: Hex.isControl)
            #expect(bytes.withUnsafeBufferPointer(Hex.containsControl) == expected, "\(bytes)")
            #expect((bytes.withUnsafeBufferPointer(Hex.escapingControls) != nil) == expected)
            if expected { withControl += 1 } else { without += 1 }
        }
        #expect(withControl > 5_000 && without > 5_000)
    }

    @Test func aControlAtEveryPlaceIsFound() {
        for count in 1...24 {
            for place in 0..<count {
                for control: UInt8 in [0x00, 0x1F, 0x7F] {
                    var bytes = [UInt8](repeating: 0x80, count: count)
                    bytes[place] = control
                    #expect(bytes.withUnsafeBufferPointer(Hex.containsControl), "\(count) \(place) \(control)")
                }
            }
            #expect(![UInt8](repeating: 0x20, count: count).withUnsafeBufferPointer(Hex.containsControl))
        }
    }
}
