/// Where `RunScratch` keeps each session id: the rowid of the id's row, in memory, while
/// the run has kept fewer ids than `limit`.
///
/// Session ids are hashes, so an index of them in the scratch database takes every new id at
/// a random place: at 3 million lines (562,000 sessions) that index outgrew the scratch's
/// cache, and keeping it was 3.6 s of CPU and 2.3 s of the run's 19-22 s (the bench's L,
/// `docs/performance.md`). Here an id costs 12 bytes of a hash table (about 12 MiB at
/// `limit`); past `limit` the scratch builds its SQLite index once and uses it instead, so a
/// run over many days keeps bounded memory.
///
/// Only a hash of the id is kept, so what `row(of:)` gives is a candidate: the caller checks
/// that the row holds the id (`WHERE rowid = ? AND id = ?`) and, if it does not, the id is
/// new. An id whose hash an earlier id already has is kept whole in `exact`.
struct ScratchRowIndex {
    /// The most ids kept: 3/4 of 2^20, the most a hash table of 2^20 buckets holds before it
    /// doubles.
    static let defaultLimit = 786_432

    let limit: Int
    private let hash: (String) -> UInt64
    private var rows: [UInt64: UInt32] = [:]
    private var exact: [String: UInt32] = [:]

    /// `hash`: for tests, a hash with collisions; the default is the standard library's.
    init(limit: Int = Self.defaultLimit, hash: @escaping (String) -> UInt64 = { UInt64(bitPattern: Int64($0.hashValue)) }) {
        self.limit = limit
        self.hash = hash
    }

    var count: Int { rows.count + exact.count }
    var isFull: Bool { count >= limit }

    /// The row that may hold `id`; nil when it certainly has none.
    func row(of id: String) -> Int64? {
        if let row = exact[id] ?? rows[hash(id)] { return Int64(row) }
        return nil
    }

    /// Records that `id` is in `row`, an id that `row(of:)` found no row for, or whose
    /// candidate row holds another id.
    mutating func add(_ id: String, row: Int64) {
        let key = hash(id)
        if rows[key] == nil {
            rows[key] = UInt32(row)
        } else {
            exact[id] = UInt32(row)
        }
    }
}
