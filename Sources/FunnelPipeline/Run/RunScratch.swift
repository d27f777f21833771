import FunnelCore
import FunnelWriters

/// What a run has produced so far, kept in temporary files instead of memory: the last
/// version of every session the run rebuilt, the ids it deleted, and the counts of every
/// visitor it rebuilt.
///
/// A long run flushes visitors chunk by chunk and rebuilds a visitor again when a later chunk
/// reaches it. Keeping only the last version here is what makes the run's outputs and counts
/// the same as if every record had been read before any session was built, and lets flat-file
/// sinks write their files once, in output order, at the end.
///
/// Every version is appended, never looked up while the run streams: its bytes to one file,
/// and a small record of it (the id as key) to a `SpillSorter`. At the end one sorted pass
/// over those records finds each id's last version (and what its first sight saw of earlier
/// runs), and a second sort puts the live ones in output order. Until 2026-12-04 this was a
/// SQLite database with an index keyed by session id, whose inserts descended a randomly
/// keyed B-tree (a third of a run's page reads at 3 million lines, and 12% of its
/// instructions with the ordered walk and the visitor counts).
final class RunScratch {
    struct Totals {
        var visitors = 0
        var duplicateEvents = 0
        var mergedPageViews = 0
        var withheldSessions = 0
        var overEventCap = 0
    }

    /// One session as the run leaves it.
    struct Session {
        var id: String
        var start: Int64
        var body: [UInt8]
        /// The sink's bytes for it (flat-file sinks), written at the end.
        var encoded: [UInt8]
        /// False when it differs from what an earlier run left, or no earlier run wrote it.
        var unchanged: Bool
        /// Deleted by one chunk and written again by a later one: the history must get it back.
        var deletedOnce: Bool
        /// Whether the history held the id when the run first wrote it.
        var existed: Bool
        var converted: Bool
        var revenue: Amount
    }

    /// The bodies, the sinks' bytes and the bodies earlier runs left, as the chunks came.
    private let bytesFile: TemporaryFile
    /// One record per version of a session (key: its id; value: `Version`), in the order kept.
    private let versions: SpillSorter
    /// One record per rebuild of a visitor (key: the visitor; value: `CountsRecord`).
    private let counts: SpillSorter
    /// What a sink that writes as it goes was last sent of each recent id.
    private var sent: SentDigests
    /// The run will walk the sessions in output order: `deleted` sorts them into that order
    /// in the same pass.
    private let ordered: Bool
    private let memoryBytes: Int
    /// What the last pass over `versions` found, while nothing was kept since.
    private var resolved: (deleted: [String], inOrder: SpillSorter?)?

    /// `sentGeneration`: ids whose sent digest is remembered per generation (two are kept;
    /// see `SentDigests`). `ordered`: the run walks the sessions in output order (with bytes).
    /// `memoryBytes`: what each sort keeps in memory before it writes a sorted run.
    init(sentGeneration: Int = SentDigests.defaultGeneration, ordered: Bool = true, memoryBytes: Int = 4 << 20) throws(SinkError) {
        bytesFile = try TemporaryFile(purpose: "the run's sessions")
        versions = SpillSorter(purpose: "the run's session versions", memoryBytes: memoryBytes)
        counts = SpillSorter(purpose: "the run's visitor counts", memoryBytes: memoryBytes / 4)
        sent = SentDigests(generation: sentGeneration)
        self.ordered = ordered
        self.memoryBytes = memoryBytes
    }

    /// A session's bytes: its NDJSON body (for comparison with the last run; empty when the
    /// history keeps no bodies) and the sink's bytes, nil when they are the body or the sink
    /// writes sessions as it goes.
    struct Bytes {
        var body: [UInt8]
        var encoded: [UInt8]?
        /// For a sink that writes sessions as it goes (Redis): a digest of the session, see
        /// `Flusher.sentDigest`.
        var sent: UInt64?
        /// The digest an earlier run's stored row keeps for the id (`VisitorRow.digests`), 0
        /// when none is or it cannot be trusted.
        var stored: UInt64 = 0
    }

