import FunnelCore

/// A Redis set in which a run notes each session before it sends it, as `visitor<TAB>id`.
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
    /// Members per `SADD`.
    static let membersPerCommand = 1_000

    public init(url: RedisURL, key: String, retry: RedisRetryPolicy = .standard, notice: RedisRetryNotice? = nil) {
        self.url = url
        self.key = key
        self.retry = retry
        self.notice = notice
    }

    /// The member that notes session `id` of `visitor`.
    public static func member(visitor: String, id: String) -> [UInt8] {
        Array(visitor.utf8) + [0x09] + Array(id.utf8)
    }

    /// Reads `member(visitor:id:)`; nil for anything else.
    public static func parse(_ member: [UInt8]) -> (visitor: String, id: String)? {
        guard let tab = member.lastIndex(of: 0x09) else { return nil }
        return (String(decoding: member[..<tab], as: UTF8.self), String(decoding: member[(tab + 1)...], as: UTF8.self))
    }

    public func add(_ members: [[UInt8]]) throws(SinkError) {
        var start = 0
        while start < members.count {
            let end = min(start + Self.membersPerCommand, members.count)
            let words = [Array("SADD".utf8), Array(key.utf8)] + members[start..<end]
            try command(words, "SADD")
            start = end
        }
    }

    public func members() throws(SinkError) -> [[UInt8]] {
        guard case .array(let items) = try command([Array("SMEMBERS".utf8), Array(key.utf8)], "SMEMBERS") else { return [] }
        return items.compactMap { if case .string(let bytes) = $0 { bytes } else { nil } }
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
                throw RedisError(.rejected(message), "Redis at \(url) refused \(name) of \(key): \(message)", detail: message)
            }
            return reply
        }
    }
}
