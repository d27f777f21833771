
/// A Bloom filter of the keys a history holds: groups, visitors and event ids, and in the
/// SQLite history the ids of its session bodies (a body can be written without a new record:
/// that history's stored filter is trusted only while both its records and its sessions are
/// as they were when it was saved; see `SQLiteHistoryStore`).
///
/// Most of what a night's run looks up has never been stored (new client sessions, new event
/// ids, first-time visitors), and each lookup in a large history is a B-tree descent that
/// often leaves SQLite's cache for the disk. The filter answers "certainly not stored" from
/// memory; only keys it may hold go to the database. It never forgets a key it was given, so
/// a "no" is always right; about one "maybe" in a hundred is wrong, which costs one lookup.
///
/// It grows without re-reading the history: when the newest part is full, a part twice its
/// size is added (a scalable Bloom filter), and a key may be in any part. The hash is FNV-1a,
/// fixed across processes, since the filter is stored with the history.
///
/// Its memory is bounded (`maximumBytes`, 64 MiB unless the pipeline's
/// `limits.key_filter_bytes` says otherwise, about 53 million keys at ten bits each): a
/// history grows with every night and a backfill of years writes all of them in one run,
/// and a run's memory must not follow the history's size. Once a new part would not fit, the
/// newest part takes every further key: no key is ever lost, so a "no" stays right, but more
/// keys share its bits and more "maybe"s are wrong, each costing a lookup as before there was
/// a filter. The newest part holds less than half the bound's bits, so the histories build a
/// filter that reached its bound in parts again as one part of the whole bound
/// (`shouldBeBuiltAgain`): of keys never added, 5.5% read "maybe" in parts at the bound,
/// 50% at twice its keys and 98% at four times; in one part 0.9%, 14% and 64%
/// (`KeyFilterTests`). The bound is not stored: a filter read back gets the reader's. One
/// stored larger than it is kept as it is, taking no further part, until its newest part is
/// full and it is built again within the bound; one full at a bound since raised is built
/// again to the new bound.
///
/// Each part is blocked: a key's seven bits all fall in one 512-bit block (a cache line)
/// that its hash picks, so a probe reads one line of memory where a plain Bloom filter read
/// seven, and finds the block by a multiplication instead of a division. The first form
/// ("KF1", seven bits anywhere in the part, each found by a 64-bit division) took 2.4 to
/// 2.6% of a run's samples at M (`perf`), this one 1.5 to 1.6%, and its parts outgrow the
/// cache at larger histories. About 1% of the keys never added still read "maybe" (0.8%
/// before). A stored "KF1" filter is read as none, so a history that holds one gets a filter
/// built again from its tables, once.
struct KeyFilter: Equatable {
    /// Hashed with the key, so one text stored as two kinds is two keys. The values are part
    /// of stored filters: never renumber them.
    enum Kind: UInt8 {
        case group = 0x67, visitor = 0x76, event = 0x65, session = 0x73
    }

    struct Part: Equatable {
        var capacity: Int
        var count = 0
        /// Whole blocks of `KeyFilter.blockWords` words.
        var words: [UInt64]

        init(capacity: Int) {
            self.capacity = capacity
            words = Array(repeating: 0, count: Self.wordCount(capacity: capacity))
        }

        /// Ten bits a key, in whole blocks (at least one).
        static func wordCount(capacity: Int) -> Int {
            let blocks = max(1, (capacity * KeyFilter.bitsPerKey + KeyFilter.blockBits - 1) / KeyFilter.blockBits)
            return blocks * KeyFilter.blockWords
        }

        /// The first word of the key's block.
        private func block(_ hash: (UInt64, UInt64)) -> Int {
            let blocks = UInt64(words.count / KeyFilter.blockWords)
            return Int(hash.0.multipliedFullWidth(by: blocks).high) * KeyFilter.blockWords
        }

        func contains(_ hash: (UInt64, UInt64)) -> Bool {
            let base = block(hash)
            return words.withUnsafeBufferPointer { Self.holds(hash, at: base, in: $0) }
        }