    /// Where bytes are in `bytesFile`; a length of -1 is no bytes at all (nil).
    private struct Extent {
        var offset: Int64
        var length: Int64
        static let none = Extent(offset: 0, length: -1)
        var exists: Bool { length >= 0 }
    }

    /// What `versions` holds of one version, as raw bytes (the files never leave the
    /// process); also, once resolved, an id's last version with what its first sight saw
    /// (`existed`, `original`) and whether any version deleted it.
    private struct Version {
        var written: Bool
        var existed: Bool
        var converted: Bool
        var deletedOnce = false
        var start: Int64
        var revenue: Int64
        var body: Extent
        var encoded: Extent
        /// What an earlier run left for the id, as this version's chunk read it.
        var original: Extent
        /// This version's `Bytes.sent` and what its chunk read of the stored row's digest
        /// (`Bytes.stored`), 0 for none: equal, the sink holds the session as it was.
        var digest: UInt64 = 0
        var originalDigest: UInt64 = 0
    }

    /// Keeps one chunk's plan. `stored` holds the bodies earlier runs left for these ids (nil
    /// when the history keeps none: every session then counts as changed); it is read before
    /// the chunk's change is applied, and only the first sight of an id keeps it.
    ///
    /// Returns, for each of the plan's sessions, whether the run already sent this exact
    /// version of it (same `Bytes.sent`) and has not deleted it since: a sink that writes as
    /// it goes need not write it again.
    @discardableResult
    func keep(_ plan: HistoryPlanner.Plan, stored: [String: [UInt8]]?, bytes: [Bytes]) throws(SinkError) -> [Bool] {
        resolved = nil
        // Asked before anything of the chunk is kept: a plan holds each id once.
        var alreadySent: [Bool] = []
        alreadySent.reserveCapacity(plan.sessions.count)
        for (session, bytes) in zip(plan.sessions, bytes) {
            // This run's last send of the id, else what the stored row says the sink holds (the
            // row is the run's own once a flush of the run rebuilt the visitor).
            alreadySent.append(bytes.sent.map { (sent.digest(of: session.id) ?? (bytes.stored == 0 ? nil : bytes.stored)) == $0 } ?? false)
        }
        // What an earlier run left for an id: its body, and whether it wrote it at all (when
        // the history keeps no bodies, whether a rebuilt visitor's stored row listed it: at an
        // id's first sight in the run no row of the run can list it yet. Until 2026-12-06
        // every id counted as written before, and a session the run sent and then replaced
        // was counted deleted: a first load into an empty Redis said 16 at the bench's L).
        func before(_ id: String) throws(SinkError) -> (original: Extent, existed: Bool) {
            guard let stored else { return (.none, plan.listedBefore.contains(id)) }
            guard let original = stored[id] else { return (.none, false) }
            return (try append(original), true)
        }
        for (session, bytes) in zip(plan.sessions, bytes) {
            // The two fields the summary sums, in one pass over the session's fields.
            var revenue: Int64 = 0
            var converted = false
            for field in session.fields {
                if case .amount(let amount) = field.value, field.name == FieldName.donationAmount { revenue = amount.micros }
                if case .bool(true) = field.value, field.name == FieldName.donationCompleted { converted = true }
            }
            let (original, existed) = try before(session.id)
            let version = Version(written: true, existed: existed, converted: converted, start: session.start, revenue: revenue,
                                  body: try append(bytes.body), encoded: try bytes.encoded.map { b throws(SinkError) in try append(b) } ?? .none,
                                  original: original, digest: bytes.sent ?? 0, originalDigest: bytes.stored)
            try versions.add(key: session.id, value: version)
            sent.set(session.id, bytes.sent)
        }
        for id in plan.deleted {
            let (original, existed) = try before(id)
            try versions.add(key: id, value: Version(written: false, existed: existed, converted: false, start: 0, revenue: 0,
                                                     body: .none, encoded: .none, original: original))
            sent.set(id, nil)
        }
        // Appended, one record per rebuild of a visitor: `totals` folds each visitor's.
        for visitor in plan.perVisitor {
            let values = CountsRecord(counted: visitor.counted ? 1 : 0, duplicateEvents: Int64(visitor.duplicateEvents),
                                      mergedPageViews: Int64(visitor.mergedPageViews), withheldSessions: Int64(visitor.withheldSessions),
                                      overEventCap: Int64(visitor.overEventCap), continued: visitor.continued ? 1 : 0)
            try counts.add(key: visitor.visitor, value: values)
        }
        return alreadySent
    }

