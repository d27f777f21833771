/// The order SQLite's BINARY collation gives text keys (their bytes, compared as `memcmp`
/// does, the shorter first on a tie), for rows inserted in key order so that neighbouring
/// index entries land on the same B-tree pages.
///
/// Each key's first sixteen bytes are read once into two integers that compare the same way,
/// and the sort compares those; keys that share them are compared whole. Sorting by
/// `String`'s `<` compared the strings themselves at every step: about 53 million
/// instructions of the bench's S run for the history's three sorts of each chunk, 24 so. Only the
/// pages written depend on this order, never what is stored.
enum KeyOrder {
    /// The places of `keys` in the keys' byte order.
    static func sorted(_ keys: [String]) -> [Int] {
        var entries: [(high: UInt64, low: UInt64, place: Int)] = []
        entries.reserveCapacity(keys.count)
        for (place, key) in keys.enumerated() {
            var key = key
            let (high, low) = key.withUTF8(prefix)
            entries.append((high, low, place))
        }
        entries.sort { a, b in
            if a.high != b.high { return a.high < b.high }
            if a.low != b.low { return a.low < b.low }
            return keys[a.place].utf8.lexicographicallyPrecedes(keys[b.place].utf8)
        }
        return entries.map(\.place)
    }

    /// The first sixteen bytes, big-endian, zero-padded: integers that order as the bytes do
    /// (a key that is a shorter prefix of another compares equal here and is told apart by
    /// the whole keys).
    static func prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<16 {
            let byte = index < bytes.count ? UInt64(bytes[index]) : 0
            if index < 8 { high = high << 8 | byte } else { low = low << 8 | byte }
        }
        return (high, low)
    }
}