        private static func holds(_ hash: (UInt64, UInt64), at base: Int, in words: UnsafeBufferPointer<UInt64>) -> Bool {
            for probe in 0..<UInt64(KeyFilter.probes) {
                let bit = (hash.1 >> (probe &* 9)) & 511
                if words[base + Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            }
            return true
        }

        /// Sets `found[i]` for each hash this part holds (those set already are not probed).
        /// Each key's block is asked for `KeyFilter.lookahead` keys before its probe: a part
        /// is megabytes, each probe a load from memory, and asked for in advance the loads
        /// overlap instead of each waiting.
        func mark(_ hashes: [(UInt64, UInt64)], found: inout [Bool]) {
            words.withUnsafeBufferPointer { words in
                guard let start = words.baseAddress else { return }
                hashes.withUnsafeBufferPointer { hashes in
                    found.withUnsafeMutableBufferPointer { found in
                        for index in hashes.indices {
                            let ahead = index &+ KeyFilter.lookahead
                            if ahead < hashes.count, !found[ahead] { Prefetch.address(start + block(hashes[ahead])) }
                            if !found[index], Self.holds(hashes[index], at: block(hashes[index]), in: words) { found[index] = true }
                        }
                    }
                }
            }
        }

        mutating func insert(_ hash: (UInt64, UInt64)) {
            let base = block(hash)
            words.withUnsafeMutableBufferPointer { words in
                for probe in 0..<UInt64(KeyFilter.probes) {
                    let bit = (hash.1 >> (probe &* 9)) & 511
                    words[base + Int(bit >> 6)] |= 1 << (bit & 63)
                }
            }
            count += 1
        }
    }

    /// Ten bits and seven probes per key: about 1% false positives in a full part (a little
    /// more than an unblocked filter's 0.8%).
    static let bitsPerKey = 10
    static let probes = 7
    /// A block is a cache line: 512 bits, 8 words; a probe's bit is 9 bits of the hash.
    static let blockBits = 512
    static let blockWords = blockBits / 64
    /// The first part's capacity: a 1.2 MiB array, a few nights of a busy site.
    static let initialCapacity = 1 << 20
    /// The default bound on the parts' words (see `Pipeline.defaultKeyFilterBytes`).
    static let defaultMaximumBytes = Pipeline.defaultKeyFilterBytes

    private(set) var parts: [Part]
    /// The most bytes the parts' words may take; past it the newest part is filled beyond its
    /// capacity instead of a part being added (see the type's comment).
    let maximumBytes: Int
    /// A filter that rules nothing out, for a history that cannot keep one.
    private var holdsEverything = false

    static let everything: KeyFilter = {
        var filter = KeyFilter(capacity: 64)
        filter.holdsEverything = true
        return filter
    }()

    /// A filter for `capacity` keys at ten bits each, or for as many as `maximumBytes` holds
    /// (at least 64 keys, whatever the bound).
    init(capacity: Int = KeyFilter.initialCapacity, maximumBytes: Int = KeyFilter.defaultMaximumBytes) {
        self.maximumBytes = maximumBytes
        parts = [Part(capacity: max(64, min(capacity, Self.capacity(bytes: maximumBytes))))]
    }

    /// The most keys a part of `bytes` bytes holds at ten bits a key, in whole blocks.
    static func capacity(bytes: Int) -> Int {
        (max(0, bytes) / (blockBits / 8)) * blockBits / bitsPerKey
    }

    /// The bytes the parts' words take.
    var byteCount: Int { parts.reduce(0) { $0 + $1.words.count * 8 } }

    /// The capacity of the part to add when the newest is full: twice the newest's, or what
    /// is left under `maximumBytes` if that is less; nil when what is left would not hold as
    /// many keys as the newest part (which then takes the keys that follow).
    private func nextCapacity() -> Int? {
        let newest = parts[parts.count - 1].capacity
        let fitting = min(newest * 2, Self.capacity(bytes: maximumBytes - byteCount))
        return fitting >= newest ? fitting : nil
    }

    /// Whether the newest part holds more keys than its capacity, its bound reached.
    var isSaturated: Bool { parts[parts.count - 1].count > parts[parts.count - 1].capacity }

    /// Whether the histories should build this filter again from their keys, as one part of
    /// the whole bound, when they load it: it reached its bound in several parts, or its one
    /// over-full part is smaller than the bound now allows (the bound was raised). Either way
    /// one part of the whole bound rules out many more of the keys never added. A filter of
    /// one part as large as the bound allows is kept however full: it can do no better.
    var shouldBeBuiltAgain: Bool {
        isSaturated && (parts.count > 1 || parts[0].capacity < Self.capacity(bytes: maximumBytes))
    }

    /// Keys added over all parts (a key added twice counts once, unless a false positive
    /// already claimed it, which only makes the filter fill a little later).
    var count: Int { parts.reduce(0) { $0 + $1.count } }

