import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes sessions to a live Redis (SPEC 8.1): each session one `MULTI`/`EXEC` transaction
/// (see `RedisSessionCommands`), up to `batchSize` sessions pipelined per round trip.
///
/// Faults that may pass (refused or lost connection, timeout, `LOADING`, `BUSY`, `TRYAGAIN`)
/// are retried: reconnect, then resend the whole current batch. That is safe because every
/// session's transaction starts with `DEL`, so a session applied twice ends up the same, and a
/// transaction cut off before `EXEC` is discarded by Redis, so no session is left half written.
/// Faults that will not pass (bad password, missing permission, out of memory, an error inside
/// a transaction) fail at once with Redis's own words and the session id.
///
/// The connection is opened lazily by the first `write`, so building the sink (for a dry run,
/// or a run with nothing to write) never touches the network. Messages name the redacted URL
/// and never contain the password.
public final class RedisSessionWriter: PreparedSessionSink {
    public let url: RedisURL
    public let layout: RedisKeyLayout
    public let sortedSet: Bool
    public let ttlSeconds: Int?
    /// A write with a TTL starts its time again (docs/pipeline.md, `ttl`): such sessions are
    /// written whenever their visitor is rebuilt, as they were before 2026-12-07.
    public var leavesUnchangedUnwritten: Bool { ttlSeconds == nil }
    public let batchSize: Int
    public let retry: RedisRetryPolicy
    /// Told before each retry (see `RedisRetryPolicy.run`).
    public let notice: RedisRetryNotice?
    public let connectTimeout: Duration
    public let commandTimeout: Duration
    /// Sessions in batches Redis has confirmed (every `EXEC` succeeded), for the run summary.
    public private(set) var sessionsWritten = 0
    private var connection: RedisConnection?

