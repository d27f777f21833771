@testable import FunnelTransform
import Testing

/// The caches of the reader's hot path (fingerprints, user agents) keep recent keys only, so a
/// run over years of logs holds no more of them than a run over one day.
struct RecentCacheTests {
    @Test func holdsAtMostTwoGenerationsOfKeys() {
        var cache = RecentCache<Int>(entryLimit: 10, byteLimit: 1 << 20)
        for n in 0..<1_000 {
            cache.insert(n, for: "key \(n)")
            #expect(cache.count <= 20)
        }
        // The newest keys are still there, with their values; the oldest are gone.
        for n in 990..<1_000 { #expect(cache.value(for: "key \(n)") == n) }
        #expect(cache.value(for: "key 0") == nil)
    }

    @Test func longKeysSwitchGenerationsByBytes() {
        var cache = RecentCache<Int>(entryLimit: 1_000, byteLimit: 4_000)
        for n in 0..<100 {
            cache.insert(n, for: String(repeating: "x", count: 996) + String(1_000 + n))
            // 4 keys of 1,000 bytes fill a generation.
            #expect(cache.count <= 8)
        }
        #expect(cache.value(for: String(repeating: "x", count: 996) + "1099") == 99)
    }

    @Test func aKeyInUseSurvivesEveryGenerationSwitch() {
        var cache = RecentCache<String>(entryLimit: 10, byteLimit: 1 << 20)
        cache.insert("hot value", for: "hot")
        for n in 0..<500 {
            cache.insert("cold", for: "cold \(n)")
            #expect(cache.value(for: "hot") == "hot value")
        }
    }

    @Test func replacingAValueKeepsOneEntry() {
        var cache = RecentCache<Int>(entryLimit: 10, byteLimit: 1 << 20)
        cache.insert(1, for: "a")
        cache.insert(2, for: "a")
        #expect(cache.count == 1)
        #expect(cache.value(for: "a") == 2)
    }

    @Test func fingerprintsStayBoundedAndEqualToUncachedOnes() {
        let identity = VisitorIdentity(salt: "pepper")
        let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.0.0 Safari/537.36"
        let first = identity.fingerprint(ip: "198.51.100.1", userAgent: agent)
        for n in 0..<40_000 {
            _ = identity.fingerprint(ip: "10.\(n >> 16).\((n >> 8) & 255).\(n & 255)", userAgent: agent)
        }
        #expect(identity.cachedPairCount <= 2 * 8_192)
        // Long evicted, the pair gets the same fingerprint again, as a fresh identity gives it.
        #expect(identity.fingerprint(ip: "198.51.100.1", userAgent: agent) == first)
        #expect(VisitorIdentity(salt: "pepper").fingerprint(ip: "198.51.100.1", userAgent: agent) == first)
        #expect(VisitorIdentity(salt: "salt").fingerprint(ip: "198.51.100.1", userAgent: agent) != first)
    }
}

/// The caches' keys hash their text once, eight bytes at a step, with a seed per process.
struct RecentCacheKeyTests {
    @Test func everyByteAndTheLengthChangeTheHash() {
        let seed: UInt64 = 0x1234_5678_9ABC_DEF0
        func mix(_ bytes: [UInt8], seed: UInt64 = seed) -> UInt64 { bytes.withUnsafeBufferPointer { RecentCacheKey.mix($0, seed: seed) } }
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
        #expect(RecentCacheKey(long) == RecentCacheKey(String(long.dropLast()) + " "))
        #expect(RecentCacheKey(long) != RecentCacheKey(long + "x"))
        #expect(RecentCacheKey("") == RecentCacheKey(""))
    }

    @Test func computesOnlyOnAMiss() {
        var cache = RecentCache<Int>(entryLimit: 10, byteLimit: 1 << 20)
        var computed = 0
        for round in 0..<3 {
            for n in 0..<5 { #expect(cache.value(for: "key \(n)") { computed += 1; return n * 10 } == n * 10, "round \(round)") }
        }
        #expect(computed == 5)
    }
}
