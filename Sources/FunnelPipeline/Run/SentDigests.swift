import FunnelCore

/// What a sink that writes sessions as it goes (Redis) was last sent of each recent session
/// id this run: the session's digest (`Flusher.sentDigest`). A visitor rebuilt by a later
/// chunk (one who came back) gets its earlier sessions again, mostly unchanged; those need
/// not be sent again.
///
/// Memory stays bounded on a run of any length: ids are remembered in two generations of
/// `generation` ids each, the older dropped when the newer is full. An id forgotten that way
/// is sent again if it comes back, which is what a run did before it kept digests at all:
/// each write is idempotent. Visitors mostly come back within hours, while their ids are
/// recent. Ids are kept as a 64-bit hash of their bytes: two ids of one run sharing one
/// would also need equal digests of different sessions (one chance in 2^64) for a session to
/// be skipped wrongly.
struct SentDigests {
    /// 262,144 ids a generation: at most about 17 MiB for both, and at the bench's L day
    /// (562,000 sessions) about the last half of the day's sessions.
    static let defaultGeneration = 1 << 18

    let generation: Int
    private var current: [UInt64: UInt64] = [:]
    private var previous: [UInt64: UInt64] = [:]
    private static let seed = UInt64.random(in: .min ... .max)

    init(generation: Int) {
        self.generation = max(1, generation)
    }

    /// The digest last sent for `id`, nil when none was or the id was deleted since (or forgotten).
    func digest(of id: String) -> UInt64? {
        let key = Self.key(id)
        return current[key] ?? previous[key]
    }

    /// Records what was sent for `id` (nil: nothing, or the session was deleted).
    mutating func set(_ id: String, _ digest: UInt64?) {
        // A sink that sends nothing as it goes (flat files) never fills either generation:
        // its sessions cost no hash here.
        if digest == nil && current.isEmpty && previous.isEmpty { return }
        let key = Self.key(id)
        guard let digest else {
            current.removeValue(forKey: key)
            previous.removeValue(forKey: key)
            return
        }
        current[key] = digest
        if current.count >= generation {
            previous = current
            current = [:]
        }
    }

    private static func key(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { HashedText.mix($0, seed: seed) }
    }
}
