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
        var records: [Record] = []
        var last = Int64.min
    }

    let transformer: Transformer
    let store: HistoryStore
    let sink: SessionSink?
    let chunkRecords: Int
    private let scratch: RunScratch
    private var waiting: [String: Waiting] = [:]
    private var waitingCount = 0
    private var watermark = Int64.min
    /// How many times visitors were planned; more than the visitors means rebuilds.
    private(set) var flushes = 0

    init(transformer: Transformer, store: HistoryStore, sink: SessionSink?, chunkRecords: Int) throws(SinkError) {
        self.transformer = transformer
        self.store = store
        self.sink = sink
        self.chunkRecords = max(1, chunkRecords)
        scratch = try RunScratch()
    }

    /// Consumes the reader's batches until the queue is closed and empty.
    mutating func run(_ queue: BoundedQueue<[Record]>) throws(SinkError) {
        while let batch = queue.pop() {
            for record in batch {
                let group = Transformer.group(of: record)
                waiting[group, default: Waiting()].records.append(record)
                if record.timestamp > waiting[group]!.last { waiting[group]!.last = record.timestamp }
                if record.timestamp > watermark { watermark = record.timestamp }
            }
            waitingCount += batch.count
            if waitingCount >= chunkRecords { try flush(all: false) }
        }
        try flush(all: true)
    }

    /// Plans the groups the stream has passed (all of them at the end, or when too few have
    /// closed to make room) and keeps their sessions.
    private mutating func flush(all: Bool) throws(SinkError) {
        var records: [Record] = []
        if !all {
            let cutoff = watermark - transformer.settings.timeoutMillis
            let closed = waiting.filter { $0.value.last < cutoff }
            for (group, entry) in closed {
                records += entry.records
                waiting[group] = nil
            }
        }
        if all || records.count < chunkRecords / 4 {
            for entry in waiting.values { records += entry.records }
            waiting = [:]
        }
        waitingCount -= records.count
        if all { waitingCount = 0 }
        guard !records.isEmpty else { return }
        flushes += 1
        let plan = try HistoryPlanner(transformer: transformer, store: store).plan(records)
        records = []
        let stored = try store.sessionBodies(plan.sessions.map(\.id) + plan.deleted)
        let encoder = sink as? EncodedSessionSink
        try scratch.keep(plan, stored: stored, encode: encoder.map { sink in { sink.encode($0) } }, encodesBody: encoder is NDJSONSessionWriter)
        if let sink, encoder == nil {
            // Redis: a session is sent as soon as it is built; a later rebuild replaces it and
            // a session a rebuild no longer has is deleted, each write being idempotent.
            try sink.delete(plan.deleted)
            var start = 0
            while start < plan.sessions.count {
                let end = min(start + 1000, plan.sessions.count)
                try sink.write(Array(plan.sessions[start..<end]))
                start = end
            }
        }
        try store.apply(plan.change)
    }

    /// Writes what flat-file sinks write once, in output order (the sessions that are new or
    /// changed since the last run, and the ids deleted for good), completes the sink, stores the
    /// session bodies and fills the summary's session counts.
    func finish(summary: inout RunSummary) throws(SinkError) -> RunScratch.Totals {
        let deleted = try scratch.deleted()
        summary.deletedSessions = deleted.count
        let encoder = sink as? EncodedSessionSink
        if let encoder { try encoder.delete(deleted) }
        var bodies = HistoryChange()
        var rebuilt = 0
        try scratch.forEachSession { session throws(SinkError) in
            rebuilt += 1
            if !session.unchanged {
                summary.sessions += 1
                if session.converted {
                    summary.conversions += 1
                    summary.revenue = summary.revenue.adding(session.revenue) ?? summary.revenue
                }
                try encoder?.write(encoded: session.encoded)
            }
            if !session.unchanged || session.deletedOnce {
                bodies.sessionBodies.append((session.id, session.start, session.body))
                if bodies.sessionBodies.count >= 10_000 {
                    try store.apply(bodies)
                    bodies.sessionBodies = []
                }
            }
        }
        try store.apply(bodies)
        summary.rebuiltSessions = rebuilt
        try sink?.finish()
        return try scratch.totals()
    }
}
