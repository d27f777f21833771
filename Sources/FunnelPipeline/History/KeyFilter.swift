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
struct KeyFilter: Equatable {
    /// Hashed with the key, so one text stored as two kinds is two keys. The values are part
    /// of stored filters: never renumber them.
    enum Kind: UInt8 {
        case group = 0x67, visitor = 0x76, event = 0x65, session = 0x73
    }

    struct Part: Equatable {
        var capacity: Int
        var count = 0
        var words: [UInt64]

        init(capacity: Int) {
            self.capacity = capacity
            words = Array(repeating: 0, count: max(1, capacity * KeyFilter.bitsPerKey / 64))
        }

        func contains(_ hash: (UInt64, UInt64)) -> Bool {
            let bits = UInt64(words.count * 64)
            for probe in 0..<UInt64(KeyFilter.probes) {
                let bit = (hash.0 &+ probe &* hash.1) % bits
                if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            }
            return true
        }

        mutating func insert(_ hash: (UInt64, UInt64)) {
            let bits = UInt64(words.count * 64)
            for probe in 0..<UInt64(KeyFilter.probes) {
                let bit = (hash.0 &+ probe &* hash.1) % bits
                words[Int(bit >> 6)] |= 1 << (bit & 63)
            }
            count += 1
        }
    }

    /// Ten bits and seven probes per key: about 1% false positives in a full part.
    static let bitsPerKey = 10
    static let probes = 7
    /// The first part's capacity: a 1.2 MiB array, a few nights of a busy site.
    static let initialCapacity = 1 << 20

    private(set) var parts: [Part]
    /// A filter that rules nothing out, for a history that cannot keep one.
    private var holdsEverything = false

    static let everything: KeyFilter = {
        var filter = KeyFilter(capacity: 64)
        filter.holdsEverything = true
        return filter
    }()

    init(capacity: Int = KeyFilter.initialCapacity) {
        parts = [Part(capacity: max(64, capacity))]
    }

    /// Keys added over all parts (a key added twice counts once, unless a false positive
    /// already claimed it, which only makes the filter fill a little later).
    var count: Int { parts.reduce(0) { $0 + $1.count } }

    func mayContain(_ kind: Kind, _ key: String) -> Bool {
        if holdsEverything { return true }
        let hash = Self.hash(kind, key)
        return parts.contains { $0.contains(hash) }
    }

    mutating func insert(_ kind: Kind, _ key: String) {
        if holdsEverything { return }
        let hash = Self.hash(kind, key)
        if parts.contains(where: { $0.contains(hash) }) { return }
        if parts[parts.count - 1].count >= parts[parts.count - 1].capacity {
            parts.append(Part(capacity: parts[parts.count - 1].capacity * 2))
        }
        parts[parts.count - 1].insert(hash)
    }

    /// Adds every key a history change stores: its records' groups, its event ids and the
    /// visitors it gives session ids or groups. Both histories call this with each change they
    /// apply, so they agree on what the filter holds.
    mutating func add(_ change: HistoryChange) {
        addGroups(of: change.records[...])
        for (id, _) in change.eventHolders { insert(.event, id) }
        for (visitor, row) in change.visitors where !row.isEmpty { insert(.visitor, visitor) }
    }

    /// Adds the groups of `records` (a group's records are next to each other).
    mutating func addGroups(of records: ArraySlice<(group: String, position: String, data: [UInt8])>) {
        var previous: String?
        for record in records where record.group != previous {
            insert(.group, record.group)
            previous = record.group
        }
    }

    /// Adds the ids of the session bodies a change stores (the SQLite history's only).
    mutating func addSessions(_ change: HistoryChange) {
        for session in change.sessionBodies { insert(.session, session.id) }
    }

    /// Two 64-bit hashes of the key (FNV-1a, then a SplitMix64 finalizer of it for the
    /// step), combined as `h1 + i * h2` for the probes.
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
        return (h, z | 1)
    }

    // MARK: - Stored form

    /// Little-endian: "KF1", part count, then per part capacity, count, word count and words.
    func encoded() -> [UInt8] {
        var out: [UInt8] = Array("KF1".utf8)
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(parts.count))
        for part in parts {
            put(UInt64(part.capacity))
            put(UInt64(part.count))
            put(UInt64(part.words.count))
            out.reserveCapacity(out.count + part.words.count * 8)
            // The words in one copy where memory is little-endian already (every platform
            // funnel builds on): 8 bytes appended at a time took 18 million instructions of
            // the bench's S run at each commit.
            #if _endian(little)
            part.words.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for word in part.words { put(word) }
            #endif
        }
        return out
    }

    /// nil for bytes that are not a whole filter (the history then rebuilds it).
    init?(encoded bytes: [UInt8]) {
        guard bytes.count >= 11, bytes[0..<3].elementsEqual("KF1".utf8) else { return nil }
        var offset = 3
        func take() -> UInt64? {
            guard offset + 8 <= bytes.count else { return nil }
            var value: UInt64 = 0
            for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            return value
        }
        guard let partCount = take(), partCount > 0, partCount < 64 else { return nil }
        var parts: [Part] = []
        for _ in 0..<partCount {
            // Numbers are checked before they are converted or multiplied: damaged bytes must
            // give nil (and a filter built again), never an overflow that stops the run. A
            // part never holds more keys than its capacity (`insert` adds a part first).
            guard let capacity = take(), let count = take(), let wordCount = take(), capacity > 0, capacity < 1 << 40, count <= capacity,
                  wordCount == UInt64(max(1, Int(capacity) * Self.bitsPerKey / 64)), bytes.count - offset >= Int(wordCount) * 8
            else { return nil }
            var part = Part(capacity: Int(capacity))
            part.count = Int(count)
            #if _endian(little)
            part.words.withUnsafeMutableBytes { words in
                bytes.withUnsafeBytes { words.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + words.count)])) }
            }
            offset += Int(wordCount) * 8
            #else
            for index in 0..<Int(wordCount) { part.words[index] = take()! }
            #endif
            parts.append(part)
        }
        guard offset == bytes.count else { return nil }
        self.parts = parts
    }
}