    private func append(_ bytes: [UInt8]) throws(SinkError) -> Extent {
        guard !bytes.isEmpty else { return Extent(offset: 0, length: 0) }
        return Extent(offset: Int64(try bytesFile.append(bytes)), length: Int64(bytes.count))
    }

    /// The counts of one rebuild of a visitor, as the scratch keeps them (`Int64`s: the
    /// sorter's values are plain bytes).
    struct CountsRecord {
        var counted: Int64
        var duplicateEvents: Int64
        var mergedPageViews: Int64
        var withheldSessions: Int64
        var overEventCap: Int64
        /// 1 for a visitor continued from its past: counts of its new records only, added to
        /// the run's before them; 0 for a rebuild from all its records, which replace them.
        var continued: Int64

        /// What the run counts for the visitor once this record follows `earlier` (nil: the
        /// run's first of it). A continued visitor's first record of the run is the change its
        /// new records make to what an earlier run counted, which a session they end up
        /// withholding can make negative: none below zero.
        func following(_ earlier: CountsRecord?) -> CountsRecord {
            guard continued != 0 else { return self }
            guard let earlier else {
                return CountsRecord(counted: counted, duplicateEvents: max(0, duplicateEvents), mergedPageViews: max(0, mergedPageViews),
                                    withheldSessions: max(0, withheldSessions), overEventCap: max(0, overEventCap), continued: 1)
            }
            return CountsRecord(counted: max(counted, earlier.counted), duplicateEvents: duplicateEvents + earlier.duplicateEvents,
                                mergedPageViews: mergedPageViews + earlier.mergedPageViews,
                                withheldSessions: withheldSessions + earlier.withheldSessions,
                                overEventCap: overEventCap + earlier.overEventCap, continued: 1)
        }
    }

    /// The visitors' counts: each visitor's records folded in the order they were kept (a
    /// rebuild from all its records replaces what came before, a continued one adds to it),
    /// summed over the visitors. May run on another thread than `forEachSession` and
    /// `deleted` at the same time (other files), not than `keep`.
    ///
    /// Until 2026-12-07 the run kept in memory the counts of each visitor a later chunk might
    /// continue, and added them there (the scratch kept the last record of each): only
    /// visitors of `limits.continue_visitor_records` had a past then. Now every visitor has one
    /// and may be continued by a later chunk of the run, and counts kept in memory for each
    /// would follow the input (the bench's M: 160 -> 183 MB); the sorter keeps every record,
    /// in the order added, within its memory bound.
    func totals() throws(SinkError) -> Totals {
        var totals = Totals()
        var current: CountsRecord?
        var visitor: [UInt8] = []
        func add(_ counts: CountsRecord) {
            totals.visitors += Int(counts.counted)
            totals.duplicateEvents += Int(counts.duplicateEvents)
            totals.mergedPageViews += Int(counts.mergedPageViews)
            totals.withheldSessions += Int(counts.withheldSessions)
            totals.overEventCap += Int(counts.overEventCap)
        }
        try counts.forEach { key, value throws(SinkError) in
            if current == nil || !Self.same(key, visitor) {
                // A new visitor: the one before is complete.
                if let current { add(current) }
                current = nil
                visitor.removeAll(keepingCapacity: true)
                visitor.append(contentsOf: key)
            }
            current = value.loadUnaligned(as: CountsRecord.self).following(current)
        }
        if let current { add(current) }
        return totals
    }

