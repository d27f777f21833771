/// A string with its hash taken once: the key of tables that look the same text up many
/// times, or that a thread other than the one making the key looks it up in.
///
/// The hash mixes the text's bytes eight at a time with a seed drawn per process, so that
/// crafted keys cannot be made to collide from outside. `Dictionary` and `Set` then mix only
/// that one word with their own seed (`_rawHashValue(seed:)`) instead of running `Hasher`'s
/// SipHash over the text at every lookup: about 250 of the 390 instructions a lookup of a
/// group's or a visitor's key took. Equal hashes are still checked by text.
public struct HashedText: Hashable, Sendable {
    public let text: String
    public let hash: UInt64

    private static let seed = UInt64.random(in: .min ... .max)

    public init(_ text: String) {
        self.text = text
        var copy = text
        hash = copy.withUTF8(Self.hash(of:))
    }

    /// The `hash` a `HashedText` of these UTF-8 bytes has, without making its text: a list
    /// of stored texts is looked through by it, and a text made only where it matches.
    public static func hash(of bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        mix(bytes, seed: seed)
    }

    /// A 64-bit hash of `bytes`, eight at a step, with `seed` mixed in first.
    public static func mix(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
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

    public static func == (a: HashedText, b: HashedText) -> Bool {
        a.hash == b.hash && a.text == b.text
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    /// What `Dictionary` and `Set` ask a key for, with their per-table seed: the hash taken
    /// once, mixed with the seed by a 64-bit finalizer (MurmurHash3's), so that every bit of
    /// both reaches the bits a table uses.
    public func _rawHashValue(seed: Int) -> Int {
        var h = hash ^ UInt64(UInt(bitPattern: seed))
        h = (h ^ (h >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        h = (h ^ (h >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return Int(Int64(bitPattern: h ^ (h >> 33)))
    }
}
