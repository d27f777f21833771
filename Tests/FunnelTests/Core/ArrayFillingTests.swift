import FunnelCore
import Testing

/// `Array(filled:count:)` makes what `Array(repeating:count:)` makes, by another allocation path.
struct ArrayFillingTests {
    @Test(arguments: [0, 1, 13, 1000])
    func makesWhatRepeatingMakes(count: Int) {
        #expect([Bool](filled: false, count: count) == [Bool](repeating: false, count: count))
        #expect([String?](filled: "v", count: count) == [String?](repeating: "v", count: count))
        #expect([String?](filled: nil, count: count).count == count)
    }
}
