import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// Recent answers by a hash of their key's bytes, one per slot, in front of a `RecentCache`:
/// a line's key found here (an agent; an address with its agent) costs a hash of its bytes
/// and a comparison, where making the key's string and looking that up cost 1,300 to 1,500
/// instructions a line (callgrind, 2026-12-02 and 2026-12-05). A key stored where another is
/// replaces it, so at most `count` answers are held whatever the input.
struct RecentSlots<Entry> {
    /// A power of two.
    static var count: Int { 4096 }

    private var slots: [(hash: UInt64, entry: Entry)?] = Array(repeating: nil, count: count)

    /// The hash of a key's bytes, after the hash of its earlier part (`previous`) for a key in
    /// two parts. Seeded per process, like `HashedText`: keys crafted to share a slot only
    /// make each other go through the cache.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, after previous: UInt64? = nil) -> UInt64 {
        HashedText.mix(bytes, seed: previous ?? recentSlotsSeed)
    }

    /// The entry stored under `hash` when `matches` says its key is the one asked for.
    func entry(for hash: UInt64, where matches: (Entry) -> Bool) -> Entry? {
        guard let slot = slots[Int(truncatingIfNeeded: hash) & (Self.count - 1)], slot.hash == hash, matches(slot.entry) else {
            return nil
        }
        return slot.entry
    }

    mutating func store(_ entry: Entry, for hash: UInt64) {
        slots[Int(truncatingIfNeeded: hash) & (Self.count - 1)] = (hash, entry)
    }
}

private let recentSlotsSeed = UInt64.random(in: .min ... .max)

/// Whether two byte buffers hold the same bytes: how a slot's key is checked against a line's.
func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
}
