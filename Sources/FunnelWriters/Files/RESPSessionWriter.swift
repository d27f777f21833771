import FunnelCore

/// Writes `redis.resp` (SPEC 8.2): the exact command stream the Redis sink would send, as RESP
/// arrays of bulk strings, for `redis-cli --pipe < redis.resp`.
///
/// The commands come from `RedisSessionCommands`, the same function the live writer uses, so
/// loading the file gives Redis byte for byte what a direct run gives: every session in its
/// own `MULTI`/`EXEC`, replaced whole. Bulk strings carry their length, so values with spaces,
/// quotes, newlines or any other bytes need no escaping.
public final class RESPSessionWriter: EncodedSessionSink {
    public static let fileName = "redis.resp"
    public let layout: RedisKeyLayout
    public let sortedSet: Bool
    public let ttlSeconds: Int?
    private let file: AtomicFile
    public private(set) var sessionsWritten = 0
    /// The file written: `fileName` in the folder, `.gz` added with `gzip`.
    public var path: String { file.path }

    /// Creates `folder/redis.resp`; nothing replaces an existing file before `finish()`.
    ///
    /// - Parameters:
    ///   - sortedSet: events as a sorted set scored by timestamp (schema `enhanced`) instead of
    ///     a list (`mvp`).
    ///   - ttlSeconds: `EXPIRE` on both keys; nil keeps them forever. Must be positive.
    public init(folder: String, layout: RedisKeyLayout = RedisKeyLayout(), sortedSet: Bool, ttlSeconds: Int?, gzip: Bool = false) throws(SinkError) {
        if let ttlSeconds, ttlSeconds <= 0 {
            throw SinkError("Redis TTL must be a positive number of seconds, got \(ttlSeconds); leave it out for keys that never expire")
        }
        self.layout = layout
        self.sortedSet = sortedSet
        self.ttlSeconds = ttlSeconds
        file = try AtomicFile(path: folder + "/" + Self.fileName, gzip: gzip)
    }

    /// The session's commands, as RESP.
    public func encode(_ session: SessionRecord) -> [UInt8] {
        var out: [UInt8] = []
        RedisSessionCommands.appendRESP(for: session, layout: layout, sortedSet: sortedSet, ttlSeconds: ttlSeconds, to: &out)
        return out
    }

    public func write(encoded: [UInt8]) throws(SinkError) {
        try file.append(encoded)
        sessionsWritten += 1
    }

    /// `MULTI`, `DEL` both keys, `EXEC` per id.
    public func delete(_ ids: [String]) throws(SinkError) {
        try write(ids.map(SessionRecord.tombstone))
        sessionsWritten -= ids.count
    }

    public func prepare() throws(SinkError) { try file.prepare() }

    public func finish() throws(SinkError) {
        try file.commit()
    }
}
