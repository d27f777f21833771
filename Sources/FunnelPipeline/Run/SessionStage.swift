import FunnelCore
import FunnelTransform
import FunnelWriters

/// Builds sessions from the merged record stream with memory that follows the sessions open
/// at once, not the size of the input.
///
/// Records wait in memory by group (client session or visitor). Once `chunkRecords` are
/// waiting, the groups the stream has passed by more than the session timeout are flushed:
/// planned against the history like a run of their own (SPEC 10), their sessions kept in the
/// run's scratch (or sent to Redis) and their records applied to the history. A visitor that
/// receives records after a flush is rebuilt from the history by the same path as a run on a
/// later day, so the result never depends on where the flushes fell.
struct SessionStage {
    private struct Waiting {
        var records: [StreamRecord] = []
        var first = Int64.max
        var last = Int64.min

        mutating func add(_ item: consuming StreamRecord) {
            if item.timestamp > last { last = item.timestamp }
            if item.timestamp < first { first = item.timestamp }
            // Room for four from the first: a group grown from one record by appending was
            // allocated three times by its fourth (callgrind of the bench's S: 22 million
            // instructions on the thread that takes the reader's batches).
            if records.isEmpty { records.reserveCapacity(4) }
            records.append(item)
        }
    }

    /// Open sessions are held back up to this many chunks' worth of records.
    static let maxHeldChunks = 8
    private let flusher: Flusher
    let chunkRecords: Int
    private let timeoutMillis: Int64
    private let maxDurationMillis: Int64
    private var waiting: [HashedText: Waiting] = [:]
    private var waitingCount = 0
    /// Records of open groups kept back by the last flush.
    private var carried = 0
    /// The groups the cap below flushed open with at least `deferFrom` records (a monitor's
    /// client session, a crawler): the cap leaves them waiting from then on (`leftWaiting`).
    private var flushedOpen = Set<HashedText>()
    private let deferFrom: Int
    private var watermark = Int64.min

    /// `journal`: where a live sink's sessions are noted before they are sent (Redis).
    init(transformer: Transformer, store: HistoryStore, sink: SessionSink?, chunkRecords: Int,
         warnVisitorRecords: Int = Pipeline.defaultWarnVisitorRecords,
         continueVisitorRecords: Int = Pipeline.defaultContinueVisitorRecords, continuesVisitors: Bool = true,
         journal: SentSessionsJournal? = nil) throws(SinkError) {
        let chunkRecords = max(1, chunkRecords)
        flusher = try Flusher(transformer: transformer, store: store, sink: sink, chunkRecords: chunkRecords,
                              warnVisitorRecords: warnVisitorRecords, continueVisitorRecords: continueVisitorRecords,
                              continuesVisitors: continuesVisitors, journal: journal)
        self.chunkRecords = chunkRecords
        deferFrom = max(1, self.chunkRecords / 8)
        timeoutMillis = transformer.settings.timeoutMillis
        maxDurationMillis = transformer.settings.maxDurationMillis
    }

    /// Consumes the reader's batches until the queue is closed and empty.
    mutating func run(_ queue: BoundedQueue<[StreamRecord]>) throws(SinkError) {
        while var batch = queue.pop() {
            // Each record is moved out of the batch into its group's list: copied, its group
            // and encoding were retained here and released with the batch (0.8% of the
            // samples of a run on M, `perf`).
            for index in batch.indices {
                let item = exchange(&batch[index], with: StreamRecord.empty)
                let timestamp = item.timestamp
                let group = item.group
                waiting[group, default: Waiting()].add(item)
                if timestamp > watermark { watermark = timestamp }
            }
            waitingCount += batch.count
            if waitingCount - carried >= chunkRecords { try flush(all: false) }
        }
        try flush(all: true)
        try flusher.wait()
    }