    private static func same(_ key: UnsafeRawBufferPointer, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { SpillSorter.compare(key, $0) == 0 }
    }

    /// Ids an earlier run wrote that the run deleted for good, in id order (of their bytes, as
    /// SQLite compares text).
    func deleted() throws(SinkError) -> [String] {
        try resolve().deleted
    }

    /// One pass over the versions in id order (unless the last one still holds): the ids
    /// deleted for good and, when sorting (`inOrder`, else `ordered`), the live sessions sorted
    /// into output order. With `visiting`, a pass is always made and `each` is called with
    /// every live session's id and last version (a result kept from before cannot replay them).
    @discardableResult
    private func resolve(inOrder: Bool? = nil, visiting: Bool = false,
                         _ each: (UnsafeRawBufferPointer, Version) throws(SinkError) -> Void = { _, _ in }) throws(SinkError) -> (deleted: [String], inOrder: SpillSorter?) {
        let sorting = inOrder ?? ordered
        if !visiting, let resolved, resolved.inOrder != nil || !sorting { return resolved }
        var deleted: [String] = []
        let output = sorting ? SpillSorter(purpose: "the run's sessions in output order", memoryBytes: memoryBytes) : nil
        var id: [UInt8] = []
        var first: Version?
        var last: Version?
        var deletedOnce = false
        var orderKey: [UInt8] = []
        func finish() throws(SinkError) {
            guard let first, let last else { return }
            guard last.written else {
                if first.existed { deleted.append(String(decoding: id, as: UTF8.self)) }
                return
            }
            var winner = last
            winner.existed = first.existed
            winner.original = first.original
            winner.originalDigest = first.originalDigest
            winner.deletedOnce = deletedOnce
            if visiting {
                var failure: SinkError?
                id.withUnsafeBytes { id in
                    do throws(SinkError) { try each(id, winner) } catch { failure = error }
                }
                if let failure { throw failure }
            }
            guard let output else { return }
            // The start as a big-endian number with its sign bit flipped (so that bytes
            // order it as a signed number), then the id: (`created_at`, `session_id`).
            orderKey.removeAll(keepingCapacity: true)
            withUnsafeBytes(of: (UInt64(bitPattern: winner.start) ^ (1 << 63)).bigEndian) { orderKey.append(contentsOf: $0) }
            orderKey.append(contentsOf: id)
            try output.add(key: orderKey, value: winner)
        }
        try versions.forEach { key, value throws(SinkError) in
            let version = value.loadUnaligned(as: Version.self)
            if first == nil || !Self.same(key, id) {
                try finish()
                id.removeAll(keepingCapacity: true)
                id.append(contentsOf: key)
                first = version
                deletedOnce = false
            }
            if !version.written { deletedOnce = true }
            last = version
        }
        try finish()
        let result = (deleted: deleted, inOrder: output)
        resolved = result
        return result
    }

