/// A key with its hash taken once. The hash mixes the text's bytes eight at a time with a
/// seed drawn per process, so that crafted keys cannot be made to collide from outside;
/// `Dictionary` then hashes only that one word. Equal hashes are still checked by text.
struct RecentCacheKey: Hashable {
    let text: String
    let hash: UInt64

    private static let seed = UInt64.random(in: .min ... .max)

    init(_ text: String) {
        self.text = text
        var copy = text
        hash = copy.withUTF8 { Self.mix($0, seed: Self.seed) }
    }

    static func mix(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = (seed ^ UInt64(bytes.count)) &* multiplier
        guard let base = bytes.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* multiplier
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* multiplier
        return h ^ (h >> 32)
    }

    static func == (a: RecentCacheKey, b: RecentCacheKey) -> Bool {
        a.hash == b.hash && a.text == b.text
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }
}
