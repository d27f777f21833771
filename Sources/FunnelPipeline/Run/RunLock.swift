import FunnelCore
import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// Keeps two runs off the same sink (issue: overlapping cron and backfill runs would interleave
/// their history). A run holds an exclusive `flock` on `funnel.lock` in the output folder for
/// flat-file sinks; for Redis it also holds the key `<prefix>funnel:lock`, whose value names the
/// host and process, so a lock left by a killed run on the same host is taken over.
final class RunLock {
    private var fd: Int32 = -1
    private var redis: (connection: RedisConnection, key: [UInt8], token: [UInt8], url: RedisURL, notice: RedisRetryNotice?)?
    /// The Redis lock's release by a signal that stops the run (`StopSignals.atStop`).
    private var releaseAtStop: Int?
    /// The server's `run_id` when the lock was taken (nil when `INFO` is refused): a server
    /// that restarted during the run has another.
    private var serverRunID: String?
    /// Set by `release` when the run's writes cannot be trusted: Redis restarted during the run
    /// (its `run_id` changed), or the lock was gone at the end (a restart without it, an older
    /// snapshot, or the key deleted). Until 2026-12-06 such a run exited 0 with about a third
    /// of its sessions gone (a review: Redis killed and restarted empty during a load).
    private(set) var lostDuringRun: String?
    /// What `lockRedis` could not check, for the summary's warnings.
    private(set) var warnings: [String] = []
    /// The server's count of evicted keys when the lock was taken: one that grew by the end
    /// means keys went during the run (a policy changed to evicting under it; rv73i).
    private var evictedAtStart: Int64?

    /// Deletes the lock key if it still holds the token: a lock another run took over is not
    /// touched.
    private static let releaseScript = Array("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end".utf8)

