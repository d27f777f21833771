import FunnelCore
import FunnelWriters

/// What earlier runs left behind, so a run can rebuild every visitor it touches from all of
/// that visitor's records (SPEC 10). Redis sinks keep it in Redis, flat-file sinks in an
/// SQLite file beside their outputs.
///
/// Records are stored by group (a client session `s:ID` or a visitor `v:KEY`) and position, so
/// a line read twice is stored once. Everything else is derived from the records and written
/// after the sessions, so a run that dies half-way is repaired by running it again.
public protocol HistoryStore: AnyObject {
    func records(ofGroups groups: [String]) throws(SinkError) -> [String: [Record]]
    /// For each group asked, those of its `positions` whose records are stored in it, read
    /// from the stored bytes without making records (`StoredPositions`): which of a run's
    /// records are lines read again. Asked for many groups at once, so that a store over a
    /// network reads them in few round trips.
    func storedPositions(_ asked: [(group: String, positions: Set<String>)]) throws(SinkError) -> [Set<String>]
    /// Whether every stored record is one the stored visitor rows were built with: then a
    /// record read again (a day run again) may be left out of a run (`HistoryPlanner`). True
    /// of a store whose runs become durable whole, at `commit` (SQLite). A store that applies
    /// a run's changes as they come (Redis) may hold records of a run cut short whose rows it
    /// never wrote, which running that run again repairs by rebuilding their visitors: it
    /// answers for itself at the run's start (`RedisHistoryStore`'s unfinished runs).
    var holdsOnlyBuiltRecords: Bool { get }
    /// For each event id, the position and group of every stored record carrying it.
    func eventHolders(_ ids: [String]) throws(SinkError) -> [String: [EventHolder]]
    /// For each visitor with one stored: the client-session groups last resolved to it and
    /// the session ids last written for it.
    func visitorRows(_ visitors: [String]) throws(SinkError) -> [String: VisitorRow]
    /// Whether the store keeps the bodies of the sessions last written (`sessionBodies`):
    /// known before a run starts, so that the run knows from its first chunk whether it keeps
    /// sessions' bytes to its end.
    var keepsSessionBodies: Bool { get }
    /// Bodies of the sessions last written, for stores that keep them (flat-file sinks write
    /// only what changed, and `funnel export` reads them); nil for stores that do not.
    func sessionBodies(_ ids: [String]) throws(SinkError) -> [String: [UInt8]]?
    /// Applies part of a run's change. A long run applies one change per chunk of its input,
    /// after that chunk's sessions reached the sink (Redis) or the run's scratch (flat files).
    func apply(_ change: HistoryChange) throws(SinkError)
    /// Applies one piece of `change` (`HistoryChange.Piece`), as the write-behind history
    /// writes a change a piece at a time.
    func apply(_ change: HistoryChange, piece: HistoryChange.Piece) throws(SinkError)
    /// Makes what the run applied durable: one transaction for SQLite (a run cut short leaves
    /// the history as it was), nothing for Redis, whose changes are idempotent per record.
    func commit() throws(SinkError)
    /// Runs of other input files that wrote to the store and did not finish, as the store
    /// found them after this run's commit (each the names of its files); empty for a store
    /// whose runs are durable whole.
    var runsLeftUnfinished: [[String]] { get }
    /// The settings the stored sessions were built with (`BuildSettings`), as the last run
    /// that committed left them; nil for a history without them (new, or last written before
    /// 2026-12-06).
    func storedBuildSettings() throws(SinkError) -> String?
    /// What `commit` stores as the settings the sessions were built with; nil stores nothing.
    var buildSettings: String? { get set }
    /// Why the stored sessions differ from one run over the days loaded (an input changed
    /// after it was loaded, the settings changed), as runs noted it; nil when nothing did. A
    /// rebuild's history starts without one.
    func storedRebuildNote() throws(SinkError) -> String?
    /// What `commit` stores as the note; nil stores nothing.
    var rebuildNote: String? { get set }
}

extension HistoryStore {
    public var runsLeftUnfinished: [[String]] { [] }
}

public struct EventHolder: Sendable, Hashable {
    public var position: String
    public var group: String

    public init(position: String, group: String) {
        self.position = position
        self.group = group
    }
}

/// What one run adds to the history.
public struct HistoryChange {
    /// New records, already encoded (`RecordCoding`): a run's records are held once, as bytes.
    /// Each entry is one record's encoding (`position` its own) or a group's records as one
    /// `RecordCoding.block` (`position` the first record's), as a flush makes them: one entry
    /// per group, built on both cores, so that a change holds, and the history's writer frees,
    /// one value per group rather than three per record. The entries of one group are next to
    /// each other.
    public var records: [(group: String, position: String, data: [UInt8])] = []
    public var eventHolders: [(id: String, holder: EventHolder)] = []
    /// Full replacement of each listed visitor's row (an empty row removes it).
    public var visitors: [String: VisitorRow] = [:]
    /// Bodies of the sessions last written. `new`: the history has never held a body for the
    /// id (it had none when the run first wrote the id, and bodies are only stored at a run's
    /// end), so it is inserted without looking for one to replace.
    public var sessionBodies: [(id: String, start: Int64, body: [UInt8], new: Bool)] = []
    public var deletedSessions: [String] = []

    public init() {}

    /// What a store keeps of `records`: one value per group, keyed by its first record's
    /// position (a position is never stored twice, so the key is new), holding that record
    /// alone or, for several, their `RecordCoding.block` (blocks among them merged into it).
    /// Both histories store these.
    public var recordBlocks: [(group: String, position: String, data: [UInt8])] { recordBlocks(in: records.indices) }

    /// `recordBlocks` of the records in `range` (whole groups).
    func recordBlocks(in range: Range<Int>) -> [(group: String, position: String, data: [UInt8])] {
        recordRuns(in: range).map { run in
            let first = records[run.lowerBound]
            return (first.group, first.position, run.count == 1 ? first.data : RecordCoding.block(records[run].map(\.data)))
        }
    }

    /// The ranges of `records` that hold one group each.
    var recordRuns: [Range<Int>] { recordRuns(in: records.indices) }

    func recordRuns(in range: Range<Int>) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start = range.lowerBound
        while start < range.upperBound {
            var end = start + 1
            while end < range.upperBound && records[end].group == records[start].group { end += 1 }
            runs.append(start..<end)
            start = end
        }
        return runs
    }

    /// Part of a change, as the write-behind history writes it (`WriteBehindHistory.pieces`):
    /// a range of the change's records, which are most of a change and are not copied, and the
    /// piece's few other items. Copying each record into a piece of its own, then freeing the
    /// pieces, was an eighth of the history writer's time at M (`perf record`, 2026-12-03).
    public struct Piece {
        /// Whole groups of the change's `records`.
        public var records: Range<Int> = 0..<0
        /// The piece's event holders, deletions, session bodies and visitor rows; no records.
        public var others = HistoryChange()
    }

    /// The piece as a change of its own.
    init(_ change: HistoryChange, piece: Piece) {
        self = piece.others
        records = Array(change.records[piece.records])
    }
}

extension HistoryStore {
    /// Applies the piece as a change of its own (stores that do not write pieces in place).
    public func apply(_ change: HistoryChange, piece: HistoryChange.Piece) throws(SinkError) {
        try apply(HistoryChange(change, piece: piece))
    }
}

extension HistoryStore {
    /// Of `positions`, those of records stored in `group` (`storedPositions(_:)` of one).
    public func storedPositions(_ positions: Set<String>, inGroup group: String) throws(SinkError) -> Set<String> {
        try storedPositions([(group, positions)])[0]
    }
}
