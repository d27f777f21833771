import FunnelCore

/// A Redis set in which a run notes each session before it sends it, as `visitor<TAB>id`.
/// The notes of one `add` (a chunk's) go as one member, a line each: a member per session
/// cost redis-server a set entry per session (the bench's M, direct load against the RESP
/// file and `redis-cli --pipe`: 1.05 with an entry per session, 2026-12-05).
///
/// A run sends a chunk's sessions and stores its visitors' rows side by side; one cut short
/// in between may leave sessions that no stored row lists. The next run deletes those
/// (`SentSessions.reconcile` in the pipeline), before a rebuild from the rows makes them
/// stray for good; a run that finishes clears the set. Each `add` is confirmed by Redis
/// before it returns, so a session is never sent before its note, though the notes go over
/// a connection of their own. Uses only `SADD`, `SMEMBERS` and `DEL`, which the README's
/// loading user may run.
public final class SentSessionsJournal: @unchecked Sendable {
    public let url: RedisURL
    public let key: String
    private let retry: RedisRetryPolicy
    private let notice: RedisRetryNotice?
    private var connection: RedisConnection?
    public init(url: RedisURL, key: String, retry: RedisRetryPolicy = .standard, notice: RedisRetryNotice? = nil) {
        self.url = url
        self.key = key
        self.retry = retry
        self.notice = notice
    }

    /// Notes `notes` as one value, `visitor<TAB>id` a line each.
    public func add(_ notes: [(visitor: String, id: String)]) throws(SinkError) {
        guard !notes.isEmpty else { return }
        var value: [UInt8] = []
        value.reserveCapacity(notes.reduce(0) { $0 + $1.visitor.utf8.count + $1.id.utf8.count + 2 })
        for note in notes {
            value += note.visitor.utf8
            value.append(0x09)
            value += note.id.utf8
            value.append(0x0A)
        }
        try command([Array("SADD".utf8), Array(key.utf8), value], "SADD")
    }

    /// The notes as `add` stored them: one value per `add`, its notes a line each (see
    /// `forEachNote`). Read whole (`SMEMBERS`; the README's loading user has no `SSCAN`): a
    /// chunk's notes are one value, not one each, so a large run's cost little to hold.
    public func values() throws(SinkError) -> [[UInt8]] {
        guard case .array(let items) = try command([Array("SMEMBERS".utf8), Array(key.utf8)], "SMEMBERS") else { return [] }
        return items.compactMap { if case .string(let bytes) = $0 { bytes } else { nil } }
    }

    /// Calls `body` with each note of a value `values` gave (a line without a tab is skipped).
    public static func forEachNote(in value: [UInt8], _ body: (_ visitor: String, _ id: String) -> Void) {
        for line in value.split(separator: 0x0A) {
            guard let tab = line.lastIndex(of: 0x09) else { continue }
            body(String(decoding: line[..<tab], as: UTF8.self), String(decoding: line[(tab + 1)...], as: UTF8.self))
        }
    }

    public func clear() throws(SinkError) {
        try command([Array("DEL".utf8), Array(key.utf8)], "DEL")
    }

    @discardableResult
    private func command(_ words: [[UInt8]], _ name: String) throws(SinkError) -> RedisReply {
        try retry.run(url: url, connection: &connection, notice: notice) { c throws(RedisError) -> RedisReply in
            let reply = try c.command(words)
            if case .error(let raw) = reply {
                let message = RedisConnection.scrub(raw, url: url)
                throw RedisError(.rejected(message), "Redis at \(url) refused \(name) of \(key): \(RedisError.advised(message))", detail: message)
            }
            return reply
        }
    }
}