    /// Takes the output folder's lock, `funnel.lock`, and writes in it who holds it (host,
    /// pid, since when, `what`: "a run", "a backfill --rebuild"), which a run it
    /// refuses names (rv71a: the refusal named no holder, where the Redis lock's did).
    init(folder: String, what: String = "a run") throws(PipelineError) {
        let path = folder + "/funnel.lock"
        // Not through a link, and only a regular file: the holder's text is written into it
        // (rv73g: a link planted at `funnel.lock` had its target overwritten, or made outside
        // the folder).
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            let why = code == ELOOP ? "it is a symbolic link; remove it (funnel makes the file itself)" : String(cString: strerror(code))
            throw PipelineError("cannot open the run lock \(path): \(why)")
        }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            fd = -1
            throw PipelineError("cannot open the run lock \(path): it is not a regular file; remove it (funnel makes the file itself)")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var holder = [UInt8](repeating: 0, count: 512)
            let got = pread(fd, &holder, holder.count, 0)
            let said = got > 0 ? String(decoding: holder.prefix(got), as: UTF8.self).split(separator: "\n").first.map(String.init) : nil
            close(fd)
            fd = -1
            let who = said.map { " (\(TerminalText.oneLine($0)))" } ?? ""
            throw PipelineError("another funnel run\(who) is writing to \(folder) (it holds \(path)); wait for it to finish")
        }
        let pid = getpid()
        // The time a person reads (rv72a: the process's start in clock ticks since boot was not).
        let text = Array("\(Self.hostName) pid \(pid) since \(SessionInspector.utc(Int64(time(nil)) * 1000)), \(what)\n".utf8)
        // Written over the last holder's text and then cut to its length, never emptied
        // first: a run stopped in between (a signal's `_exit`, a kill) leaves a whole first
        // line naming a holder, the last one or this one (CI of 2026-12-07: SIGTERM between
        // the `ftruncate` and the `pwrite` left the file empty).
        let written = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        if written == text.count { _ = ftruncate(fd, off_t(text.count)) }
    }

    /// No folder lock: its holder is the caller (`RunOptions.folderLockHeld`).
    init() {}

    static var hostName: String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Also takes the Redis lock key. An unreachable Redis is a sink failure (retried like
    /// every Redis fault, the commands under the lock included: until 2026-12-05 a connection
    /// lost between the connect and the `SET` was not retried), and so is one that refuses the
    /// lock's commands (NOAUTH, NOPERM, OOM: exit 3 with Redis's message; until 2026-12-05 a
    /// usage error, exit 1, that dropped it); a lock held by a live run is a `PipelineError`.
    func lockRedis(url: RedisURL, prefix: String, retry: RedisRetryPolicy = .standard, notice: RedisRetryNotice? = nil) throws(PipelineError) -> SinkError? {
        let hostName = Self.hostName
        // The process's start time names it beside its pid: a pid the system gave to another
        // process since is not the holder (a token without one, written before 2026-12-05's night,
        // is judged by its pid alone).
        let token = Array("\(hostName) \(getpid()) \(ProcessLiveness.startTime(of: getpid()) ?? 0)".utf8)
        let keyName = RedisKeyLayout(prefix: prefix).bookkeepingKey("lock")
        let key = Array(keyName.utf8)
        let name = "\(keyName) on \(url.redacted)"
        enum Outcome {
            case taken(RedisConnection)
            case refused(String)
            case held(String, expiresIn: Int64?)
            case evicting(policy: String, limit: String)
            case colliding(prefix: String, key: String)
            case contended
        }
        var connection: RedisConnection?
        var unchecked = Set<String>()
        // A stopped run releases the lock on a connection of its own (the run's may be in the
        // middle of a reply), once, within a second or two: a Redis that does not answer then
        // leaves it as a kill does. Registered before the `SET`, which the script undoes only
        // if the key holds this run's token: registered after the lock's checks (until a
        // review of 2026-12-07), a stop in between left the key for a day.
        let release = StopSignals.atStop {
            guard let connection = try? RedisConnection(url: url, connectTimeout: .seconds(1), commandTimeout: .seconds(1)) else { return }
            _ = try? connection.command([Array("EVAL".utf8), Self.releaseScript, Array("1".utf8), key, token])
        }
        let outcome: Outcome
        do {
            outcome = try retry.run(url: url, connection: &connection, notice: notice) { current throws(RedisError) -> Outcome in
                // Before anything is written: a Redis that evicts keys when full drops the
                // history's keys, and every later night is built wrong (rv73e).
                switch Self.evictionPolicy(current) {
                case .evicting(let policy, let limit): return .evicting(policy: policy, limit: limit)
                case .unknown: unchecked.insert("its eviction policy (INFO refused)")
                case .none: break
                }
                // A pipeline whose keys would mix with this one's, over a database that holds
                // its history (its count of committed runs), in either direction (rv73d, rv73i).
                let layout = RedisKeyLayout(prefix: prefix)
                for other in layout.neighbourPrefixes {
                    let theirs = RedisKeyLayout(prefix: other).bookkeepingKey("generation")
                    switch try current.command([Array("EXISTS".utf8), Array(theirs.utf8)]) {
                    case .integer(1):
                        // A key of that name that holds no count is this pipeline's: a session
                        // whose id is `funnel:generation` (rv75b: it refused every later run).
                        if try RedisKeyLayout.holdsCountOfRuns(Array(theirs.utf8), on: current) { return .colliding(prefix: other, key: theirs) }
                    // Not allowed to look (an ACL): said for a prefix the load warned about.
                    case .error where layout.collision != nil: unchecked.insert("whether another pipeline's keys mix with this one's (EXISTS \(theirs) refused)")
                    default: break
                    }
                }
                // 24 h: a lock nobody releases expires even if its host is gone.
                for _ in 0..<2 {
                    let taken = try current.command([Array("SET".utf8), key, token, Array("NX".utf8), Array("EX".utf8), Array("86400".utf8)])
                    if case .status = taken { return .taken(current) }
                    // Redis refusing the command (NOAUTH, NOPERM, OOM, READONLY) is the sink
                    // failing, in Redis's own words: the run's first write would be refused alike.
                    // A server loading its data or busy in a script says "not now": retried
                    // (until 2026-12-06 the run exited 3 at once; a review: a boot-time timer
                    // meets a Redis still loading).
                    if case .error(let message) = taken {
                        try RedisError.throwIfTransient(message, message)
                        return .refused(message)
                    }
                    let held = try current.command([Array("GET".utf8), key])
                    if case .error(let message) = held {
                        try RedisError.throwIfTransient(message, message)
                        return .refused(message)
                    }
                    guard case .string(let holder) = held else { continue }
                    // Ours: a `SET` whose reply was lost with the connection, then retried.
                    if holder == token { return .taken(current) }
                    let parts = String(decoding: holder, as: UTF8.self).split(separator: " ")
                    // A holder on this host whose process is gone died without releasing: take over.
                    if parts.count >= 2, parts[0] == hostName, let pid = Int32(parts[1]),
                       parts.count == 3 ? UInt64(parts[2]).map({ ProcessLiveness.isGone(pid, startedAt: $0) }) == true : ProcessLiveness.isGone(pid) {
                        // Its refusal is the sink's, said (rv77d: a `DEL` refused left "could not
                        // take the lock", exit 1, without a reason).
                        if case .error(let message) = try current.command([Array("DEL".utf8), key]) {
                            try RedisError.throwIfTransient(message, message)
                            return .refused(message)
                        }
                        continue
                    }
                    // When it expires, if never released (rv72b: an operator on another host
                    // was told to wait, not for how long). Nil when `TTL` is refused.
                    let ttl = try? current.command([Array("TTL".utf8), key])
                    let expiresIn: Int64? = if case .integer(let seconds)? = ttl, seconds >= 0 { seconds } else { nil }
                    return .held(String(decoding: holder, as: UTF8.self), expiresIn: expiresIn)
                }
                return .contended
            }
        } catch {
            StopSignals.cancelAtStop(release)
            return SinkError("cannot take the run lock \(name): \(error.message)")
        }
        if case .taken = outcome {} else { StopSignals.cancelAtStop(release) }
        // What could not be checked is said (rv73i: an evicting Redis passed without a word for
        // a user without INFO).
        warnings += unchecked.sorted().map { "Redis at \(url.redacted) did not let funnel check \($0); docs/operations.md, \"Redis memory\"" }
        switch outcome {
        case .taken(let current):
            redis = (current, key, token, url, notice)
            releaseAtStop = release
            serverRunID = Self.stableRunID(current)
            evictedAtStart = Self.evictedKeys(current)
            return nil
        case .refused(let message):
            return SinkError("Redis refused the run lock \(name): \(RedisError.advised(message))")
        case .held(let holder, let expiresIn):
            throw PipelineError("another funnel run (\(Self.describe(holder: holder))) holds the lock \(name)\(expiresIn.map { "; it expires in \(SessionInspector.duration($0)) if that run never releases it" } ?? ""); wait for it, or delete that key if the run is gone")
        case .evicting(let policy, let limit):
            return SinkError("Redis at \(url.redacted) evicts keys when it is full (maxmemory \(limit), maxmemory-policy \(policy)): it would drop funnel's history and sessions without a word, and every night after would be built wrong, exit 0; set maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf) or load a Redis that evicts nothing, then run again; if it evicted since funnel loaded it, rebuild (docs/operations.md, \"Redis memory\")")
        case .colliding(let other, let key):
            throw PipelineError("\(url.redacted) holds the history (\(key)) of a pipeline whose key prefix, \(other.isEmpty ? "none" : "'\(other)'"), makes its keys and this one's (key prefix \(prefix.isEmpty ? "none" : "'\(prefix)'")) mix: one's sessions or events keys are the other's; give one of them another prefix or database (a new prefix starts an empty history: rebuild its days under it, docs/operations.md, \"Backfills and reprocessing\")")
        case .contended:
            throw PipelineError("could not take the lock \(name)")
        }
    }

    /// The retries of a release after a failure (`release(quick:)`).
    static let quickRelease = RedisRetryPolicy(maxAttempts: 3)

    /// A Redis lock's value, `host pid start-ticks`, as a person reads it: `pid 4242 on
    /// host-b` (the process's start in clock ticks since boot means nothing to a reader; rv72a
    /// said so of `funnel.lock`). A value of another shape is shown as it is.
    static func describe(holder: String) -> String {
        let parts = holder.split(separator: " ")
        guard parts.count == 2 || parts.count == 3, Int32(parts[1]) != nil else { return TerminalText.oneLine(holder) }
        return "pid \(parts[1]) on \(TerminalText.oneLine(String(parts[0])))"
    }

    /// Releases both locks (the Redis key only if it is still ours). A connection lost since
    /// the lock was taken is made again, with the retries of every Redis fault; a lock that
    /// still cannot be released is said in the returned warning (until 2026-12-05 it was left
    /// without a word, and another host's next run was refused for a day).
    ///
    /// `quick` after a failure (the sink's, or a Redis that stopped answering): on connections
    /// of its own with 2 s timeouts, `quickRelease`'s three attempts, about 12 s at most (rv76b:
    /// after a Redis stopped answering, the release's eight attempts of 30 s each doubled the
    /// run's 4.4 minutes, and its warning was not said).
    @discardableResult
    func release(retry: RedisRetryPolicy = .standard, quick: Bool = false) -> String? {
        var warning: String?
        if let releaseAtStop {
            StopSignals.cancelAtStop(releaseAtStop)
            self.releaseAtStop = nil
        }
        if let (connection, key, token, url, notice) = redis {
            redis = nil
            // The run's own connection may be in the middle of a reply after a failure.
            var current: RedisConnection? = quick ? nil : connection
            do throws(SinkError) {
                let (reply, runID, evicted) = try (quick ? Self.quickRelease : retry).run(url: url, reset: { current = nil }, notice: notice) { () throws(RedisError) in
                    let live: RedisConnection
                    if let current {
                        live = current
                    } else if quick {
                        live = try RedisConnection(url: url, connectTimeout: .seconds(2), commandTimeout: .seconds(2))
                    } else {
                        live = try RedisConnection(url: url)
                    }
                    current = live
                    return (try live.command([Array("EVAL".utf8), Self.releaseScript, Array("1".utf8), key, token]), Self.runID(live), Self.evictedKeys(live))
                }
                let name = String(decoding: key, as: UTF8.self)
                // The restart's check first: a user without EVAL still has it (a review).
                if let before = serverRunID, let runID, runID != before {
                    lostDuringRun = "Redis at \(url.redacted) restarted during the run (its run_id changed): what the run wrote before the restart, sessions and history, is lost unless Redis's persistence kept it; run the same command again (docs/operations.md, \"After a failed night\")"
                } else if let before = evictedAtStart, let evicted, evicted > before {
                    // Any key of the server's, this database's or another's: the history's may be
                    // among them, and nothing tells which (rv73i: exit 0 over 50,842 evicted).
                    lostDuringRun = "Redis at \(url.redacted) evicted \(evicted - before) keys during the run (its maxmemory-policy was changed to one that evicts, or another database's keys went): the run's sessions and history may have lost some; set maxmemory-policy noeviction and reprocess the days loaded, funnel backfill PIPELINE --from FIRST --to LAST --rebuild (docs/operations.md, \"Redis memory\")"
                } else if reply == .integer(0) {
                    lostDuringRun = "the run lock \(name) on \(url.redacted) was gone at the run's end: Redis restarted without it (or from a snapshot older than the run), the key was deleted or evicted during the run, or it expired (24 h after it was taken) and another run may have taken it; what the run wrote may be lost or mixed with another run's: run the same command again (docs/operations.md, \"After a failed night\")"
                }
                if case .error(let message) = reply { throw SinkError("Redis refused: \(RedisError.advised(message))") }
            } catch {
                let name = String(decoding: key, as: UTF8.self)
                warning = "the run lock \(name) on \(url.redacted) could not be released (\(error.message)); a run on this host takes it over, one on another host is refused until it expires (24 h after it was taken) or the key is deleted"
            }
        }
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
        return warning
    }

    /// The server's `run_id`, asked twice: behind a proxy that spreads commands over servers,
    /// the run_id of one reply is not the server's, and no restart could be told (nil then).
    static func stableRunID(_ connection: RedisConnection) -> String? {
        let runID = Self.runID(connection)
        return runID == Self.runID(connection) ? runID : nil
    }

    /// The server's eviction policy and memory limit (`INFO memory`) when it evicts keys once
    /// full: a `maxmemory` with a `maxmemory-policy` other than `noeviction`. Under
    /// `allkeys-*` Redis drops the history's keys, under `volatile-*` the lock and sessions
    /// with a `sink.ttl` (one key of a session's two, the other left): until 2026-12-06 funnel
    /// ran on, exit 0, and every later night was built from what was left (rv73e: 3,716
    /// sessions of 8,917 after 30 nights, 1,493 of them wrong; the damage outlived the
    /// policy's fix). Nil when it evicts nothing, or `INFO` is refused (an ACL without it).
    enum EvictionPolicy: Equatable {
        case evicting(policy: String, limit: String)
        /// `INFO` refused: not known.
        case unknown
    }

    static func evictionPolicy(_ connection: RedisConnection) -> EvictionPolicy? {
        guard let fields = info(connection, "memory") else { return .unknown }
        guard let policy = fields["maxmemory_policy"], policy != "noeviction",
              let limit = fields["maxmemory"].flatMap({ Int64($0) }), limit > 0 else { return nil }
        return .evicting(policy: String(policy), limit: String(fields["maxmemory_human"] ?? "\(limit)"))
    }

    /// The keys the server has evicted since it started (`INFO stats`), nil when refused.
    static func evictedKeys(_ connection: RedisConnection) -> Int64? {
        info(connection, "stats")?["evicted_keys"].flatMap { Int64($0) }
    }

    /// The server's `run_id` (`INFO server`), which a restart changes; nil when the server
    /// refuses `INFO` (an ACL without it) or the reply has none.
    private static func runID(_ connection: RedisConnection) -> String? {
        info(connection, "server")?["run_id"].map(String.init)
    }

    /// The fields (`name:value` lines) of one section of `INFO`; nil when the server refuses it.
    private static func info(_ connection: RedisConnection, _ section: String) -> [Substring: Substring]? {
        guard case .string(let bytes)? = try? connection.command([Array("INFO".utf8), Array(section.utf8)]) else { return nil }
        var fields: [Substring: Substring] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon]] = line[line.index(after: colon)...]
        }
        return fields
    }

    deinit { release() }
}