    /// Plans the groups the stream has passed (all of them at the end, or when the open ones
    /// hold more than `maxHeldChunks` chunks) and keeps their sessions.
    private mutating func flush(all: Bool) throws(SinkError) {
        // The groups go on as a list, not a table: each is handed on and planned once, and a
        // table hashed every group's key once more per step (twice before it reached the
        // planner, which makes its own).
        var groups: [HeldGroup] = []
        // The latest record of each group, by the group's place in `groups`.
        var lasts: [Int64] = []
        var count = 0
        // Records of open groups the cap leaves waiting (below).
        var deferred = 0
        if !all {
            let cutoff = watermark - timeoutMillis
            // A group the stream never passes (a visitor active around the clock) goes too
            // once it has waited a session's longest: its sessions up to there are built, and
            // its next records continue it (`VisitorTail`). Held on, it grew until the cap
            // below flushed every open group at once.
            let oldest = watermark - maxDurationMillis
            for (group, entry) in waiting {
                if entry.last < cutoff || entry.first < oldest {
                    groups.append((group, entry.records))
                    lasts.append(entry.last)
                    count += entry.records.count
                } else if leftWaiting(group) {
                    deferred += entry.records.count
                }
            }
            for held in groups { waiting[held.group] = nil }
        }
        if all || waitingCount - count - deferred > Self.maxHeldChunks * chunkRecords {
            // The end, or more open sessions than memory should hold: flush them too; those
            // that go on are rebuilt when their next records come.
            //
            // But not a large group (`leftWaiting`).
            var kept: [HashedText: Waiting] = [:]
            for (group, entry) in waiting {
                if !all && leftWaiting(group) {
                    kept[group] = entry
                    continue
                }
                if !all && entry.records.count >= deferFrom { flushedOpen.insert(group) }
                groups.append((group, entry.records))
                lasts.append(entry.last)
            }
            waiting = kept
            waitingCount = deferred
        } else {
            waitingCount -= count
        }
        carried = waitingCount
        // A flush plans at most a chunk's worth of records, so that what it builds stays
        // bounded when many sessions close at once (the quiet end of a day), at the end, or
        // when the cap flushes everything held. The chunks take the groups in the order of
        // their latest records, as the stream passed them: a visitor's later sessions then
        // come in a later chunk than its earlier ones, so a visitor with a long past is
        // continued from it (`HistoryPlanner`) instead of rebuilt whole. In the table's order
        // (until 2026-12-04) a flush of more than a chunk (the groups held back before and
        // passed now, with a chunk's new ones) split a visitor's sessions across chunks at
        // random: one visitor of 14,400 records a day, in one run over 20 days, was rebuilt
        // from 280,800 records at one flush (409 MB against 144 MB now).
        let order = groups.indices.sorted { lasts[$0] < lasts[$1] }
        var slice: [HeldGroup] = []
        var sliceCount = 0
        for index in order {
            let held = exchange(&groups[index], with: (HashedText(""), []))
            slice.append(held)
            sliceCount += held.records.count
            if sliceCount >= chunkRecords {
                try start(slice)
                slice = []
                sliceCount = 0
            }
        }
        if !slice.isEmpty { try start(slice) }
    }

    /// Whether the cap on open sessions leaves an open group waiting: one it flushed open
    /// before (`flushedOpen`). Flushed open, a group is rebuilt at its next flush from all its
    /// records, those flushed read back from the history: one client session on every line
    /// of a million-line log was rebuilt every 8 chunks, each time from everything before
    /// (time with the square of its records: 15.8 s, against 0.29 s at 100,000 lines). Left
    /// waiting until the stream passes it, it has waited a session's longest or the run ends,
    /// it is built once more then; what it holds meanwhile is its own records, which that
    /// build holds anyway. (Left waiting from its first cap, it would not be flushed open
    /// before anything was known of it; but the golden fixtures' `--chunk-records 1` runs
    /// would then never flush a group open and rebuild it.)
    private func leftWaiting(_ group: HashedText) -> Bool {
        !flushedOpen.isEmpty && flushedOpen.contains(group)
    }

    private func start(_ groups: [HeldGroup]) throws(SinkError) {
        // Chunks are planned one after the other, each against the history the ones before
        // it left; while one is planned, one more may wait and the next is gathered.
        try flusher.start(groups)
    }

    func finish(summary: inout RunSummary) throws(SinkError) -> RunScratch.Totals {
        try flusher.finish(summary: &summary)
    }
}

