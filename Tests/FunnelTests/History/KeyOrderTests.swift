@testable import FunnelPipeline
import Testing

/// The history inserts rows in its keys' byte order (SQLite's BINARY collation): the order
/// `KeyOrder` gives must be exactly the order of the keys' bytes, for keys that share their
/// first sixteen bytes, that are prefixes of one another, empty, or not ASCII.
struct KeyOrderTests {
    @Test func placesFollowTheKeysBytes() {
        var random = SystemRandomNumberGenerator()
        let stems = ["", "a", "s:s14051", "s:s1405100000000", "v:fp0123456789abcdef", "é", "Z", "\u{7F}", "日本"]
        var keys: [String] = []
        for stem in stems {
            keys.append(stem)
            for _ in 0..<40 {
                let tail = String((0..<Int.random(in: 0...20, using: &random)).map { _ in
                    ["0", "9", "a", "z", "é", "\u{01}", " "].randomElement(using: &random)!
                })
                keys.append(stem + tail)
            }
        }
        keys.shuffle(using: &random)
        let expected = keys.indices.sorted { Array(keys[$0].utf8).lexicographicallyPrecedes(Array(keys[$1].utf8)) }.map { keys[$0] }
        #expect(KeyOrder.sorted(keys).map { keys[$0] } == expected)
        #expect(Set(KeyOrder.sorted(keys)) == Set(keys.indices))
        #expect(KeyOrder.sorted([]).isEmpty)
    }
}
