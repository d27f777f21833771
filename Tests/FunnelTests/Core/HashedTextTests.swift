import FunnelCore
import Testing

/// Keys that hash their text once, eight bytes at a step, with a seed per process: the caches'
/// keys, and the session stage's and the planner's.
struct HashedTextTests {
    @Test func everyByteAndTheLengthChangeTheHash() {
        let seed: UInt64 = 0x1234_5678_9ABC_DEF0
        func mix(_ bytes: [UInt8], seed: UInt64 = seed) -> UInt64 { bytes.withUnsafeBufferPointer { HashedText.mix($0, seed: seed) } }
        let base = Array("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)".utf8)
        var seen: Set<UInt64> = [mix(base)]
        // A change of any one byte, in the 8-byte words or in the tail, gives another hash.
        for index in base.indices {
            var changed = base
            changed[index] ^= 0x01
            #expect(seen.insert(mix(changed)).inserted, "byte \(index)")
        }
        // So do trailing zero bytes, which the tail word alone would not tell apart.
        #expect(seen.insert(mix(base + [0])).inserted)
        #expect(seen.insert(mix(base + [0, 0])).inserted)
        #expect(mix([]) != mix([0]))
        // The same text hashes the same; another seed hashes it otherwise.
        #expect(mix(base) == mix(Array(base)))
        #expect(mix(base, seed: seed + 1) != mix(base))
    }

    @Test func keysAreEqualByText() {
        let long = String(repeating: "agent ", count: 30)
        #expect(HashedText(long) == HashedText(String(long.dropLast()) + " "))
        #expect(HashedText(long) != HashedText(long + "x"))
        #expect(HashedText("") == HashedText(""))
    }

    /// Tables hash a key by `_rawHashValue(seed:)`: equal texts must land together and the
    /// table must find every key among many, whatever the seed.
    @Test func tablesFindEveryKeyAndTellTextsApart() {
        var table: [HashedText: Int] = [:]
        for n in 0..<20_000 { table[HashedText("ss\(n)")] = n }
        #expect(table.count == 20_000)
        for n in stride(from: 0, to: 20_000, by: 7) { #expect(table[HashedText("s" + "s\(n)")] == n) }
        #expect(table[HashedText("ss20000")] == nil)
        let set: Set<HashedText> = [HashedText("a"), HashedText("a"), HashedText("b")]
        #expect(set.count == 2)
        // The seed is mixed in: one key answers differently for two seeds, the same for one.
        let key = HashedText("v:visitor")
        #expect(key._rawHashValue(seed: 1) != key._rawHashValue(seed: 2))
        #expect(key._rawHashValue(seed: 1) == HashedText("v:" + "visitor")._rawHashValue(seed: 1))
    }
}