/// Plans and writes one chunk of groups at a time on a thread of its own.
private final class Flusher: @unchecked Sendable {
    let transformer: Transformer
    let store: HistoryStore
    /// `store` as the flushes use it. An SQLite history is written behind (`writeBehind`):
    /// each chunk's change on a thread of its own while the next chunk is planned; at L (3
    /// million lines) its writes were a quarter of the flush thread's time, and the flush
    /// thread set the run's pace. A Redis history is used as it is: it already sends a
    /// chunk's writes without waiting for their replies (`RedisHistoryStore`), and writing
    /// them in pieces would add a wait for replies per piece.
    private let history: HistoryStore
    /// The SQLite history's writer, drained by `wait` and `finish`.
    private let writeBehind: WriteBehindHistory?
    let sink: SessionSink?
    /// The sink when it writes its file once, in order, at the end (flat files).
    private let encoder: EncodedSessionSink?
    /// The sink when it is sent sessions as they are built (Redis).
    private let live: PreparedSessionSink?
    /// Where `live`'s sessions are noted before they are sent (`SentSessionsJournal`).
    private let journal: SentSessionsJournal?
    private let scratch: RunScratch
    private var thread: WorkerThread?
    /// The chunks handed to `thread`, in order.
    private var chunks: BoundedQueue<[HeldGroup]>?
    private var failure: SinkError?
    /// The thread keeping the last chunk in the scratch (and sending it to a live sink), and
    /// what it failed with: joined by the next chunk's keeper, or at the end, so that it
    /// works while the next chunk is planned (a live sink's keeper mostly waits for
    /// redis-server; a flat-file one writes the scratch, whose wait was 4.5 s of the flush
    /// thread's time at L when each chunk waited for its own).
    private var keeper: WorkerThread?
    private var keepFailure: SinkError?
    /// Whether the run keeps sessions' bytes to the end: not when the sink sent them as it went
    /// and the history keeps no bodies (Redis), which then wants only the counts.
    private let bytesKept: Bool
    /// The visitors rebuilt from `limits.warn_visitor_records` records or more: written by
    /// the flush thread, read once it is joined.
    private var heavyVisitors: HeavyVisitors
    /// `RunSummary.builtRecords`: written by the flush thread, read once it is joined.
    private var builtRecords = 0
    /// `RunSummary.largestPlanRecords`, as `builtRecords`.
    private var largestPlanRecords = 0
    private let continueVisitorRecords: Int
    /// `Pipeline.continuesVisitors`.
    private let continuesVisitors: Bool
    /// `SessionStage.chunkRecords`: about the most records a plan holds (`process`).
    private let chunkRecords: Int

    init(transformer: Transformer, store: HistoryStore, sink: SessionSink?, chunkRecords: Int, warnVisitorRecords: Int,
         continueVisitorRecords: Int, continuesVisitors: Bool, journal: SentSessionsJournal?) throws(SinkError) {
        self.transformer = transformer
        self.chunkRecords = chunkRecords
        self.journal = journal
        self.continueVisitorRecords = continueVisitorRecords
        self.continuesVisitors = continuesVisitors
        heavyVisitors = HeavyVisitors(limit: warnVisitorRecords)
        self.store = store
        writeBehind = store is SQLiteHistoryStore ? WriteBehindHistory(store) : nil
        history = writeBehind ?? store
        self.sink = sink
        encoder = sink as? EncodedSessionSink
        live = encoder == nil ? sink as? PreparedSessionSink : nil
        precondition(sink == nil || encoder != nil || live != nil, "a sink writes files in order or is sent prepared sessions")
        bytesKept = encoder != nil || store.keepsSessionBodies
        scratch = try RunScratch(ordered: bytesKept)
    }

    /// Hands a chunk to the flush thread, waiting while `waitingChunks` wait already. The
    /// thread takes the chunks in order, one at a time; where they fall is decided by the
    /// stream alone, so outputs do not depend on timing.
    func start(_ groups: [HeldGroup]) throws(SinkError) {
        if chunks == nil {
            let chunks = BoundedQueue<[HeldGroup]>(capacity: Self.waitingChunks)
            thread = try WorkerThread(name: "funnel-flush") { [self] in
                while var groups = chunks.pop() {
                    do throws(SinkError) {
                        try process(&groups)
                    } catch {
                        failure = error
                        chunks.close()
                        return
                    }
                }
            }
            self.chunks = chunks
        }
        // Refused once the thread stopped on a failure: joined, it is thrown here.
        if !chunks!.push(groups) { try wait() }
    }

    /// Chunks that may wait while the flush thread plans one. With none (until 2026-12-02)
    /// the stage stopped taking records until the running chunk was done, and the reader soon
    /// after for want of queue room. Each is at most `chunkRecords` encoded records.
    static let waitingChunks = 1

