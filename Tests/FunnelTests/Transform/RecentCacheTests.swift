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

    /// A fingerprint taken from an address's bytes is the one its string gives, from a fresh
    /// identity, whatever the slots held before: for pairs that share an address or an agent,
    /// more pairs than there are slots (so that slots are taken over), an address that is not
    /// UTF-8 (its string is repaired) and a missing agent (an empty one).
    @Test func fingerprintsOfBytesAreThoseOfStrings() {
        let identity = VisitorIdentity(salt: "pepper")
        let agents: [String?] = ["Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0", "Mozilla/5.0 (iPhone) Safari/604.1", nil, ""]
        var addresses: [[UInt8]] = [Array("203.0.113.9".utf8), [0x31, 0xFF, 0x2E, 0x32], Array("2001:db8::1".utf8)]
        for n in 0..<(VisitorIdentity.slotCount + 500) { addresses.append(Array("10.0.\(n >> 8).\(n & 255)".utf8)) }
        var checked = 0
        for round in 0..<2 {
            for address in addresses.prefix(round == 0 ? addresses.count : 600) {
                for agent in agents {
                    let fromBytes = address.withUnsafeBufferPointer { identity.fingerprint(ip: $0, userAgent: agent) }
                    let expected = VisitorIdentity(salt: "pepper").fingerprint(ip: String(decoding: address, as: UTF8.self), userAgent: agent ?? "")
                    #expect(fromBytes == expected, "\(address) \(agent ?? "nil")")
                    checked += 1
                }
            }
        }
        #expect(checked == (addresses.count + 600) * agents.count)
        // The four agents of one address are three visitors: a missing agent is an empty one.
        let three = Set(agents.map { identity.fingerprint(ip: "203.0.113.9", userAgent: $0) })
        #expect(three.count == 3)
    }

    /// The cache computes a value only for text it does not hold.
    @Test func computesOnlyOnAMiss() {
        var cache = RecentCache<Int>(entryLimit: 10, byteLimit: 1 << 20)
        var computed = 0
        for round in 0..<3 {
            for n in 0..<5 { #expect(cache.value(for: "key \(n)") { computed += 1; return n * 10 } == n * 10, "round \(round)") }
        }
        #expect(computed == 5)
    }
}