    /// Every session the run leaves, in output order (`created_at`, `session_id`). With
    /// `bytes` false, in no particular order and with `body` and `encoded` empty: what a sink
    /// that sent its sessions as it went (Redis), with a history that keeps no bodies, needs
    /// is the counts, and the sort into output order would be spent for nothing.
    func forEachSession(bytes: Bool = true, _ body: (Session) throws(SinkError) -> Void) throws(SinkError) {
        let reader = ExtentReader(bytesFile)
        func session(_ id: UnsafeRawBufferPointer, _ winner: Version, bytes: Bool) throws(SinkError) -> Session {
            var unchanged = false
            var sessionBody: [UInt8] = []
            if bytes || winner.original.exists { sessionBody = try reader.bytes(winner.body) }
            if winner.original.exists, winner.original.length == winner.body.length {
                let original = try reader.bytes(winner.original)
                unchanged = original == sessionBody
            } else if winner.originalDigest != 0 {
                // A sink without bodies in the history (Redis): the digest its stored row kept.
                unchanged = winner.originalDigest == winner.digest
            }
            var encoded: [UInt8] = []
            if bytes { encoded = winner.encoded.exists ? try reader.bytes(winner.encoded) : sessionBody }
            return Session(id: String(decoding: id, as: UTF8.self), start: winner.start, body: bytes ? sessionBody : [], encoded: encoded,
                           unchanged: unchanged, deletedOnce: winner.deletedOnce, existed: winner.existed,
                           converted: winner.converted, revenue: Amount(micros: winner.revenue))
        }
        guard bytes else {
            try resolve(inOrder: false, visiting: true) { id, winner throws(SinkError) in try body(session(id, winner, bytes: false)) }
            return
        }
        guard let output = try resolve(inOrder: true).inOrder else { return }
        try output.forEach { key, value throws(SinkError) in
            try body(session(UnsafeRawBufferPointer(rebasing: key[8...]), value.loadUnaligned(as: Version.self), bytes: true))
        }
    }

    /// Reads extents of `bytesFile` through windows of it, the least recently used replaced
    /// first: the walk in output order reads each chunk's bodies in the order they were
    /// appended (a chunk keeps its sessions in output order), from the few chunks that hold
    /// the sessions of neighbouring starts at once. A read per body cost a system call each;
    /// eight windows of 256 KiB read 40 times the file's size at M, sixty-four of 32 KiB
    /// about 1.2 times.
    private final class ExtentReader {
        private let file: TemporaryFile
        /// Each window's file offset and bytes held (the ends checked without touching the
        /// buffers), its buffer, and when it was last used.
        private var starts: [Int] = []
        private var ends: [Int] = []
        private var buffers: [UnsafeMutableRawBufferPointer] = []
        private var used: [Int] = []
        private var clock = 0
        /// The window of the last hit, tried first.
        private var last = 0
        private static let windowBytes = 32 << 10
        private static let windowCount = 64

        init(_ file: TemporaryFile) { self.file = file }

        deinit { for buffer in buffers { buffer.deallocate() } }

        func bytes(_ extent: Extent) throws(SinkError) -> [UInt8] {
            guard extent.length > 0 else { return [] }
            let offset = Int(extent.offset)
            let length = Int(extent.length)
            clock += 1
            var found = -1
            if last < starts.count, offset >= starts[last], offset + length <= ends[last] {
                found = last
            } else {
                for index in starts.indices where offset >= starts[index] && offset + length <= ends[index] {
                    found = index
                    break
                }
            }
            if found < 0 {
                if length > Self.windowBytes / 4 { return try read(offset, length) }
                if buffers.count < Self.windowCount {
                    buffers.append(.allocate(byteCount: Self.windowBytes, alignment: 16))
                    starts.append(0)
                    ends.append(0)
                    used.append(0)
                    found = buffers.count - 1
                } else {
                    found = used.indices.min { used[$0] < used[$1] }!
                }
                let got = try file.read(at: offset, into: buffers[found])
                starts[found] = offset
                ends[found] = offset + got
                guard got >= length else { throw shorter }
            }
            used[found] = clock
            last = found
            let from = offset - starts[found]
            return [UInt8](UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffers[found])[from..<(from + length)]))
        }

        /// Only this process writes the file: fewer bytes than an extent names means it was
        /// changed or cut while the run read it.
        private var shorter: SinkError {
            SinkError("the temporary file of \(file.purpose) is shorter than what was written to it")
        }

        private func read(_ offset: Int, _ length: Int) throws(SinkError) -> [UInt8] {
            var failure: SinkError?
            var got = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                do throws(SinkError) { got = try file.read(at: offset, into: UnsafeMutableRawBufferPointer(buffer)) } catch { failure = error }
                count = got
            }
            if let failure { throw failure }
            guard got == length else { throw shorter }
            return bytes
        }
    }
}
