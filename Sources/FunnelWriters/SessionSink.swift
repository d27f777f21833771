import FunnelCore

/// Where finished sessions go. The runner hands sessions over in output order, in batches,
/// then calls `finish()` once; a sink that returns from `finish()` has made its output durable.
///
/// A sink must be idempotent per session: writing the same session twice leaves the same
/// result as writing it once, so that re-runs after failures converge.
public protocol SessionSink: AnyObject {
    /// Writes a batch of sessions, already ordered by (`created_at`, `session_id`).
    func write(_ sessions: [SessionRecord]) throws(SinkError)
    /// Completes the output (flush, fsync, rename). Nothing is visible as complete before.
    func finish() throws(SinkError)
}

/// A sink that could not do its work. The message names what failed and what to check; it
/// never carries a password.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
