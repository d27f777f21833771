import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// Where finished sessions go. The runner hands sessions over in output order, in batches,
/// then calls `finish()` once; a sink that returns from `finish()` has made its output durable.
///
/// A sink must be idempotent per session: writing the same session twice leaves the same
/// result as writing it once, so that re-runs after failures converge.
public protocol SessionSink: AnyObject {
    /// Writes a batch of sessions, already ordered by (`created_at`, `session_id`).
    func write(_ sessions: [SessionRecord]) throws(SinkError)
    /// Removes sessions an earlier run wrote that no longer exist (a later run merged them
    /// into another session, or consent withdrew them). Flat-file sinks list the ids in
    /// `deleted.ndjson`, so a warehouse that upserts by `session_id` can delete them too.
    func delete(_ ids: [String]) throws(SinkError)
    /// Makes the output durable under a temporary name (flush, fsync) without putting it in
    /// place: a run prepares every file it writes before it puts any in place, so a disk that
    /// fills leaves all the previous files as they were. A sink that writes as it goes has
    /// nothing to prepare.
    func prepare() throws(SinkError)
    /// Completes the output (flush, fsync, rename). Nothing is visible as complete before.
    func finish() throws(SinkError)
}

extension SessionSink {
    public func prepare() throws(SinkError) {}
}

/// A sink that writes one file in output order. A long run keeps each session's bytes (from
/// `encode`) on disk until its end, when it knows which version of each session is the last,
/// and writes them once, in order, with `write(encoded:)`.
public protocol EncodedSessionSink: SessionSink {
    /// The bytes this sink writes for a session.
    func encode(_ session: SessionRecord) -> [UInt8]
    /// Writes one session's bytes from `encode`, in output order.
    func write(encoded: [UInt8]) throws(SinkError)
}

/// A sink that writes sessions as a run builds them (Redis). Making a session's bytes is most
/// of its own work and needs nothing but the session, so a run prepares them on all cores
/// (`prepare` may be called from any thread) and the sink only sends them.
public protocol PreparedSessionSink: SessionSink {
    func prepare(_ session: SessionRecord) -> PreparedSession
    /// Writes prepared sessions, as `write(_:)` writes sessions.
    func write(prepared: [PreparedSession]) throws(SinkError)
    /// Whether a session whose prepared bytes are those the sink was last sent for it may be
    /// left unsent: not when a write does more than set the bytes (Redis's TTL starts again).
    var leavesUnchangedUnwritten: Bool { get }
}

extension PreparedSessionSink {
    public func write(_ sessions: [SessionRecord]) throws(SinkError) {
        try write(prepared: sessions.map(prepare))
    }
}

/// A session with the bytes a `PreparedSessionSink` sends for it.
public struct PreparedSession: Sendable {
    public let session: SessionRecord
    /// The sink's own form (for Redis: the session's commands in RESP).
    public let bytes: [UInt8]
    /// How many commands (for Redis) or items `bytes` holds.
    public let count: Int

    public init(session: SessionRecord, bytes: [UInt8], count: Int) {
        self.session = session
        self.bytes = bytes
        self.count = count
    }
}

extension EncodedSessionSink {
    public func write(_ sessions: [SessionRecord]) throws(SinkError) {
        for session in sessions { try write(encoded: encode(session)) }
    }
}

extension SessionRecord {
    /// A session with nothing in it: its commands are `MULTI`, `DEL` both keys, `EXEC`, which
    /// is how Redis-shaped sinks delete a session inside the same transaction discipline.
    public static func tombstone(_ id: String) -> SessionRecord {
        SessionRecord(id: id, start: 0, fields: [], events: [])
    }
}