    func mayContain(_ kind: Kind, _ key: String) -> Bool {
        if holdsEverything { return true }
        let hash = Self.hash(kind, key)
        return parts.contains { $0.contains(hash) }
    }

    /// `mayContain` of each key, in order. The histories ask for thousands of keys at once,
    /// and asked together their probes overlap (`Part.mark`): one at a time, each waited for
    /// a load from memory. At L (a filter of two parts, 3.7 MB) the filter's `perf` samples
    /// went from 400 to 245 of about 20,000, and S's instructions down 0.4%.
    func mayContain(_ kind: Kind, each keys: [String]) -> [Bool] {
        if holdsEverything { return Array(repeating: true, count: keys.count) }
        return holds(keys.map { Self.hash(kind, $0) })
    }

    /// The keys of `keys` the filter may hold, in order.
    func possible(_ kind: Kind, _ keys: [String]) -> [String] {
        let maybe = mayContain(kind, each: keys)
        return keys.indices.compactMap { maybe[$0] ? keys[$0] : nil }
    }

    /// Whether any part holds each hash.
    private func holds(_ hashes: [(UInt64, UInt64)]) -> [Bool] {
        var found = Array(repeating: false, count: hashes.count)
        for part in parts { part.mark(hashes, found: &found) }
        return found
    }

    /// How many keys ahead of its probe a key's block is asked for (`Part.mark`).
    static let lookahead = 12

    mutating func insert(_ kind: Kind, _ key: String) {
        if holdsEverything { return }
        let hash = Self.hash(kind, key)
        if parts.contains(where: { $0.contains(hash) }) { return }
        add(hash)
    }

    /// `insert` of each key, in order, with the same result (parts, counts, bits): whether a
    /// part holds a key is asked for all keys at once first, as `mayContain(_:each:)` does.
    /// Only the newest part, and parts added meanwhile, change while the keys go in: for
    /// those a key is probed again just before it would go in (its block is in the cache by
    /// then), so that a key given twice, or one whose bits an earlier key set, counts once,
    /// as one at a time.
    mutating func insert(_ kind: Kind, each keys: [String]) {
        if holdsEverything || keys.isEmpty { return }
        let hashes = keys.map { Self.hash(kind, $0) }
        let changing = parts.count - 1
        let held = holds(hashes)
        for (hash, held) in zip(hashes, held) where !held {
            if parts[changing...].contains(where: { $0.contains(hash) }) { continue }
            add(hash)
        }
    }

    /// Sets `hash`'s bits in the newest part, adding a part first when it is full and one fits.
    private mutating func add(_ hash: (UInt64, UInt64)) {
        if parts[parts.count - 1].count >= parts[parts.count - 1].capacity, let capacity = nextCapacity() {
            parts.append(Part(capacity: capacity))
        }
        parts[parts.count - 1].insert(hash)
    }

    /// Adds every key a history change stores: its records' groups, its event ids and the
    /// visitors it gives session ids or groups. Both histories call this with each change they
    /// apply, so they agree on what the filter holds.
    mutating func add(_ change: HistoryChange) {
        addGroups(of: change.records[...])
        insert(.event, each: change.eventHolders.map(\.id))
        insert(.visitor, each: change.visitors.compactMap { $0.value.isEmpty ? nil : $0.key })
    }

    /// Adds the groups of `records` (a group's records are next to each other).
    mutating func addGroups(of records: ArraySlice<(group: String, position: String, data: [UInt8])>) {
        var groups: [String] = []
        groups.reserveCapacity(records.count)
        for index in records.indices where groups.last != records[index].group { groups.append(records[index].group) }
        insert(.group, each: groups)
    }

    /// Adds the ids of the session bodies a change stores (the SQLite history's only).
    mutating func addSessions(_ change: HistoryChange) {
        insert(.session, each: change.sessionBodies.map(\.id))
    }