    /// - Parameters:
    ///   - sortedSet: events as a sorted set scored by timestamp (schema `enhanced`) instead of
    ///     a list (`mvp`).
    ///   - ttlSeconds: `EXPIRE` on both keys; nil keeps them forever. Must be positive.
    ///   - batchSize: sessions per pipelined round trip; larger batches mean fewer round trips
    ///     but more work resent after a fault.
    ///   - notice: told before each retry, so that a run waiting out a fault says so.
    ///   - connectTimeout, commandTimeout: bound every wait, so a dead or stuck server becomes
    ///     an error and a retry instead of a hung run.
    public init(
        url: RedisURL,
        layout: RedisKeyLayout = RedisKeyLayout(),
        sortedSet: Bool,
        ttlSeconds: Int?,
        batchSize: Int = 500,
        retry: RedisRetryPolicy = .standard,
        notice: RedisRetryNotice? = nil,
        connectTimeout: Duration = .seconds(3),
        commandTimeout: Duration = .seconds(30)
    ) throws(SinkError) {
        if let ttlSeconds, ttlSeconds <= 0 {
            throw SinkError("Redis TTL must be a positive number of seconds, got \(ttlSeconds); leave it out for keys that never expire")
        }
        guard batchSize > 0 else { throw SinkError("Redis batch size must be at least 1, got \(batchSize)") }
        guard retry.maxAttempts > 0 else { throw SinkError("Redis retry attempts must be at least 1, got \(retry.maxAttempts)") }
        self.url = url
        self.layout = layout
        self.sortedSet = sortedSet
        self.ttlSeconds = ttlSeconds
        self.batchSize = batchSize
        self.retry = retry
        self.notice = notice
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// The session's transaction in Redis's wire form (`RedisSessionCommands.appendRESP`) and
    /// its number of commands. Reads only what `init` set, so any thread may call it.
    public func prepare(_ session: SessionRecord) -> PreparedSession {
        var bytes: [UInt8] = []
        let count = RedisSessionCommands.appendRESP(for: session, layout: layout, sortedSet: sortedSet, ttlSeconds: ttlSeconds, to: &bytes)
        return PreparedSession(session: session, bytes: bytes, count: count)
    }

    public func write(prepared: [PreparedSession]) throws(SinkError) {
        try writeInBatches(prepared, counted: true)
    }

    /// Deletes both keys of each id, one transaction per session, with the same retries.
    public func delete(_ ids: [String]) throws(SinkError) {
        try writeInBatches(ids.map { prepare(SessionRecord.tombstone($0)) }, counted: false)
    }

    /// `batchSize` sessions per round trip, each batch retried whole; a `counted` batch adds
    /// to `sessionsWritten` once Redis has confirmed it.
    private func writeInBatches(_ prepared: [PreparedSession], counted: Bool) throws(SinkError) {
        var start = prepared.startIndex
        while start < prepared.endIndex {
            let end = min(start + batchSize, prepared.endIndex)
            try writeWithRetry(prepared[start..<end])
            if counted { sessionsWritten += end - start }
            start = end
        }
    }

    /// Closes the connection. Every `write` that returned was already confirmed by Redis, so
    /// there is nothing left to flush.
    public func finish() throws(SinkError) {
        connection = nil
    }

    private func writeWithRetry(_ batch: ArraySlice<PreparedSession>) throws(SinkError) {
        try retry.run(url: url, reset: { connection = nil }, notice: notice) { () throws(RedisError) in
            try send(batch)
        }
    }

    /// One attempt: queue the batch's commands, then read and check every reply. Each
    /// session's prepared bytes are queued as they are (`appendFormatted` sends every 64 KiB
    /// across calls), not copied into one buffer first.
    private func send(_ batch: ArraySlice<PreparedSession>) throws(RedisError) {
        let connection: RedisConnection
        if let open = self.connection {
            connection = open
        } else {
            connection = try RedisConnection(url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
            self.connection = connection
        }
        for item in batch { try connection.appendFormatted(item.bytes, commands: item.count) }
        for item in batch {
            let (session, count) = (item.session, item.count)
            for index in 0..<count {
                if index == count - 1 {
                    // EXEC: an array of the commands' replies, none of them an error.
                    guard let reply = try connection.readReplyUnlessArrayWithoutErrors() else { continue }
                    try checkExec(reply, session: session)
                    continue
                }
                guard let reply = try connection.readReply(unlessStatus: index == 0 ? "OK" : "QUEUED") else { continue }
                // Cold path: the command's name, from the same description of the commands.
                let command = RedisSessionCommands.commands(for: session, layout: layout, sortedSet: sortedSet, ttlSeconds: ttlSeconds)[index]
                throw failure(reply, command: String(decoding: command[0], as: UTF8.self), session: session)
            }
        }
    }

    private func checkExec(_ reply: RedisReply, session: SessionRecord) throws(RedisError) {
        switch reply {
        case .array(let results):
            for result in results {
                if case .error(let message) = result {
                    throw RedisError(
                        .unusable,
                        "Redis at \(url) failed a command for session \(session.id): \(scrubbed(message))",
                        detail: scrubbed(message))
                }
            }
        case .null:
            throw RedisError(
                .unusable, "Redis at \(url) aborted the transaction of session \(session.id) (EXEC returned null)",
                detail: "EXEC returned null")
        default:
            throw failure(reply, command: "EXEC", session: session)
        }
    }

    private func failure(_ reply: RedisReply, command: String, session: SessionRecord) -> RedisError {
        guard case .error(let raw) = reply else {
            return RedisError(
                .protocolError, "Redis at \(url) answered \(command) for session \(session.id) with \(reply), not the expected reply",
                detail: "unexpected reply \(reply)")
        }
        let message = scrubbed(raw)
        let code = RedisError.code(of: message)
        let text: String
        switch code {
        case "NOAUTH":
            text = "Redis at \(url) requires a password (\(RedisError.clause(message))). Put it in the URL or set \(RedisURL.passwordVariable)."
        case "NOPERM":
            text = "Redis at \(url) denied \(command) for session \(session.id) (\(RedisError.clause(message))). Grant the user +@write and access to the keys."
        case "OOM":
            text = "Redis at \(url) is out of memory (maxmemory) writing session \(session.id): \(RedisError.advised(message))"
        default:
            text = "Redis at \(url) rejected \(command) for session \(session.id): \(RedisError.advised(message))"
        }
        return RedisError(.rejected(message), text, detail: message)
    }

    private func scrubbed(_ message: String) -> String { RedisConnection.scrub(message, url: url) }
}