    /// Waits until every chunk handed over is planned, kept and in the history; throws what
    /// the first failure was.
    func wait() throws(SinkError) {
        chunks?.close()
        thread?.join()
        thread = nil
        chunks = nil
        if failure == nil {
            do throws(SinkError) { try joinKeeper() } catch { failure = error }
        } else {
            try? joinKeeper()
        }
        do throws(SinkError) { try writeBehind?.drain() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// Waits for the last chunk's keeper; throws what it failed with.
    private func joinKeeper() throws(SinkError) {
        keeper?.join()
        keeper = nil
        if let keepFailure { throw keepFailure }
    }

    /// Plans and writes one chunk; its records' encodings are moved out of `groups`. A chunk
    /// whose visitors have many records stored is planned in parts (`HistoryPlanner.parts`),
    /// each kept and handed to the history before the next is planned.
    private func process(_ groups: inout [HeldGroup]) throws(SinkError) {
        var planner = HistoryPlanner(transformer: transformer, store: history)
        planner.warnVisitorRecords = heavyVisitors.limit
        planner.continueVisitorRecords = continueVisitorRecords
        planner.continuesVisitors = continuesVisitors
        var parts = try planner.parts(planner.decode(&groups), budget: chunkRecords)
        for index in parts.indices {
            // Taken out of the list, so that a part's records are freed once it is planned.
            var part = exchange(&parts[index], with: HistoryPlanner.Part(groups: [], rows: nil))
            try keep(planner.plan(&part))
        }
    }

    /// Keeps one plan's sessions in the scratch (and sends them to a live sink) on the keeper's
    /// thread, and hands its change to the history.
    private func keep(_ plan: HistoryPlanner.Plan) throws(SinkError) {
        var plan = plan
        heavyVisitors.add(plan.heavyVisitors)
        builtRecords += plan.builtRecords
        largestPlanRecords = max(largestPlanRecords, plan.builtRecords)
        let stored = try history.sessionBodies(plan.sessions.map(\.id) + plan.deleted)
        let encoder = self.encoder
        let bodies = stored != nil
        let encodesBody = encoder is NDJSONSessionWriter
        // A live sink's bytes are made here, on both cores, with the rest of each session's
        // (making Redis's commands on the keeper's one thread was most of its work).
        let live = self.live
        // What an earlier run left of a session a rebuild makes again as it was (a returning
        // visitor's earlier sessions) is left as it is, when the stored rows' digests can be
        // trusted: not while a run that wrote rows may have failed before their sessions were
        // written, nor when a write does more than set the bytes (a TTL starts again).
        if live?.leavesUnchangedUnwritten != true || !history.holdsOnlyBuiltRecords {
            plan.storedDigests = [:]
            for visitor in plan.continuedDigests.keys { plan.continuedDigests[visitor]!.kept = [] }
        }
        let storedDigests = plan.storedDigests
        let made = Parallel.map(plan.sessions) { session -> (RunScratch.Bytes, PreparedSession?) in
            let encoded = encoder?.encode(session)
            let prepared = live?.prepare(session)
            let sent = prepared.map(Self.sentDigest)
            let stored = storedDigests[session.id] ?? 0
            if bodies, encodesBody, let encoded { return (RunScratch.Bytes(body: encoded, encoded: nil, sent: sent, stored: stored), prepared) }
            var body: [UInt8] = []
            if bodies { NDJSONSessionWriter.append(session, to: &body) }
            return (RunScratch.Bytes(body: body, encoded: encoded, sent: sent, stored: stored), prepared)
        }
        let bytes = made.map(\.0)
        if live != nil { Self.storeDigests(&plan, made: made) }
        // The scratch is files of its own and the Redis sink a connection of its own:
        // both are written on another thread while the history takes the chunk's change. (A
        // run killed between the two is repaired by running it again: it rebuilds and
        // rewrites every visitor it reads, whatever the history already holds.) The previous
        // chunk's keeper, still sending to a live sink, finishes first: chunks reach the
        // scratch and the sink in order.
        try joinKeeper()
        let keeper = try WorkerThread(name: "funnel-keep") { [self, scratch] in
            do throws(SinkError) {
                let alreadySent = try scratch.keep(plan, stored: stored, bytes: bytes)
                if let live {
                    // A session is sent as soon as it is built; a later rebuild replaces it
                    // and a session a rebuild no longer has is deleted, each write idempotent.
                    // A rebuild that leaves a session as this run last sent it (a returning
                    // visitor's earlier sessions, mostly) sends nothing for it.
                    try live.delete(plan.deleted)
                    let sending = zip(made, alreadySent).compactMap { $0.1 ? nil : $0.0.1 }
                    // Noted first: a run cut short before the history stores these visitors'
                    // rows leaves sessions no row lists, which the next run deletes by the notes.
                    if let journal, !sending.isEmpty { try journal.add(Self.notes(sending, holders: plan.change.visitors)) }
                    try live.write(prepared: sending)
                }
            } catch {
                keepFailure = error
            }
        }
        self.keeper = keeper
        // Handed to the history's writer, which writes it while the next chunk is planned.
        try history.apply(plan.change)
    }

    /// The journal's notes of `sessions`, each with the visitor whose new row lists it
    /// (an empty visitor when none does: such a note is never taken for a stray session).
    /// (The rows' ids are looked through by hash, `StoredTexts.forEachMatch`: a map of every
    /// id of a visitor of 160,000 sessions took 0.3 s at every flush that added to it.)
    static func notes(_ sessions: [PreparedSession], holders: [String: VisitorRow]) -> [(visitor: String, id: String)] {
        let ids = Set(sessions.lazy.map(\.session.id))
        let hashes = StoredTexts.Hashes(ids.lazy.map { HashedText($0).hash })
        var visitorOf: [String: String] = [:]
        for (visitor, row) in holders { row.sessions.forEachMatch(mayMatch: hashes.contains, { ids.contains($0) }) { _, id in visitorOf[id] = visitor } }
        return sessions.map { (visitorOf[$0.session.id] ?? "", $0.session.id) }
    }

    /// What identifies a session's content for a sink that writes as it goes: a 64-bit hash
    /// (`HashedText.mix`, a fixed seed) of the bytes it sends, its keys, fields, events and
    /// TTL, never 0 (a row's "unknown"). Compared between versions of the same session, within
    /// a run and with the digest a stored row keeps (`VisitorRow.digests`), so it is the same
    /// in every process (a SipHash seeded per process until 2026-12-07, within runs only).
    static func sentDigest(_ prepared: PreparedSession) -> UInt64 {
        let digest = prepared.bytes.withUnsafeBufferPointer { HashedText.mix($0, seed: 0x66_75_6E_6E_65_6C_00_01) }
        return digest == 0 ? 1 : digest
    }

    /// Puts in the plan's rows the digest of each session the sink holds after this plan:
    /// the plan's own (sent now or earlier in the run, or left as an earlier run wrote it),
    /// and for the sessions a visitor continued from before its tail keeps, the stored row's
    /// (`plan.storedDigests`, emptied by `keep` when they cannot be trusted). (Rows with a past keep them too: such a visitor is rebuilt whole
    /// when a later run or chunk cannot continue it, e.g. flushed open by the cap on open
    /// sessions, and its sessions left as they were are then not sent again.)
    /// A continued visitor's row takes the stored digests of the sessions it keeps at their
    /// positions (`HistoryPlanner.ContinuedDigests`; none when they cannot be trusted), not
    /// through a map of every id it ever had.
    private static func storeDigests(_ plan: inout HistoryPlanner.Plan, made: [(RunScratch.Bytes, PreparedSession?)]) {
        var made = Dictionary(zip(plan.sessions.lazy.map(\.id), made.lazy.map { $0.0.sent ?? 0 }), uniquingKeysWith: { $1 })
        made.merge(plan.storedDigests) { new, _ in new }
        for index in plan.change.visitors.indices {
            let digests: [UInt64]
            if let continued = plan.continuedDigests[plan.change.visitors.keys[index]] {
                var kept = continued.kept
                if kept.isEmpty { kept = [UInt64](repeating: 0, count: plan.change.visitors.values[index].sessions.count - continued.appended.count) }
                for (position, id) in continued.overrides { kept[position] = made[id] ?? 0 }
                digests = kept + continued.appended.map { made[$0] ?? 0 }
            } else {
                digests = plan.change.visitors.values[index].sessions.map { made[$0] ?? 0 }
            }
            plan.change.visitors.values[index].digests = digests.allSatisfy { $0 == 0 } ? [] : digests
        }
    }

    /// Writes what flat-file sinks write once, in output order (the sessions that are new or
    /// changed since the last run, and the ids deleted for good), prepares the sink's files (the
    /// runner puts them in place with the rejects), stores the
    /// session bodies and fills the summary's session counts.
    func finish(summary: inout RunSummary) throws(SinkError) -> RunScratch.Totals {
        try joinKeeper()
        try writeBehind?.drain()
        let deleted = try scratch.deleted()
        summary.deletedSessions = deleted.count
        if let encoder { try encoder.delete(deleted) }
        // The session bodies go into the history on a thread of their own, a batch at a time,
        // while this one reads the scratch in order and writes the sink: the history's inserts
        // are most of the end of a run (1.5 s of 2.5 s at a million lines), which one core
        // otherwise spends alone. The history and the scratch are separate files. Small
        // batches and one waiting keep what the overlap holds to about 15,000 bodies (twice
        // 10,000 batches and two waiting cost 20 MiB of peak memory at M).
        let pending = BoundedQueue<[(id: String, start: Int64, body: [UInt8], new: Bool)]>(capacity: 1)
        var historyFailure: SinkError?
        let historyWriter = try WorkerThread(name: "funnel-bodies") { [store] in
            while let batch = pending.pop() {
                var change = HistoryChange()
                change.sessionBodies = batch
                do throws(SinkError) {
                    try store.apply(change)
                } catch {
                    historyFailure = error
                    pending.close()
                    return
                }
            }
        }
        defer {
            pending.close()
            historyWriter.join()
        }
        // The visitor totals (a sorted pass over the scratch's counts) on a thread of
        // their own, while this one walks the sessions.
        var totals = RunScratch.Totals()
        var totalsFailure: SinkError?
        let totaller = try WorkerThread(name: "funnel-totals") { [scratch] in
            do throws(SinkError) { totals = try scratch.totals() } catch { totalsFailure = error }
        }
        defer { totaller.join() }
        var batch: [(id: String, start: Int64, body: [UInt8], new: Bool)] = []
        var rebuilt = 0
        // Summed wider than an amount: sessions' amounts near the largest one (9,223,372,036,854
        // units) in and out of it, with the sum in range, were dropped one by one as the total
        // passed it (1, 9223372036854 and -9223372036854 gave -9223372036853).
        var revenue: Int128 = 0
        // A sink that sent its sessions as it went, with a history that keeps no bodies
        // (Redis), wants only the counts: no order, no bytes, no bodies for the history.
        try scratch.forEachSession(bytes: bytesKept) { session throws(SinkError) in
            rebuilt += 1
            if !session.unchanged {
                summary.sessions += 1
                if session.converted {
                    summary.conversions += 1
                    revenue += Int128(session.revenue.micros)
                }
                try encoder?.write(encoded: session.encoded)
            }
            if bytesKept && (!session.unchanged || session.deletedOnce) {
                batch.append((session.id, session.start, session.body, !session.existed))
                if batch.count >= 5_000 {
                    pending.push(batch)
                    batch = []
                }
            }
        }
        pending.push(batch)
        pending.close()
        historyWriter.join()
        if let historyFailure { throw historyFailure }
        totaller.join()
        if let totalsFailure { throw totalsFailure }
        summary.rebuiltSessions = rebuilt
        if let total = Int64(exactly: revenue) {
            summary.revenue = Amount(micros: total)
        } else {
            summary.revenue = Amount(micros: revenue > 0 ? .max : .min)
            summary.warnings.append("the revenue of the sessions written is beyond \(Amount(micros: .max)) either way; the summary gives that bound (the sessions' own amounts are as written)")
        }
        summary.builtRecords = builtRecords
        summary.largestPlanRecords = largestPlanRecords
        // Named as the outputs name it: the key of a visitor known by its client session alone
        // is that session's id as it came, which may be an e-mail or IP address (until
        // 2026-12-06 written so to stderr and `--summary-json`).
        if let warning = heavyVisitors.warning(shown: transformer.shownVisitorKey) { summary.warnings.append(warning) }
        // Put in place by the runner, with the rejects, once both are written (`prepare`).
        try sink?.prepare()
        return totals
    }
}