    /// Two 64-bit hashes of the key: FNV-1a over the kind and the key's bytes, mixed by
    /// SplitMix64's finalizer, picks the block; a second finalizer of it gives the seven
    /// 9-bit positions in the block (the low 63 bits).
    static func hash(_ kind: Kind, _ key: String) -> (UInt64, UInt64) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        h = (h ^ UInt64(kind.rawValue)) &* 0x0000_0100_0000_01B3
        var key = key
        key.withUTF8 { bytes in
            for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        var z = h &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        var w = z &+ 0x9E37_79B9_7F4A_7C15
        w = (w ^ (w >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        w = (w ^ (w >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        w ^= w >> 33
        return (z, w)
    }

    // MARK: - Stored form

    /// Little-endian: "KF2", part count, then per part capacity, count, word count and words.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedCount)
        forEachEncodedPiece { out.append(contentsOf: $0) }
        return out
    }

    /// The length of `encoded()`'s form, without making it: the pieces' lengths.
    var encodedCount: Int {
        var count = 0
        forEachEncodedPiece { count += $0.count }
        return count
    }

    /// `encoded()`'s form piece by piece, in order: the header's fields, then each part's
    /// words as they lie in memory (where memory is little-endian already, as on every
    /// platform funnel builds on). A long history's filter is tens of megabytes, and a store
    /// that writes the pieces where they go (`SQLiteHistoryStore.commit`) holds no second copy
    /// of it: with copies, nightly runs on a history of 15 to 30 days of the bench's M traffic
    /// (a filter of 19.7 MB) peaked at 200 to 211 MiB; without, at 176 to 192 MiB.
    func forEachEncodedPiece(_ body: (UnsafeRawBufferPointer) -> Void) {
        var header: [UInt8] = Array(Self.magic.utf8)
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        put(UInt64(parts.count))
        for part in parts {
            put(UInt64(part.capacity))
            put(UInt64(part.count))
            put(UInt64(part.words.count))
            header.withUnsafeBytes(body)
            header.removeAll(keepingCapacity: true)
            #if _endian(little)
            part.words.withUnsafeBytes(body)
            #else
            part.words.map(\.littleEndian).withUnsafeBytes(body)
            #endif
        }
    }

    /// The stored form's first bytes; "KF1" was the unblocked filter, read as none.
    static let magic = "KF2"

    /// nil for bytes that are not a whole filter of this form (the history then rebuilds it).
    init?(encoded bytes: [UInt8], maximumBytes: Int = KeyFilter.defaultMaximumBytes) {
        self.init(count: bytes.count, maximumBytes: maximumBytes) { buffer, offset in
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
            return true
        }
    }

    /// Reads `encoded()`'s form of `count` bytes through `read`, which fills its buffer with
    /// the bytes at the offset it is given (never past `count`) and returns false when it
    /// cannot. Each part's words are read straight into the part, so a store that reads the
    /// stored value in pieces (`SQLiteHistoryStore`) holds no copy of it. nil for bytes that
    /// are not a whole filter of this form, or a read that failed.
    init?(count: Int, maximumBytes: Int = KeyFilter.defaultMaximumBytes, read: (UnsafeMutableRawBufferPointer, Int) -> Bool) {
        let magic = Array(Self.magic.utf8)
        var start = [UInt8](repeating: 0, count: magic.count)
        guard count >= magic.count + 8, start.withUnsafeMutableBytes({ read($0, 0) }), start == magic else { return nil }
        var offset = magic.count
        func take() -> UInt64? {
            guard offset + 8 <= count else { return nil }
            var value: UInt64 = 0
            guard withUnsafeMutableBytes(of: &value, { read($0, offset) }) else { return nil }
            offset += 8
            return UInt64(littleEndian: value)
        }
        guard let partCount = take(), partCount > 0, partCount < 64 else { return nil }
        var parts: [Part] = []
        for _ in 0..<partCount {
            // Numbers are checked before they are converted or multiplied: damaged bytes must
            // give nil (and a filter built again), never an overflow that stops the run. A
            // part holds more keys than its capacity only if it is the newest and the bound
            // was reached (`insert` adds a part first while one fits).
            let isNewest = parts.count == partCount - 1
            guard let capacity = take(), let keys = take(), let wordCount = take(), capacity > 0, capacity < 1 << 40,
                  keys <= capacity || (isNewest && keys < 1 << 40),
                  wordCount == UInt64(Part.wordCount(capacity: Int(capacity))), count - offset >= Int(wordCount) * 8
            else { return nil }
            var part = Part(capacity: Int(capacity))
            part.count = Int(keys)
            guard part.words.withUnsafeMutableBytes({ read($0, offset) }) else { return nil }
            #if !_endian(little)
            for index in part.words.indices { part.words[index] = UInt64(littleEndian: part.words[index]) }
            #endif
            offset += Int(wordCount) * 8
            parts.append(part)
        }
        guard offset == count else { return nil }
        self.parts = parts
        self.maximumBytes = maximumBytes
    }
}
