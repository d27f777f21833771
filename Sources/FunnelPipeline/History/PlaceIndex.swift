import FunnelCore

/// Each key's places in a list of keys, in order, for reads that ask by key.
///
/// One dictionary of first places and one array chaining each place to the key's next one,
/// instead of an array per key: a pending change of a chunk holds tens of thousands of
/// groups, nearly all with one place, and an array each made that many allocations to
/// index it and as many releases to drop it. Keys are `HashedText`: the index is built over
/// every record of a chunk's change, and SipHash over each group's text cost more than the
/// reads it serves.
struct PlaceIndex {
    private var first: [HashedText: Int] = [:]
    /// The next place of the same key, or -1.
    private var next: [Int]

    /// The places `0..<count` of the keys `key(place)`.
    init(count: Int, key: (Int) -> String) {
        next = Array(repeating: -1, count: count)
        first.reserveCapacity(count)
        // From the end, so that each key's chain runs in order.
        for place in stride(from: count - 1, through: 0, by: -1) {
            let name = HashedText(key(place))
            if let later = first.updateValue(place, forKey: name) { next[place] = later }
        }
    }

    var isEmpty: Bool { first.isEmpty }

    /// The places of `key`, in order (none for a key the list does not hold).
    func places(of key: String) -> Places {
        Places(chain: next, place: first.isEmpty ? -1 : first[HashedText(key)] ?? -1)
    }

    struct Places: Sequence, IteratorProtocol {
        fileprivate let chain: [Int]
        fileprivate var place: Int

        var isEmpty: Bool { place < 0 }

        mutating func next() -> Int? {
            guard place >= 0 else { return nil }
            defer { place = chain[place] }
            return place
        }
    }
}
